"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor.deps import SessionDep, SettingsDep, SubmittedCsrf
from auditor.errors import Unauthenticated
from auditor.routes.errors import message_of
from auditor.routes.web.forms import FormDep, form_fields
from auditor.security import SESSION_COOKIE, check_csrf, cookie_is_secure
from auditor.services import accounts
from auditor.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def show_login(request: Request, session: SessionDep, next: str | None = None, expired: bool = False):
    """The login page; on a fresh installation it says how to create the first administrator."""
    return render(
        request,
        "auth/login.html",
        {
            "next": _safe_next(next),
            "expired": expired,
            "first_run": not accounts.has_users(session=session),
            "error": None,
            "email": "",
        },
    )


@router.post("/login")
def log_in(request: Request, session: SessionDep, settings: SettingsDep, submitted: FormDep, csrf: SubmittedCsrf):
    """Check the e-mail and password and start a session."""
    check_csrf(request, csrf)
    form = form_fields(submitted)
    target = _safe_next(form.get("next"))
    address = request.client.host if request.client else "unknown"
    try:
        login = accounts.log_in(
            session=session,
            email=str(form.get("email", "")),
            password=str(form.get("password", "")),
            address=address,
            lifetime=settings.session_lifetime,
        )
    except Unauthenticated as error:
        context = {
            "next": target,
            "expired": False,
            "first_run": False,
            "error": message_of(error),
            "email": form.get("email", ""),
        }
        return render(request, "auth/login.html", context, status_code=401)
    response = RedirectResponse(
        "/account?must_change=1" if login.user.must_change_password else target, status_code=303
    )
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=int(settings.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request),
        path="/",
    )
    return response


@router.post("/logout")
def log_out(request: Request, session: SessionDep, csrf: SubmittedCsrf):
    """End this session."""
    check_csrf(request, csrf)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.log_out(session=session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    # The browser's HTTP cache (photos, pages) goes too: the next person on a shared tablet must not find them.
    # Not "storage": unsynced notes wait there, and the conduct page's drafts are the field mode's to clear.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
