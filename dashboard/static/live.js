// Stairwatch live view: reloads every camera's newest picture every few seconds, one at a time
// per camera (a picture still loading is not asked for again), and marks cameras without one.
(() => {
  "use strict";

  const refreshMs = Number(document.body.dataset.refreshMs) || 2000;
  const tiles = Array.from(document.querySelectorAll("figure.tile"));

  function watch(tile) {
    const img = tile.querySelector("img");
    const missing = tile.querySelector(".no-picture");
    let loading = !img.complete;
    function shown(ok) {
      loading = false;
      img.hidden = !ok;
      missing.hidden = ok;
    }
    img.addEventListener("load", () => shown(true));
    img.addEventListener("error", () => shown(false));
    if (img.complete) shown(img.naturalWidth > 0); // settled before this script ran
    return () => {
      if (loading || document.hidden) return;
      loading = true;
      img.src = `${img.dataset.src}?t=${Date.now()}`;
    };
  }

  const reloads = tiles.map(watch);
  setInterval(() => reloads.forEach((reload) => reload()), refreshMs);
})();
