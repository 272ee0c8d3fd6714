/* Behaviour that used to live in inline handlers (the CSP forbids them): data-* attributes. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-pws-autosubmit]");
    if (field && field.form) { field.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-pws-print]")) { window.print(); }
    var text = event.target.closest("[data-pws-select]");
    if (text) { text.select(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-pws-confirm]");
    if (form && !window.confirm(form.getAttribute("data-pws-confirm"))) { event.preventDefault(); }
  });
})();
