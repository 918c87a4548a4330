/* Press request pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Transfer picker: a text box that narrows the list of units (accent-insensitive).
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  document.querySelectorAll(".js-unit-filter").forEach(function (wrapper) {
    var form = wrapper.closest("form");
    var input = wrapper.querySelector("input");
    var select = form && form.querySelector(".js-unit-select");
    if (!input || !select) { return; }
    wrapper.hidden = false;
    var options = Array.prototype.slice.call(select.options);
    input.addEventListener("input", function () {
      var terms = fold(input.value).split(/\s+/).filter(Boolean);
      var firstVisible = null;
      options.forEach(function (option) {
        if (!option.value) { return; }
        var label = fold(option.textContent);
        var match = terms.every(function (t) { return label.indexOf(t) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match && firstVisible === null) { firstVisible = option; }
      });
      if (select.selectedOptions.length && select.selectedOptions[0].hidden && firstVisible) {
        firstVisible.selected = true;
      }
    });
    // Keep Enter in the filter box from submitting the transfer.
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); select.focus(); }
    });
  });

  // Show only the fields that matter for the chosen option; all stay visible without JS.
  function toggler(selector, groups) {
    var controls = document.querySelectorAll(selector);
    if (!controls.length) { return; }
    function current() {
      var value = "";
      controls.forEach(function (c) {
        if ((c.type === "radio" && c.checked) || c.tagName === "SELECT") { value = c.value; }
      });
      return value;
    }
    function apply() {
      var value = current();
      Object.keys(groups).forEach(function (cls) {
        document.querySelectorAll("." + cls).forEach(function (el) {
          el.hidden = groups[cls].indexOf(value) === -1;
        });
      });
    }
    controls.forEach(function (c) { c.addEventListener("change", apply); });
    apply();
  }
  toggler(".js-request-type", {"js-type-interview": ["interview"], "js-type-emergency": ["emergency"]});
  toggler("input[name=\"draft-kind\"]", {"js-kind-answer": ["answer"], "js-kind-refusal": ["refusal"]});
})();

/* A link to a request "with the action ready" (#panel-approve from the staff home) opens that panel. */
(function () {
  "use strict";
  function openPanel() {
    var id = window.location.hash.slice(1);
    if (id.indexOf("panel-") !== 0) { return; }
    var panel = document.getElementById(id);
    if (!panel || panel.tagName !== "DETAILS") { return; }
    panel.open = true;
    var summary = panel.querySelector("summary");
    if (summary) { summary.focus(); }
  }
  window.addEventListener("hashchange", openPanel);
  openPanel();
}());
