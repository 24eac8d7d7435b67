// Stairwatch zone drawing: the camera's configured zones over its newest picture; clicks add the
// points of a new polygon, shown as YAML to paste under the camera's `zones` (nothing is saved).
(() => {
  "use strict";

  const img = document.getElementById("picture");
  const canvas = document.getElementById("canvas");
  const nameEl = document.getElementById("zone-name");
  const kindEl = document.getElementById("zone-kind");
  const yamlEl = document.getElementById("yaml");
  const existing = JSON.parse(document.getElementById("zones").textContent);
  const points = []; // normalized [x, y], x right and y down, in [0, 1]
  const ctx = canvas.getContext("2d");

  // A zone kind in the page's language: the label of its option in the kind list.
  function kindLabel(kind) {
    const option = Array.from(kindEl.options).find((o) => o.value === kind);
    return option ? option.textContent : kind;
  }

  function outline(polygon, colour, close) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    polygon.forEach(([x, y], i) => {
      const px = x * canvas.width;
      const py = y * canvas.height;
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    if (close) ctx.closePath();
    ctx.stroke();
  }

  function draw() {
    canvas.width = img.clientWidth;
    canvas.height = img.clientHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.font = "14px system-ui, sans-serif";
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
    const name = nameEl.value.trim() || "zone1";
    return `- name: ${JSON.stringify(name)}\n  kind: ${kindEl.value}\n  polygon: [${polygon}]\n`;
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
  img.addEventListener("load", draw);
  window.addEventListener("resize", draw);
  if (img.complete) draw();
})();
