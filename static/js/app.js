// Behaviour the pages need, kept out of the HTML: the Content-Security-Policy runs no
// inline script or event handler.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) {
    event.target.form.submit();
  }
});

// A button that starts slow work (e.g. trying a platform's API) says so and cannot be
// pressed twice while the page waits for the answer.
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.dataset.busy) {
    button.textContent = button.dataset.busy;
    button.setAttribute("aria-busy", "true");
    setTimeout(() => { button.disabled = true; }, 0);
  }
});

// On a phone the navigation is a menu, opened and closed by the button in the header;
// without this script it stays a list of links under the header.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (!toggle) {
    return;
  }
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  document.getElementById(toggle.getAttribute("aria-controls")).classList.toggle("sidenav--open", open);
});
