/* Knowledge-base helpers for other pages (no inline script, so a strict CSP
   with script-src 'self' holds):
   - [data-kb-insert] buttons put their text (a Markdown link) into the textarea
     named by data-kb-target, at the cursor, replacing any selection;
   - [data-kb-select] inputs select their whole text when clicked.
   One delegated listener each, so content htmx swaps in works too; the guard
   stops a second copy of this file from adding them twice. */
(function () {
  "use strict";
  if (window.nexusKnowledge) {
    return;
  }
  window.nexusKnowledge = true;

  function insertAtCursor(textarea, text) {
    var start = typeof textarea.selectionStart === "number" ? textarea.selectionStart : textarea.value.length;
    var end = typeof textarea.selectionEnd === "number" ? textarea.selectionEnd : start;
    var before = textarea.value.slice(0, start);
    var after = textarea.value.slice(end);
    // Keep the link a word of its own.
    if (before && !/\s$/.test(before)) {
      text = " " + text;
    }
    if (after && !/^\s/.test(after)) {
      text = text + " ";
    }
    textarea.value = before + text + after;
    var caret = before.length + text.length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-kb-insert]") : null;
    if (button) {
      var textarea = document.getElementById(button.getAttribute("data-kb-target") || "id_body");
      if (textarea) {
        insertAtCursor(textarea, button.getAttribute("data-kb-insert"));
      }
      return;
    }
    var field = event.target.closest ? event.target.closest("[data-kb-select]") : null;
    if (field && typeof field.select === "function") {
      field.select();
    }
  });
})();
