// Stairwatch dashboard: the filter bar. The filter is the page's URL (a GET form), so a view can
// be shared as a link and the back button works; this only leaves the untouched ("any")
// fields out of the URL, and applies a select's choice at once.
(() => {
  "use strict";

  const form = document.getElementById("filter-bar");
  if (!form) return;

  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && field.value === "") field.disabled = true;
    }
  });

  // The range cannot end before it starts: the browser says so before anything is sent.
  const from = form.elements.namedItem("from");
  const to = form.elements.namedItem("to");
  const keepOrder = () => {
    to.min = from.value;
  };
  keepOrder();

  form.addEventListener("change", (ev) => {
    if (ev.target === from) keepOrder();
    if (ev.target.tagName === "SELECT") form.requestSubmit();
  });

  // Back to this page from the history: the fields show the URL's filter, not stale choices.
  window.addEventListener("pageshow", (ev) => {
    if (ev.persisted) window.location.reload();
  });
})();
