"""Your own account: password, personal API tokens, calendar feeds and e-mail reminders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor.deps import CurrentUser, PathId, SessionDep
from auditor.errors import Invalid
from auditor.i18n import get_locale
from auditor.routes.web.forms import FormDep, check_fields, form_fields, invalid_errors
from auditor.schemas import TokenIn
from auditor.security import SESSION_COOKIE
from auditor.services import access, accounts, calendar, reminders
from auditor.templating import render

router = APIRouter()


def _account_context(session, user, **extra) -> dict:
    tokens = accounts.list_tokens(session=session, user=user)
    return {
        "tokens": tokens,
        "feeds": calendar.list_feeds(session=session, user=user),
        "new_feed_url": None,
        "reminders_off": reminders.turned_off(session=session, user=user),
        "reminders_saved": False,
        "active_tokens": sum(token.revoked_at is None for token in tokens),
        "errors": {},
        "new_token": None,
        "must_change": user.must_change_password,
        "password_changed": False,
        "has_auditor_record": access.has_auditor_record(user),
        **extra,
    }


@router.get("/account")
def show_account(request: Request, session: SessionDep, user: CurrentUser):
    """Change your password; create and revoke API tokens."""
    return render(request, "account/show.html", _account_context(session, user))


@router.post("/account/password")
def change_password(request: Request, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Set a new password."""
    form = form_fields(submitted)
    new, repeated = str(form.get("new_password", "")), str(form.get("repeat_password", ""))
    try:
        if new != repeated:
            raise Invalid("The two new passwords are not the same.", field="repeat_password")
        accounts.change_password(
            session=session,
            user=user,
            current=str(form.get("current_password", "")),
            new=new,
            session_token=request.cookies.get(SESSION_COOKIE),
            revoke_tokens=form.get("revoke_tokens") == "on",
        )
    except Invalid as error:
        return render(
            request, "account/show.html", _account_context(session, user, errors=invalid_errors(error)), status_code=422
        )
    return render(request, "account/show.html", _account_context(session, user, password_changed=True))


@router.post("/account/tokens")
def create_token(request: Request, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Create a personal API token; it is shown once."""
    form = form_fields(submitted)
    try:
        check_fields(TokenIn, form)
    except Invalid as error:
        return render(
            request, "account/show.html", _account_context(session, user, errors=invalid_errors(error)), status_code=422
        )
    _, token = accounts.create_token(session=session, user=user, name=str(form.get("name", "API")))
    return render(request, "account/show.html", _account_context(session, user, new_token=token))


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: PathId, session: SessionDep, user: CurrentUser):
    """Revoke one of your API tokens."""
    accounts.revoke_token(session=session, actor=user, token_id=token_id)
    return RedirectResponse("/account#tokens", status_code=303)


@router.post("/account/calendar-feeds")
def create_calendar_feed(request: Request, session: SessionDep, user: CurrentUser):
    """Make a calendar feed address (in the language you use now); it is shown once."""
    _, token = calendar.create_feed(session=session, user=user, language=get_locale())
    url = str(request.url_for("read_feed", token=token))
    return render(request, "account/show.html", _account_context(session, user, new_feed_url=url))


@router.post("/account/calendar-feeds/{feed_id}/revoke")
def revoke_calendar_feed(feed_id: PathId, session: SessionDep, user: CurrentUser):
    """Revoke one of your calendar feeds: calendar programs that hold its address get nothing more."""
    calendar.revoke_feed(session=session, actor=user, feed_id=feed_id)
    return RedirectResponse("/account#calendar", status_code=303)


@router.post("/account/reminders")
def choose_reminders(request: Request, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Choose which e-mail reminders you get, and their language."""
    form = form_fields(submitted, lists=("kinds",))
    wanted, language = {str(kind) for kind in form.get("kinds", [])}, str(form.get("language", user.language))
    reminders.choose(session=session, user=user, wanted=wanted, language=language)
    return render(request, "account/show.html", _account_context(session, user, reminders_saved=True))
