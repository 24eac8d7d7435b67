// The patroller's page: the form works without this script. With it, the name is remembered
// on this phone, "resolve" asks once more, a second tap does not post twice, and a photo goes
// only with "resolve" (the other actions' routes take no large body).
(() => {
  "use strict";

  const NAME_KEY = "stairwatch.patroller";
  const form = document.getElementById("patrol-form");
  if (!form) return;
  const name = form.elements.namedItem("name");
  const photo = form.elements.namedItem("photo");

  function remembered() {
    try {
      return localStorage.getItem(NAME_KEY) || "";
    } catch (err) {
      return ""; // storage blocked (private mode): just no default
    }
  }

  if (!name.value) name.value = remembered();

  let sending = false;
  // Coming back (history, bfcache) after a post that did not get through: allow a retry.
  window.addEventListener("pageshow", () => {
    sending = false;
    form.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    if (photo) photo.disabled = false;
  });

  form.addEventListener("submit", (ev) => {
    const button = ev.submitter;
    if (sending) {
      ev.preventDefault();
      return;
    }
    if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
      ev.preventDefault();
      return;
    }
    try {
      localStorage.setItem(NAME_KEY, name.value.trim());
    } catch (err) {
      // not remembered; the action still goes through
    }
    // The form data is gathered after this handler: a disabled field is left out.
    if (photo) photo.disabled = !(button && button.dataset.photo === "yes");
    sending = true;
    // After this turn, so the browser has already taken the button's formaction.
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  });
})();
