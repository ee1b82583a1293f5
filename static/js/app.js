// Behaviour the pages need, kept out of the HTML: the Content-Security-Policy runs no
// inline script or event handler.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) {
    event.target.form.submit();
  }
});
