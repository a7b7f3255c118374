"""Findings: nonconformities, observations, OFIs and good practice raised in an audit."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from auditor import vocabulary as v
from auditor.errors import Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, Finding, User, utcnow
from auditor.schemas import FindingIn
from auditor.services import access, audits, cases, numbering, photos, sync, trail
from auditor.services.audits import ensure_open, get_in_audit
from auditor.services.checklists import audit_structure
from auditor.services.filters import clause_condition


def finding_reference(finding: Finding) -> str:
    return f"F-{finding.number:03d}"


def draft_finding(*, session: Session, audit: Audit, item_id: str | None, kind: str | None = None) -> dict:
    """Form values for a new finding, prefilled from the checklist item it is raised on: its clauses, and its tags as
    suggestions only (`suggested_tags`); a finding's own tags are the ones a person confirms. The sites are the audit's
    only site, if it has one."""
    draft: dict[str, object] = {
        "item_id": item_id,
        "kind": kind or "",
        "clauses": [],
        "requirement": "",
        "statement": "",
        "evidence": "",
        "tags": {},
        "suggested_tags": {},
        "site_ids": default_sites(session=session, audit=audit),
    }
    if item_id:
        placed = audit_structure(session=session, audit=audit).items.get(item_id)
        if placed is None:
            raise NotFound("This audit has no checklist item with this id.")
        if placed.item.is_step:
            raise Invalid("A step of the audit is the auditor's own work: no finding is raised on it.", field="item_id")
        tags = placed.item.tags
        draft.update(
            clauses=list(placed.item.clauses),
            suggested_tags={"bek1406": tags.bek1406, "hazards": tags.hazards, "actors": tags.actors},
        )
    return draft


def default_sites(*, session: Session, audit: Audit) -> list[int]:
    """The sites a finding concerns when nobody says: the audit's only site; none (not stated) when it has several."""
    sites = audits.audit_sites(session=session, audit=audit)
    return [sites[0].id] if len(sites) == 1 else []


def _check_sites(session: Session, audit: Audit, site_ids: list[int]) -> list[int]:
    audited = {site.id for site in audits.audit_sites(session=session, audit=audit)}
    chosen = list(dict.fromkeys(site_ids))
    if any(site_id not in audited for site_id in chosen):
        raise Invalid("Choose the finding's sites among the audit's sites.", field="site_ids")
    return chosen


def create_finding(
    *,
    session: Session,
    actor: User,
    audit: Audit,
    data: FindingIn,
    client_id: UUID | None = None,
    photo_ids: Sequence[int] = (),
) -> Finding:
    """Raise a finding (a nonconformity opens its case) with copies of the audit's photos `photo_ids`; sent again with
    the same `client_id`, the finding raised the first time (nothing copied again). Its tags are the ones sent (none:
    the item's are only suggestions); its sites the ones sent, else the audit's only site."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    if (
        stored := sync.earlier(session=session, model=Finding, client_id=client_id, actor=actor, audit=audit)
    ) is not None:
        return stored
    ensure_open(audit)
    _check_kind(audit, data.kind)
    draft = draft_finding(session=session, audit=audit, item_id=data.item_id)
    finding = Finding(
        audit_id=audit.id,
        number=numbering.next_finding_number(session=session, audit_id=audit.id),
        item_id=data.item_id,
        kind=data.kind,
        clauses=data.clauses if data.clauses is not None else draft["clauses"],
        requirement=data.requirement,
        statement=data.statement,
        evidence=data.evidence,
        tags=data.tags.model_dump() if data.tags is not None else {},
        site_ids=_check_sites(session, audit, data.site_ids) if data.site_ids is not None else draft["site_ids"],
        created_by_id=actor.id,
        client_id=sync.stored_id(client_id),
    )
    if (stored := sync.insert(session=session, row=finding, actor=actor, audit=audit)) is not finding:
        return stored
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="finding",
        entity_id=finding.id,
        audit_id=audit.id,
        after=trail.snapshot("finding", finding),
    )
    cases.open_case_for_finding(
        session=session, actor=actor, audit=audit, finding=finding
    )  # every nonconformity opens a case
    photos.carry_to_finding(session=session, actor=actor, audit=audit, finding=finding, photo_ids=photo_ids)
    return finding


def update_finding(*, session: Session, actor: User, audit: Audit, finding: Finding, data: FindingIn) -> Finding:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    ensure_open(audit)
    _check_kind(audit, data.kind)
    before = trail.snapshot("finding", finding)
    if data.item_id != finding.item_id:
        draft_finding(session=session, audit=audit, item_id=data.item_id)  # the item must exist
    finding.item_id = data.item_id
    finding.kind = data.kind
    if data.clauses is not None:
        finding.clauses = data.clauses
    if data.tags is not None:
        finding.tags = data.tags.model_dump()
    if data.site_ids is not None:
        finding.site_ids = _check_sites(session, audit, data.site_ids)
    finding.requirement, finding.statement, finding.evidence = data.requirement, data.statement, data.evidence
    finding.updated_at = utcnow()
    session.add(finding)
    trail.record(
        session=session,
        actor=actor,
        action="update",
        entity="finding",
        entity_id=finding.id,
        audit_id=audit.id,
        before=before,
        after=trail.snapshot("finding", finding),
    )
    cases.follow_finding_change(session=session, actor=actor, audit=audit, finding=finding)
    return finding


def delete_finding(*, session: Session, actor: User, audit: Audit, finding: Finding) -> None:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.CONDUCT)
    ensure_open(audit)
    cases.release_finding(session=session, actor=actor, finding=finding)
    photos.delete_finding_photos(session=session, actor=actor, audit=audit, finding_id=finding.id)
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="finding",
        entity_id=finding.id,
        audit_id=audit.id,
        before=trail.snapshot("finding", finding),
    )
    session.delete(finding)


def get_finding(*, session: Session, audit: Audit, finding_id: int) -> Finding:
    return get_in_audit(
        session=session,
        audit=audit,
        model=Finding,
        row_id=finding_id,
        missing=N_("No finding with this id in this audit."),
    )


def list_findings(
    *, session: Session, audit: Audit, kind: str | None = None, clause: str | None = None
) -> list[Finding]:
    """Findings of an audit by number; `clause` matches a clause and its sub-clauses ('6.1' finds '45003:6.1.2')."""
    return list(session.exec(findings_query(audit=audit, kind=kind, clause=clause)))


def findings_query(*, audit: Audit, kind: str | None = None, clause: str | None = None) -> SelectOfScalar[Finding]:
    """The query of list_findings, for a page of it (paging.page_of)."""
    query = select(Finding).where(Finding.audit_id == audit.id).order_by(Finding.number)
    if kind:
        query = query.where(Finding.kind == kind)
    if clause:
        query = query.where(clause_condition(Finding.clauses, clause))
    return query


def _check_kind(audit: Audit, kind: str) -> None:
    if kind not in {c.value for c in v.finding_kinds_for(audit.audit_type)}:
        raise Invalid("An ungraded nonconformity is for internal audits; grade it major or minor.", field="kind")
