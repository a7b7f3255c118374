"""An audit's history page (the audit trail)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from auditor.deps import AuditDep, CurrentUser, SessionDep
from auditor.i18n import get_locale
from auditor.services import history
from auditor.templating import render

router = APIRouter()


@router.get("/audits/{audit_id}/history")
def show_history(request: Request, audit: AuditDep, session: SessionDep, user: CurrentUser):
    """Every change to the audit, newest first."""
    events = history.audit_history(session=session, actor=user, audit=audit)
    shown = history.shown(session=session, events=list(reversed(events)), locale=get_locale())
    return render(request, "audits/history.html", {"audit": audit, "events": shown})
