// Keyboard-wedge scanner support: F2/Esc jump back to the scan field, and a
// burst of typing while focus is not in a field is redirected to it.
(function () {
  var scan = document.getElementById("scan");
  if (!scan) return;
  function focusScan() { scan.focus(); scan.select(); }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var inField = target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
    if (event.key === "F2" || event.key === "Escape") { event.preventDefault(); focusScan(); return; }
    if (!inField && event.key.length === 1 && /[A-Za-z0-9-]/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      scan.value = "";
      focusScan();
    }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target.id !== "panel") return;
    if (!event.detail.target.querySelector("[autofocus]")) focusScan();
  });
})();
