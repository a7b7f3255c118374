"""Evidence entries on checklist items: what was read, seen or heard, and from which role."""

from __future__ import annotations

from sqlmodel import Session, select

from auditor.errors import NotFound
from auditor.models import Audit, Evidence
from auditor.schemas import EvidenceIn
from auditor.i18n import N_
from auditor.services.audits import ensure_open, get_in_audit
from auditor.services.checklists import audit_structure


def add_evidence(*, session: Session, audit: Audit, item_id: str, data: EvidenceIn) -> Evidence:
    ensure_open(audit)
    if item_id not in audit_structure(session=session, audit_id=audit.id).items:
        raise NotFound("This audit has no checklist item with this id.")
    entry = Evidence(audit_id=audit.id, item_id=item_id, **data.model_dump())
    session.add(entry)
    session.commit()
    return entry


def list_evidence(*, session: Session, audit: Audit, item_id: str | None = None) -> list[Evidence]:
    query = select(Evidence).where(Evidence.audit_id == audit.id)
    if item_id is not None:
        query = query.where(Evidence.item_id == item_id)
    return list(session.exec(query.order_by(Evidence.id)))


def delete_evidence(*, session: Session, audit: Audit, evidence_id: int) -> Evidence:
    ensure_open(audit)
    entry = get_in_audit(session=session, audit=audit, model=Evidence, row_id=evidence_id, missing=N_("No evidence with this id in this audit."))
    session.delete(entry)
    session.commit()
    return entry

