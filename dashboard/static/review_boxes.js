// Stairwatch review boxes: on an event's snapshot, drag to correct the detector's box or draw an
// object it missed. The boxes (normalized xyxy of the camera's picture, without the caption
// below it) are kept per event until its verdict is sent; app.js adds them to the verdict.
(() => {
  "use strict";

  const dialog = document.getElementById("box-dialog");
  if (!dialog) return; // people who may not give verdicts get no editor
  const base = document.body.dataset.base || "";
  const img = document.getElementById("box-picture");
  const canvas = document.getElementById("box-canvas");
  const labelEl = document.getElementById("box-label");
  const listEl = document.getElementById("box-list");
  const ctx = canvas.getContext("2d");
  const saved = new Map(); // event id -> [{label, xyxy}]
  const KIND_OF_TYPE = { ebike_parked: "ebike", ebike_in_elevator: "ebike", flying_wire: "cable" };
  let eventId = null;
  let boxes = [];
  let pictureShare = 1; // share of the snapshot's height that is the camera's picture
  let drag = null;
  let opener = null;

  window.stairwatchBoxes = { get: (id) => (saved.has(id) ? saved.get(id) : null) };

  const clamp = (v) => Math.min(1, Math.max(0, v));
  const round = (v) => Math.round(v * 10000) / 10000;
  const labelText = (kind) =>
    (Array.from(labelEl.options).find((o) => o.value === kind) || { textContent: kind }).textContent;

  // A pointer position as normalized picture coordinates.
  function point(ev) {
    const rect = canvas.getBoundingClientRect();
    const x = (ev.clientX - rect.left) / rect.width;
    const y = (ev.clientY - rect.top) / (rect.height * pictureShare);
    return [clamp(x), clamp(y)];
  }

  function strokeBox(xyxy, colour, text) {
    const [x1, y1, x2, y2] = xyxy;
    const h = canvas.height * pictureShare;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2;
    ctx.strokeRect(x1 * canvas.width, y1 * h, (x2 - x1) * canvas.width, (y2 - y1) * h);
    if (text) {
      ctx.fillStyle = colour;
      ctx.font = "14px system-ui, sans-serif";
      ctx.fillText(text, x1 * canvas.width + 3, y1 * h + 15);
    }
  }

  function draw() {
    canvas.width = img.clientWidth;
    canvas.height = img.clientHeight;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    boxes.forEach((b, i) => strokeBox(b.xyxy, "#ffd400", `${i + 1} ${labelText(b.label)}`));
    if (drag && drag.end) strokeBox(ordered(drag.start, drag.end), "#00e0ff", "");
  }

  function ordered([ax, ay], [bx, by]) {
    return [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)].map(round);
  }

  function renderList() {
    listEl.replaceChildren(
      ...boxes.map((b, i) => {
        const li = document.createElement("li");
        li.textContent = `${i + 1} ${labelText(b.label)} `;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "secondary";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `× ${i + 1}`);
        remove.addEventListener("click", () => {
          boxes.splice(i, 1);
          renderList();
          draw();
        });
        li.append(remove);
        return li;
      }),
    );
  }

  async function open(card, button) {
    eventId = card.dataset.id;
    opener = button;
    const [snap, event] = await Promise.all([
      fetch(`${base}/api/events/${encodeURIComponent(eventId)}/snapshot.jpg`),
      fetch(`${base}/api/events/${encodeURIComponent(eventId)}`).then((r) => r.json()),
    ]);
    const blob = await snap.blob();
    const rows = Number(snap.headers.get("X-Picture-Height"));
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(blob);
    await img.decode();
    pictureShare = rows > 0 ? rows / img.naturalHeight : 1;
    const kind = KIND_OF_TYPE[event.type];
    if (saved.has(eventId)) boxes = saved.get(eventId).map((b) => ({ ...b }));
    else if (event.box && kind) {
      const { x1, y1, x2, y2 } = event.box;
      boxes = [{ label: kind, xyxy: [x1, y1, x2, y2].map(round) }];
    } else boxes = [];
    if (kind) labelEl.value = kind;
    dialog.showModal();
    renderList();
    draw();
  }

  function close(keep) {
    if (keep) {
      saved.set(eventId, boxes);
      if (opener && opener.isConnected) opener.textContent = `${opener.dataset.label} (${boxes.length})`;
    }
    dialog.close();
  }

  canvas.addEventListener("pointerdown", (ev) => {
    canvas.setPointerCapture(ev.pointerId);
    drag = { start: point(ev), end: null };
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    drag.end = point(ev);
    draw();
  });
  canvas.addEventListener("pointerup", (ev) => {
    if (!drag) return;
    const xyxy = ordered(drag.start, point(ev));
    drag = null;
    if (xyxy[2] - xyxy[0] >= 0.01 && xyxy[3] - xyxy[1] >= 0.01) {
      boxes.push({ label: labelEl.value, xyxy });
      renderList();
    }
    draw();
  });
  window.addEventListener("resize", () => dialog.open && draw());
  document.getElementById("box-done").addEventListener("click", () => close(true));
  document.getElementById("box-cancel").addEventListener("click", () => close(false));
  document.getElementById("box-clear").addEventListener("click", () => {
    boxes = [];
    renderList();
    draw();
  });

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-boxes]");
    const card = button && button.closest("[data-id]");
    if (!card) return;
    if (!button.dataset.label) button.dataset.label = button.textContent;
    open(card, button).catch((err) => window.alert(err.message));
  });
})();
