// app.js: small behaviour shared by every page (messages, confirmations, htmx errors).
(() => {
  "use strict";
  const messagesEl = document.getElementById("app-messages");
  const messages = messagesEl ? JSON.parse(messagesEl.textContent) : {};
  const flash = document.getElementById("flash");
  let flashTimer = null;

  function show(text, isError) {
    if (!flash || !text) return;
    flash.textContent = text;
    flash.classList.toggle("error", Boolean(isError));
    flash.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => { flash.hidden = true; }, isError ? 8000 : 4000);
  }

  // A finding saved from the conduct page comes back with ?saved=F-001.
  const saved = new URLSearchParams(window.location.search).get("saved");
  if (saved) show(messages.finding_saved.replace("%(reference)s", saved));

  // Forms that need a confirmation before they delete something.
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Tap a thumbnail to see the photo large, on any page that has the dialog (templates/_photo_view.html);
  // without JavaScript the link opens it.
  const photoView = document.getElementById("photo-view");
  if (photoView) {
    document.addEventListener("click", (event) => {
      const link = event.target.closest("[data-action=enlarge-photo]");
      if (!link) return;
      event.preventDefault();
      document.getElementById("photo-view-image").src = link.href;
      document.getElementById("photo-view-image").alt = link.dataset.caption || "";
      document.getElementById("photo-view-caption").textContent = link.dataset.caption || "";
      photoView.showModal();
    });
    photoView.addEventListener("click", (event) => {
      if (event.target.closest("[data-action=close-dialog]") || event.target === photoView) photoView.close();
    });
  }

  // Form errors reach screen readers: each field with an error message (templates/_macros.html field_error, id
  // "error-<name>") is marked aria-invalid and described by its message, and focus moves to the first such field
  // (or to the first message whose field is not found) when a page or an htmx swap brings errors.
  function markErrors(root) {
    let first = null;
    for (const message of root.querySelectorAll(".field-error[id^='error-']")) {
      const name = message.id.slice("error-".length);
      // The field in the message's own form, or (a message under its form) in the message's container.
      const scope = message.closest("form") || message.parentElement;
      const control = scope.querySelector(`[name="${CSS.escape(name)}"]:not([type=hidden])`);
      if (control) {
        control.setAttribute("aria-invalid", "true");
        const described = (control.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        if (!described.includes(message.id)) control.setAttribute("aria-describedby", [...described, message.id].join(" "));
        first = first || control;
      } else {
        message.tabIndex = -1;
        first = first || message;
      }
    }
    const box = root.querySelector(".error-box, .field-error");
    if (!first && box) { box.tabIndex = -1; first = box; }
    if (first) first.focus();
    return Boolean(first);
  }
  markErrors(document);
  document.addEventListener("htmx:afterSwap", (event) => {
    // An outerHTML swap replaces the target: the new content is the element with the target's id.
    const target = event.detail.target;
    const swapped = target && target.isConnected ? target : target && target.id && document.getElementById(target.id);
    if (!swapped) return;
    // No errors: focus goes to the swapped content (not lost on <body>), unless the user is already inside it.
    if (!markErrors(swapped) && !swapped.contains(document.activeElement)) {
      if (!swapped.hasAttribute("tabindex")) swapped.tabIndex = -1;
      swapped.focus({ preventScroll: true });
    }
  });

  // htmx leaves the form as it is on an error, so nothing typed is lost; say what happened.
  document.addEventListener("htmx:sendError", () => show(messages.offline, true));
  document.addEventListener("htmx:responseError", (event) => {
    let detail = "";
    try { detail = JSON.parse(event.detail.xhr.responseText).detail; } catch {
      const box = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html").querySelector(".error-box p");
      detail = box ? box.textContent : "";
    }
    show(detail || messages.failed, true);
  });
})();
