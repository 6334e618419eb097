/* Small page behaviours, declared in the markup with data attributes so that
   no template needs an inline handler (the Content-Security-Policy allows
   script only from 'self' files and htmx runs with allowEval off):
   - <select data-autosubmit> submits its form when the choice changes;
   - <select data-insert-into="#id_body"> appends the chosen option's value to
     that field, after a blank line when the field already has text;
   - <button data-print> opens the browser's print dialog;
   - <form data-reset-on-success> is cleared after a successful htmx request.
   The listeners are delegated from document, so content htmx swaps in works
   too; the guard stops a second copy of this file from adding them twice. */
(function () {
  "use strict";
  if (window.nexusUi) {
    return;
  }
  window.nexusUi = true;

  function closest(event, selector) {
    var target = event.target;
    return target && target.closest ? target.closest(selector) : null;
  }

  document.addEventListener("change", function (event) {
    var select = closest(event, "[data-autosubmit]");
    if (select && select.form) {
      select.form.submit();
      return;
    }
    var source = closest(event, "[data-insert-into]");
    if (source && source.value) {
      var field = document.querySelector(source.getAttribute("data-insert-into"));
      if (field) {
        field.value = (field.value ? field.value + "\n\n" : "") + source.value;
      }
    }
  });

  document.addEventListener("click", function (event) {
    if (closest(event, "[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = closest(event, "[data-reset-on-success]");
    if (form && event.detail && event.detail.successful && form.reset) {
      form.reset();
    }
  });
})();
