"""Planning audits: create, change, move through their status, and the audit plan's agenda."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Protocol, TypeVar

from sqlalchemy import func, tuple_
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.checklists import Library
from auditor.errors import AuditClosed, Conflict, Invalid, NotFound
from auditor.i18n import N_
from auditor.models import (
    Audit,
    AuditChecklist,
    AuditMember,
    AuditSite,
    ChecklistSnapshot,
    Finding,
    Organisation,
    PlanEntry,
    Response,
    Site,
    User,
    utcnow,
)
from auditor.paging import Page, PageRequest, page_holding, page_of
from auditor.schemas import AuditIn, AuditUpdate, PlanEntryIn, Progress, ReportDetails
from auditor.services import access, cases, staffing, sync, trail
from auditor.services.checklists import audit_structure, checklists_key, snapshot_for
from auditor.services.organisations import find_or_add_site


class _AuditRow(Protocol):
    audit_id: int


Row = TypeVar("Row", bound=_AuditRow)


def create_audit(*, session: Session, actor: User, data: AuditIn, library: Library) -> Audit:
    """Plan an audit; its checklists are frozen as they are in the library now."""
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or not access.allows(session=session, user=actor, record=organisation, can=access.Can.VIEW):
        raise Invalid("There is no organisation with id {id}.", field="organisation_id", id=data.organisation_id)
    access.require_planner(session=session, user=actor, organisation_id=organisation.id)
    lead_id = (
        data.lead_auditor_id
        if data.lead_auditor_id is not None
        else (actor.id if actor.role == v.Role.LEAD_AUDITOR else None)
    )
    team = _team(session=session, organisation=organisation, lead_id=lead_id, auditor_ids=data.team_ids)
    checklist_ids = list(dict.fromkeys(data.checklists))
    unknown = [cid for cid in checklist_ids if library.get(cid) is None]
    if unknown:
        raise Invalid("Unknown checklist: {id}.", field="checklists", id=unknown[0])
    sites = _sites(session=session, organisation=organisation, site_ids=data.site_ids)
    if data.site:
        site = find_or_add_site(session=session, organisation=organisation, name=data.site)
        if site not in sites:
            sites.append(site)

    audit = Audit(
        **data.model_dump(exclude={"site", "site_ids", "checklists", "lead_auditor_id", "team_ids", "override_reason"})
    )
    overridden = staffing.check_team(
        session=session, actor=actor, audit=audit, team=team, override_reason=data.override_reason, team_changed=True
    )
    session.add(audit)
    session.flush()
    for site in sites:
        session.add(AuditSite(audit_id=audit.id, site_id=site.id))
    for user, role in team:
        session.add(AuditMember(audit_id=audit.id, user_id=user.id, role=role))
    snapshots = [
        snapshot_for(session=session, loaded=library.checklists[checklist_id]) for checklist_id in checklist_ids
    ]
    for position, snapshot in enumerate(snapshots):
        session.add(AuditChecklist(audit_id=audit.id, snapshot_id=snapshot.id, position=position))
        audit.item_total += snapshot.item_count
    audit.checklists_key = checklists_key(snapshots)
    # Every audit opens and closes with a meeting (ISO 19011 6.4.3, 6.4.10); the auditor adjusts the times.
    lead_name = next((user.name for user, role in team if role == v.TeamRole.LEAD), "")
    for day, start_time, kind in (
        (audit.start_date, time(8, 30), v.PlanKind.OPENING_MEETING),
        (audit.end_date, time(15, 0), v.PlanKind.CLOSING_MEETING),
    ):
        session.add(
            PlanEntry(audit_id=audit.id, day=day, start_time=start_time, kind=kind, activity="", auditor=lead_name)
        )
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="audit",
        entity_id=audit.id,
        audit_id=audit.id,
        after=trail.snapshot("audit", audit),
    )
    for user, role in team:
        trail.record(
            session=session,
            actor=actor,
            action="create",
            entity="team",
            entity_id=user.id,
            audit_id=audit.id,
            after={"user_id": user.id, "role": role},
        )
    staffing.record_override(session=session, actor=actor, audit=audit, problems=overridden)
    cases.carry_over(session=session, actor=actor, audit=audit)
    return audit


def _team(
    *, session: Session, organisation: Organisation, lead_id: int | None, auditor_ids: list[int]
) -> list[tuple[User, str]]:
    """The team as (user, role): the lead first. Auditors are active lead auditors or auditors who are
    provider staff or members of the audited organisation."""
    team: list[tuple[User, str]] = []
    for user_id, role, field in [
        (lead_id, v.TeamRole.LEAD, "lead_auditor_id"),
        *((i, v.TeamRole.AUDITOR, "team_ids") for i in dict.fromkeys(auditor_ids) if i != lead_id),
    ]:
        if user_id is None:
            continue
        user = session.get(User, user_id)
        if (
            user is None
            or not user.is_active
            or not (may_lead(user) if role == v.TeamRole.LEAD else user.role in v.AUDITOR_ROLES)
            or user.organisation_id not in (None, organisation.id)
        ):
            raise Invalid("User {id} cannot be on this audit's team.", field=field, id=user_id)
        team.append((user, role))
    return team


def audit_team(*, session: Session, audit: Audit) -> list[tuple[User, str]]:
    """(user, 'lead' | 'auditor'), the lead first."""
    rows = session.exec(
        select(User, AuditMember.role)
        .join(AuditMember, AuditMember.user_id == User.id)
        .where(AuditMember.audit_id == audit.id)
    ).all()
    return sorted(rows, key=lambda row: (row[1] != v.TeamRole.LEAD, row[0].name))


def may_lead(user: User) -> bool:
    """Whether the user's role lets them lead an audit (the competence checks of services/staffing.py come on top)."""
    return user.role == v.Role.LEAD_AUDITOR


def eligible_auditors(*, session: Session, organisation_id: int | None = None) -> list[User]:
    """Active lead auditors and auditors who may join an audit of this organisation."""
    query = select(User).where(User.is_active, User.role.in_(v.AUDITOR_ROLES)).order_by(User.name)
    if organisation_id is not None:
        query = query.where((User.organisation_id.is_(None)) | (User.organisation_id == organisation_id))
    return list(session.exec(query))


def _sites(*, session: Session, organisation: Organisation, site_ids: list[int]) -> list[Site]:
    sites = []
    for site_id in dict.fromkeys(site_ids):
        site = session.get(Site, site_id)
        if site is None or site.organisation_id != organisation.id:
            raise Invalid("Site {id} does not belong to this organisation.", field="site_ids", id=site_id)
        sites.append(site)
    return sites


def is_open(audit: Audit) -> bool:
    """Nothing in a closed audit changes until it is reopened."""
    return audit.status != v.AuditStatus.CLOSED


def ensure_open(audit: Audit) -> None:
    """Refuse changes to a closed audit (409 `audit_closed`: a tablet keeps such changes for export, it does not retry)."""
    if not is_open(audit):
        raise AuditClosed(N_("The audit is closed; reopen it to make changes."))


@dataclass(frozen=True)
class AuditCan:
    """The ready answers a page asks about one audit: the user's permissions (access.py) and what they allow now."""

    plan: bool  # change the status and the report details (a closed audit can be reopened)
    conduct: bool  # on the audit team's side of the conduct page
    see_confidential: bool
    edit: bool  # change the facts, the team and the plan now: plan, and the audit is open
    record: bool  # record answers, evidence, photos and findings now: conduct, and the audit is open
    work_offline: bool  # keep the audit's offline copy on a tablet (field mode)


def audit_can(*, session: Session, user: User, audit: Audit) -> AuditCan:
    granted = access.audit_permissions(session=session, user=user, audit=audit)
    plan, conduct = access.Can.PLAN in granted, access.Can.CONDUCT in granted
    return AuditCan(
        plan,
        conduct,
        access.Can.SEE_CONFIDENTIAL in granted,
        plan and is_open(audit),
        conduct and is_open(audit),
        access.Can.WORK_OFFLINE in granted,
    )


def get_in_audit(*, session: Session, audit: Audit, model: type[Row], row_id: int, missing: str) -> Row:
    """A row of `model` that belongs to this audit, or NotFound with the `missing` message."""
    row = session.get(model, row_id)
    if row is None or row.audit_id != audit.id:
        raise NotFound(missing)
    return row


def get_audit(*, session: Session, actor: User, audit_id: int, columns: tuple = ()) -> Audit:
    """The audit, if the actor may see it; otherwise NotFound (it does not reveal that the audit exists). `columns`:
    read only these now (access.load)."""
    return access.load(
        session=session,
        user=actor,
        model=Audit,
        record_id=audit_id,
        can=access.Can.VIEW,
        missing=N_("No audit with this id."),
        columns=columns,
    )


def update_audit(*, session: Session, actor: User, audit: Audit, data: AuditUpdate) -> Audit:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    before = trail.snapshot("audit", audit)
    changes = data.model_dump(
        exclude_unset=True, exclude={"site_ids", "lead_auditor_id", "team_ids", "override_reason"}
    )
    start, end = (
        changes.get("start_date") or audit.start_date,
        changes.get("end_date") or audit.end_date,
    )  # null: unchanged, as below
    if end < start:
        raise Invalid("The end date cannot be before the start date.", field="end_date")
    for name, value in changes.items():
        if value is not None:
            setattr(audit, name, value)
    if data.site_ids is not None:
        organisation = session.get_one(Organisation, audit.organisation_id)
        sites = _sites(session=session, organisation=organisation, site_ids=data.site_ids)
        # A site that stays keeps its row, and so its production unit's hours and conclusion.
        kept = {site.id for site in sites}
        linked = set()
        for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id)):
            linked.add(link.site_id)
            if link.site_id not in kept:
                session.delete(link)
        session.flush()
        for site in sites:
            if site.id not in linked:
                session.add(AuditSite(audit_id=audit.id, site_id=site.id))
    team_changed = False
    if data.lead_auditor_id is not None or data.team_ids is not None:
        team_changed = _replace_team(session=session, actor=actor, audit=audit, data=data)
    overridden = staffing.check_team(
        session=session,
        actor=actor,
        audit=audit,
        team=audit_team(session=session, audit=audit),
        override_reason=data.override_reason,
        team_changed=team_changed,
    )
    staffing.record_override(session=session, actor=actor, audit=audit, problems=overridden)
    record_change(session=session, actor=actor, audit=audit, before=before)
    return audit


def record_change(*, session: Session, actor: User, audit: Audit, before: dict | None) -> None:
    """Stamp the audit changed and record the change in the trail (`before`: its snapshot before the change)."""
    audit.updated_at = utcnow()
    session.add(audit)
    trail.record(
        session=session,
        actor=actor,
        action="update",
        entity="audit",
        entity_id=audit.id,
        audit_id=audit.id,
        before=before,
        after=trail.snapshot("audit", audit),
    )


# Report details that null clears (the others: null keeps the value).
CLEARABLE = frozenset(
    {"bek1407_auditor_id", "md5_days", "actual_days", "psychosocial_hours", "certificate_expiry", "next_audit_date"}
)


def update_report_details(*, session: Session, actor: User, audit: Audit, data: ReportDetails) -> Audit:
    """The summary, conclusion, recommendation and the other facts the team writes into the report."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    before = trail.snapshot("audit", audit)
    changes = data.model_dump(exclude_unset=True, exclude={"production_units"})  # enums stay enums, dates dates
    if "bek1407_auditor_id" in changes:
        member = changes["bek1407_auditor_id"] or None
        if member is not None and member not in {user.id for user, _ in audit_team(session=session, audit=audit)}:
            raise Invalid(N_("The BEK 1407-trained auditor must be on the audit team."), field="bek1407_auditor_id")
        changes["bek1407_auditor_id"] = member
    _check_conclusions(session=session, audit=audit, changes=changes)
    if changes.get("dk_certificate") and not audit.dk_certificate:
        _check_lead_for_certificate(session=session, audit=audit)
    for name, value in changes.items():
        if value is not None or name in CLEARABLE:
            setattr(audit, name, value)
    if data.production_units is not None:
        _update_production_units(session=session, actor=actor, audit=audit, units=data.production_units)
    record_change(session=session, actor=actor, audit=audit, before=before)
    return audit


def _check_conclusions(*, session: Session, audit: Audit, changes: dict) -> None:
    """A recommendation only for certification audits, and one the audit's findings allow; a readiness conclusion
    only for a stage 1 audit."""
    recommendation = changes.get("recommendation")
    if recommendation and audit.audit_type not in v.CERTIFICATION_AUDIT_TYPES:
        raise Invalid(N_("Only a certification audit has a recommendation."), field="recommendation")
    if recommendation in {v.Recommendation.CERTIFY, v.Recommendation.CERTIFY_AFTER_MINOR_PLANS}:
        majors = session.exec(
            select(func.count())
            .select_from(Finding)
            .where(Finding.audit_id == audit.id, Finding.kind == v.FindingKind.MAJOR_NC)
        ).one()
        if majors:
            raise Invalid(
                N_(
                    "The audit raised a major nonconformity: recommend certification only once its correction and "
                    "corrective action are verified, or choose another recommendation."
                ),
                field="recommendation",
            )
    if changes.get("stage1_readiness") and audit.audit_type != v.AuditType.STAGE1:
        raise Invalid(N_("Only a stage 1 audit concludes on readiness for stage 2."), field="stage1_readiness")


def _check_lead_for_certificate(*, session: Session, audit: Audit) -> None:
    """An audit becomes one for a Danish recognised certificate only if its team passes the check then (or an
    installation admin's override stands)."""
    audit.dk_certificate = True
    problems = staffing.team_problems(session=session, audit=audit, team=audit_team(session=session, audit=audit))
    if problems and not audit.team_override_reason:
        raise Invalid(problems[0].message, field="dk_certificate", **problems[0].params)


def _update_production_units(*, session: Session, actor: User, audit: Audit, units: list) -> None:
    links = {link.site_id: link for link in session.exec(select(AuditSite).where(AuditSite.audit_id == audit.id))}
    for unit in units:
        link = links.get(unit.site_id)
        if link is None:
            raise Invalid(N_("The site is not part of this audit."), field="production_units")
        before = trail.snapshot("audit_site", link)
        link.material_hours = unit.material_hours
        link.significant_problems = unit.significant_problems
        session.add(link)
        after = trail.snapshot("audit_site", link)
        if after != before:
            trail.record(
                session=session,
                actor=actor,
                action="update",
                entity="audit_site",
                entity_id=unit.site_id,
                audit_id=audit.id,
                before=before,
                after=after,
            )


def production_units(*, session: Session, audit: Audit) -> list[tuple[Site, AuditSite]]:
    """The audit's sites with the audit's conclusion on each, by name."""
    return list(
        session.exec(
            select(Site, AuditSite)
            .join(AuditSite, AuditSite.site_id == Site.id)
            .where(AuditSite.audit_id == audit.id)
            .order_by(Site.name)
        ).all()
    )


def _replace_team(*, session: Session, actor: User, audit: Audit, data: AuditUpdate) -> bool:
    """Set the team the update names; whether anyone joined, left or changed role."""
    current = audit_team(session=session, audit=audit)
    lead_id = (
        data.lead_auditor_id
        if data.lead_auditor_id is not None
        else next((u.id for u, r in current if r == v.TeamRole.LEAD), None)
    )
    auditor_ids = data.team_ids if data.team_ids is not None else [u.id for u, r in current if r == v.TeamRole.AUDITOR]
    organisation = session.get_one(Organisation, audit.organisation_id)
    team = _team(session=session, organisation=organisation, lead_id=lead_id, auditor_ids=auditor_ids)
    old = {u.id: r for u, r in current}
    new = {u.id: r for u, r in team}
    for member in session.exec(select(AuditMember).where(AuditMember.audit_id == audit.id)):
        session.delete(member)
    session.flush()
    for user, role in team:
        session.add(AuditMember(audit_id=audit.id, user_id=user.id, role=role))
    for user_id in old.keys() | new.keys():
        if old.get(user_id) != new.get(user_id):
            trail.record(
                session=session,
                actor=actor,
                action="update",
                entity="team",
                entity_id=user_id,
                audit_id=audit.id,
                before={"user_id": user_id, "role": old[user_id]} if user_id in old else None,
                after={"user_id": user_id, "role": new[user_id]} if user_id in new else None,
            )
    return old != new


@dataclass(frozen=True)
class VerdictConflict:
    """A record that contradicts another (REVIEW finding 1): an item with a nonconformity verdict and no finding of
    that grade (`finding_number` None), or a nonconformity finding whose item's verdict is another (or none)."""

    item_id: str
    code: str
    verdict: str | None
    finding_id: int | None = None
    finding_number: int | None = None
    finding_kind: str | None = None


def verdict_conflicts(*, session: Session, audit: Audit) -> list[VerdictConflict]:
    """Every verdict and finding that disagree, in checklist order. The auditor resolves each (raises the finding, or
    corrects the verdict or the finding's kind) before the audit moves to reporting; the statistics, the findings and
    the cases then tell the same story. Nothing is drafted automatically: a verdict saved offline and replayed stays
    one verdict, and a finding's statement is the auditor's own words."""
    verdicts = dict(session.exec(select(Response.item_id, Response.verdict).where(Response.audit_id == audit.id)).all())
    found = list(session.exec(select(Finding).where(Finding.audit_id == audit.id, Finding.item_id.is_not(None))))
    kinds_by_item: dict[str, set[str]] = {}
    for finding in found:
        kinds_by_item.setdefault(finding.item_id or "", set()).add(finding.kind)
    items = audit_structure(session=session, audit=audit).items
    order = {item_id: position for position, item_id in enumerate(items)}
    conflicts = [
        VerdictConflict(item_id, items[item_id].item.code, verdict)
        for item_id, verdict in verdicts.items()
        if verdict in v.NONCONFORMITY_KINDS and verdict not in kinds_by_item.get(item_id, set()) and item_id in items
    ]
    conflicts += [
        VerdictConflict(
            finding.item_id or "",
            items[finding.item_id or ""].item.code,
            verdicts.get(finding.item_id or ""),
            finding.id,
            finding.number,
            finding.kind,
        )
        for finding in found
        if finding.kind in v.NONCONFORMITY_KINDS
        and verdicts.get(finding.item_id or "") != finding.kind
        and finding.item_id in items
    ]
    return sorted(conflicts, key=lambda c: (order[c.item_id], c.finding_number or 0))


def change_status(*, session: Session, actor: User, audit: Audit, status: str) -> Audit:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    if status not in v.STATUS_FLOW[audit.status]:
        raise Conflict("An audit that is {current} cannot become {new}.", current=audit.status, new=status)
    if status in {v.AuditStatus.REPORTING, v.AuditStatus.CLOSED} and (
        conflicts := verdict_conflicts(session=session, audit=audit)
    ):
        raise Conflict(
            N_(
                "Items {items} have a nonconformity verdict that no finding of the same grade records, or a finding "
                "that disagrees with the verdict: resolve them on the Report page first."
            ),
            items=", ".join(dict.fromkeys(c.code for c in conflicts)),
        )
    before = trail.snapshot("audit", audit)
    audit.status = v.AuditStatus(status)
    if audit.status == v.AuditStatus.CLOSED:
        sync.forget_answer_receipts(session=session, audit=audit)
    record_change(session=session, actor=actor, audit=audit, before=before)
    return audit


@dataclass(frozen=True)
class AuditSummary:
    audit: Audit
    organisation: str
    progress: Progress


def list_audits(*, session: Session, actor: User, status: str | None = None, page: PageRequest | None = None) -> Page:
    """The audits the actor may see (AuditSummary), newest first; one page of them, or all without `page`."""
    query = (
        select(Audit, Organisation.name)
        .join(Organisation)
        .where(access.where(actor, Audit))
        .order_by(Audit.start_date.desc(), Audit.id.desc())
    )
    if status:
        query = query.where(Audit.status == status)
    found = page_of(session, query, page)
    rows = found.items
    answered = (
        dict(
            session.exec(
                select(Response.audit_id, func.count())
                .where(Response.verdict.is_not(None), Response.audit_id.in_([a.id for a, _ in rows]))
                .group_by(Response.audit_id)
            ).all()
        )
        if rows
        else {}
    )
    return found.with_items(
        [AuditSummary(audit, name, progress(answered.get(audit.id, 0), audit.item_total)) for audit, name in rows]
    )


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
            select(ChecklistSnapshot)
            .join(AuditChecklist)
            .where(AuditChecklist.audit_id == audit.id)
            .order_by(AuditChecklist.position)
        )
    )


def plan_entries(*, session: Session, audit: Audit, page: PageRequest | None = None) -> Page[PlanEntry]:
    """The audit plan's agenda in time order; one page of it, or all without `page`."""
    return page_of(session, _plan_query(audit), page)


def _plan_query(audit: Audit):
    return (
        select(PlanEntry)
        .where(PlanEntry.audit_id == audit.id)
        .order_by(PlanEntry.day, PlanEntry.start_time, PlanEntry.id)
    )


def plan_page_holding(*, session: Session, audit: Audit, entry: PlanEntry) -> PageRequest:
    """The page of the audit plan that holds `entry` (just added), or held it (just removed)."""
    ahead = tuple_(PlanEntry.day, PlanEntry.start_time, PlanEntry.id) < tuple_(entry.day, entry.start_time, entry.id)
    return page_holding(session, _plan_query(audit), ahead)


def add_plan_entry(*, session: Session, actor: User, audit: Audit, data: PlanEntryIn) -> PlanEntry:
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    if not audit.start_date <= data.day <= audit.end_date:
        raise Invalid("The day must be within the audit's dates.", field="day")
    entry = PlanEntry(audit_id=audit.id, **data.model_dump())
    session.add(entry)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="plan_entry",
        entity_id=entry.id,
        audit_id=audit.id,
        after=trail.snapshot("plan_entry", entry),
    )
    return entry


def delete_plan_entry(*, session: Session, actor: User, audit: Audit, entry_id: int) -> PlanEntry:
    """Remove a line from the audit plan; the removed entry is returned (where it stood tells the page it was on)."""
    access.require_audit(session=session, user=actor, audit=audit, can=access.Can.PLAN)
    ensure_open(audit)
    entry = get_in_audit(
        session=session,
        audit=audit,
        model=PlanEntry,
        row_id=entry_id,
        missing=N_("No plan entry with this id in this audit."),
    )
    trail.record(
        session=session,
        actor=actor,
        action="delete",
        entity="plan_entry",
        entity_id=entry.id,
        audit_id=audit.id,
        before=trail.snapshot("plan_entry", entry),
    )
    session.delete(entry)
    session.flush()
    return entry
