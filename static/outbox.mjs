// outbox.mjs: the field mode's outbox. Every change made on the tablet (answers, evidence, photos, findings) is
// written to IndexedDB first and sent from there, in order, with a client-made id (so a replay creates nothing twice)
// and the version it was based on. One database per signed-in user: another user on the same tablet never opens,
// sends or sees it. The page scripts (conduct.mjs, field.mjs) only queue changes and listen to what happened; what
// one tab's outbox does is told to the user's other tabs (BroadcastChannel), so every open page stays true.
import { deleteDB, openDB } from "./vendor/idb-8.0.4.js";

const DB_PREFIX = "auditor-field-";
const DB_VERSION = 2;
const API = "/api/v1";

/** The IndexedDB database of one user's outbox and offline audits. */
export function databaseName(userId) {
  return `${DB_PREFIX}${userId}`;
}

/** Open (creating it on first use) the outbox of `userId`. `fetch`, `uuid` and `now` are replaceable for tests. */
export async function openOutbox(userId, options = {}) {
  if (!userId) throw new Error("the outbox belongs to a signed-in user");
  const db = await openDB(databaseName(userId), DB_VERSION, {
    upgrade(database, oldVersion, newVersion, transaction) {
      if (oldVersion < 1) {
        const changes = database.createObjectStore("changes", { keyPath: "seq", autoIncrement: true });
        changes.createIndex("audit", "auditId");
        database.createObjectStore("results", { keyPath: "clientId" }); // what the server made of a client id
        database.createObjectStore("audits", { keyPath: "auditId" }); // audits made available offline
      }
      if (oldVersion < 2) {
        // One item's changes without reading the whole audit's (photos included); the states without the records.
        const changes = transaction.objectStore("changes");
        changes.createIndex("item", ["auditId", "key"]);
        changes.createIndex("state", "state");
        // The newest version of each answer this tablet saved: a change made on a page older than that save (a stored
        // page served offline, a keystroke just after a save) builds on it, not on the page's stale version.
        database.createObjectStore("versions", { keyPath: "key" });
      }
    },
    // A newer app in another tab upgrades the database: this (older) page lets go instead of holding it up.
    blocking(currentVersion, blockedVersion, event) {
      event.target.close();
    },
  });
  return new Outbox(db, String(userId), options);
}

/** Remove a user's outbox and offline audits entirely (after logout with nothing waiting, or after "discard"). */
export async function deleteOutbox(userId) {
  await deleteDB(databaseName(userId));
}

const WAITING = "waiting";

/** The first waiting answers of one audit that fit a batch, taken out of `waiting` (the others keep their order). */
function nextBatch(waiting) {
  const { auditId } = waiting[0].change;
  const batch = [];
  let bytes = 0;
  for (let index = 0; index < waiting.length && batch.length < BATCH;) {
    const size = new TextEncoder().encode(JSON.stringify(waiting[index].change.payload)).length;
    if (waiting[index].change.auditId !== auditId || (batch.length && bytes + size > BATCH_BYTES)) { index += 1; continue; }
    bytes += size;
    batch.push(...waiting.splice(index, 1));
  }
  return batch;
}
const versionKey = (auditId, itemId) => `${auditId}:${itemId}`;
const LANES = 4; // requests on their way at once
// Answers waiting to be sent go together, in one request (the server takes up to 100), well under its 1 MB body limit.
const BATCH = 50;
const BATCH_BYTES = 512 * 1024;
// States of a change that wait for the auditor, not for the network.
export const ATTENTION = new Set(["conflict", "closed", "invalid"]);

export class Outbox extends EventTarget {
  constructor(db, userId, { fetch = (...args) => globalThis.fetch(...args), uuid = () => globalThis.crypto.randomUUID(), now = () => Date.now(), csrfToken = "", broadcast = true } = {}) {
    super();
    this.db = db;
    this.userId = userId;
    this.fetch = fetch;
    this.uuid = uuid;
    this.now = now;
    this.csrfToken = csrfToken;
    this.sending = new Set(); // seqs of the changes on their way now
    this.running = null;
    this.again = false;
    this.quietMs = 0;
    // The user's other tabs: what this outbox queues, sends and settles, they hear of, and the other way round.
    this.channel = broadcast && globalThis.BroadcastChannel ? new BroadcastChannel(`${databaseName(userId)}-changes`) : null;
    if (this.channel) this.channel.onmessage = ({ data }) => this.heard(data);
  }

  close() {
    if (this.channel) this.channel.close();
    this.channel = null;
    this.db.close();
  }

  /** Another tab's outbox did something: its sends count here as being sent (nothing merges into them), and the
   * page's listeners hear it as if it had happened here, with `remote` set. */
  heard({ type, detail }) {
    if (type !== "synced" && detail && detail.seq !== undefined) {
      if (type === "sending") this.sending.add(detail.seq);
      else this.sending.delete(detail.seq);
    }
    this.emit(type, detail, true);
  }

  // -- Queueing --------------------------------------------------------------------------------------------------

  async put(change, store = null) {
    const record = { id: this.uuid(), state: WAITING, createdAt: this.now(), rev: 0, ...change };
    record.seq = await (store ? store.add(record) : this.db.add("changes", record));
    this.emit("queued", record);
    return record;
  }

  /** A verdict, note and/or weighing of an item. Merges into the item's last queued change when that is an answer
   * never sent (and needing no attention), so typing a note queues one change, not one per key. `verdict: null` clears
   * it. The change's `clientId` goes with it on every retry: sent again after a lost reply, the server answers with
   * what it saved the first time, even when the item changed since. Fields merged in make it another change: a new id.
   * So a change sent once (`attempted`, marked in IndexedDB as its batch goes: see attempt) is never merged into,
   * in this tab or another, before a reload or after: the server may have it under its id although no reply came.
   * The fields go in a new change after it, on its base; the sent change's reply (to its replay, if need be) moves
   * that base on to the version it made (done()), so what is typed after a lost reply is no conflict with itself. */
  async setAnswer(auditId, itemId, fields, baseVersion) {
    const tx = this.db.transaction(["changes", "versions"], "readwrite");
    const store = tx.objectStore("changes");
    const queued = await store.index("item").getAll([auditId, `item:${itemId}`]);
    const last = queued[queued.length - 1];
    const answers = queued.filter((c) => c.kind === "answer");
    // `sending` as well: a page of an earlier version of the app, which does not mark `attempted`, may be sending it.
    if (last && last.kind === "answer" && last.state === WAITING && !last.attempted && !this.sending.has(last.seq)) {
      last.payload = { ...last.payload, ...fields };
      last.clientId = this.uuid();
      last.updatedAt = this.now();
      last.rev = (last.rev || 0) + 1; // a reply to the request that carried the previous revision does not remove it
      await store.put(last);
      await tx.done;
      this.emit("queued", last);
      return last;
    }
    let base = baseVersion;
    if (answers.length) base = answers[answers.length - 1].base;
    else {
      const saved = await tx.objectStore("versions").get(versionKey(auditId, itemId));
      if (saved && saved.version > base) base = saved.version;
    }
    // In the same transaction: a keystroke that follows at once sees this change and merges into it.
    const record = await this.put({ auditId, itemId, kind: "answer", key: `item:${itemId}`, payload: { ...fields }, base, clientId: this.uuid() }, store);
    await tx.done;
    return record;
  }

  /** A new evidence entry on an item (the EvidenceIn fields). */
  addEvidence(auditId, itemId, data) {
    return this.put({ auditId, itemId, kind: "evidence", key: `item:${itemId}`, payload: data, clientId: this.uuid() });
  }

  /** Remove an evidence entry: `ref` is `{id}` (stored on the server) or `{clientId}` (queued here). An entry still
   * waiting here and never sent is simply taken out of the queue; one sent already (its reply lost: the server may
   * have it) is removed on the server, after it. */
  removeEvidence(auditId, itemId, ref) {
    return this.remove(auditId, itemId, "evidence", ref);
  }

  /** A photo (a Blob, sent whole) with caption on an item, or on a finding: `target` is `{itemId}`, `{findingId}` or
   * `{findingClientId}` (a finding raised here and maybe not sent yet). */
  addPhoto(auditId, target, blob, { caption = "", confidential = false } = {}) {
    const key = target.itemId ? `item:${target.itemId}` : `finding:${target.findingClientId || target.findingId}`;
    return this.put({ auditId, itemId: target.itemId || null, kind: "photo", key, target, blob, payload: { caption, confidential, type: blob.type, size: blob.size }, clientId: this.uuid() });
  }

  removePhoto(auditId, itemId, ref) {
    return this.remove(auditId, itemId, "photo", ref);
  }

  /** A finding (the FindingIn fields); returns the change, whose `clientId` later photos may name. */
  addFinding(auditId, data) {
    const clientId = this.uuid();
    return this.put({ auditId, itemId: data.item_id || null, kind: "finding", key: `finding:${clientId}`, payload: data, clientId });
  }

  async remove(auditId, itemId, kind, ref) {
    if (ref.clientId) {
      const tx = this.db.transaction("changes", "readwrite");
      const queued = (await tx.store.index("audit").getAll(auditId)).find((c) => c.clientId === ref.clientId && c.kind === kind);
      if (queued && !queued.attempted && !this.sending.has(queued.seq) && queued.state !== "closed") {
        await tx.store.delete(queued.seq);
        await tx.done;
        this.emit("dropped", queued);
        return null;
      }
      await tx.done;
    }
    return this.put({ auditId, itemId, kind: `remove-${kind}`, key: itemId ? `item:${itemId}` : `${kind}:${ref.id || ref.clientId}`, payload: ref });
  }

  // -- Reading ---------------------------------------------------------------------------------------------------

  /** Queued changes in the order they were made, of one audit or of all. */
  async changes(auditId) {
    return auditId === undefined ? this.db.getAll("changes") : this.db.getAllFromIndex("changes", "audit", auditId);
  }

  /** How many changes wait for the network, are being sent, and need the auditor. */
  async counts(auditId) {
    const all = await this.changes(auditId);
    const attention = all.filter((c) => ATTENTION.has(c.state)).length;
    const syncing = all.filter((c) => this.sending.has(c.seq)).length;
    return { total: all.length, waiting: all.length - attention - syncing, syncing, attention };
  }

  /** The queued changes of an audit as a JSON document the auditor can download (photos as their size only). */
  async exportAudit(auditId) {
    const changes = await this.changes(auditId);
    return {
      audit_id: auditId,
      exported_at: new Date(this.now()).toISOString(),
      changes: changes.map(({ blob, ...change }) => ({ ...change, ...(blob ? { photo_bytes: blob.size } : {}) })),
    };
  }

  // -- Offline audits --------------------------------------------------------------------------------------------

  rememberAudit(record) {
    return this.db.put("audits", record);
  }

  offlineAudits() {
    return this.db.getAll("audits");
  }

  offlineAudit(auditId) {
    return this.db.get("audits", auditId);
  }

  forgetAudit(auditId) {
    return this.db.delete("audits", auditId);
  }

  // -- Conflicts -------------------------------------------------------------------------------------------------

  /** After a conflict: keep this tablet's fields (sent again on top of the server's version) or take the server's. */
  async resolveConflict(seq, keepMine) {
    const change = await this.db.get("changes", seq);
    if (!change || change.state !== "conflict") return null;
    if (!keepMine) {
      await this.db.delete("changes", seq);
      this.emit("dropped", change);
      return change;
    }
    const resent = { ...change, state: WAITING, base: change.current.version, detail: null };
    await this.db.put("changes", resent);
    this.emit("queued", resent);
    return resent;
  }

  // -- Sending ---------------------------------------------------------------------------------------------------

  /** Send everything that can be sent, in the order it was made (a change needing attention holds back the later
   * changes of its item). Resolves to {state}: "saved", "offline", "failed", "signed_out" or "other_user".
   * Concurrent calls share one run (and a call during a run makes it go round once more). A note typed less than
   * `quietMs` ago waits for the next run: the auditor is still typing. */
  sync({ quietMs = 0 } = {}) {
    this.quietMs = quietMs;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let outcome;
      do {
        this.again = false;
        outcome = await this.syncOnce();
      } while (this.again && outcome.state === "saved");
      return outcome;
    })().finally(() => { this.running = null; });
    return this.running;
  }

  async syncOnce() {
    const session = await this.renewSession();
    if (session.state !== "ok") return this.finish(session.state);
    // Each item's changes in their order, every item at once but at most LANES requests on their way: one item's
    // changes never overtake each other, a slow photo does not hold up the answers of other items, and the answers
    // that wait at the same moment go in one request (sendAnswers).
    const lanes = new Map();
    for (const change of await this.db.getAll("changes")) {
      if (!lanes.has(change.key)) lanes.set(change.key, []);
      lanes.get(change.key).push(change.seq);
    }
    const run = { stop: null, typing: 0, closedAudits: new Set(), busy: 0, turns: [], answers: [], batching: false };
    await Promise.all([...lanes.values()].map((seqs) => this.sendLane(seqs, run)));
    return this.finish(run.stop || "saved", run.typing);
  }

  /** Send one item's changes in order; stop at the first that needs the auditor (the rest wait behind it), and stop
   * the whole run when the network, the server or the session fails. */
  async sendLane(seqs, run) {
    for (const seq of seqs) {
      if (run.stop) return;
      const current = await this.db.get("changes", seq);  // it may have been merged into, or removed
      if (!current) continue;
      if (current.state !== WAITING) return;
      if (run.closedAudits.has(current.auditId)) { await this.mark(current, "closed", null); continue; }
      if (current.kind === "answer" && ("note" in current.payload || "weighing" in current.payload) && this.now() - (current.updatedAt || current.createdAt) < this.quietMs) {
        run.typing += 1;
        return;
      }
      this.sending.add(current.seq);
      this.emit("sending", current);
      let reply;
      try {
        reply = current.kind === "answer" ? await this.batched(current, run) : await this.inTurn(run, () => this.send(current));
      } catch (error) {
        reply = null;
        run.stop = run.stop || (error && error.name === "TypeError" ? "offline" : "failed");
      }
      // Sent without a reply (or a gateway's error: the app's reply may be lost behind it), it may be on the server:
      // marked before it stops counting as being sent, so it is never taken out of the queue unsent (remove()).
      // An answer was marked as its batch went (sendBatch); the other kinds not before, which would rewrite a photo.
      if (current.kind !== "answer" && (!reply || reply.status >= 500)) await this.attempt([current]);
      this.sending.delete(current.seq);
      if (!reply) {  // not sent, or no reply: it waits for the next run
        this.emit("waiting", current);
        return;
      }
      // What was sent is `current`; the stored change may have more by now (merged by an earlier app's page): see done().
      const outcome = await this.outcome(current, reply);
      if (outcome === "signed_out" || outcome === "failed") {
        this.emit("waiting", current);
        run.stop = run.stop || outcome;
        return;
      }
      if (outcome === "closed") {
        run.closedAudits.add(current.auditId);  // the rest of this audit's changes are marked, not sent
        continue;
      }
      if (outcome !== "done") return;
    }
  }

  /** Run `work` (a request) when fewer than LANES are on their way. */
  async inTurn(run, work) {
    if (run.busy < LANES) run.busy += 1;
    else await new Promise((resolve) => run.turns.push(resolve));  // the turn is handed over with its count
    try {
      return await work();
    } finally {
      const next = run.turns.shift();
      if (next) next();
      else run.busy -= 1;
    }
  }

  /** An answer's reply ({status, body}, as to its own PUT), sent in a batch with the other answers waiting; null
   * when the run stopped before it went. */
  batched(change, run) {
    return new Promise((resolve, reject) => {
      run.answers.push({ change, resolve, reject });
      if (!run.batching) this.sendAnswers(run);
    });
  }

  /** Send the answers the lanes hand in, one batch at a time: those handed in while a batch is on its way go in the
   * next one (one item's next change waits for its lane, so an item is in a batch once). */
  async sendAnswers(run) {
    run.batching = true;
    await new Promise((resolve) => setTimeout(resolve, 0));  // the other lanes hand theirs in
    while (run.answers.length) {
      const batch = nextBatch(run.answers);
      if (run.stop) {
        for (const { resolve } of batch) resolve(null);
        continue;
      }
      try {
        const replies = await this.inTurn(run, () => this.sendBatch(batch.map(({ change }) => change)));
        batch.forEach(({ resolve }, index) => resolve(replies[index]));
      } catch (error) {
        for (const { reject } of batch) reject(error);
      }
    }
    run.batching = false;
  }

  /** One request for answers of one audit: each change's own reply, or the request's reply for each when the request
   * as a whole was refused (signed out, a stale CSRF token, a busy server). */
  async sendBatch(changes) {
    await this.attempt(changes);
    const body = { changes: changes.map((change) => ({ ...change.payload, item_id: change.itemId, version: change.base, ...(change.clientId ? { client_id: change.clientId } : {}) })) };
    const reply = await this.request(`${API}/audits/${changes[0].auditId}/responses/batch`, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
    const results = reply.status === 200 && reply.body && reply.body.results;
    if (Array.isArray(results) && results.length === changes.length) return results.map(({ status, body: result }) => ({ status, body: result }));
    return changes.map(() => reply);
  }

  /** Mark `changes` as sent at least once (`attempted`), in IndexedDB, in the transaction that reads them again:
   * each change becomes what is stored now (fields another tab merged in since it was read go with it), and from
   * then on no tab merges into it (setAnswer) or takes it out of the queue unsent (remove), after a reload too. */
  async attempt(changes) {
    const tx = this.db.transaction("changes", "readwrite");
    for (const change of changes) {
      const stored = await tx.store.get(change.seq);
      if (!stored || stored.state !== WAITING) continue;
      Object.assign(change, stored, { attempted: true });  // in place: the lane settles what was sent
      if (!stored.attempted) await tx.store.put(change);
    }
    await tx.done;
  }

  finish(state, typing = 0) {
    this.emit("synced", { state, typing });
    return { state, typing };
  }

  /** Ask the server who is signed in and for a fresh CSRF token (after a re-login or a browser restart the page's
   * token is stale). An older server without the endpoint: keep the page's token. */
  async renewSession() {
    let response;
    try {
      response = await this.fetch(`${API}/session`, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
    } catch {
      return { state: "offline" };
    }
    if (response.status === 401) return { state: "signed_out" };
    if (response.status === 404) return { state: "ok" };
    if (!response.ok) return { state: "failed" };
    const body = await response.json();
    if (String(body.user_id) !== this.userId) return { state: "other_user" };
    this.csrfToken = body.csrf_token;
    return { state: "ok" };
  }

  async send(change) {
    const audit = `${API}/audits/${change.auditId}`;
    const item = (id) => encodeURIComponent(id);
    const json = (method, url, body) => this.request(url, { method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
    switch (change.kind) {
      case "evidence":
        return json("POST", `${audit}/responses/${item(change.itemId)}/evidence`, { ...change.payload, client_id: change.clientId });
      case "finding":
        return json("POST", `${audit}/findings`, { ...change.payload, client_id: change.clientId });
      case "photo": {
        let url = `${audit}/responses/${item(change.target.itemId)}/photos`;
        if (!change.target.itemId) {
          const findingId = change.target.findingId || (await this.resultOf(change.target.findingClientId));
          if (!findingId) return { status: 0, body: { detail: "the finding of this photo was not saved" } };
          url = `${audit}/findings/${findingId}/photos`;
        }
        const form = new FormData();
        form.append("client_id", change.clientId);
        form.append("caption", change.payload.caption);
        form.append("confidential", String(Boolean(change.payload.confidential)));
        form.append("file", change.blob, `photo.${(change.blob.type || "image/jpeg").split("/")[1]}`);
        return this.request(url, { method: "POST", body: form });
      }
      case "remove-evidence":
      case "remove-photo": {
        const id = change.payload.id || (await this.resultOf(change.payload.clientId));
        if (!id) return { status: 404, body: { code: "not_found" } };  // never reached the server: nothing to remove
        return this.request(`${audit}/${change.kind === "remove-evidence" ? "evidence" : "photos"}/${id}`, { method: "DELETE" });
      }
      default:
        throw new Error(`unknown change ${change.kind}`);
    }
  }

  async request(url, init) {
    const response = await this.fetch(url, {
      ...init, credentials: "same-origin", cache: "no-store",
      headers: { Accept: "application/json", "X-CSRF-Token": this.csrfToken, ...(init.headers || {}) },
    });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { status: response.status, body };
  }

  async resultOf(clientId) {
    const result = clientId && (await this.db.get("results", clientId));
    return result ? result.id : null;
  }

  /** What a reply means for the change: "done", "conflict", "closed", "invalid", "signed_out" or "failed". */
  async outcome(change, { status, body }) {
    const code = body && body.code;
    if ((status >= 200 && status < 300) || (status === 404 && change.kind.startsWith("remove-"))) {
      await this.done(change, body);
      return "done";
    }
    if (status === 401) return "signed_out";
    if (status === 409 && code === "audit_closed") {
      await this.mark(change, "closed", body.detail);
      return "closed";
    }
    if (status === 409 && change.kind === "answer" && body && body.current) {
      await this.mark(change, "conflict", body.detail, { current: body.current });
      return "conflict";
    }
    if (status === 403 && code === "csrf_failed") return "failed";  // a stale CSRF token: renewed on the next run
    if (status >= 400 && status < 500) {
      await this.mark(change, "invalid", (body && body.detail) || String(status));
      return "invalid";
    }
    return "failed";
  }

  /** The server has `change` (as it was sent). Removed from the queue, unless fields were merged into it after it
   * was sent (only a page of an earlier version of the app does that: see setAnswer): then it stays, on the version
   * this reply made, and goes again with everything in it (the fields the server has already are sent again
   * unchanged). Later answers of the item waiting behind it build on that version too. */
  async done(change, body) {
    const tx = this.db.transaction(["changes", "results", "versions"], "readwrite");
    const changes = tx.objectStore("changes");
    const stored = await changes.get(change.seq);
    const answered = change.kind === "answer" && body && Number.isInteger(body.version);
    if (stored && (stored.rev || 0) !== (change.rev || 0)) {
      await changes.put({ ...stored, ...(answered ? { base: body.version } : {}) });
    } else if (stored) {
      await changes.delete(change.seq);
    }
    if (change.clientId && body && body.id !== undefined) {
      await tx.objectStore("results").put({ clientId: change.clientId, id: body.id, auditId: change.auditId });
    }
    if (answered) {
      const versions = tx.objectStore("versions");
      const key = versionKey(change.auditId, change.itemId);
      const saved = await versions.get(key);
      if (!saved || saved.version < body.version) await versions.put({ key, version: body.version });
      // Later answers of the same item build on the version this one made.
      for (const later of await changes.index("item").getAll([change.auditId, change.key])) {
        if (later.kind === "answer" && later.seq !== change.seq && later.state === WAITING) {
          await changes.put({ ...later, base: body.version });
        }
      }
    }
    await tx.done;
    this.emit("saved", { ...change, result: body });
  }

  /** Mark the stored change (with whatever was merged into it since it was sent) as needing the auditor. */
  async mark(change, state, detail, extra = {}) {
    const tx = this.db.transaction("changes", "readwrite");
    const stored = await tx.store.get(change.seq);
    if (!stored) {
      await tx.done;
      return;
    }
    const marked = { ...stored, ...extra, state, detail: detail || null };
    await tx.store.put(marked);
    await tx.done;
    this.emit(state, marked);
  }

  emit(type, detail, remote = false) {
    if (!remote && this.channel) {
      try {
        this.channel.postMessage({ type, detail });
      } catch {
        // a detail the channel cannot copy: the other tabs learn of it at their next count
      }
    }
    this.dispatchEvent(new CustomEvent(type, { detail }));
    this.dispatchEvent(new CustomEvent("change", { detail: { type, change: detail, remote } }));
  }
}
