// Stairwatch dashboard: keeps the event list fresh and sends acknowledge/assign/resolve and
// verdicts (confirmed / false alarm with its reason and note).
// The server renders the cards; this script polls /api/events and swaps in the rendered
// fragment only when the list changed (or once a minute, so durations stay current).
(() => {
  "use strict";

  const body = document.body;
  const base = body.dataset.base || "";
  const lang = body.dataset.lang || "zh-CN";
  const limit = body.dataset.limit || "50";
  const refreshMs = Number(body.dataset.refreshMs) || 5000;
  const RERENDER_MS = 60000;
  const ACTOR_KEY = "stairwatch.actor";
  const user = body.dataset.user || ""; // signed in: actions are theirs, nobody asks a name
  const messages = JSON.parse(document.getElementById("messages").textContent);
  const eventsEl = document.getElementById("events");
  const camerasEl = document.getElementById("cameras");
  const connEl = document.getElementById("conn");
  const updatedEl = document.getElementById("updated-at");

  let signature = null;
  let renderedAt = Date.now();
  let timer = null;

  // The page's own filter and page (its URL's query, see filters.js), for the API and fragment.
  function listQuery() {
    const params = new URLSearchParams(window.location.search);
    params.delete("lang");
    params.set("limit", limit);
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

  async function refresh(force) {
    try {
      const events = await (await fetchOk(`${base}/api/events?${listQuery()}`)).json();
      const sig = signatureOf(events);
      if (signature === null && !force) {
        signature = sig; // the page came with this list already rendered
      } else if (!force && (isPlaying() || isReviewing())) {
        // Swapping the cards now would stop the clip someone is watching; try next time.
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
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      if (!document.hidden) await refresh(false);
      schedule();
    }, refreshMs);
  }

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
