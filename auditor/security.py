"""Cookies, CSRF and security headers.

CSRF: a signed double-submit token. A random value lives in an HttpOnly cookie; pages carry
HMAC(secret key, value), which forms send as `csrf_token` and htmx / fetch send as `X-CSRF-Token`.
A state-changing request made with the session cookie must carry it; API calls with a Bearer token need not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from http.cookies import SimpleCookie

from fastapi import Request
from starlette.datastructures import MutableHeaders

from auditor.errors import CsrfFailed
from auditor.i18n import N_

SESSION_COOKIE = "auditor_session"
CSRF_COOKIE = "auditor_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this page must send back; creates the cookie value on first use (set by the middleware)."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_value", None)
    if not value:
        value = request.state.new_csrf_value = secrets.token_urlsafe(32)
    return _sign(request.app.state.settings.secret_key, value)


def check_csrf(request: Request, submitted: str | None) -> None:
    value = request.cookies.get(CSRF_COOKIE)
    expected = _sign(request.app.state.settings.secret_key, value) if value else None
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfFailed(
            N_(
                "This form has expired or did not come from this site. Reload the page and try again; what you typed in the page is kept."
            )
        )


async def submitted_csrf_token(request: Request) -> str | None:
    """The token from the header, or from the form body (Starlette caches the parsed form for the handler)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return str(value) if value else None
    return None


def cookie_is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.env == "production"


# Sent on every response, unless the response set its own.
SECURITY_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
)
# Never kept by a cache: every page and every answer of these paths, which may hold what only the user may see.
UNCACHED_PATHS = ("/api/", "/audits", "/account", "/users")


def finish_response(request: Request, headers: MutableHeaders) -> None:
    """Security headers on every response, and the CSRF cookie when a page created one. On every response, so the
    headers are read once (not searched once for each added)."""
    present = {name.decode("latin-1") for name, _ in headers.raw}
    for name, header in SECURITY_HEADERS:
        if name not in present:
            headers.append(name, header)
    if "cache-control" not in present and (
        request.scope["path"].startswith(UNCACHED_PATHS) or headers.get("content-type", "").startswith("text/html")
    ):
        headers.append("cache-control", "no-store")
    new_value = getattr(request.state, "new_csrf_value", None)
    if new_value:
        cookie: SimpleCookie = SimpleCookie()
        cookie[CSRF_COOKIE] = new_value
        morsel = cookie[CSRF_COOKIE]
        for attribute, value in (
            ("httponly", True),
            ("samesite", "lax"),
            ("secure", cookie_is_secure(request)),
            ("path", "/"),
        ):
            morsel[attribute] = value  # one by one: Morsel.update() is typed for strings, and the flags are booleans
        headers.append("set-cookie", cookie.output(header="").strip())
