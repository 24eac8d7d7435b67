// Stairwatch zone drawing: the camera's configured zones and privacy masks over its newest
// picture; clicks add the points of a new polygon, shown as YAML to paste under the camera's
// `zones` or `privacy_masks` (nothing is saved).
(() => {
  "use strict";

  const img = document.getElementById("picture");
  const canvas = document.getElementById("canvas");
  const nameEl = document.getElementById("zone-name");
  const kindEl = document.getElementById("zone-kind");
  const yamlEl = document.getElementById("yaml");
  const whatEl = document.getElementById("draw-what");
  const detectEl = document.getElementById("detect-through");
  const existing = JSON.parse(document.getElementById("zones").textContent);
  const masks = JSON.parse(document.getElementById("masks").textContent);
  const points = []; // normalized [x, y], x right and y down, in [0, 1]
  const ctx = canvas.getContext("2d");

  // A zone kind in the page's language: the label of its option in the kind list.
  function kindLabel(kind) {
    const option = Array.from(kindEl.options).find((o) => o.value === kind);
    return option ? option.textContent : kind;
  }

  function trace(polygon, close) {
    ctx.beginPath();
    polygon.forEach(([x, y], i) => {
      const px = x * canvas.width;
      const py = y * canvas.height;
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    if (close) ctx.closePath();
  }

  function outline(polygon, colour, close) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    trace(polygon, close);
    ctx.stroke();
  }

  // A configured mask: black as in every stored picture, outlined so it shows on a dark scene.
  function drawMask(mask) {
    ctx.fillStyle = "#000";
    trace(mask.polygon, true);
    ctx.fill();
    outline(mask.polygon, "#a855f7", true);
    const [x, y] = mask.polygon[0];
    ctx.fillStyle = "#a855f7";
    ctx.fillText(mask.name, x * canvas.width + 4, y * canvas.height + 16);
  }

  function draw() {
    canvas.width = img.clientWidth;
    canvas.height = img.clientHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = "14px system-ui, sans-serif";
    for (const mask of masks) drawMask(mask);
    for (const zone of existing) {
      outline(zone.polygon, "#3b82f6", true);
      const [x, y] = zone.polygon[0];
      ctx.fillStyle = "#3b82f6";
      ctx.fillText(`${zone.name} (${kindLabel(zone.kind)})`, x * canvas.width + 4, y * canvas.height + 16);
    }
    if (points.length) outline(points, "#eab308", points.length >= 3);
    ctx.fillStyle = "#eab308";
    for (const [x, y] of points) ctx.fillRect(x * canvas.width - 3, y * canvas.height - 3, 6, 6);
    yamlEl.value = points.length >= 3 ? yaml() : "";
  }

  function yaml() {
    const polygon = points.map(([x, y]) => `[${x.toFixed(4)}, ${y.toFixed(4)}]`).join(", ");
    if (whatEl.value === "mask") {
      const name = JSON.stringify(nameEl.value.trim() || "mask1");
      return `- name: ${name}\n  polygon: [${polygon}]\n  detect_through: ${detectEl.checked}\n`;
    }
    const name = nameEl.value.trim() || "zone1";
    return `- name: ${JSON.stringify(name)}\n  kind: ${kindEl.value}\n  polygon: [${polygon}]\n`;
  }

  function switchWhat() {
    const mask = whatEl.value === "mask";
    document.getElementById("kind-field").hidden = mask;
    document.getElementById("detect-field").hidden = !mask;
    draw();
  }

  const clamp = (v) => Math.min(1, Math.max(0, v));

  canvas.addEventListener("click", (ev) => {
    const box = canvas.getBoundingClientRect();
    points.push([clamp((ev.clientX - box.left) / box.width), clamp((ev.clientY - box.top) / box.height)]);
    draw();
  });
  document.getElementById("undo").addEventListener("click", () => {
    points.pop();
    draw();
  });
  document.getElementById("clear").addEventListener("click", () => {
    points.length = 0;
    draw();
  });
  nameEl.addEventListener("input", draw);
  kindEl.addEventListener("change", draw);
  whatEl.addEventListener("change", switchWhat);
  detectEl.addEventListener("change", draw);
  img.addEventListener("load", draw);
  window.addEventListener("resize", draw);
  if (img.complete) draw();
})();
