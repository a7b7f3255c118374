"""The Jinja environment: translations, the domain vocabulary and small formatting filters."""

from __future__ import annotations

from datetime import date, datetime

import jinja2
from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from auditor import __version__, vocabulary
from auditor.i18n import format_day, get_locale, gettext, localized, ngettext
from auditor.paths import TEMPLATES_DIR
from auditor.security import csrf_token
from auditor.services import access

env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True, extensions=["jinja2.ext.i18n"])
templates = Jinja2Templates(env=env)
env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
env.globals.update(
    vocabulary=vocabulary,
    clause_label=vocabulary.clause_label,
    localized=localized,
    get_locale=get_locale,
    app_version=__version__,
)


def _label(choice_vocabulary: vocabulary.Vocabulary, value: str | None, short: bool = False) -> str:
    if not value or value not in choice_vocabulary:
        return ""
    choice = choice_vocabulary[value]
    return gettext(choice.short if short and choice.short else choice.label)


env.filters.update(
    label=_label,
    plan_role=lambda role: vocabulary.plan_role(role, gettext),
    day=lambda value: format_day(value, get_locale(), short_month=True) if isinstance(value, date) else "",
    clock=lambda value: format_time(value, "HH:mm", locale=get_locale()) if value else "",
    moment=lambda value: format_datetime(value, "medium", locale=get_locale()) if isinstance(value, datetime) else "",
    number=lambda value: format_decimal(value, "#,##0.##", locale=get_locale()) if value is not None else "–",
)


def render(
    request: Request, name: str, context: dict | None = None, status_code: int = 200, headers: dict | None = None
) -> HTMLResponse:
    """Render a page or fragment; the locale, the request, the user (with the parts of the app the top bar offers
    them) and the CSRF token are always in the context."""
    user = getattr(request.state, "user", None)
    context = {
        "request": request,
        "locale": get_locale(),
        "user": user,
        "menu": access.menu(user) if user else None,
        "csrf_token": csrf_token(request),
        **(context or {}),
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code, headers=headers)
