"""Field mode's addresses of its own: the service worker (at the root, so it may serve every page), the page it shows
for a page that is not available offline, and the answers' colours (part of the shell every page needs)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import Response

from auditor import __version__
from auditor.i18n import LOCALES, set_locale
from auditor.paths import STATIC_DIR
from auditor.templating import render
from auditor.vocabulary import colours_css

router = APIRouter()

# Everything a page needs to start without the network; the stored pages and photos of an audit are not here but in
# the user's own cache (field.mjs).
SHELL_PATTERNS = ("*.css", "*.js", "*.mjs", "vendor/*", "fonts/*", "icons/*")
OFFLINE_PAGE = "/offline"
COLOURS_CSS = "/colours.css"


@lru_cache(maxsize=1)
def service_worker_source() -> tuple[str, str]:
    """The worker's code with the shell's file list and version (a hash of the app version and every shell file:
    any change to a static file installs a new worker, which replaces the old caches)."""
    files = sorted(
        {
            path
            for pattern in SHELL_PATTERNS
            for path in STATIC_DIR.glob(pattern)
            if path.is_file() and path.name != "sw.js"
        }
    )
    digest = hashlib.sha256(__version__.encode())
    for path in files:
        digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(colours_css().encode())
    version = digest.hexdigest()[:16]
    # The offline page once per language: the worker serves the one of the language the user last chose.
    urls = [f"/static/{path.relative_to(STATIC_DIR).as_posix()}" for path in files] + [
        COLOURS_CSS,
        *(f"{OFFLINE_PAGE}?lang={locale}" for locale in LOCALES),
    ]
    prelude = f"const SHELL_VERSION = {json.dumps(version)};\nconst SHELL_FILES = {json.dumps(urls)};\n"
    return prelude + (STATIC_DIR / "sw.js").read_text(encoding="utf-8"), version


@router.get("/sw.js")
def show_service_worker() -> Response:
    """The service worker, for scope `/`; the browser checks it for a new version on every visit."""
    source, version = service_worker_source()
    return Response(
        source,
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache", "ETag": f'"{version}"'},
    )


@router.get(COLOURS_CSS)
def show_colours() -> Response:
    """The answers' colours from the vocabulary as CSS custom properties (app.css uses them)."""
    return Response(colours_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get(OFFLINE_PAGE)
def show_offline(request: Request, lang: str | None = None):
    """What a page that is not stored on this tablet shows while offline: the audits that are, with links. `lang`
    (da, en) chooses the language, whatever the cookie says: the worker stores the page in each language."""
    if lang in LOCALES:
        request.state.locale = lang
        set_locale(lang)
    return render(request, "offline.html", {"user": None})
