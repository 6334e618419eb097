/* Admin periodic-task form: the crontab chosen, in words, under its field (what
   django-celery-beat's own template does with an inline script). */
(function () {
  "use strict";
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  var help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) {
    return;
  }
  var readable = JSON.parse(data.textContent);
  var translation = document.querySelector(".field-crontab_translation");
  if (translation) {
    translation.style.display = "none";
  }
  var words = document.createElement("div");
  words.className = "crontab-in-words";
  help.appendChild(words);
  select.addEventListener("change", function () {
    var text = readable[select.value];
    words.textContent = text ? "Translation: " + text : "";
  });
})();
