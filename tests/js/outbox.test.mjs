// Unit tests of static/outbox.mjs against fake-indexeddb and a small fake of the server's field-mode contract.
// npm run test:js
import "fake-indexeddb/auto";
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { databaseName, deleteOutbox, openOutbox } from "../../static/outbox.mjs";
import { openDB } from "../../static/vendor/idb-8.0.4.js";

/** The server as the outbox sees it: answers with versions, evidence/photos/findings idempotent by client_id. */
class FakeServer {
  constructor() {
    this.answers = new Map();
    this.created = { evidence: [], photos: [], findings: [] };
    this.removed = [];
    this.requests = [];
    this.batches = []; // the item ids of each batch of answers, as sent
    this.sentAnswers = []; // every change of an answer, as sent
    this.receipts = new Map(); // client_id of a change of an answer -> the answer it saved
    this.offline = false;
    this.signedIn = "7";
    this.closed = false;
    this.loseReplies = false;
    this.nextId = 1;
    this.fetch = this.fetch.bind(this);
  }

  reply(status, body, { lost = this.loseReplies } = {}) {
    const reply = { status, ok: status >= 200 && status < 300, json: async () => body };
    if (lost && status < 300) throw new TypeError("the reply was lost");
    return reply;
  }

  /** One answer of a batch, as the server saves it: {status, body}. */
  answer({ item_id: itemId, version, client_id: clientId, ...fields }) {
    const stored = this.answers.get(itemId) || { item_id: itemId, verdict: null, note: "", version: 0, updated_by: null };
    const receipt = clientId && this.receipts.get(clientId);
    if (receipt && version !== stored.version) return { status: 200, body: receipt }; // sent again: its first result
    if (this.closed) return { status: 409, body: { code: "audit_closed", detail: "The audit is closed." } };
    const same = Object.entries(fields).every(([key, value]) => stored[key] === value);
    if (version !== stored.version && !same) return { status: 409, body: { code: "version_conflict", detail: "changed", current: stored, submitted: fields } };
    if (receipt && !same) return { status: 409, body: { code: "client_id_taken", detail: "The id was used for another change." } };
    const saved = same ? stored : { ...stored, ...fields, version: stored.version + 1, updated_by: "Tablet user" };
    this.answers.set(itemId, saved);
    if (clientId && !same) this.receipts.set(clientId, saved);
    return { status: 200, body: saved };
  }

  create(kind, clientId, fields) {
    const existing = this.created[kind].find((row) => row.client_id === clientId);
    if (existing) return this.reply(201, existing);
    const row = { id: this.nextId++, client_id: clientId, ...fields };
    this.created[kind].push(row);
    return this.reply(201, row);
  }

  async fetch(url, init = {}) {
    if (this.offline) throw new TypeError("Failed to fetch");
    const method = init.method || "GET";
    this.requests.push({ method, url, csrf: init.headers && init.headers["X-CSRF-Token"] });
    if (url === "/api/v1/session") {
      // Never lost: the changes after it are what a lost reply is about.
      return this.signedIn ? this.reply(200, { user_id: Number(this.signedIn), csrf_token: `token-of-${this.signedIn}` }, { lost: false }) : this.reply(401, { detail: "log in" });
    }
    if (!this.signedIn) return this.reply(401, { detail: "log in" });
    let match;
    if ((match = url.match(/^\/api\/v1\/audits\/(\d+)\/responses\/batch$/)) && method === "POST") {
      this.batches.push(JSON.parse(init.body).changes.map((change) => change.item_id));
      this.sentAnswers.push(...JSON.parse(init.body).changes);
      return this.reply(200, { results: JSON.parse(init.body).changes.map((change) => this.answer(change)) });
    }
    if (this.closed && method !== "GET") return this.reply(409, { code: "audit_closed", detail: "The audit is closed." });
    if ((match = url.match(/\/responses\/([^/]+)\/evidence$/))) {
      const { client_id: clientId, ...fields } = JSON.parse(init.body);
      return this.create("evidence", clientId, { item_id: decodeURIComponent(match[1]), ...fields });
    }
    if ((match = url.match(/\/(responses|findings)\/([^/]+)\/photos$/))) {
      const file = init.body.get("file");
      return this.create("photos", init.body.get("client_id"), { [match[1] === "findings" ? "finding_id" : "item_id"]: match[2], caption: init.body.get("caption"), bytes: file.size });
    }
    if (url.endsWith("/findings")) {
      const { client_id: clientId, ...fields } = JSON.parse(init.body);
      return this.create("findings", clientId, fields);
    }
    if ((match = url.match(/\/(evidence|photos)\/(\d+)$/)) && method === "DELETE") {
      const rows = this.created[match[1]];
      const index = rows.findIndex((row) => row.id === Number(match[2]));
      if (index < 0) return this.reply(404, { code: "not_found", detail: "gone" });
      this.removed.push(rows.splice(index, 1)[0]);
      return this.reply(204, null);
    }
    return this.reply(404, { detail: `no route ${method} ${url}` });
  }
}

let server;
let counter;
const uuid = () => `00000000-0000-4000-8000-${String(++counter).padStart(12, "0")}`;
const open = (userId = "7") => openOutbox(userId, { fetch: server.fetch, uuid });

beforeEach(async () => {
  server = new FakeServer();
  counter = 0;
  await deleteOutbox("7");
  await deleteOutbox("8");
});

test("answers typed offline merge into one change per item and arrive once online", async () => {
  const outbox = await open();
  server.offline = true;
  await outbox.setAnswer(1, "a.1", { verdict: "conform" }, 0);
  await outbox.setAnswer(1, "a.1", { note: "Set on the wall" }, 0);
  await outbox.setAnswer(1, "a.2", { note: "Second" }, 0);
  assert.deepEqual(await outbox.counts(1), { total: 2, waiting: 2, syncing: 0, attention: 0 });
  assert.equal((await outbox.sync()).state, "offline");
  assert.equal((await outbox.counts(1)).total, 2);

  server.offline = false;
  assert.equal((await outbox.sync()).state, "saved");
  assert.deepEqual(server.answers.get("a.1"), { item_id: "a.1", verdict: "conform", note: "Set on the wall", version: 1, updated_by: "Tablet user" });
  assert.equal(server.answers.get("a.2").note, "Second");
  assert.equal((await outbox.counts(1)).total, 0);
  outbox.close();
});

test("clearing a verdict sends an explicit null", async () => {
  const outbox = await open();
  await outbox.setAnswer(1, "a.1", { verdict: "conform" }, 0);
  await outbox.sync();
  await outbox.setAnswer(1, "a.1", { verdict: null }, 1);
  await outbox.sync();
  assert.equal(server.answers.get("a.1").verdict, null);
  assert.equal(server.answers.get("a.1").version, 2);
  outbox.close();
});

test("the queue survives closing and reopening (a reload, a browser restart)", async () => {
  let outbox = await open();
  server.offline = true;
  await outbox.setAnswer(1, "a.1", { note: "kept" }, 0);
  await outbox.addEvidence(1, "a.1", { method: "document_review", summary: "Policy 2026" });
  await outbox.addPhoto(1, { itemId: "a.1" }, new Blob([new Uint8Array(2048)], { type: "image/jpeg" }), { caption: "Exit" });
  outbox.close();

  outbox = await open();
  assert.deepEqual((await outbox.changes(1)).map((c) => c.kind), ["answer", "evidence", "photo"]);
  server.offline = false;
  assert.equal((await outbox.sync()).state, "saved");
  assert.equal(server.answers.get("a.1").note, "kept");
  assert.equal(server.created.evidence.length, 1);
  assert.deepEqual(server.created.photos.map((p) => [p.caption, p.bytes]), [["Exit", 2048]]);
  outbox.close();
});

test("a lost reply replayed creates nothing twice", async () => {
  const outbox = await open();
  await outbox.setAnswer(1, "a.1", { note: "once" }, 0);
  await outbox.addEvidence(1, "a.1", { method: "observation", summary: "Seen" });
  const finding = await outbox.addFinding(1, { item_id: "a.1", kind: "minor_nc", statement: "No plan" });
  await outbox.addPhoto(1, { findingClientId: finding.clientId }, new Blob(["jpeg"], { type: "image/jpeg" }));
  server.loseReplies = true;
  assert.equal((await outbox.sync()).state, "offline");  // the first change landed, its reply was lost
  assert.equal((await outbox.counts(1)).total, 4);
  server.loseReplies = false;
  assert.equal((await outbox.sync()).state, "saved");
  assert.equal((await outbox.sync()).state, "saved");
  assert.equal(server.answers.get("a.1").version, 1);
  assert.equal(server.created.evidence.length, 1);
  assert.equal(server.created.findings.length, 1);
  assert.deepEqual(server.created.photos.map((p) => p.finding_id), [String(server.created.findings[0].id)]);
  outbox.close();
});

test("an answer goes with the id made when it was queued, the same on every retry: its replay after a newer change is no conflict", async () => {
  let loseReply = true;
  const fetch = async (url, init) => {
    const reply = await server.fetch(url, init);
    if (loseReply && url.endsWith("/responses/batch")) throw new TypeError("the reply was lost");
    return reply;
  };
  const outbox = await openOutbox("7", { fetch, uuid });
  try {
    const queued = await outbox.setAnswer(1, "a.1", { note: "mine" }, 0);
    assert.match(queued.clientId, /^00000000-0000-4000-8000-\d{12}$/); // made by the outbox's uuid(), when queued
    assert.equal((await outbox.sync()).state, "offline"); // it landed; its reply was lost
    assert.equal(server.answers.get("a.1").note, "mine");
    server.answers.set("a.1", { item_id: "a.1", verdict: null, note: "theirs", version: 2, updated_by: "Other Auditor" });
    loseReply = false;
    assert.equal((await outbox.sync()).state, "saved");
    assert.deepEqual(server.sentAnswers.map((change) => change.client_id), [queued.clientId, queued.clientId]);
    assert.deepEqual((await outbox.changes(1)).map((c) => c.state), [], "no conflict with the newer answer");
    assert.equal(server.answers.get("a.1").note, "theirs");
  } finally {
    outbox.close();
  }
});

test("fields merged into a queued answer make it a new change, with a new id", async () => {
  const outbox = await open();
  try {
    const first = await outbox.setAnswer(1, "a.1", { verdict: "conform" }, 0);
    const firstId = first.clientId;
    const merged = await outbox.setAnswer(1, "a.1", { note: "and a note" }, 0);
    assert.equal(merged.seq, first.seq);
    assert.ok(merged.clientId && merged.clientId !== firstId);
    await outbox.sync();
    assert.deepEqual(server.sentAnswers.map((change) => change.client_id), [merged.clientId]);
  } finally {
    outbox.close();
  }
});

test("changes of one item go in order, each answer on the version the previous one made", async () => {
  const outbox = await open();
  await outbox.setAnswer(1, "a.1", { verdict: "conform" }, 0);
  await outbox.addEvidence(1, "a.1", { method: "observation", summary: "between" });
  await outbox.setAnswer(1, "a.1", { note: "after" }, 0);
  await outbox.sync();
  const puts = server.requests.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.url.split("/").pop()}`);
  assert.deepEqual(puts, ["POST batch", "POST evidence", "POST batch"]);
  assert.equal(server.answers.get("a.1").version, 2);
  outbox.close();
});

test("a conflict holds the item back, shows both versions and is resolved by the auditor", async () => {
  const outbox = await open();
  server.answers.set("a.1", { item_id: "a.1", verdict: "conform", note: "theirs", version: 3, updated_by: "Other Auditor" });
  await outbox.setAnswer(1, "a.1", { note: "mine" }, 2);
  await outbox.addEvidence(1, "a.1", { method: "observation", summary: "held back" });
  await outbox.setAnswer(1, "a.2", { note: "other item goes on" }, 0);
  assert.equal((await outbox.sync()).state, "saved");
  const [conflict, heldBack] = await outbox.changes(1);
  assert.equal(conflict.state, "conflict");
  assert.deepEqual([conflict.current.note, conflict.current.updated_by, conflict.payload.note], ["theirs", "Other Auditor", "mine"]);
  assert.equal(heldBack.state, "waiting");
  assert.equal(server.created.evidence.length, 0);
  assert.equal(server.answers.get("a.2").note, "other item goes on");
  assert.deepEqual(await outbox.counts(1), { total: 2, waiting: 1, syncing: 0, attention: 1 });

  await outbox.resolveConflict(conflict.seq, true);
  await outbox.sync();
  assert.deepEqual([server.answers.get("a.1").note, server.answers.get("a.1").verdict, server.answers.get("a.1").version], ["mine", "conform", 4]);
  assert.equal(server.created.evidence.length, 1);
  outbox.close();
});

test("taking the saved version drops this tablet's change", async () => {
  const outbox = await open();
  server.answers.set("a.1", { item_id: "a.1", verdict: null, note: "theirs", version: 1, updated_by: "Other" });
  const change = await outbox.setAnswer(1, "a.1", { note: "mine" }, 0);
  await outbox.sync();
  await outbox.resolveConflict(change.seq, false);
  await outbox.sync();
  assert.equal(server.answers.get("a.1").note, "theirs");
  assert.equal((await outbox.counts(1)).total, 0);
  outbox.close();
});

test("a closed audit keeps every change on the tablet, marked, and exports them", async () => {
  const outbox = await open();
  server.closed = true;
  await outbox.setAnswer(1, "a.1", { note: "first note" }, 0);
  await outbox.setAnswer(1, "a.2", { note: "second note" }, 0);
  await outbox.addPhoto(1, { itemId: "a.2" }, new Blob(["x".repeat(10)], { type: "image/jpeg" }), { caption: "c" });
  assert.equal((await outbox.sync()).state, "saved");
  const changes = await outbox.changes(1);
  assert.deepEqual(changes.map((c) => c.state), ["closed", "closed", "closed"]);
  assert.equal(changes[0].detail, "The audit is closed.");
  // Nothing was stored; the changes still to send after the first refusal are marked without being sent.
  assert.equal(server.answers.size, 0);
  assert.equal(server.created.photos.length, 0);
  const exported = await outbox.exportAudit(1);
  assert.deepEqual(exported.changes.map((c) => c.payload.note || c.payload.caption), ["first note", "second note", "c"]);
  assert.equal(exported.changes[2].photo_bytes, 10);
  assert.equal(JSON.parse(JSON.stringify(exported)).changes.length, 3);
  outbox.close();
});

test("signed out: everything kept; signed in again: sent with the renewed CSRF token", async () => {
  const outbox = await open();
  server.signedIn = null;
  await outbox.setAnswer(1, "a.1", { note: "while signed out" }, 0);
  assert.equal((await outbox.sync()).state, "signed_out");
  assert.equal((await outbox.counts(1)).total, 1);
  server.signedIn = "7";
  assert.equal((await outbox.sync()).state, "saved");
  assert.equal(server.requests.find((r) => r.url.endsWith("/batch")).csrf, "token-of-7");
  outbox.close();
});

test("another user's session on the tablet never sends this user's outbox, nor sees it", async () => {
  const mine = await open("7");
  await mine.setAnswer(1, "a.1", { note: "private" }, 0);
  server.signedIn = "8";
  assert.equal((await mine.sync()).state, "other_user");
  assert.equal(server.answers.size, 0);
  const theirs = await open("8");
  assert.deepEqual(await theirs.changes(), []);
  mine.close();
  theirs.close();
});

test("removing an entry still queued takes it out; removing a stored one asks the server; gone already is done", async () => {
  const outbox = await open();
  const queued = await outbox.addEvidence(1, "a.1", { method: "observation", summary: "typo" });
  await outbox.removeEvidence(1, "a.1", { clientId: queued.clientId });
  assert.equal((await outbox.counts(1)).total, 0);

  const kept = await outbox.addEvidence(1, "a.1", { method: "observation", summary: "sent" });
  await outbox.sync();
  await outbox.removeEvidence(1, "a.1", { clientId: kept.clientId });  // sent already: removed by its server id
  await outbox.removePhoto(1, "a.1", { id: 999 });  // already gone on the server
  assert.equal((await outbox.sync()).state, "saved");
  assert.deepEqual(server.removed.map((row) => row.summary), ["sent"]);
  assert.equal((await outbox.counts(1)).total, 0);
  outbox.close();
});

test("a refused change waits for the auditor with the server's reason, and holds back its item only", async () => {
  const outbox = await open();
  const realFetch = server.fetch;
  server.fetch = async (url, init) => (url.endsWith("/evidence") ? { status: 422, ok: false, json: async () => ({ detail: "Say how many were interviewed." }) } : realFetch(url, init));
  const refused = await openOutbox("7", { fetch: server.fetch, uuid });
  await refused.addEvidence(1, "a.1", { method: "interview_group", summary: "x" });
  await refused.setAnswer(1, "a.2", { note: "fine" }, 0);
  await refused.sync();
  const [change] = await refused.changes(1);
  assert.deepEqual([change.state, change.detail], ["invalid", "Say how many were interviewed."]);
  assert.equal(server.answers.get("a.2").note, "fine");
  refused.close();
  outbox.close();
});

test("keystrokes queued at once, without waiting for each other, make one change", async () => {
  const outbox = await open();
  await Promise.all(["N", "No", "Not", "Note"].map((note) => outbox.setAnswer(1, "a.1", { note }, 0)));
  const changes = await outbox.changes(1);
  assert.deepEqual(changes.map((c) => c.payload.note), ["Note"]);
  outbox.close();
});

test("a note typed a moment ago waits for the pause; other changes go", async () => {
  let clock = 1000;
  const outbox = await openOutbox("7", { fetch: server.fetch, uuid, now: () => clock });
  await outbox.setAnswer(1, "a.1", { note: "Still typ" }, 0);
  await outbox.setAnswer(1, "a.2", { verdict: "conform" }, 0);
  clock += 300;
  assert.deepEqual(await outbox.sync({ quietMs: 600 }), { state: "saved", typing: 1 });
  assert.equal(server.answers.has("a.1"), false);
  assert.equal(server.answers.get("a.2").verdict, "conform");
  clock += 400;
  await outbox.sync({ quietMs: 600 });
  assert.equal(server.answers.get("a.1").note, "Still typ");
  outbox.close();
});


test("a weighing typed a moment ago waits for the pause too, and goes whole", async () => {
  let clock = 1000;
  const outbox = await openOutbox("7", { fetch: server.fetch, uuid, now: () => clock });
  await outbox.setAnswer(1, "a.3", { weighing: { occurrence: "Dagl", conclusion: "" } }, 0);
  await outbox.setAnswer(1, "a.3", { weighing: { occurrence: "Dagligt", conclusion: "" } }, 0);
  clock += 300;
  assert.deepEqual(await outbox.sync({ quietMs: 600 }), { state: "saved", typing: 1 });
  assert.equal(server.answers.has("a.3"), false);
  clock += 400;
  await outbox.sync({ quietMs: 600 });
  assert.deepEqual(server.answers.get("a.3").weighing, { occurrence: "Dagligt", conclusion: "" });
  outbox.close();
});

test("answers waiting together go in one request, other changes a few at once, each item's changes still in order", async () => {
  const started = [];
  let inFlight = 0;
  let most = 0;
  const realFetch = server.fetch;
  server.fetch = async (url, init) => {
    if (url === "/api/v1/session") return realFetch(url, init);
    inFlight += 1;
    most = Math.max(most, inFlight);
    started.push(url.split("/responses/")[1] || url.split("/").pop());
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    return realFetch(url, init);
  };
  const parallel = await openOutbox("7", { fetch: server.fetch, uuid });
  const items = ["a", "b", "c", "d", "e", "f"];
  for (const item of items) await parallel.setAnswer(1, item, { verdict: "conform" }, 0);
  for (const item of items) await parallel.addPhoto(1, { itemId: `p${item}` }, new Blob(["jpeg"], { type: "image/jpeg" }));
  await parallel.addEvidence(1, "a", { method: "observation", summary: "after a's answer" });
  await parallel.setAnswer(1, "a", { note: "after a's evidence" }, 0);
  assert.equal((await parallel.sync()).state, "saved");
  assert.equal(most, 4);
  assert.deepEqual(server.batches.flat().sort(), [...items, "a"].sort());
  assert.ok(server.batches.length <= 3, `seven answers in at most three requests, not one each: ${JSON.stringify(server.batches)}`);
  assert.ok(server.batches.every((batch) => new Set(batch).size === batch.length), "an item once per batch");
  const withA = started.filter((url) => url === "batch" || url === "a/evidence").slice(0, 3);
  assert.equal(withA[1], "a/evidence", `a's evidence between its two answers: ${started}`);
  assert.deepEqual([server.answers.get("a").version, server.answers.get("a").note, server.created.evidence.length, server.created.photos.length], [2, "after a's evidence", 1, 6]);
  parallel.close();
});

test("a batch goes to its own audit, with at most 50 answers and well under the server's body limit", async () => {
  const outbox = await open();
  for (let n = 0; n < 60; n += 1) await outbox.setAnswer(1, `a.${n}`, { verdict: "conform" }, 0);
  await outbox.setAnswer(2, "b.1", { verdict: "conform" }, 0);
  for (let n = 0; n < 30; n += 1) await outbox.setAnswer(3, `c.${n}`, { note: "x".repeat(30_000) }, 0);
  assert.equal((await outbox.sync()).state, "saved");
  const audits = server.requests.filter((r) => r.method === "POST").map((r) => r.url.split("/")[4]);
  assert.deepEqual([...new Set(audits)].sort(), ["1", "2", "3"]);
  assert.ok(server.batches.every((batch) => batch.length <= 50));
  assert.ok(server.batches.every((batch) => new Set(batch.map((item) => item[0])).size === 1), "one audit per batch");
  assert.ok(server.batches.filter((batch) => batch[0].startsWith("c.")).every((batch) => batch.length * 30_000 <= 512 * 1024));
  assert.equal(server.answers.size, 91);
  assert.equal((await outbox.counts()).total, 0);
  outbox.close();
});

test("a batch refused as a whole (a stale CSRF token) leaves every answer in it waiting, none marked", async () => {
  const realFetch = server.fetch;
  let refuse = true;
  const fetch = async (url, init) => (refuse && url.endsWith("/batch") ? { status: 403, ok: false, json: async () => ({ code: "csrf_failed", detail: "CSRF" }) } : realFetch(url, init));
  const stale = await openOutbox("7", { fetch, uuid });
  await stale.setAnswer(1, "a.1", { note: "one" }, 0);
  await stale.setAnswer(1, "a.2", { note: "two" }, 0);
  assert.equal((await stale.sync()).state, "failed");
  assert.deepEqual((await stale.changes(1)).map((c) => c.state), ["waiting", "waiting"]);
  refuse = false;
  assert.equal((await stale.sync()).state, "saved");
  assert.deepEqual([server.answers.get("a.1").note, server.answers.get("a.2").note], ["one", "two"]);
  stale.close();
});

/** A fetch that holds the answers' requests until `release()`: a request on its way, for as long as a test needs. */
function holdingAnswers(realFetch) {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let sent;
  const arrived = new Promise((resolve) => { sent = resolve; });
  const fetch = async (url, init = {}) => {
    if (url.endsWith("/responses/batch")) {
      sent();
      await held;
    }
    return realFetch(url, init);
  };
  return { fetch, release: () => release(), arrived };
}

test("a verdict tapped in another tab that has not heard of the send goes after the note, on the version the note made", async () => {
  const hold = holdingAnswers(server.fetch);
  const tabA = await openOutbox("7", { fetch: hold.fetch, uuid, broadcast: false });
  const tabB = await openOutbox("7", { fetch: server.fetch, uuid, broadcast: false }); // has not heard that A sends
  await tabA.setAnswer(1, "a.1", { note: "Set på væggen" }, 0);
  const syncing = tabA.sync();
  await hold.arrived; // the note is on its way
  await tabB.setAnswer(1, "a.1", { verdict: "conform" }, 0); // tapped in the other tab: a change of its own
  hold.release();
  assert.equal((await syncing).state, "saved");
  assert.equal((await tabA.counts(1)).total, 1, "the verdict is still to be sent");
  assert.equal((await tabA.changes(1))[0].base, 1, "on the version the note made");
  assert.equal((await tabA.sync()).state, "saved");
  assert.deepEqual([server.answers.get("a.1").verdict, server.answers.get("a.1").note, server.answers.get("a.1").version], ["conform", "Set på væggen", 2]);
  assert.equal((await tabA.counts(1)).total, 0);
  tabA.close();
  tabB.close();
});

test("a change made on a page older than this tablet's last save builds on that save, not on a false conflict", async () => {
  const outbox = await open();
  await outbox.setAnswer(1, "a.1", { verdict: "conform" }, 0);
  assert.equal((await outbox.sync()).state, "saved");
  // The page still says version 0 (a stored page served offline, or a keystroke just before the saved event).
  await outbox.setAnswer(1, "a.1", { note: "typed on the old page" }, 0);
  assert.equal((await outbox.sync()).state, "saved");
  assert.deepEqual((await outbox.changes(1)).map((c) => c.state), []);
  assert.deepEqual([server.answers.get("a.1").verdict, server.answers.get("a.1").note, server.answers.get("a.1").version], ["conform", "typed on the old page", 2]);
  outbox.close();
});

test("a note typed in another tab while its item's change was on its way to a closed audit is kept on the tablet", async () => {
  server.closed = true;
  const hold = holdingAnswers(server.fetch);
  const tabA = await openOutbox("7", { fetch: hold.fetch, uuid, broadcast: false });
  const tabB = await openOutbox("7", { fetch: server.fetch, uuid, broadcast: false });
  try {
    await tabA.setAnswer(1, "a.1", { verdict: "minor_nc" }, 0);
    const syncing = tabA.sync();
    await hold.arrived;
    await tabB.setAnswer(1, "a.1", { note: "the reason" }, 0);
    hold.release();
    await syncing;
    assert.deepEqual((await tabA.changes(1)).map((c) => [c.state, c.payload]), [["closed", { verdict: "minor_nc" }], ["waiting", { note: "the reason" }]]);
    await tabA.sync(); // held back behind the closed change of its item
    assert.deepEqual((await tabA.changes(1)).map((c) => c.state), ["closed", "waiting"]);
    assert.deepEqual((await tabA.exportAudit(1)).changes.map((c) => c.payload), [{ verdict: "minor_nc" }, { note: "the reason" }]);
  } finally {
    tabA.close();
    tabB.close();
  }
});

test("fields a page of an earlier app version merged into an answer on its way are sent after it, not dropped", async () => {
  const hold = holdingAnswers(server.fetch);
  const outbox = await openOutbox("7", { fetch: hold.fetch, uuid, broadcast: false });
  const earlierPage = await openDB(databaseName("7"), 2); // it merged as setAnswer once did: into a change on its way
  try {
    await outbox.setAnswer(1, "a.1", { note: "Set på væggen" }, 0);
    const syncing = outbox.sync();
    await hold.arrived;
    const [sent] = await earlierPage.getAll("changes");
    await earlierPage.put("changes", { ...sent, payload: { ...sent.payload, verdict: "conform" }, clientId: uuid(), rev: sent.rev + 1 });
    hold.release();
    assert.equal((await syncing).state, "saved");
    assert.deepEqual((await outbox.changes(1)).map((c) => [c.base, c.payload]), [[1, { note: "Set på væggen", verdict: "conform" }]]);
    assert.equal((await outbox.sync()).state, "saved");
    assert.deepEqual([server.answers.get("a.1").verdict, server.answers.get("a.1").note, server.answers.get("a.1").version], ["conform", "Set på væggen", 2]);
  } finally {
    earlierPage.close();
    outbox.close();
  }
});

test("the user's other tabs hear what this tab queues and sends, and count it", async () => {
  const tabA = await open();
  const tabB = await open();
  const heard = [];
  tabB.addEventListener("change", ({ detail }) => heard.push([detail.type, detail.remote, detail.change.kind]));
  const waitFor = async (predicate) => { for (let i = 0; i < 200 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5)); };
  await tabA.addEvidence(1, "a.1", { method: "observation", summary: "seen in tab A" });
  await waitFor(() => heard.length);
  assert.deepEqual(heard[0], ["queued", true, "evidence"]);
  assert.equal((await tabB.counts(1)).total, 1);
  await tabA.sync();
  await waitFor(() => heard.some(([type]) => type === "synced"));
  assert.deepEqual(heard.map(([type]) => type), ["queued", "sending", "saved", "synced"]);
  assert.equal(tabB.sending.size, 0);
  assert.equal((await tabB.counts(1)).total, 0);
  tabA.close();
  tabB.close();
});

test("an update keeps the queue of the previous database version and sends it; the old page lets go of it", { timeout: 5000 }, async () => {
  const previous = await openDB(databaseName("7"), 1, {
    blocking(currentVersion, blockedVersion, event) { event.target.close(); }, // as the pages of this version do
    upgrade(database) {
      database.createObjectStore("changes", { keyPath: "seq", autoIncrement: true }).createIndex("audit", "auditId");
      database.createObjectStore("results", { keyPath: "clientId" });
      database.createObjectStore("audits", { keyPath: "auditId" });
    },
  });
  await previous.add("changes", { id: "x", state: "waiting", createdAt: 1, auditId: 1, itemId: "a.1", kind: "answer", key: "item:a.1", payload: { verdict: "conform" }, base: 0 });
  const outbox = await open(); // the previous page still has it open
  assert.equal((await outbox.sync()).state, "saved");
  assert.equal(server.answers.get("a.1").verdict, "conform");
  outbox.close();
});

/** A fetch whose next answers' reply is lost (the server saves them; the tablet hears nothing): `lose()` arms it. */
function losingAnswers(realFetch) {
  let armed = false;
  const fetch = async (url, init = {}) => {
    const reply = await realFetch(url, init);
    if (armed && url.endsWith("/responses/batch")) {
      armed = false;
      throw new TypeError("the reply was lost");
    }
    return reply;
  };
  return { fetch, lose: () => { armed = true; } };
}

test("typing on after a note's reply was lost queues a new change after it: sent on the version the note made, no conflict", async () => {
  const network = losingAnswers(server.fetch);
  const outbox = await openOutbox("7", { fetch: network.fetch, uuid });
  try {
    const first = await outbox.setAnswer(1, "a.1", { note: "Set på" }, 0);
    network.lose();
    assert.equal((await outbox.sync()).state, "offline"); // it landed as version 1; its reply was lost
    assert.equal(server.answers.get("a.1").version, 1);
    const typed = await outbox.setAnswer(1, "a.1", { note: "Set på væggen" }, 0);
    const more = await outbox.setAnswer(1, "a.1", { note: "Set på væggen i kantinen" }, 0);
    assert.notEqual(typed.seq, first.seq, "a change sent once is never merged into");
    assert.equal(more.seq, typed.seq, "typing on merges into the new change");
    assert.deepEqual((await outbox.changes(1)).map((c) => [c.clientId, c.payload.note]), [[first.clientId, "Set på"], [more.clientId, "Set på væggen i kantinen"]]);
    assert.deepEqual(await outbox.counts(1), { total: 2, waiting: 2, syncing: 0, attention: 0 });

    assert.equal((await outbox.sync()).state, "saved");
    assert.deepEqual(server.sentAnswers.map((c) => [c.client_id, c.version]), [[first.clientId, 0], [first.clientId, 0], [more.clientId, 1]]);
    assert.deepEqual((await outbox.changes(1)).map((c) => c.state), [], "no conflict with this tablet's own earlier text");
    assert.deepEqual([server.answers.get("a.1").note, server.answers.get("a.1").version], ["Set på væggen i kantinen", 2]);
  } finally {
    outbox.close();
  }
});

test("a reload between the lost reply and the typing changes nothing: the sent change is still never merged into", async () => {
  const network = losingAnswers(server.fetch);
  let outbox = await openOutbox("7", { fetch: network.fetch, uuid });
  const first = await outbox.setAnswer(1, "a.1", { verdict: "minor_nc" }, 0);
  network.lose();
  assert.equal((await outbox.sync()).state, "offline");
  outbox.close();

  outbox = await openOutbox("7", { fetch: network.fetch, uuid }); // the page reloaded, the browser restarted
  try {
    await outbox.setAnswer(1, "a.1", { note: "Ingen APV for lageret" }, 1); // the reloaded page shows version 1
    assert.deepEqual((await outbox.changes(1)).map((c) => c.payload), [{ verdict: "minor_nc" }, { note: "Ingen APV for lageret" }]);
    outbox.close();
    outbox = await openOutbox("7", { fetch: network.fetch, uuid });
    assert.equal((await outbox.sync()).state, "saved");
    assert.deepEqual(server.sentAnswers.map((c) => c.client_id).slice(0, 2), [first.clientId, first.clientId]);
    assert.equal(server.sentAnswers[2].version, 1);
    assert.deepEqual((await outbox.changes(1)).map((c) => c.state), []);
    assert.deepEqual([server.answers.get("a.1").verdict, server.answers.get("a.1").note, server.answers.get("a.1").version], ["minor_nc", "Ingen APV for lageret", 2]);
  } finally {
    outbox.close();
  }
});

test("another tab typing on after the reply was lost queues a new change too, and every tab counts both", async () => {
  const network = losingAnswers(server.fetch);
  const tabA = await openOutbox("7", { fetch: network.fetch, uuid });
  const tabB = await openOutbox("7", { fetch: server.fetch, uuid });
  const heard = [];
  tabB.addEventListener("change", ({ detail }) => heard.push(detail.type));
  const waitFor = async (predicate) => { for (let i = 0; i < 200 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5)); };
  try {
    await tabA.setAnswer(1, "a.1", { note: "Skrevet i A" }, 0);
    network.lose();
    assert.equal((await tabA.sync()).state, "offline");
    await waitFor(() => heard.includes("synced")); // B heard it was sent and is waiting again
    assert.equal(tabB.sending.size, 0);
    await tabB.setAnswer(1, "a.1", { note: "Skrevet i A, rettet i B" }, 0);
    assert.deepEqual(await tabB.counts(1), { total: 2, waiting: 2, syncing: 0, attention: 0 });
    assert.deepEqual(await tabA.counts(1), { total: 2, waiting: 2, syncing: 0, attention: 0 });
    assert.equal((await tabA.sync()).state, "saved");
    assert.deepEqual((await tabA.changes(1)).map((c) => c.state), []);
    assert.deepEqual([server.answers.get("a.1").note, server.answers.get("a.1").version], ["Skrevet i A, rettet i B", 2]);
  } finally {
    tabA.close();
    tabB.close();
  }
});

test("a verdict tapped in another tab that has not heard of the send goes after the note, even when the note's reply is lost", async () => {
  const hold = holdingAnswers(server.fetch);
  const fetch = async (url, init) => {
    const reply = await hold.fetch(url, init);
    if (url.endsWith("/responses/batch")) throw new TypeError("the reply was lost");
    return reply;
  };
  const tabA = await openOutbox("7", { fetch, uuid, broadcast: false });
  const tabB = await openOutbox("7", { fetch: server.fetch, uuid, broadcast: false });
  try {
    await tabA.setAnswer(1, "a.1", { note: "Set på væggen" }, 0);
    const syncing = tabA.sync();
    await hold.arrived; // the note is on its way
    await tabB.setAnswer(1, "a.1", { verdict: "conform" }, 0);
    hold.release();
    assert.equal((await syncing).state, "offline"); // the note landed, its reply was lost
    assert.equal((await tabB.sync()).state, "saved");
    assert.deepEqual((await tabB.changes(1)).map((c) => c.state), []);
    assert.deepEqual([server.answers.get("a.1").verdict, server.answers.get("a.1").note, server.answers.get("a.1").version], ["conform", "Set på væggen", 2]);
  } finally {
    tabA.close();
    tabB.close();
  }
});

test("removing evidence whose reply was lost removes it from the server, not only from the tablet", async () => {
  const outbox = await open();
  try {
    const entry = await outbox.addEvidence(1, "a.1", { method: "observation", summary: "sent, reply lost" });
    server.loseReplies = true;
    assert.equal((await outbox.sync()).state, "offline");
    server.loseReplies = false;
    assert.equal(server.created.evidence.length, 1);
    await outbox.removeEvidence(1, "a.1", { clientId: entry.clientId });
    assert.equal((await outbox.sync()).state, "saved");
    assert.deepEqual(server.removed.map((row) => row.summary), ["sent, reply lost"]);
    assert.deepEqual([server.created.evidence.length, (await outbox.counts(1)).total], [0, 0]);
  } finally {
    outbox.close();
  }
});
