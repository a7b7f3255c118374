"""Histories as their viewers may see them (the trail itself is in services/trail.py).

Every history and export is read here, and each applies the one rule on confidential entries
(access.sees_confidential): for anyone outside the audit team every field of a confidential evidence or photo
entry is blanked, and an export never carries one, whoever asks."""

from __future__ import annotations

from sqlmodel import Session, or_, select

from auditor.models import Audit, AuditEvent, Case, CaseAction, User
from auditor.paging import Page, PageRequest, page_of
from auditor.services import access, trail


def _shown(events: list[AuditEvent], see_confidential: bool) -> list[AuditEvent]:
    return events if see_confidential else [trail.redacted(event) if event.confidential else event for event in events]


def audit_history(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    entity: str | None = None,
    entity_id: str | None = None,
    page: PageRequest | None = None,
    newest_first: bool = False,
) -> Page[AuditEvent]:
    """The audit's events, oldest (or newest) first: all of them, or one entity's; one page of them with `page`."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    query = trail.history_query(audit_id=audit.id, entity=entity, entity_id=entity_id, newest_first=newest_first)
    found = page_of(session, query, page)
    return found.with_items(_shown(found.items, access.sees_confidential(session=session, user=actor, audit=audit)))


def audit_history_csv(*, session: Session, actor: User, audit: Audit) -> tuple[str, str]:
    """(file name, CSV text) of the audit's trail. An export never carries confidential content, whoever asks."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    events = trail.history(session=session, audit_id=audit.id)
    return f"audit-{audit.id}-history.csv", trail.as_csv(
        _shown(events, access.sees_confidential(session=session, user=None, audit=audit))
    )


def case_history(*, session: Session, actor: User, case: Case) -> list[AuditEvent]:
    """Every change to a case and its actions, oldest first (the caller has checked the actor may see the case)."""
    action_ids = [str(i) for i in session.exec(select(CaseAction.id).where(CaseAction.case_id == case.id))]
    query = (
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.entity == "case") & (AuditEvent.entity_id == str(case.id)),
                (AuditEvent.entity == "case_action") & (AuditEvent.entity_id.in_(action_ids)),
            )
        )
        .order_by(AuditEvent.id)
    )
    audit = session.get(Audit, case.audit_id) if case.audit_id is not None else None
    return _shown(
        list(session.exec(query)),
        audit is not None and access.sees_confidential(session=session, user=actor, audit=audit),
    )
