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

  // A search form's Find (or Enter in its field) with htmx: the field asks for its matches (event "find", swapped in
  // by htmx) and the page stays, with whatever the form around it holds as typed. Without this script the search
  // form is sent and the page comes back with the matches (templates/_macros.html organisation_finder).
  document.addEventListener("submit", (event) => {
    const finds = event.target.dataset && event.target.dataset.finds;
    const field = finds && document.getElementById(finds);
    if (!field || !window.htmx) return;
    event.preventDefault();
    window.htmx.trigger(field, "find");
  });

  // A search swaps in the organisation chooser's select with other organisations, one of them now chosen without a
  // "change" event: send one, so that what follows the choice (a form's sites) follows it here too.
  document.addEventListener("htmx:afterSwap", (event) => {
    const chosen = document.getElementById("field-organisation_id");
    const target = event.detail.target;
    if (chosen && target && target.id === "field-organisation_id") chosen.dispatchEvent(new Event("change", { bubbles: true }));
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

  // Form errors reach screen readers without this script: the server marks each field and links it to its message,
  // and the error summary (templates/_macros.html error_summary) is an alert that takes focus on arrival (autofocus).
  // An htmx swap does not honour autofocus, so focus moves here: to the summary the swap brought, or else to the
  // swapped content (not lost on <body>), unless the user is already inside it, or still typing in the field that
  // asked for it (a search field, whose matches are swapped in while typing: templates/_macros.html organisation_chooser).
  // Content marked data-keeps-focus is refreshed beside where the user works (a form's sites as its organisation
  // changes: templates/audits/_sites.html): the focus stays.
  document.addEventListener("htmx:afterSwap", (event) => {
    const asker = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (asker && asker === document.activeElement) return;
    // An outerHTML swap replaces the target: the new content is the element with the target's id.
    const target = event.detail.target;
    const swapped = target && target.isConnected ? target : target && target.id && document.getElementById(target.id);
    if (!swapped || swapped.hasAttribute("data-keeps-focus")) return;
    const summary = swapped.matches(".error-summary") ? swapped : swapped.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    } else if (!swapped.contains(document.activeElement)) {
      if (!swapped.hasAttribute("tabindex")) swapped.tabIndex = -1;
      swapped.focus({ preventScroll: true });
    }
  });

  // htmx leaves the form as it is on an error, so nothing typed is lost; say what happened.
  document.addEventListener("htmx:sendError", () => show(messages.offline, true));
  document.addEventListener("htmx:responseError", (event) => {
    let detail = "";
    try { detail = JSON.parse(event.detail.xhr.responseText).detail; } catch {
      const box = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html").querySelector(".error-box p, .error-summary li");
      detail = box ? box.textContent : "";
    }
    show(detail || messages.failed, true);
  });
})();
