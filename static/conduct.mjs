// conduct.mjs: the conduct page. Every change (verdict, note, weighing, evidence, photo, finding) goes into the signed-in
// user's outbox (outbox.mjs) at once and is sent from there, so it works the same offline; each card says whether
// its changes are saved, waiting, being sent, or need the auditor (a conflict with both versions to choose from, a
// closed audit, a refusal). After a sync the page learns of answers changed on other devices and says by whom.
import { answersOf, field, storeAudit } from "./field.mjs";

const layout = document.querySelector(".conduct-layout");
const auditId = layout ? Number(layout.dataset.auditId) : null;
const readonly = layout ? layout.dataset.readonly === "true" : true;
const messages = layout ? JSON.parse(document.getElementById("conduct-messages").textContent) : {};
const ready = field.then((context) => context || Promise.reject(new Error("not signed in")));
const items = new Map();
const changes = new Map(); // seq -> queued change of this audit, as the outbox last reported it
let known = {}; // item id -> the newest answer this tablet knows of {version, verdict, note, updated_by}
const sending = new Set(); // seqs of this audit's changes on their way now

const format = (text, values) => Object.entries(values).reduce((result, [key, value]) => result.replaceAll(`%(${key})s`, String(value)), text || "");

class Item {
  constructor(card) {
    this.card = card;
    this.id = card.dataset.itemId;
    this.version = Number(card.dataset.version);
    this.note = card.querySelector("textarea.note");
    this.weighingParts = [...card.querySelectorAll("textarea.weighing-part")];  // only on items that ask for it
    this.stateEl = card.querySelector(".save-state");
  }

  /** Arbejdstilsynet's weighing as typed, every part (the server keeps parts not sent, so sending all is simplest). */
  get weighing() {
    return Object.fromEntries(this.weighingParts.map((part) => [part.dataset.part, part.value]));
  }

  showWeighing(weighing) {
    for (const part of this.weighingParts) part.value = (weighing && weighing[part.dataset.part]) || "";
  }

  /** An answer from elsewhere (the server, a conflict) on the card: verdict, note and weighing. */
  showAnswer(answer) {
    this.note.value = answer.note || "";
    this.showWeighing(answer.weighing);
    this.showVerdict(answer.verdict);
  }

  get verdict() {
    return this.card.dataset.verdict || null;
  }

  showVerdict(verdict) {
    this.card.dataset.verdict = verdict || "";
    for (const button of this.card.querySelectorAll(".verdict")) {
      button.setAttribute("aria-pressed", String(button.dataset.verdict === verdict));
    }
    updateProgress(this.card.dataset.section);
  }

  setVersion(version) {
    this.version = version;
    this.card.dataset.version = String(version);
  }

  queued() {
    return [...changes.values()].filter((change) => change.itemId === this.id);
  }

  /** The card's state from its queued changes: conflict, closed, invalid, syncing, waiting, or saved. */
  refresh(justSaved = false) {
    const queued = this.queued();
    const conflict = queued.find((change) => change.state === "conflict");
    const stuck = queued.find((change) => change.state === "closed" || change.state === "invalid");
    let state = "saved";
    if (conflict) state = "conflict";
    else if (stuck) state = stuck.state;
    else if (queued.some((change) => sending.has(change.seq))) state = "syncing";
    else if (queued.length) state = "waiting";
    else if (!justSaved && this.stateEl.dataset.state === "idle") state = "idle";
    this.stateEl.dataset.state = state;
    const text = { saved: messages.saved, waiting: messages.waiting, syncing: messages.syncing, conflict: messages.conflict, closed: messages.closed,
      invalid: format(messages.invalid, { reason: stuck && stuck.detail }), idle: "" }[state];
    this.stateEl.textContent = text;
    if (conflict) this.showConflict(conflict);
    else this.card.querySelector(".conflict-slot").replaceChildren();
    updateExport();
  }

  showConflict(change) {
    const slot = this.card.querySelector(".conflict-slot");
    if (slot.dataset.seq === String(change.seq) && slot.firstElementChild) return;
    const box = document.getElementById("conflict-template").content.firstElementChild.cloneNode(true);
    const theirs = change.current;
    const mine = { ...theirs, ...change.payload };  // only what this tablet changed differs
    const fill = (side, fields) => {
      box.querySelector(`.conflict-verdict[data-side=${side}]`).textContent = messages.verdicts[fields.verdict] || "–";
      box.querySelector(`.conflict-note[data-side=${side}]`).textContent = fields.note || "";
    };
    fill("mine", mine);
    fill("theirs", theirs);
    if (theirs.updated_by) box.querySelector(".conflict-note[data-side=theirs]").after(Object.assign(document.createElement("p"), { className: "muted conflict-by", textContent: theirs.updated_by }));
    slot.dataset.seq = String(change.seq);
    slot.replaceChildren(box);
  }

  /** Someone else's newer answer: show it, and say who. */
  showReplaced(answer) {
    this.showAnswer(answer);
    this.setVersion(answer.version);
    const notice = this.card.querySelector(".replaced");
    notice.textContent = answer.updated_by ? format(messages.replaced, { name: answer.updated_by }) : messages.replaced_unknown;
    notice.hidden = false;
  }
}

function updateProgress(sectionKey) {
  const count = (selector) => {
    const cards = [...document.querySelectorAll(selector)];
    return [cards.filter((card) => card.dataset.verdict).length, cards.length];
  };
  const show = (key, [answered, total], bar) => {
    const label = document.querySelector(`[data-count="${key}"]`);
    if (label) label.textContent = `${answered}/${total}`;
    if (bar) bar.value = answered;
  };
  if (sectionKey) {
    const link = document.querySelector(`[data-section-link="${sectionKey}"]`);
    show(sectionKey, count(`.item-card[data-section="${sectionKey}"]`), link && link.querySelector("progress"));
  }
  show("overall", count(".item-card"), document.getElementById("overall-progress"));
}

function updateExport() {
  const button = document.getElementById("export-unsent");
  if (button) button.hidden = ![...changes.values()].some((change) => change.state === "closed" || change.state === "invalid");
}

// -- Showing queued evidence and photos --------------------------------------------------------------------------

function evidenceEntry(change) {
  const data = change.payload;
  const entry = document.createElement("li");
  entry.dataset.clientId = change.clientId;
  entry.className = `pending${data.confidential ? " confidential" : ""}`;
  const badge = (text, extra = "") => Object.assign(document.createElement("span"), { className: `badge ${extra}`.trim(), textContent: text });
  entry.append(badge(messages.methods[data.method] || data.method), " ");
  if (data.interviewee_role) {
    const people = format(data.interviewee_count === 1 ? messages.people.one : messages.people.other, { num: data.interviewee_count });
    entry.append(Object.assign(document.createElement("span"), { className: "role", textContent: `${messages.roles[data.interviewee_role] || data.interviewee_role} (${people})` }), " ");
  }
  entry.append(Object.assign(document.createElement("span"), { className: "summary", textContent: data.summary }), " ");
  if (data.reference) entry.append(Object.assign(document.createElement("span"), { className: "muted", textContent: data.reference }), " ");
  entry.append(badge(messages.waiting, "waiting"));
  if (!readonly) {
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "button small", textContent: "×" });
    remove.dataset.action = "remove-queued";
    remove.dataset.kind = "evidence";
    remove.setAttribute("aria-label", messages.remove_evidence);
    entry.append(remove);
  }
  return entry;
}

function photoFigure(change) {
  const figure = document.createElement("figure");
  figure.className = "photo pending";
  figure.dataset.clientId = change.clientId;
  const image = Object.assign(document.createElement("img"), { src: URL.createObjectURL(change.blob), alt: change.payload.caption || "", width: 120 });
  const caption = Object.assign(document.createElement("figcaption"), { textContent: change.payload.caption || "" });
  caption.append(" ", Object.assign(document.createElement("span"), { className: "badge waiting", textContent: messages.waiting }));
  figure.append(image, caption);
  if (!readonly) {
    const remove = Object.assign(document.createElement("button"), { type: "button", className: "button small", textContent: "×" });
    remove.dataset.action = "remove-queued";
    remove.dataset.kind = "photo";
    remove.setAttribute("aria-label", messages.remove_photo);
    figure.append(remove);
  }
  return figure;
}

/** Put a queued change on its card (after a reload the outbox, not the page, knows it). */
function showQueued(change) {
  const item = items.get(change.itemId);
  if (change.kind === "answer" && item) {
    if ("note" in change.payload && item.note.value !== change.payload.note) item.note.value = change.payload.note;
    if ("verdict" in change.payload) item.showVerdict(change.payload.verdict);
    if ("weighing" in change.payload) item.showWeighing(change.payload.weighing);
  } else if (change.kind === "evidence" && item) {
    const list = item.card.querySelector(".evidence-list");
    if (list.querySelector(`[data-client-id="${change.clientId}"]`)) return;
    let ul = list.querySelector("ul");
    if (!ul) { ul = document.createElement("ul"); list.append(ul); }
    ul.append(evidenceEntry(change));
  } else if (change.kind === "photo" && change.target.itemId && item) {
    const strip = item.card.querySelector(".photo-strip");
    if (!strip.querySelector(`[data-client-id="${change.clientId}"]`)) strip.append(photoFigure(change));
  } else if (change.kind.startsWith("remove-") && item && change.payload.id) {
    const attribute = change.kind === "remove-evidence" ? "data-evidence-id" : "data-photo-id";
    const shown = item.card.querySelector(`[${attribute}="${change.payload.id}"]`);
    if (shown) shown.hidden = true;
  } else if (change.kind === "finding" && item) {
    const link = item.card.querySelector("[data-action=raise-finding]");
    link.dataset.waiting = String(Number(link.dataset.waiting || 0) + 1);
    link.title = messages.finding_waiting;
  }
}

/** A change the server now has: the card shows the stored result. */
function showSaved(change) {
  const item = items.get(change.itemId);
  if (!item) return;
  const result = change.result;
  if (change.kind === "answer" && result) {
    item.setVersion(result.version);
    known[item.id] = result;
  } else if (change.kind === "evidence" && result) {
    const entry = item.card.querySelector(`.evidence-list [data-client-id="${change.clientId}"]`);
    if (entry) { entry.classList.remove("pending"); entry.dataset.evidenceId = String(result.id); entry.querySelector(".waiting").remove(); }
  } else if (change.kind === "photo" && change.target.itemId) {
    const figure = item.card.querySelector(`.photo-strip [data-client-id="${change.clientId}"]`);
    if (figure && result) {
      // The server's thumbnail (small, without metadata) replaces the tablet's full-size picture.
      const image = figure.querySelector("img");
      URL.revokeObjectURL(image.src);
      image.src = result.thumbnail_url;
      const link = Object.assign(document.createElement("a"), { href: result.url });
      link.dataset.action = "enlarge-photo";
      link.dataset.caption = result.caption || "";
      image.replaceWith(link);
      link.append(image);
      figure.dataset.photoId = String(result.id);
      figure.classList.remove("pending");
      figure.querySelector(".waiting").remove();
    }
  }
}

function forget(change) {
  const item = items.get(change.itemId);
  if (!item) return;
  if (change.kind === "evidence" || change.kind === "photo") {
    const shown = item.card.querySelector(`[data-client-id="${change.clientId}"]`);
    if (shown && !changes.has(change.seq)) shown.remove();
  }
}

// -- Learning of other devices' answers --------------------------------------------------------------------------

/** Ask the server for the audit's offline copy and show answers changed elsewhere on cards with nothing queued. */
async function learnFromServer(outbox) {
  let copy;
  try {
    const response = await fetch(`/api/v1/audits/${auditId}/offline`, { headers: { Accept: "application/json" }, cache: "no-store" });
    if (!response.ok) return;
    copy = await response.json();
  } catch {
    return;
  }
  const answers = answersOf(copy);
  for (const [itemId, answer] of Object.entries(answers)) {
    const item = items.get(itemId);
    // Never under the auditor's fingers, never over a change of this tablet's that is still to be sent.
    if (!item || item.queued().length || item.card.contains(document.activeElement)) continue;
    const before = known[itemId];
    const elsewhere = before && answer.version > before.version;  // newer than anything this tablet saved or saw
    if (elsewhere) item.showReplaced(answer);
    else if (answer.version > item.version) { item.setVersion(answer.version); item.showAnswer(answer); }
  }
  known = { ...known, ...answers };
  const record = await outbox.offlineAudit(auditId);
  if (record && record.offline) await outbox.rememberAudit({ ...record, answers: known });
  layout.dataset.learned = copy.version;  // for tests: the page has compared its answers with the server's
}

// -- Changes -------------------------------------------------------------------------------------------------------

async function changeAnswer(item, fields) {
  // Shown at once: the card is not "saved" while its change is on its way into the outbox.
  item.stateEl.dataset.state = "waiting";
  item.stateEl.textContent = messages.waiting;
  const { outbox } = await ready;
  item.card.querySelector(".replaced").hidden = true;
  await outbox.setAnswer(auditId, item.id, fields, item.version);
}

function itemOf(element) {
  const card = element.closest(".item-card");
  return card && items.get(card.dataset.itemId);
}

function onClick(event) {
  const target = event.target.closest("button, a[data-action]");
  if (!target) return;
  const item = itemOf(target);
  const action = target.dataset.action;
  if (target.classList.contains("verdict") && item && !readonly) {
    item.showVerdict(target.dataset.verdict);
    changeAnswer(item, { verdict: target.dataset.verdict });
  } else if (action === "clear-verdict" && item && !readonly) {
    item.showVerdict(null);
    changeAnswer(item, { verdict: null });
  } else if (action === "toggle-language" && item) {
    const other = item.card.querySelector(".question-other");
    other.hidden = !other.hidden;
    target.setAttribute("aria-pressed", String(!other.hidden));
  } else if ((action === "keep-mine" || action === "use-theirs") && item) {
    resolve(item, action === "keep-mine");
  } else if (action === "add-evidence" && item) {
    openEvidenceDialog(item);
  } else if (action === "add-photo" && item) {
    openPhotoDialog(item);
  } else if (action === "raise-finding" && item) {
    event.preventDefault();
    openFindingDialog(item);
  } else if (action === "remove-queued" && item) {
    const shown = target.closest("[data-client-id]");
    ready.then(({ outbox }) => (target.dataset.kind === "evidence" ? outbox.removeEvidence : outbox.removePhoto).call(outbox, auditId, item.id, { clientId: shown.dataset.clientId }));
    shown.hidden = true;
  }
}

async function resolve(item, keepMine) {
  const conflict = item.queued().find((change) => change.state === "conflict");
  if (!conflict) return;
  const { outbox } = await ready;
  const current = conflict.current;
  item.setVersion(current.version);
  known[item.id] = current;
  if (!keepMine) {
    item.showAnswer(current);
  } else {
    if (!("verdict" in conflict.payload)) item.showVerdict(current.verdict);
    if (!("note" in conflict.payload)) item.note.value = current.note || "";
    if (!("weighing" in conflict.payload)) item.showWeighing(current.weighing);
  }
  await outbox.resolveConflict(conflict.seq, keepMine);
}

// -- Dialogs: evidence, photo, finding. Not modal: the rest of the page stays usable. -----------------------------

function dialogFor(id, onSubmit) {
  const dialog = document.getElementById(id);
  const form = dialog.querySelector("form");
  // Our submit, not htmx's: the change goes into the outbox (it works offline); the form's own action stays for
  // browsers without JavaScript.
  dialog.addEventListener("submit", (event) => {
    event.preventDefault();
    event.stopPropagation();
    if (!form.reportValidity()) return;
    onSubmit(form, dialog.item);
    form.reset();
    dialog.close();
  }, true);
  dialog.addEventListener("click", (event) => {
    if (!event.target.closest("[data-action=close-dialog]")) return;
    const typed = [...form.querySelectorAll("textarea, input[type=text], input:not([type]), input[type=file]")].some((field) => field.value);
    if (typed && !window.confirm(messages.discard_entry)) return;  // "Cancel" never drops an entry silently
    form.reset();
    dialog.close();
  });
  return { dialog, form };
}

const evidence = layout && dialogFor("evidence-dialog", (form, item) => {
  const value = (name) => form.elements[name].value.trim();
  const interview = value("method").startsWith("interview");
  const data = { method: value("method"), summary: value("summary"), reference: value("reference"), confidential: form.elements.confidential.checked };
  if (interview) Object.assign(data, { interviewee_role: value("interviewee_role"), interviewee_count: Number(value("interviewee_count")) });
  ready.then(({ outbox }) => outbox.addEvidence(auditId, item.id, data));
});

function showInterviewFields(form) {
  const isInterview = form.elements.method.value.startsWith("interview");
  form.querySelectorAll("[data-interview-only]").forEach((label) => {
    label.hidden = !isInterview;
    label.querySelectorAll("select, input").forEach((field) => { field.required = isInterview; });
  });
}

function openEvidenceDialog(item) {
  const { dialog, form } = evidence;
  if (dialog.open && dialog.item !== item && form.elements.summary.value && !window.confirm(messages.discard_entry)) return;
  if (dialog.item !== item) form.reset();
  dialog.item = item;
  showInterviewFields(form);
  document.getElementById("evidence-dialog-item").textContent = `${item.card.querySelector(".item-code").textContent} ${item.card.querySelector(".question").textContent}`;
  dialog.show();
  form.elements.summary.focus();
}

const photo = layout && dialogFor("photo-dialog", (form, item) => {
  const file = form.elements.file.files[0];
  const options = { caption: form.elements.caption.value.trim(), confidential: form.elements.confidential.checked };
  ready.then(({ outbox }) => outbox.addPhoto(auditId, { itemId: item.id }, file, options));
});

function openPhotoDialog(item) {
  const { dialog, form } = photo;
  if (dialog.item !== item) form.reset();
  dialog.item = item;
  document.getElementById("photo-dialog-item").textContent = item.card.querySelector(".item-code").textContent;
  dialog.show();
}

const finding = layout && dialogFor("finding-dialog", (form, item) => {
  const files = [...form.elements.file.files];
  const carried = dialogPhotos(item);
  const data = {
    item_id: item.id, kind: form.elements.kind.value, statement: form.elements.statement.value.trim(), evidence: form.elements.evidence.value.trim(),
    requirement: item.card.querySelector(".question").textContent.trim(), photo_ids: storedPhotos(item),
  };
  ready.then(async ({ outbox }) => {
    const raised = await outbox.addFinding(auditId, data);
    for (const change of carried) await outbox.addPhoto(auditId, { findingClientId: raised.clientId }, change.blob, change.payload);
    for (const file of files) await outbox.addPhoto(auditId, { findingClientId: raised.clientId }, file);
  });
});

/** The item's photos taken on this tablet and not sent yet go with a finding raised from it. */
function dialogPhotos(item) {
  return item.queued().filter((change) => change.kind === "photo" && change.target.itemId === item.id && change.state === "waiting");
}

/** The item's photos the server has (shown on the card, not being removed) go too: the server copies them. */
function storedPhotos(item) {
  return [...item.card.querySelectorAll(".photo-strip figure[data-photo-id]:not([hidden])")].map((figure) => Number(figure.dataset.photoId));
}

function openFindingDialog(item) {
  const { dialog, form } = finding;
  form.reset();
  dialog.item = item;
  // The item's verdict as the kind, its note as the statement, its evidence as the objective evidence: never the
  // confidential entries, since a finding's evidence is in the findings list the client reads and in the report.
  const kind = form.querySelector(`input[name=kind][value="${item.verdict}"]`);
  if (kind) kind.checked = true;
  form.elements.statement.value = item.note.value;
  form.elements.evidence.value = [...item.card.querySelectorAll(".evidence-list li:not([hidden]):not(.confidential) .summary")].map((summary) => summary.textContent.trim()).join("\n");
  const carried = dialogPhotos(item).length + storedPhotos(item).length;
  const photosNote = document.getElementById("finding-dialog-photos");
  photosNote.hidden = !carried;
  photosNote.textContent = carried ? `${messages.carried_photos.replace("%(count)s", carried)}` : "";
  document.getElementById("finding-dialog-item").textContent = `${item.card.querySelector(".item-code").textContent} ${item.card.querySelector(".question").textContent}`;
  dialog.show();
}

// -- Removing what the server has: queued like everything else ----------------------------------------------------

function onSubmit(event) {
  const form = event.target.closest("form[data-remove]");
  if (!form) return;
  event.preventDefault();
  event.stopPropagation();
  if (readonly || !window.confirm(form.dataset.confirm)) return;
  const item = itemOf(form);
  const shown = form.closest("li, figure");
  shown.hidden = true;
  const id = Number(form.dataset.id);
  ready.then(({ outbox }) => (form.dataset.remove === "evidence" ? outbox.removeEvidence : outbox.removePhoto).call(outbox, auditId, item.id, { id }));
}

// -- Filter and search ---------------------------------------------------------------------------------------------

function applyFilter() {
  const onlyUnanswered = document.getElementById("only-unanswered").checked;
  const words = document.getElementById("item-search").value.trim().toLowerCase();
  let shown = 0;
  for (const item of items.values()) {
    const text = item.text || (item.text = `${item.card.querySelector(".item-code").textContent} ${item.card.querySelector(".question").textContent} ${item.card.querySelector(".question-other").textContent}`.toLowerCase());
    const visible = (!onlyUnanswered || !item.verdict) && (!words || text.includes(words));
    item.card.hidden = !visible;
    if (visible) shown += 1;
  }
  document.getElementById("filter-count").textContent = onlyUnanswered || words ? format(messages.filter_count, { shown, total: items.size }) : "";
}

// -- The old localStorage drafts: moved into this user's outbox once, then removed --------------------------------

async function migrateDrafts(outbox) {
  const prefix = `auditor:draft:${auditId}:`;
  const keys = [];
  try {
    for (let index = 0; index < localStorage.length; index += 1) {
      const key = localStorage.key(index);
      if (key && key.startsWith(prefix)) keys.push(key);
    }
  } catch {
    return;
  }
  for (const key of keys) {
    let draft = null;
    try { draft = JSON.parse(localStorage.getItem(key)); } catch { draft = null; }
    const itemId = key.slice(prefix.length);
    if (draft && draft.fields && Object.keys(draft.fields).length && items.has(itemId)) {
      await outbox.setAnswer(auditId, itemId, draft.fields, draft.base);
    }
    localStorage.removeItem(key);
  }
}

// -- Start ---------------------------------------------------------------------------------------------------------

async function connect() {
  let context;
  try { context = await ready; } catch { return; }
  const { outbox, syncer } = context;
  if (!readonly) await migrateDrafts(outbox);
  const record = await outbox.offlineAudit(auditId);
  known = (record && record.answers) || Object.fromEntries([...items.values()].map((item) => [item.id, { version: item.version }]));
  for (const change of await outbox.changes(auditId)) {
    changes.set(change.seq, change);
    showQueued(change);
  }
  items.forEach((item) => { if (item.queued().length) item.refresh(); });
  let sentSomething = false;
  let lastState = "saved";
  outbox.addEventListener("change", ({ detail: { type, change, remote } }) => {
    if (type === "synced" && remote) return; // the tab that sent learns and stores the page
    if (type === "synced") {
      // After sending, or when the server is back: what did other devices do meanwhile? And the stored copy of
      // the page is brought up to date, so a reload offline shows what the server now has.
      if (change.state === "saved" && (sentSomething || lastState !== "saved")) {
        learnFromServer(outbox);
        if (sentSomething) outbox.offlineAudit(auditId).then((stored) => stored && stored.offline && storeAudit(outbox, auditId, stored.title).catch(() => {}));
        sentSomething = false;
      }
      lastState = change.state;
      return;
    }
    if (change.auditId !== auditId) return;
    if (type === "sending") sending.add(change.seq);
    else sending.delete(change.seq);
    if (type === "saved" || type === "dropped") {
      changes.delete(change.seq);
      if (type === "saved") { sentSomething = true; showSaved(change); } else forget(change);
    } else {
      changes.set(change.seq, change);
      // What is typed or tapped on this page is on screen already (and typing goes on meanwhile): only entries
      // added through a dialog, and whatever another tab of this user queued, are drawn from the outbox.
      if (type === "queued" && (remote || change.kind !== "answer")) showQueued(change);
    }
    const item = items.get(change.itemId);
    if (item) item.refresh(type === "saved");
  });
  document.getElementById("export-unsent").addEventListener("click", async () => {
    const exported = await outbox.exportAudit(auditId);
    const link = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: "application/json" })),
      download: `audit-${auditId}-unsent-changes.json`,
    });
    document.body.append(link);
    link.click();
    link.remove();
  });
  updateExport();
  if (navigator.onLine) learnFromServer(outbox);
  syncer.kick(0);
}

if (layout) {
  for (const card of document.querySelectorAll(".item-card")) {
    const item = new Item(card);
    items.set(item.id, item);
    if (readonly) card.querySelectorAll("button.verdict, button.clear-verdict, textarea.note, textarea.weighing-part").forEach((el) => { el.disabled = true; });
  }
  layout.addEventListener("click", onClick);
  layout.addEventListener("submit", onSubmit, true);
  layout.addEventListener("input", (event) => {
    if (readonly) return;
    if (event.target.matches("textarea.note")) changeAnswer(itemOf(event.target), { note: event.target.value });
    else if (event.target.matches("textarea.weighing-part")) changeAnswer(itemOf(event.target), { weighing: itemOf(event.target).weighing });
  });
  evidence.dialog.addEventListener("change", (event) => {
    if (event.target.matches("[name=method]")) showInterviewFields(event.target.form);
  });
  document.getElementById("only-unanswered").addEventListener("change", applyFilter);
  document.getElementById("item-search").addEventListener("input", applyFilter);

  const toggleAll = document.getElementById("toggle-all-languages");
  toggleAll.addEventListener("click", () => {
    const show = toggleAll.getAttribute("aria-pressed") !== "true";
    toggleAll.setAttribute("aria-pressed", String(show));
    for (const item of items.values()) {
      item.card.querySelector(".question-other").hidden = !show;
      item.card.querySelector(".lang-toggle").setAttribute("aria-pressed", String(show));
    }
  });

  // Highlight the section being read in the section list.
  const links = new Map([...document.querySelectorAll("[data-section-link]")].map((a) => [a.dataset.sectionLink, a]));
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      links.forEach((link) => link.classList.remove("current"));
      const link = links.get(entry.target.dataset.section);
      if (link) { link.classList.add("current"); link.scrollIntoView({ block: "nearest", inline: "nearest" }); }
    }
  }, { rootMargin: "-30% 0px -60% 0px" });
  document.querySelectorAll(".conduct-section").forEach((section) => observer.observe(section));

  const head = document.querySelector(".conduct-head");
  const nav = document.querySelector(".section-nav");
  const rootStyle = document.documentElement.style;
  const measure = () => {
    rootStyle.setProperty("--head-h", `${head.offsetHeight}px`);
    rootStyle.setProperty("--nav-h", getComputedStyle(nav).position === "sticky" && nav.offsetWidth > window.innerWidth / 2 ? `${nav.offsetHeight}px` : "0px");
  };
  new ResizeObserver(measure).observe(head);
  window.addEventListener("resize", measure);
  measure();
  connect();
}
