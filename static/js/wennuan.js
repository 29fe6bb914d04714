/* Behaviour shared by every page, bound by data- attributes instead of inline handlers (the
   Content-Security-Policy runs no inline script):
   - <select data-submit-on-change>: choosing an option submits its form (the language switch);
   - <button data-print>: prints the page;
   - <button data-once> in a form: disabled once the form is sent, so a second tap while the
     first is on its way sends nothing new (the server would return the same request anyway,
     thanks to the form's idempotency key). */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-once]")) return;
    form.addEventListener("submit", function () {
      form.querySelectorAll("[data-once]").forEach(function (button) { button.disabled = true; });
    });
  });
  // Back to a page from the browser's cache: its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form [data-once]").forEach(function (button) { button.disabled = false; });
  });
})();
