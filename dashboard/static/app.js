// Stairwatch dashboard: keeps the event list fresh and sends acknowledge/assign/resolve and
// verdicts (confirmed / false alarm with its reason and note).
// The server renders the cards; this script swaps in the rendered fragment when the live feed
// (feed.js) says an event changed, and once a minute so durations and camera health stay
// current. It polls /api/events only while the live feed is down.
(() => {
  "use strict";

  const body = document.body;
  const base = body.dataset.base || "";
  const lang = body.dataset.lang || "zh-CN";
  const status = body.dataset.status || "";
  const limit = body.dataset.limit || "50";
  const refreshMs = Number(body.dataset.refreshMs) || 5000;
  const RERENDER_MS = 60000;
  const RETRY_MS = 3000; // a change waits while a clip plays or a verdict is being written
  const CHANGED = "changed"; // a signature no list has: the next refresh renders
  const ACTOR_KEY = "stairwatch.actor";
  const user = body.dataset.user || ""; // signed in: actions are theirs, nobody asks a name
  const messages = JSON.parse(document.getElementById("messages").textContent);
  const eventsEl = document.getElementById("events");
  const camerasEl = document.getElementById("cameras");
  const connEl = document.getElementById("conn");
  const updatedEl = document.getElementById("updated-at");

  let signature = signatureOf(JSON.parse(document.getElementById("list-state").textContent));
  let renderedAt = Date.now();
  let timer = null;
  let soon = null;
  let feedUp = false;
  let feedWasUp = false;

  function listQuery() {
    const params = new URLSearchParams({ limit });
    if (status) params.set("status", status);
    for (const key of ["site", "node"]) {
      // a fleet: the events of one site and/or node (dashboard/fleet_panel.py)
      if (body.dataset[key]) params.set(key, body.dataset[key]);
    }
    return params;
  }

  async function fetchOk(url, options) {
    const response = await fetch(url, options);
    if (response.status === 401) window.location.reload(); // signed out: to the sign-in page
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    return response;
  }

  function isPlaying() {
    return Array.from(eventsEl.querySelectorAll("video")).some((v) => !v.paused && !v.ended);
  }

  // Someone is choosing a reason or typing a verdict note: swapping the cards would lose it.
  function isReviewing() {
    const focused = document.activeElement;
    return Boolean(focused && eventsEl.contains(focused) && focused.closest(".review"));
  }

  function signatureOf(events) {
    return events.map((e) => `${e.id}:${e.status}:${e.updated_at}:${e.end_ts}`).join("|");
  }

  // Returns true when it left the cards as they were because someone is using them.
  async function refresh(force) {
    let deferred = false;
    try {
      const events = await (await fetchOk(`${base}/api/events?${listQuery()}`)).json();
      const sig = signatureOf(events);
      if (!force && (isPlaying() || isReviewing())) {
        deferred = true; // swapping the cards now would stop the clip someone is watching
      } else if (force || sig !== signature || Date.now() - renderedAt > RERENDER_MS) {
        const fragmentQuery = listQuery();
        fragmentQuery.delete("limit");
        fragmentQuery.set("lang", lang);
        const html = await (await fetchOk(`${base}/partials/events?${fragmentQuery}`)).text();
        eventsEl.innerHTML = html;
        signature = sig;
        renderedAt = Date.now();
      }
      const cams = await fetchOk(`${base}/partials/cameras?lang=${encodeURIComponent(lang)}`);
      camerasEl.innerHTML = await cams.text();
      connEl.hidden = true;
      updatedEl.textContent = new Date().toLocaleTimeString(lang, { hour12: false });
    } catch (err) {
      connEl.hidden = false;
    }
    return deferred;
  }

  // With the live feed up, only the once-a-minute render; without it, the configured poll.
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!document.hidden) await refresh(false);
      schedule();
    }, feedUp ? RERENDER_MS : refreshMs);
  }

  // A message may repeat what the page shows (a reconnect replays): the list's signature tells.
  function refreshSoon() {
    clearTimeout(soon);
    soon = setTimeout(async () => {
      if (await refresh(false)) setTimeout(refreshSoon, RETRY_MS);
    }, 100); // one render for a burst of messages
  }

  document.addEventListener("stairwatch:changed", refreshSoon);
  document.addEventListener("stairwatch:reset", () => {
    signature = CHANGED; // more changed than the feed replays: render whatever the list says
    refreshSoon();
  });
  document.addEventListener("stairwatch:feed", (ev) => {
    const up = Boolean(ev.detail && ev.detail.up);
    if (up === feedUp) return; // the browser retrying: the timer already runs as it should
    if (up && feedWasUp) refreshSoon(); // back after a gap: catch up once
    feedWasUp = feedWasUp || up;
    feedUp = up;
    schedule();
  });

  function askActor() {
    if (user) return user;
    const answer = window.prompt(messages.prompt_actor, localStorage.getItem(ACTOR_KEY) || "");
    const name = answer === null ? "" : answer.trim();
    if (name) localStorage.setItem(ACTOR_KEY, name);
    return name;
  }

  // The body for one action, or null when the person cancelled.
  function actionBody(action) {
    const actor = askActor();
    if (!actor) return null;
    if (action === "assign") {
      const assignee = (window.prompt(messages.prompt_assignee, "") || "").trim();
      return assignee ? { actor, assignee } : null;
    }
    if (action === "resolve") {
      const note = window.prompt(messages.prompt_note, "");
      if (note === null) return null;
      return note.trim() ? { actor, note: note.trim() } : { actor };
    }
    return { actor };
  }

  async function errorText(response) {
    try {
      const detail = (await response.json()).detail;
      return typeof detail === "string" ? detail : JSON.stringify(detail);
    } catch (err) {
      return `${response.status} ${response.statusText}`;
    }
  }

  // The verdict the card's review row holds, or null when the person cancelled.
  function reviewBody(card, verdict) {
    const actor = askActor();
    if (!actor) return null;
    const payload = { actor, verdict };
    if (verdict === "false_alarm") payload.reason = card.querySelector(".review select").value;
    const note = card.querySelector(".review input[name=review_note]").value.trim();
    if (note) payload.note = note;
    return payload;
  }

  async function send(eventId, action, button, payload) {
    if (!payload) return;
    button.disabled = true;
    try {
      const response = await fetch(`${base}/api/events/${encodeURIComponent(eventId)}/${action}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      if (response.status === 401) window.location.reload();
      else if (!response.ok) window.alert(`${messages.action_failed}: ${await errorText(response)}`);
    } catch (err) {
      window.alert(`${messages.action_failed}: ${err.message}`);
    }
    await refresh(true);
    schedule();
  }

  eventsEl.addEventListener("click", (ev) => {
    const button = ev.target.closest("button[data-action], button[data-verdict]");
    const card = button && button.closest("[data-id]");
    if (!card) return;
    if (button.dataset.verdict) {
      send(card.dataset.id, "review", button, reviewBody(card, button.dataset.verdict));
    } else {
      send(card.dataset.id, button.dataset.action, button, actionBody(button.dataset.action));
    }
  });

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) refresh(false);
  });

  refresh(false).then(schedule);
})();
