// The periodic task form of the Django admin (django-celery-beat): under the crontab field,
// the chosen schedule in words. The library does this with an inline script, which the
// Content-Security-Policy refuses; templates/admin/djcelery/change_periodictask_form.html
// loads this file instead.
(function () {
  const data = document.getElementById("readable-crontabs");
  const select = document.getElementById("id_crontab");
  const help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) {
    return;
  }
  const readable = JSON.parse(data.textContent);
  const original = help.textContent.trim();
  const translation = document.querySelector(".field-crontab_translation");
  if (translation) {
    translation.style.display = "none";
  }
  select.addEventListener("change", () => {
    help.textContent = "";
    const words = readable[select.value] || "";
    help.append(original, document.createElement("br"), `Translation: ${words}`);
  });
})();
