"""An audit's history as its viewers may see it (the trail itself is in services/trail.py)."""

from __future__ import annotations

from sqlmodel import Session

from auditor.models import Audit, AuditEvent, User
from auditor.services import access, trail


def audit_history(*, session: Session, actor: User, audit: Audit, entity: str | None = None, entity_id: str | None = None) -> list[AuditEvent]:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    see_confidential = access.sees_confidential(session=session, user=actor, audit=audit)
    return trail.history(session=session, audit_id=audit.id, see_confidential=see_confidential, entity=entity, entity_id=entity_id)


def audit_history_csv(*, session: Session, actor: User, audit: Audit) -> tuple[str, str]:
    """(file name, CSV text) of the audit's trail. An export never carries confidential content, whoever asks."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.VIEW)
    events = trail.history(session=session, audit_id=audit.id, see_confidential=False)
    return f"audit-{audit.id}-history.csv", trail.as_csv(events)


def case_history(*, session: Session, actor: User, case) -> list[AuditEvent]:
    """Every change to a case and its actions, oldest first (the caller has checked the actor may see the case)."""
    from sqlmodel import or_, select

    from auditor.models import CaseAction

    action_ids = [str(i) for i in session.exec(select(CaseAction.id).where(CaseAction.case_id == case.id))]
    query = select(AuditEvent).where(or_(
        (AuditEvent.entity == "case") & (AuditEvent.entity_id == str(case.id)),
        (AuditEvent.entity == "case_action") & (AuditEvent.entity_id.in_(action_ids)),
    )).order_by(AuditEvent.id)
    return list(session.exec(query))
