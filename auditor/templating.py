"""The Jinja environment: translations, the domain vocabulary and small formatting filters."""

from __future__ import annotations

from datetime import date, datetime

import jinja2
from babel.numbers import format_decimal
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from auditor import __version__, vocabulary
from auditor.i18n import (
    N_,
    REPORT_TIME_ZONE,
    format_clock,
    format_day,
    format_moment,
    get_locale,
    gettext,
    localized,
    ngettext,
)
from auditor.paths import TEMPLATES_DIR
from auditor.security import csrf_token
from auditor.services import access
from auditor.services.history import FIELD_LABELS

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


# A form field's label by its name, for the error summary (templates/_macros.html): the history's labels, and the
# fields that only forms have.
FORM_LABELS = {
    **FIELD_LABELS,
    "cvr": N_("CVR number"),
    "address": N_("Address"),
    "p_number": N_("P-number"),
    "site": N_("New site"),
    "lead_auditor_id": N_("Lead auditor"),
    "team_ids": N_("Audit team"),
    "checklists": N_("Checklists"),
    "source": N_("Source"),
    "current_password": N_("Current password"),
    "new_password": N_("New password"),
    "password": N_("New password"),
    "repeat_password": N_("New password again"),
    "needs_action": N_("Needs action"),
    "production_units": N_("Production units"),
    "audit_id": N_("Verify in another audit"),
    "no_correction": N_("No correction applies"),
    "cause": N_("Root cause"),
    "reason": N_("Why the plan was returned"),
    "adjustments": N_("Adjustments"),
    "override_reason": N_("Reason to override the team check"),
}

UNKNOWN_FIELD = N_("A field")


def field_label(name: str) -> str:
    """The label of the form field `name`, in the request's language (tests/test_forms.py checks that every field a
    template marks has one)."""
    return gettext(FORM_LABELS.get(name, UNKNOWN_FIELD))


env.globals["field_label"] = field_label


def _label(choice_vocabulary: vocabulary.Vocabulary, value: str | None, short: bool = False) -> str:
    if not value or value not in choice_vocabulary:
        return ""
    choice = choice_vocabulary[value]
    return gettext(choice.short if short and choice.short else choice.label)


env.filters.update(
    label=_label,
    plan_role=lambda role: vocabulary.plan_role(role, gettext),
    day=lambda value: format_day(value, get_locale(), short_month=True) if isinstance(value, date) else "",
    clock=lambda value: format_clock(value, get_locale()) if value else "",
    moment=lambda value: format_moment(value, get_locale(), REPORT_TIME_ZONE) if isinstance(value, datetime) else "",
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
