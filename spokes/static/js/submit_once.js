/* Send a form once: a form marked data-submit-once, or sent by a button so marked, ignores further
   submissions once it is on its way, and its buttons show as busy. A progressive enhancement only:
   the server recognises a form sent twice anyway (spokes/core/once.py). Other buttons of the form
   (a preview that downloads a file and leaves the page as it was) do not lock it. */
(function () {
  "use strict";

  var RELEASE_AFTER_MS = 20000; // a request that never answered: let the person try again

  function buttons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
  }

  function release(form) {
    delete form.dataset.sending;
    buttons(form).forEach(function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var by = event.submitter;
    if (event.defaultPrevented || !(form.hasAttribute("data-submit-once") || (by && by.hasAttribute("data-submit-once")))) {
      return;
    }
    if (form.dataset.sending) { event.preventDefault(); return; }
    form.dataset.sending = "1";
    // Disable after this event: a button disabled now would leave its own name out of what is sent.
    window.setTimeout(function () {
      buttons(form).forEach(function (b) { b.disabled = true; });
      if (by) { by.setAttribute("aria-busy", "true"); }
    }, 0);
    window.setTimeout(function () { release(form); }, RELEASE_AFTER_MS);
  });

  // Back to a page kept in the history: its forms may be sent again (the server says if one was).
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { document.querySelectorAll("form[data-sending]").forEach(release); }
  });
})();
