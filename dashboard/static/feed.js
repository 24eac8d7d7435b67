// Stairwatch live feed: listens to /api/events/stream (Server-Sent Events) and tells the page
// (app.js) what changed; shows a banner and plays a short beep for each event that becomes
// critical while it is open. The operator's mute choice is kept in localStorage.
//
// To app.js, as DOM events on document:
//   "stairwatch:changed" (detail: the event's JSON) and "stairwatch:reset": reload the list;
//   "stairwatch:feed" (detail: { up: true | false }): the feed is connected or not.
(() => {
  "use strict";

  const body = document.body;
  const base = body.dataset.base || "";
  const texts = JSON.parse(document.getElementById("feed-messages").textContent);
  const banner = document.getElementById("critical-banner");
  const bannerText = document.getElementById("critical-text");
  const bannerMore = document.getElementById("critical-more");
  const soundButton = document.getElementById("sound");
  const MUTE_KEY = "stairwatch.muted";
  const REOPEN_MS = 30000; // after the server refused the stream (signed out, store down)

  let lastId = body.dataset.feedAfter || "";
  let source = null;
  let audio = null;
  const announced = new Set(); // critical events the operator has seen (card or banner)
  const shown = []; // critical events in the banner, newest first

  document.querySelectorAll("article.event.sev-critical").forEach((card) => {
    announced.add(card.dataset.id);
  });

  // -- sound ---------------------------------------------------------------------------------

  function muted() {
    return localStorage.getItem(MUTE_KEY) === "1";
  }

  function showSound() {
    const on = !muted();
    soundButton.setAttribute("aria-pressed", String(on));
    soundButton.textContent = on ? texts.sound_on : texts.sound_off;
  }

  // Browsers start audio only after a click on the page: make the context on the first one.
  function audioContext() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }

  // Three short 880 Hz beeps (about 0.7 s), made here: no sound file to download.
  function beep() {
    if (muted()) return;
    const ctx = audioContext();
    if (!ctx) return;
    const start = ctx.currentTime + 0.05;
    for (let i = 0; i < 3; i += 1) {
      const at = start + i * 0.25;
      const tone = ctx.createOscillator();
      const gain = ctx.createGain();
      tone.type = "square";
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
      tone.connect(gain);
      gain.connect(ctx.destination);
      tone.start(at);
      tone.stop(at + 0.2);
    }
  }

  soundButton.addEventListener("click", () => {
    localStorage.setItem(MUTE_KEY, muted() ? "0" : "1");
    showSound();
    if (!muted()) audioContext();
  });
  document.addEventListener("pointerdown", () => audioContext(), { once: true });
  showSound();

  // -- banner --------------------------------------------------------------------------------

  function where(event) {
    return [event.camera_name, event.building, event.floor].filter(Boolean).join(" ");
  }

  function showBanner() {
    if (shown.length === 0) {
      banner.hidden = true;
      return;
    }
    const newest = shown[0];
    bannerText.textContent = `${texts.types[newest.type] || newest.type} · ${where(newest)}`;
    bannerText.dataset.id = newest.id;
    bannerMore.textContent = shown.length > 1 ? texts.critical_more.replace("{n}", shown.length - 1) : "";
    banner.hidden = false;
  }

  function noteCritical(event) {
    const index = shown.findIndex((e) => e.id === event.id);
    if (index >= 0) shown.splice(index, 1);
    const alarming = event.severity === "critical" && event.status === "open";
    if (alarming && !announced.has(event.id)) {
      announced.add(event.id);
      shown.unshift(event);
      beep();
    } else if (alarming && index >= 0) {
      shown.splice(index, 0, event); // still open: it stays where it was
    }
    showBanner();
  }

  bannerText.addEventListener("click", (ev) => {
    ev.preventDefault();
    const card = document.querySelector(`article.event[data-id="${CSS.escape(bannerText.dataset.id)}"]`);
    if (card) card.scrollIntoView({ behavior: "smooth", block: "center" });
  });

  document.getElementById("critical-dismiss").addEventListener("click", () => {
    shown.length = 0;
    showBanner();
  });

  // -- the stream ----------------------------------------------------------------------------

  function tell(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail }));
  }

  function open() {
    const query = lastId ? `?after=${encodeURIComponent(lastId)}` : "";
    source = new EventSource(`${base}/api/events/stream${query}`);
    source.onopen = () => tell("stairwatch:feed", { up: true });
    source.onmessage = (message) => {
      lastId = message.lastEventId || lastId;
      const event = JSON.parse(message.data);
      noteCritical(event);
      tell("stairwatch:changed", event);
    };
    source.addEventListener("reset", (message) => {
      lastId = message.lastEventId || lastId;
      tell("stairwatch:reset", null);
    });
    source.onerror = () => {
      tell("stairwatch:feed", { up: false });
      if (source.readyState === EventSource.CLOSED) {
        // Refused (401, 503, ...): the browser gives up; app.js polls until this reopens.
        setTimeout(open, REOPEN_MS);
      }
    };
  }

  if (window.EventSource) open();
  else tell("stairwatch:feed", { up: false });
})();
