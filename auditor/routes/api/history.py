"""The audit trail of an audit."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import AuditDep, CurrentUser, PageDep, SessionDep, send_page
from auditor.i18n import get_locale
from auditor.routes.api.refusals import NAMED
from auditor.routes.downloads import Language, attachment
from auditor.schemas import AuditEventOut
from auditor.services import history
from auditor.vocabulary import TrailEntity

router = APIRouter(tags=["history"], responses=NAMED)


@router.get("/audits/{audit_id}/history")
def list_history(
    request: Request,
    response: Response,
    audit: AuditDep,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    entity: TrailEntity | None = None,
    entity_id: str | None = None,
) -> list[AuditEventOut]:
    """Every change to the audit, oldest first: who, when, what, before and after; paged (Link and X-Total-Count
    headers)."""
    found = history.audit_history(
        session=session, actor=user, audit=audit, entity=entity, entity_id=entity_id, page=page
    )
    return send_page(
        found.with_items([AuditEventOut.model_validate(event, from_attributes=True) for event in found.items]),
        request,
        response,
    )


@router.get("/audits/{audit_id}/history.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_history(audit: AuditDep, session: SessionDep, user: CurrentUser, lang: Language | None = None) -> Response:
    """The audit trail as CSV, one row per changed field, with labels and values in `lang` (else the request's
    language): who, when, what changed and how, each field's value before and after. Never confidential content."""
    filename, content = history.audit_history_csv(session=session, actor=user, audit=audit, locale=lang or get_locale())
    return attachment(content, filename, "text/csv; charset=utf-8")
