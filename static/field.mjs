// field.mjs: the field mode on every page. Registers the service worker, tells it who is signed in, keeps the
// signed-in user's outbox sending (online events and a light probe of /healthz, not a long back-off), drives the
// "Available offline" switch, guards logout, and fills the offline page's list. conduct.mjs builds on `field`.
import { deleteOutbox, openOutbox } from "./outbox.mjs";

const PROBE_MS = 2000;
const NOTE_PAUSE_MS = 700; // a note is sent after a pause in typing
const LOW_QUOTA_BYTES = 50 * 1024 * 1024;
const TABLET_DB = "auditor-field"; // shared with sw.js: who is signed in on this tablet
const PAGES_PREFIX = "auditor-pages-";

const meta = document.querySelector("meta[name=field-user]");
const messagesEl = document.getElementById("field-messages");
export const messages = messagesEl ? JSON.parse(messagesEl.textContent) : {};
export const user = meta && meta.content ? { id: meta.content, name: meta.dataset.name || "" } : null;

function format(text, values) {
  return Object.entries(values).reduce((result, [key, value]) => result.replaceAll(`%(${key})s`, String(value)), text || "");
}

/** A message with a count, in its singular or plural form ({one, other}). */
function counted(forms, count) {
  return format(count === 1 ? forms.one : forms.other, { count });
}

export function bytes(size) {
  return size >= 1024 * 1024 ? `${(size / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(size / 1024))} kB`;
}

/** Record who is signed in (or that nobody is) and the page's language, for the service worker: it serves stored
 * pages of that user only, and the offline page in that language. */
function recordTabletUser(userId) {
  return new Promise((resolve) => {
    const opening = indexedDB.open(TABLET_DB, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("tablet");
    opening.onerror = () => resolve();
    opening.onsuccess = () => {
      const db = opening.result;
      const tx = db.transaction("tablet", "readwrite");
      tx.objectStore("tablet").put(userId, "user");
      if (document.documentElement.lang) tx.objectStore("tablet").put(document.documentElement.lang, "lang"); // the offline page's
      tx.oncomplete = tx.onerror = () => { db.close(); resolve(); };
    };
  });
}

/** Keeps an outbox sending: now, on every queued change, when the network returns (online event or a probe of
 * /healthz every 2 s while it is away), and after a sign-in. Tells listeners the tablet's state and counts. */
export class Syncer extends EventTarget {
  constructor(outbox) {
    super();
    this.outbox = outbox;
    this.state = "saved";
    this.running = false;
    this.timer = null;
    this.probe = null;
    this.reporting = null;
    outbox.addEventListener("change", () => this.report());
    window.addEventListener("online", () => this.kick(0));
    window.addEventListener("offline", () => { this.state = "offline"; this.report(); });
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") this.kick(0); });
  }

  /** Send soon (after `delay` ms: a note being typed waits for a pause). */
  kick(delay = 0) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), delay);
  }

  async run() {
    clearTimeout(this.probe);
    this.running = true;
    this.report();
    // One tab of the tablet sends at a time (another tab's run would only find the same changes).
    const sync = () => this.outbox.sync({ quietMs: NOTE_PAUSE_MS - 100 });
    const { state, typing } = navigator.locks ? await navigator.locks.request(`auditor-outbox-${this.outbox.userId}`, sync) : await sync();
    this.running = false;
    this.state = state;
    this.report();
    if (typing) this.kick(NOTE_PAUSE_MS);
    if (state === "offline" || state === "failed" || state === "signed_out") this.watch(state);
  }

  /** While the server cannot be reached (or we are signed out), look every 2 s, lightly, whether that changed. */
  watch(state) {
    clearTimeout(this.probe);
    this.probe = setTimeout(async () => {
      let back = false;
      try {
        const response = await fetch(state === "signed_out" ? "/api/v1/session" : "/healthz", { cache: "no-store", headers: { Accept: "application/json" } });
        back = response.ok;
      } catch {
        back = false;
      }
      if (back) this.kick(0);
      else this.watch(state);
    }, PROBE_MS);
  }

  /** Tell listeners soon (at most every 150 ms: a sync of hundreds of changes would otherwise count the outbox
   * after each of them). */
  report() {
    if (this.reporting) return;
    this.reporting = setTimeout(async () => {
      this.reporting = null;
      const counts = await this.outbox.counts();
      this.dispatchEvent(new CustomEvent("state", { detail: { state: this.state, running: this.running, counts } }));
    }, 150);
  }
}

/** The tablet-wide indicator's words for a state and its counts: {state, text}. */
export function describe({ state, running, counts }) {
  const pending = counts.waiting + counts.syncing;
  if (counts.attention) return { state: "attention", text: counted(messages.attention, counts.attention) };
  if (state === "signed_out") return { state: "signed_out", text: counted(messages.signed_out, pending) };
  if (state === "other_user") return { state: "signed_out", text: counted(messages.other_user, pending) };
  if (pending && (state === "offline" || !navigator.onLine)) return { state: "offline", text: counted(messages.offline, pending) };
  if (pending && running) return { state: "syncing", text: counted(messages.syncing, pending) };
  if (pending) return { state: "waiting", text: counted(messages.waiting, pending) };
  if (!navigator.onLine || state === "offline") return { state: "offline", text: messages.offline_saved };
  return { state: "saved", text: messages.all_saved };
}

function showIndicator(indicator, detail) {
  const { state, text } = describe(detail);
  indicator.dataset.state = state;
  if (state === "signed_out") {
    const link = document.createElement("a");
    link.href = `/login?next=${encodeURIComponent(window.location.pathname)}`;
    link.textContent = text;
    indicator.replaceChildren(link);
  } else {
    indicator.textContent = text;
  }
}

// -- Available offline -------------------------------------------------------------------------------------------

function pagesCache(userId) {
  return caches.open(PAGES_PREFIX + userId);
}

/** Store what conducting an audit needs: its pages, its offline copy (answers with versions, evidence, findings)
 * and its photo thumbnails. Returns the record kept in the outbox's database. */
export async function storeAudit(outbox, auditId, title) {
  const cache = await pagesCache(user.id);
  let size = 0;
  const keep = async (url, required) => {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok || response.redirected) {
      if (required) throw new Error(`${url}: ${response.status}`);
      return null;
    }
    const body = await response.clone().blob();
    size += body.size;
    await cache.put(url, response);
    return body;
  };
  const conduct = await keep(`/audits/${auditId}/conduct`, true);
  await keep(`/audits/${auditId}`, false);
  await keep(`/audits/${auditId}/findings`, false);
  const copyBody = await keep(`/api/v1/audits/${auditId}/offline`, false);
  const thumbnails = new Set((await conduct.text()).match(/\/api\/v1\/audits\/\d+\/photos\/\d+\/thumbnail\.jpg/g) || []);
  let copy = null;
  if (copyBody) {
    copy = JSON.parse(await copyBody.text());
    JSON.stringify(copy).replace(/\/api\/v1\/audits\/\d+\/photos\/\d+\/thumbnail\.jpg/g, (url) => thumbnails.add(url));
  }
  for (const url of thumbnails) await keep(url, false);
  const record = { auditId, title, offline: true, storedAt: Date.now(), bytes: size, answers: copy ? answersOf(copy) : null };
  await outbox.rememberAudit(record);
  if (navigator.storage && navigator.storage.persist) await navigator.storage.persist();
  return record;
}

/** The answers of an offline copy by item: {version, verdict, note, updated_by}. */
export function answersOf(copy) {
  const answers = {};
  for (const answer of copy.answers || []) answers[answer.item_id] = answer;
  return answers;
}

export async function removeAudit(outbox, auditId) {
  const cache = await pagesCache(user.id);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path === `/audits/${auditId}` || path.startsWith(`/audits/${auditId}/`) || path.startsWith(`/api/v1/audits/${auditId}/`)) await cache.delete(request);
  }
  await outbox.rememberAudit({ auditId, offline: false });
}

async function quotaWarning() {
  if (!navigator.storage || !navigator.storage.estimate) return "";
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return quota && quota - usage < LOW_QUOTA_BYTES ? format(messages.quota_low, { free: bytes(quota - usage) }) : "";
}

async function showStored(panel, record) {
  const status = panel.querySelector(".offline-status");
  if (!record || !record.offline) {
    status.textContent = messages.not_stored;
    return;
  }
  // As the pages write a moment (auditor.i18n.format_moment): "26. nov. 2026 14.05" / "26 Nov 2026, 14:05", never the
  // United States' "11/26/26, 2:05 PM" that a plain "en" gives; Danish clocks.
  const locale = document.documentElement.lang === "en" ? "en-GB" : "da-DK";
  const when = new Date(record.storedAt).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: "Europe/Copenhagen" });
  status.textContent = [format(messages.stored, { size: bytes(record.bytes), when }), await quotaWarning()].filter(Boolean).join(" ");
}

async function offlineSwitch(panel, outbox) {
  const auditId = Number(panel.dataset.auditId);
  const toggle = panel.querySelector("input[type=checkbox]");
  const status = panel.querySelector(".offline-status");
  let record = await outbox.offlineAudit(auditId);
  const wanted = record ? record.offline : panel.dataset.defaultOn === "true";
  toggle.checked = wanted;
  const store = async () => {
    status.textContent = messages.storing;
    panel.dataset.state = "storing";
    try {
      record = await storeAudit(outbox, auditId, panel.dataset.title);
      panel.dataset.state = "stored";
    } catch {
      panel.dataset.state = "failed";
      status.textContent = messages.store_failed;
      return;
    }
    await showStored(panel, record);
  };
  toggle.addEventListener("change", async () => {
    if (toggle.checked) {
      await store();
    } else {
      await removeAudit(outbox, auditId);
      panel.dataset.state = "off";
      await showStored(panel, null);
    }
  });
  // Brought up to date on every visit while online; shown as stored when offline.
  if (wanted && navigator.onLine) await store();
  else {
    panel.dataset.state = wanted ? "stored" : "off";
    await showStored(panel, record);
  }
}

// -- Logout --------------------------------------------------------------------------------------------------------

/** Logout removes this user's stored audits and outbox, but only when everything is sent or after an explicit
 * "discard N unsynced changes"; otherwise the auditor stays signed in. */
function guardLogout(outbox, syncer) {
  const form = document.querySelector("form[action='/logout']");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    if (form.dataset.cleared === "true") return;
    event.preventDefault();
    if (navigator.onLine) await syncer.run();
    const { total } = await outbox.counts();
    if (total && !window.confirm(counted(messages.discard_on_logout, total))) return;
    outbox.close();
    await deleteOutbox(user.id);
    await caches.delete(PAGES_PREFIX + user.id);
    await recordTabletUser("");
    form.dataset.cleared = "true";
    form.requestSubmit();
  });
}

// -- The offline page ----------------------------------------------------------------------------------------------

async function listStoredAudits(list) {
  const userId = await new Promise((resolve) => {
    const opening = indexedDB.open(TABLET_DB, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("tablet");
    opening.onerror = () => resolve("");
    opening.onsuccess = () => {
      const reading = opening.result.transaction("tablet").objectStore("tablet").get("user");
      reading.onsuccess = () => { opening.result.close(); resolve(reading.result || ""); };
    };
  });
  if (!userId) return;
  const outbox = await openOutbox(userId);
  const stored = (await outbox.offlineAudits()).filter((record) => record.offline);
  const counts = await outbox.counts();
  outbox.close();
  for (const record of stored) {
    const entry = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/audits/${record.auditId}/conduct`;
    link.textContent = record.title || `#${record.auditId}`;
    entry.append(link, ` (${bytes(record.bytes)})`);
    list.append(entry);
  }
  document.getElementById("offline-none").hidden = stored.length > 0;
  const waiting = document.getElementById("offline-waiting");
  if (counts.total) { waiting.textContent = counted(messages.waiting, counts.total); waiting.hidden = false; }
}

// -- Start -------------------------------------------------------------------------------------------------------

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* no worker: pages still work online */ });
  }
  const offlineList = document.getElementById("offline-audits");
  if (offlineList) {
    await listStoredAudits(offlineList);
    return null;
  }
  if (meta) await recordTabletUser(user ? user.id : "");
  if (!user) return null;
  const csrf = document.querySelector("meta[name=csrf-token]");
  const outbox = await openOutbox(user.id, { csrfToken: csrf ? csrf.content : "" });
  const syncer = new Syncer(outbox);
  outbox.addEventListener("queued", (event) => syncer.kick(event.detail.kind === "answer" && "note" in event.detail.payload ? NOTE_PAUSE_MS : 0));
  const indicator = document.getElementById("sync-state");
  if (indicator) syncer.addEventListener("state", (event) => showIndicator(indicator, event.detail));
  guardLogout(outbox, syncer);
  for (const panel of document.querySelectorAll(".offline-switch")) offlineSwitch(panel, outbox);
  syncer.kick(0);
  return { user, outbox, syncer };
}

/** Resolves to {user, outbox, syncer} on a page of a signed-in user, else null. */
export const field = start();
