"""Evidence entries on checklist items: what was read, seen or heard, and from which role."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import false
from sqlmodel import Session, select

from auditor.errors import NotFound
from auditor.i18n import N_
from auditor.models import Audit, Evidence, User
from auditor.paging import Page, PageRequest, page_of
from auditor.schemas import EvidenceIn
from auditor.services import access, sync, trail
from auditor.services.audits import ensure_open, get_in_audit
from auditor.services.checklists import audit_structure


def add_evidence(
    *, session: Session, actor: User, audit: Audit, item_id: str, data: EvidenceIn, client_id: UUID | None = None
) -> Evidence:
    """Record evidence on an item; sent again with the same `client_id`, the entry stored the first time."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    if (
        stored := sync.earlier(session=session, model=Evidence, client_id=client_id, actor=actor, audit=audit)
    ) is not None:
        return stored
    ensure_open(audit)
    if item_id not in audit_structure(session=session, audit=audit).items:
        raise NotFound("This audit has no checklist item with this id.")
    entry = Evidence(
        audit_id=audit.id,
        item_id=item_id,
        created_by_id=actor.id,
        client_id=sync.stored_id(client_id),
        **data.model_dump(include=set(EvidenceIn.model_fields)),
    )
    if (stored := sync.insert(session=session, row=entry, actor=actor, audit=audit)) is not entry:
        return stored
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="evidence",
        entity_id=entry.id,
        audit_id=audit.id,
        after=trail.snapshot("evidence", entry),
        confidential=entry.confidential,
    )
    return entry


def list_evidence(
    *, session: Session, actor: User | None, audit: Audit, item_id: str | None = None, page: PageRequest | None = None
) -> Page[Evidence]:
    """Evidence the actor may see, oldest first: confidential entries only for the audit team. With no actor (a
    report), confidential entries are always left out. One page of it, or all without `page`."""
    query = select(Evidence).where(Evidence.audit_id == audit.id)
    if item_id is not None:
        query = query.where(Evidence.item_id == item_id)
    if not access.sees_confidential(session=session, user=actor, audit=audit):
        query = query.where(Evidence.confidential == false())
    return page_of(session, query.order_by(Evidence.id), page)


def delete_evidence(*, session: Session, actor: User, audit: Audit, evidence_id: int) -> Evidence:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    ensure_open(audit)
    entry = get_in_audit(
        session=session,
        audit=audit,
        model=Evidence,
        row_id=evidence_id,
        missing=N_("No evidence with this id in this audit."),
    )
    if entry.confidential and not access.sees_confidential(session=session, user=actor, audit=audit):
        raise NotFound(N_("No evidence with this id in this audit."))
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="evidence",
        entity_id=entry.id,
        audit_id=audit.id,
        before=trail.snapshot("evidence", entry),
        confidential=entry.confidential,
    )
    session.delete(entry)
    return entry
