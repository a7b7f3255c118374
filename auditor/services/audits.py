"""Planning audits: create, change, move through their status, and the audit plan's agenda."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.checklists import Library
from auditor.errors import Conflict, Invalid, NotFound
from auditor.i18n import N_
from auditor.models import Audit, AuditChecklist, AuditSite, ChecklistSnapshot, Organisation, PlanEntry, Response, Site, utcnow
from auditor.schemas import AuditIn, AuditUpdate, PlanEntryIn, Progress
from auditor.services.checklists import snapshot_for
from auditor.services.organisations import find_or_add_site, get_organisation

Row = TypeVar("Row")


def create_audit(*, session: Session, data: AuditIn, library: Library) -> Audit:
    """Plan an audit; its checklists are frozen as they are in the library now."""
    try:
        organisation = get_organisation(session=session, organisation_id=data.organisation_id)
    except NotFound:
        raise Invalid("There is no organisation with id {id}.", field="organisation_id", id=data.organisation_id) from None
    checklist_ids = list(dict.fromkeys(data.checklists))
    unknown = [cid for cid in checklist_ids if library.get(cid) is None]
    if unknown:
        raise Invalid("Unknown checklist: {id}.", field="checklists", id=unknown[0])
    sites = _sites(session=session, organisation=organisation, site_ids=data.site_ids)
    if data.site:
        site = find_or_add_site(session=session, organisation=organisation, name=data.site)
        if site not in sites:
            sites.append(site)

    audit = Audit(**data.model_dump(exclude={"site", "site_ids", "checklists"}))
    session.add(audit)
    session.flush()
    for site in sites:
        session.add(AuditSite(audit_id=audit.id, site_id=site.id))
    for position, checklist_id in enumerate(checklist_ids):
        snapshot = snapshot_for(session=session, loaded=library.get(checklist_id))
        session.add(AuditChecklist(audit_id=audit.id, snapshot_id=snapshot.id, position=position))
        audit.item_total += snapshot.item_count
    # Every audit opens and closes with a meeting (ISO 19011 6.4.3, 6.4.10); the auditor adjusts the times.
    session.add(PlanEntry(audit_id=audit.id, day=audit.start_date, start_time=time(8, 30), kind="opening_meeting", activity="", auditor=audit.lead_auditor))
    session.add(PlanEntry(audit_id=audit.id, day=audit.end_date, start_time=time(15, 0), kind="closing_meeting", activity="", auditor=audit.lead_auditor))
    session.commit()
    return audit


def _sites(*, session: Session, organisation: Organisation, site_ids: list[int]) -> list[Site]:
    sites = []
    for site_id in dict.fromkeys(site_ids):
        site = session.get(Site, site_id)
        if site is None or site.organisation_id != organisation.id:
            raise Invalid("Site {id} does not belong to this organisation.", field="site_ids", id=site_id)
        sites.append(site)
    return sites


def ensure_open(audit: Audit) -> None:
    """Refuse changes to a closed audit."""
    if audit.status == "closed":
        raise Conflict("The audit is closed; reopen it to make changes.")


def get_in_audit(*, session: Session, audit: Audit, model: type[Row], row_id: int, missing: str) -> Row:
    """A row of `model` that belongs to this audit, or NotFound with the `missing` message."""
    row = session.get(model, row_id)
    if row is None or row.audit_id != audit.id:
        raise NotFound(missing)
    return row


def get_audit(*, session: Session, audit_id: int) -> Audit:
    audit = session.get(Audit, audit_id)
    if audit is None:
        raise NotFound("No audit with this id.")
    return audit


def update_audit(*, session: Session, audit: Audit, data: AuditUpdate) -> Audit:
    ensure_open(audit)
    changes = data.model_dump(exclude_unset=True, exclude={"site_ids"})
    start, end = changes.get("start_date", audit.start_date), changes.get("end_date", audit.end_date)
    if end < start:
        raise Invalid("The end date cannot be before the start date.", field="end_date")
    for name, value in changes.items():
        if value is not None:
            setattr(audit, name, value)
    if data.site_ids is not None:
        organisation = session.get(Organisation, audit.organisation_id)
        sites = _sites(session=session, organisation=organisation, site_ids=data.site_ids)
        for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id)):
            session.delete(link)
        session.flush()
        for site in sites:
            session.add(AuditSite(audit_id=audit.id, site_id=site.id))
    audit.updated_at = utcnow()
    session.add(audit)
    session.commit()
    return audit


def change_status(*, session: Session, audit: Audit, status: str) -> Audit:
    if status not in v.STATUS_FLOW[audit.status]:
        raise Conflict("An audit that is {current} cannot become {new}.", current=audit.status, new=status)
    audit.status = status
    audit.updated_at = utcnow()
    session.add(audit)
    session.commit()
    return audit


@dataclass(frozen=True)
class AuditSummary:
    audit: Audit
    organisation: str
    progress: Progress


def list_audits(*, session: Session, status: str | None = None) -> list[AuditSummary]:
    query = select(Audit, Organisation.name).join(Organisation).order_by(Audit.start_date.desc(), Audit.id.desc())
    if status:
        query = query.where(Audit.status == status)
    rows = list(session.exec(query))
    answered = dict(
        session.exec(
            select(Response.audit_id, func.count())
            .where(Response.verdict.is_not(None), Response.audit_id.in_([a.id for a, _ in rows]))
            .group_by(Response.audit_id)
        ).all()
    ) if rows else {}
    return [AuditSummary(audit, name, progress(answered.get(audit.id, 0), audit.item_total)) for audit, name in rows]


def progress(answered: int, total: int) -> Progress:
    return Progress(answered=answered, total=total, percent=round(100 * answered / total) if total else 0)


def audit_progress(*, session: Session, audit: Audit) -> Progress:
    answered = session.exec(
        select(func.count()).select_from(Response).where(Response.audit_id == audit.id, Response.verdict.is_not(None))
    ).one()
    return progress(answered, audit.item_total)


def audit_sites(*, session: Session, audit: Audit) -> list[Site]:
    return list(session.exec(select(Site).join(AuditSite).where(AuditSite.audit_id == audit.id).order_by(Site.name)))


def audit_snapshots(*, session: Session, audit: Audit) -> list[ChecklistSnapshot]:
    return list(
        session.exec(
            select(ChecklistSnapshot).join(AuditChecklist).where(AuditChecklist.audit_id == audit.id).order_by(AuditChecklist.position)
        )
    )


def plan_entries(*, session: Session, audit: Audit) -> list[PlanEntry]:
    return list(
        session.exec(select(PlanEntry).where(PlanEntry.audit_id == audit.id).order_by(PlanEntry.day, PlanEntry.start_time, PlanEntry.id))
    )


def add_plan_entry(*, session: Session, audit: Audit, data: PlanEntryIn) -> PlanEntry:
    ensure_open(audit)
    if not audit.start_date <= data.day <= audit.end_date:
        raise Invalid("The day must be within the audit's dates.", field="day")
    entry = PlanEntry(audit_id=audit.id, **data.model_dump())
    session.add(entry)
    session.commit()
    return entry


def delete_plan_entry(*, session: Session, audit: Audit, entry_id: int) -> None:
    ensure_open(audit)
    entry = get_in_audit(session=session, audit=audit, model=PlanEntry, row_id=entry_id, missing=N_("No plan entry with this id in this audit."))
    session.delete(entry)
    session.commit()
