// sw.js: the field mode's service worker, served at /sw.js (scope /) by auditor/routes/web/field.py, which puts
// SHELL_VERSION (a hash of the static files) and SHELL_FILES in front of this file.
// - The app shell (CSS, JS, vendored libraries, the offline page) is cached per version; an update installs the
//   new shell and removes the old caches on activate. Queued changes live in IndexedDB, which an update never touches.
// - Pages and photo thumbnails of audits made available offline live in a cache per user ("auditor-pages-<user>"),
//   filled by the pages (field.mjs); this worker only serves from the signed-in user's cache, and refreshes a
//   stored page whenever it comes from the network.
// - Any other page while offline: our offline page (stored in each language; served in the language of the user's
//   last page), which lists what is available offline.
/* global SHELL_VERSION, SHELL_FILES */
"use strict";

const SHELL_CACHE = `auditor-shell-${SHELL_VERSION}`;
const PAGES_PREFIX = "auditor-pages-";
const OFFLINE_PAGE = "/offline";
const STORED = /^\/(audits\/\d+(\/(conduct|findings))?|api\/v1\/audits\/\d+\/photos\/\d+\/thumbnail\.jpg)$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL_FILES.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("auditor-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The signed-in user as the pages last recorded it (field.mjs writes it to IndexedDB on every page). */
function currentUser() {
  return tabletValue("user");
}

/** What field.mjs recorded on this tablet: "user" (who is signed in), "lang" (the language of their last page). */
function tabletValue(key) {
  return new Promise((resolve) => {
    const opening = indexedDB.open("auditor-field", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("tablet");
    opening.onerror = () => resolve(null);
    opening.onsuccess = () => {
      const db = opening.result;
      try {
        const reading = db.transaction("tablet").objectStore("tablet").get(key);
        reading.onsuccess = () => { db.close(); resolve(reading.result || null); };
        reading.onerror = () => { db.close(); resolve(null); };
      } catch {
        db.close();
        resolve(null);
      }
    };
  });
}

async function fromUserCache(request) {
  const user = await currentUser();
  if (!user) return undefined;
  const cache = await caches.open(PAGES_PREFIX + user);
  return cache.match(request, { ignoreSearch: true });
}

async function refreshUserCache(request, response) {
  const user = await currentUser();
  if (!user || !(await caches.has(PAGES_PREFIX + user))) return;
  const cache = await caches.open(PAGES_PREFIX + user);
  if (await cache.match(request, { ignoreSearch: true })) await cache.put(new URL(request.url).pathname, response);
}

async function page(event) {
  const { request } = event;
  try {
    const response = await fetch(request);
    const path = new URL(request.url).pathname;
    if (response.ok && !response.redirected && STORED.test(path)) event.waitUntil(refreshUserCache(request, response.clone()));
    return response;
  } catch {
    const stored = await fromUserCache(request);
    if (stored) return stored;
    const shell = await caches.open(SHELL_CACHE);
    const lang = (await tabletValue("lang")) || "da";
    return (await shell.match(`${OFFLINE_PAGE}?lang=${lang}`)) || (await shell.match(OFFLINE_PAGE, { ignoreSearch: true })) || Response.error();
  }
}

async function shellFile(request) {
  const shell = await caches.open(SHELL_CACHE);
  const cached = await shell.match(request, { ignoreSearch: true });
  return cached || fetch(request);
}

async function thumbnail(request) {
  try {
    return await fetch(request);
  } catch {
    return (await fromUserCache(request)) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.startsWith("/static/") || url.pathname === "/colours.css") {
    event.respondWith(shellFile(request));
  } else if (/^\/api\/v1\/audits\/\d+\/photos\/\d+\/thumbnail\.jpg$/.test(url.pathname)) {
    event.respondWith(thumbnail(request));
  }
});
