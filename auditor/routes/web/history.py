"""An audit's history page (the audit trail)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from auditor.deps import AuditDep, CurrentUser, PageDep, SessionDep
from auditor.i18n import get_locale
from auditor.services import history
from auditor.templating import render

router = APIRouter()


@router.get("/audits/{audit_id}/history")
def show_history(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser, page: PageDep):
    """Every change to the audit, newest first, a page at a time."""
    found = history.audit_history(session=session, actor=user, audit=audit, page=page, newest_first=True)
    shown = history.shown(session=session, events=found.items, locale=get_locale())
    return render(request, "audits/history.html", {"audit": audit, "events": shown, "page": found})
