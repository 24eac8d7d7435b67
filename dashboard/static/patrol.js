// The patroller's page: the form works without this script. With it, the name is remembered
// on this phone, "resolve" asks once more, and a second tap does not post twice.
(() => {
  "use strict";

  const NAME_KEY = "stairwatch.patroller";
  const form = document.getElementById("patrol-form");
  if (!form) return;
  const name = form.elements.namedItem("name");

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
    sending = true;
    // After this turn, so the browser has already taken the button's formaction.
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  });
})();
