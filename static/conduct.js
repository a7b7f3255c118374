// conduct.js: saves answers on the conduct page.
// Nothing typed is ever dropped: each change is mirrored to localStorage until the server confirms it,
// saves of one item go one at a time with the version they are based on, failures retry with backoff,
// and a stale save (409) shows both versions to choose from.
(() => {
  "use strict";
  const layout = document.querySelector(".conduct-layout");
  if (!layout) return;
  const auditId = layout.dataset.auditId;
  const readonly = layout.dataset.readonly === "true";
  const csrfToken = document.querySelector("meta[name=csrf-token]").content;
  const messages = JSON.parse(document.getElementById("conduct-messages").textContent);
  const NOTE_DEBOUNCE_MS = 700;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 30000;
  const draftPrefix = `auditor:draft:${auditId}:`;
  const items = new Map();

  const isEmpty = (fields) => Object.keys(fields).length === 0;

  class Item {
    constructor(card) {
      this.card = card;
      this.id = card.dataset.itemId;
      this.version = Number(card.dataset.version);
      this.pending = {};       // changed here, not yet sent
      this.inflight = null;    // being sent now
      this.unconfirmed = null; // sent, but the reply was lost: it may or may not have landed
      this.conflict = null;
      this.timer = null;
      this.retryDelay = FIRST_RETRY_MS;
      this.state = card.querySelector(".save-state").dataset.state;
      this.note = card.querySelector("textarea.note");
      this.stateEl = card.querySelector(".save-state");
    }

    url() {
      return `/api/v1/audits/${auditId}/responses/${encodeURIComponent(this.id)}`;
    }

    change(field, value) {
      this.pending[field] = value;
      this.persist();
      this.setState("pending");
      this.schedule(field === "note" ? NOTE_DEBOUNCE_MS : 0);
    }

    schedule(delay) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.flush(), delay);
    }

    persist() {
      const fields = { ...(this.inflight || {}), ...this.pending };
      try {
        localStorage.setItem(draftPrefix + this.id, JSON.stringify({ base: this.version, fields, at: Date.now() }));
      } catch { /* storage full or disabled: the in-memory copy still retries */ }
    }

    clearDraft() {
      try { localStorage.removeItem(draftPrefix + this.id); } catch { /* ignore */ }
    }

    async flush() {
      if (this.inflight || this.conflict || isEmpty(this.pending)) return;
      const sending = this.pending;
      this.pending = {};
      this.inflight = sending;
      this.setState("saving");
      let response;
      try {
        response = await fetch(this.url(), {
          method: "PUT",
          headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrfToken },
          body: JSON.stringify({ ...sending, version: this.version }),
        });
      } catch {
        this.unconfirmed = { base: this.version, fields: sending };
        return this.retryLater(sending, navigator.onLine === false ? "offline" : "failed");
      }
      let body = null;
      try { body = await response.json(); } catch { body = null; }

      if (response.ok && body) {
        this.inflight = null;
        this.unconfirmed = null;
        this.retryDelay = FIRST_RETRY_MS;
        this.setVersion(body.version);
        if (isEmpty(this.pending)) {
          this.clearDraft();
          this.setState("saved");
        } else {
          this.persist();
          this.schedule(0);
        }
        return;
      }
      if (response.status === 409 && body) {
        this.inflight = null;
        this.pending = { ...sending, ...this.pending };
        if (this.landedEarlier(body.current)) {
          // Our own earlier save reached the server; its reply was lost. Build on it.
          this.unconfirmed = null;
          this.setVersion(body.current.version);
          this.persist();
          return this.schedule(0);
        }
        this.persist();
        return this.showConflict(body.current);
      }
      if (response.status === 401) {
        // Logged out (session expired): keep everything here and keep trying; it saves once logged in again.
        return this.retryLater(sending, "signed_out");
      }
      if (response.status >= 400 && response.status < 500) {
        // Refused as invalid: keep the text, say why, and try again on the next change.
        this.inflight = null;
        this.pending = { ...sending, ...this.pending };
        this.persist();
        return this.setState("invalid", body && body.detail);
      }
      this.retryLater(sending, "failed");
    }

    retryLater(sending, state) {
      this.inflight = null;
      this.pending = { ...sending, ...this.pending };
      this.persist();
      this.setState(state);
      this.schedule(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
    }

    landedEarlier(current) {
      const sent = this.unconfirmed;
      if (!sent || !current || current.version !== sent.base + 1) return false;
      return Object.entries(sent.fields).every(([field, value]) => current[field] === value);
    }

    setVersion(version) {
      this.version = version;
      this.card.dataset.version = String(version);
    }

    setState(state, detail) {
      this.state = state;
      this.stateEl.dataset.state = state;
      const text = {
        pending: messages.saving, saving: messages.saving, saved: messages.saved, failed: messages.failed,
        offline: messages.offline, conflict: messages.conflict, signed_out: messages.signed_out,
        invalid: messages.invalid.replace("%(reason)s", detail || ""),
      }[state];
      this.stateEl.textContent = text || "";
      updateSyncState();
    }

    showVerdict(verdict) {
      this.card.dataset.verdict = verdict || "";
      for (const button of this.card.querySelectorAll(".verdict")) {
        button.setAttribute("aria-pressed", String(button.dataset.verdict === verdict));
      }
      updateProgress(this.card.dataset.section);
    }

    showConflict(current) {
      this.conflict = current || { version: 0, verdict: null, note: "" };
      const box = document.getElementById("conflict-template").content.firstElementChild.cloneNode(true);
      const mine = { ...this.conflict, ...this.pending };  // only what this tablet changed differs
      const fill = (side, fields) => {
        box.querySelector(`.conflict-verdict[data-side=${side}]`).textContent = messages.verdicts[fields.verdict] || "–";
        box.querySelector(`.conflict-note[data-side=${side}]`).textContent = fields.note || "";
      };
      fill("mine", mine);
      fill("theirs", this.conflict);
      const slot = this.card.querySelector(".conflict-slot");
      slot.replaceChildren(box);
      this.setState("conflict");
    }

    resolveConflict(keepMine) {
      const current = this.conflict;
      this.conflict = null;
      this.card.querySelector(".conflict-slot").replaceChildren();
      this.setVersion(current.version);
      if (keepMine) {
        // Resend only the fields changed here; a verdict set on the other device stays unless changed here too.
        if (!("verdict" in this.pending)) this.showVerdict(current.verdict);
        if (!("note" in this.pending)) this.note.value = current.note || "";
        this.persist();
        this.schedule(0);
      } else {
        this.pending = {};
        this.note.value = current.note || "";
        this.showVerdict(current.verdict);
        this.clearDraft();
        this.setState("saved");
      }
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

  function updateSyncState() {
    const states = [...items.values()].map((item) => item.state);
    const el = document.getElementById("sync-state");
    let state = "saved";
    for (const candidate of ["conflict", "signed_out", "offline", "failed", "invalid", "saving", "pending"]) {
      if (states.includes(candidate)) { state = candidate; break; }
    }
    const label = { saved: messages.all_saved, conflict: messages.conflict, offline: messages.offline, failed: messages.failed, signed_out: messages.signed_out,
      invalid: messages.pending, saving: messages.saving, pending: messages.saving }[state];
    el.dataset.state = ["saving", "invalid"].includes(state) ? "pending" : state === "signed_out" ? "failed" : state;
    el.textContent = label;
  }

  function restoreDrafts() {
    for (let index = 0; index < localStorage.length; index += 1) {
      const key = localStorage.key(index);
      if (!key || !key.startsWith(draftPrefix)) continue;
      const item = items.get(key.slice(draftPrefix.length));
      let draft;
      try { draft = JSON.parse(localStorage.getItem(key)); } catch { continue; }
      if (!item || !draft || !draft.fields || isEmpty(draft.fields)) continue;
      if ("note" in draft.fields) item.note.value = draft.fields.note;
      if ("verdict" in draft.fields) item.showVerdict(draft.fields.verdict);
      item.pending = { ...draft.fields };
      // Send it based on the version it was typed against: if the server moved on, the page shows both.
      item.setVersion(draft.base);
      item.setState("pending");
      item.schedule(0);
    }
  }

  for (const card of document.querySelectorAll(".item-card")) {
    const item = new Item(card);
    items.set(item.id, item);
    if (readonly) {
      card.querySelectorAll("button.verdict, textarea.note").forEach((el) => { el.disabled = true; });
    }
  }

  layout.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target) return;
    const card = target.closest(".item-card");
    const item = card && items.get(card.dataset.itemId);
    if (target.classList.contains("verdict") && item && !readonly) {
      item.showVerdict(target.dataset.verdict);
      item.change("verdict", target.dataset.verdict);
    } else if (target.dataset.action === "toggle-language" && card) {
      const other = card.querySelector(".question-other");
      other.hidden = !other.hidden;
      target.setAttribute("aria-pressed", String(!other.hidden));
    } else if (target.dataset.action === "keep-mine" && item) {
      item.resolveConflict(true);
    } else if (target.dataset.action === "use-theirs" && item) {
      item.resolveConflict(false);
    } else if (target.dataset.action === "add-evidence" && item) {
      openEvidenceDialog(item);
    } else if (target.dataset.action === "add-photo" && item) {
      openPhotoDialog(item);
    }
  });

  layout.addEventListener("input", (event) => {
    if (!event.target.matches("textarea.note")) return;
    const item = items.get(event.target.closest(".item-card").dataset.itemId);
    item.change("note", event.target.value);
  });

  // Leaving a note field saves at once rather than waiting for the pause.
  layout.addEventListener("focusout", (event) => {
    if (!event.target.matches("textarea.note")) return;
    const item = items.get(event.target.closest(".item-card").dataset.itemId);
    if (!isEmpty(item.pending)) item.schedule(0);
  });

  window.addEventListener("online", () => {
    for (const item of items.values()) {
      if (!isEmpty(item.pending)) { item.retryDelay = FIRST_RETRY_MS; item.schedule(0); }
    }
  });

  window.addEventListener("beforeunload", (event) => {
    const unsaved = [...items.values()].some((item) => item.inflight || !isEmpty(item.pending));
    if (unsaved) { event.preventDefault(); event.returnValue = messages.leave; }
  });

  const toggleAll = document.getElementById("toggle-all-languages");
  toggleAll.addEventListener("click", () => {
    const show = toggleAll.getAttribute("aria-pressed") !== "true";
    toggleAll.setAttribute("aria-pressed", String(show));
    for (const card of items.values()) {
      card.card.querySelector(".question-other").hidden = !show;
      card.card.querySelector(".lang-toggle").setAttribute("aria-pressed", String(show));
    }
  });

  // Evidence: one dialog for the whole page; the server sends the item's updated list back.
  const dialog = document.getElementById("evidence-dialog");
  const blankEvidenceForm = dialog.querySelector("form").cloneNode(true);
  function freshEvidenceForm() {
    const form = blankEvidenceForm.cloneNode(true);
    dialog.querySelector("form").replaceWith(form);
    if (window.htmx) window.htmx.process(form);
    showInterviewFields(form);
    return form;
  }
  function showInterviewFields(form) {
    const isInterview = form.querySelector("[name=method]").value.startsWith("interview");
    form.querySelectorAll("[data-interview-only]").forEach((el) => { el.hidden = !isInterview; });
  }
  dialog.addEventListener("change", (event) => {
    if (event.target.matches("[name=method]")) showInterviewFields(event.target.form);
  });
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const form = dialog.querySelector("form");
    if (form && dialog.contains(event.detail.elt)) showInterviewFields(form);
  });
  function openEvidenceDialog(item) {
    const form = freshEvidenceForm();
    form.querySelector("[name=item_id]").value = item.id;
    const code = item.card.querySelector(".item-code").textContent;
    const question = item.card.querySelector(".question").textContent;
    document.getElementById("evidence-dialog-item").textContent = `${code} ${question}`;
    dialog.showModal();
    form.querySelector("[name=summary]").focus();
  }
  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=close-dialog]")) dialog.close();
  });
  document.body.addEventListener("evidence-saved", () => {
    dialog.close();
    freshEvidenceForm();
  });

  // Photos: one dialog to take or pick a photo; the server sends the item's thumbnails back.
  const photoDialog = document.getElementById("photo-dialog");
  const blankPhotoForm = photoDialog.querySelector("form").cloneNode(true);
  function openPhotoDialog(item) {
    const form = blankPhotoForm.cloneNode(true);
    photoDialog.querySelector("form").replaceWith(form);
    if (window.htmx) window.htmx.process(form);
    form.querySelector("[name=item_id]").value = item.id;
    document.getElementById("photo-dialog-item").textContent = item.card.querySelector(".item-code").textContent;
    photoDialog.showModal();
  }
  photoDialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-action=close-dialog]")) photoDialog.close();
  });
  document.body.addEventListener("photo-saved", () => photoDialog.close());

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

  restoreDrafts();
  updateSyncState();
})();
