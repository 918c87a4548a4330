/* Journalist portal: progressive enhancement only. Every page works without this file. */
(function () {
  "use strict";

  // Accent-insensitive key, like spokes.core.text.fold on the server.
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đð]/gi, "d").toLowerCase().replace(/\s+/g, " ").trim();
  }

  // Move focus to the error summary (or the "not found" notice) so screen readers announce it.
  var summary = document.getElementById("form-errors") || document.getElementById("not-found");
  if (summary) { summary.focus(); }

  // Show only the credential block that matches the chosen radio (card or letter).
  var credentialRadios = document.querySelectorAll("input[name='credential']");
  function syncCredential() {
    var chosen = document.querySelector("input[name='credential']:checked");
    document.querySelectorAll("[data-credential]").forEach(function (block) {
      block.hidden = !!chosen && block.getAttribute("data-credential") !== chosen.value;
    });
  }
  credentialRadios.forEach(function (r) { r.addEventListener("change", syncCredential); });
  if (credentialRadios.length) { syncCredential(); }

  // Interview details only matter for the "interview" type.
  var interview = document.getElementById("interview-fields");
  var typeRadios = document.querySelectorAll("input[name='type']");
  function syncInterview() {
    var chosen = document.querySelector("input[name='type']:checked");
    interview.hidden = !chosen || chosen.value !== "interview";
  }
  if (interview && typeRadios.length) {
    typeRadios.forEach(function (r) { r.addEventListener("change", syncInterview); });
    syncInterview();
  }

  // The press agency's document only matters for the types listed on its block (data-types);
  // hidden for the others, it is shown again (with the file still chosen) if the type changes back.
  // A block that carries an error from the server stays visible, so the error summary's link leads somewhere.
  var agencyDocument = document.getElementById("agency-document-fields");
  function syncAgencyDocument() {
    var chosen = document.querySelector("input[name='type']:checked");
    var types = (agencyDocument.getAttribute("data-types") || "").split(" ");
    var hasError = !!agencyDocument.querySelector(".invalid-feedback");
    agencyDocument.hidden = !hasError && (!chosen || types.indexOf(chosen.value) === -1);
  }
  if (agencyDocument && typeRadios.length) {
    typeRadios.forEach(function (r) { r.addEventListener("change", syncAgencyDocument); });
    syncAgencyDocument();
  }

  // A filter box above the long unit list.
  var unitSelect = document.getElementById("unit");
  if (unitSelect && unitSelect.tagName === "SELECT" && unitSelect.options.length > 8) {
    var wrap = document.createElement("div");
    wrap.className = "mb-2";
    var label = document.createElement("label");
    label.className = "form-label small";
    label.htmlFor = "unit-filter";
    label.textContent = unitSelect.getAttribute("data-filter-label") || "Lọc danh sách đơn vị (gõ có hoặc không dấu)";
    var input = document.createElement("input");
    input.type = "search";
    input.id = "unit-filter";
    input.className = "form-control form-control-sm";
    input.setAttribute("aria-controls", "unit");
    input.autocomplete = "off";
    wrap.appendChild(label);
    wrap.appendChild(input);
    unitSelect.parentNode.insertBefore(wrap, unitSelect);
    input.addEventListener("input", function () {
      var q = fold(input.value);
      Array.prototype.forEach.call(unitSelect.options, function (opt, i) {
        opt.hidden = i > 0 && q !== "" && fold(opt.textContent).indexOf(q) === -1;
      });
    });
  }

  // "Back" on an error page after a post: the browser's history usually still holds what was typed.
  if (window.history.length > 1) {
    document.querySelectorAll("[data-history-back]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.history.back(); });
    });
  }

  // "Copy" next to the one-time tracking link.
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        button.textContent = button.getAttribute("data-copied-label") || "Đã sao chép";
      });
    });
  });
})();
