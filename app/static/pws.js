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

/* FAB's Select2 boxes speak pt-BR: the texts come from the page (set before ab.js builds them). */
(function () {
  "use strict";
  var data = document.getElementById("pws-select2-text");
  if (!data || !window.jQuery || !window.jQuery.fn.select2) { return; }
  var text = JSON.parse(data.textContent);
  var language = {};
  Object.keys(text).forEach(function (key) { language[key] = function () { return text[key]; }; });
  window.jQuery.fn.select2.defaults.set("language", language);
})();
