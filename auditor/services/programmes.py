"""The audit programme of an organisation and the certification decisions its cycle follows from.

Certification (ISO/IEC 17021-1 9.1.3, BRIEF 3.2): a cycle starts at the decision to grant or renew certification and
lasts three years; the certificate is valid until the day before the third anniversary of the decision. The first
surveillance audit must be held within 12 months of the decision, the second in the second year, and the
recertification audit before the certificate expires, leaving a month for its technical review and decision. Each
audit has a window of three months that closes on its deadline.

Internal (ISO 19011 5): the organisation chooses a cycle (a start, a length in months) and a number of audits, which
share the cycle in equal windows.

Either way the programme says what each cycle must cover: the clauses of its checklists, every site (production
unit), and the actors (vocabulary.ACTORS: the roles of the people to interview) its checklists' items name. An audit
covers the clauses, sites and actors it plans (planned: its items' clauses and actors), or the clauses of the items
it answered and the roles of the people it interviewed (once it is conducted; a confidential interview does not count,
the programme is shown to the organisation); what no audit of the cycle covers is left uncovered.

"N months after" a day is the same day N months on, or the first of the following month when that month is too short
(a decision on 29 February has its anniversary on 1 March); a period of N months ends the day before.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.checklists import Library
from auditor.errors import Conflict, Invalid, NotFound
from auditor.i18n import N_, REPORT_TIME_ZONE
from auditor.models import (
    Audit,
    AuditProgramme,
    AuditSite,
    CertificationDecision,
    Evidence,
    Organisation,
    Response,
    Site,
    User,
    utcnow,
)
from auditor.schemas import DecisionIn, ProgrammeIn
from auditor.services import access, audits, trail
from auditor.services.checklists import audit_structure
from auditor.services.organisations import sites_of

CYCLE_MONTHS = 36  # a certificate's validity and a certification cycle
WINDOW_MONTHS = 3  # an audit's window closes on its deadline and opens this many months before
# (slot, audit type, months after the decision its period ends)
SURVEILLANCES = (("surveillance_1", 12), ("surveillance_2", 24))
RECERTIFICATION_MARGIN = 1  # months between the recertification audit's deadline and the certificate's expiry
INITIAL_SLOTS = (v.AuditType.STAGE1, v.AuditType.STAGE2)  # each audit's slot is named by its type


def months_later(day: date, months: int) -> date:
    """The same day `months` on (or back, when negative); the first of the next month when that month is too short."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if day.day > calendar.monthrange(year, month + 1)[1]:
        return date(year, month + 1, 1) + timedelta(days=calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day.day)


def period_end(day: date, months: int) -> date:
    """The last day of the period of `months` that starts on `day`."""
    return months_later(day, months) - timedelta(days=1)


def certificate_expiry(decided_on: date) -> date:
    """A certificate granted or renewed on `decided_on` is valid for three years: until this day, included."""
    return period_end(decided_on, CYCLE_MONTHS)


@dataclass(frozen=True)
class Window:
    slot: str
    audit_type: str
    opens: date | None
    closes: date | None


def certification_windows(decided_on: date, expiry: date) -> list[Window]:
    """The cycle's audits and their windows after a decision to grant or renew on `decided_on`."""
    windows = []
    for slot, months in SURVEILLANCES:
        closes = period_end(decided_on, months)
        windows.append(Window(slot, v.AuditType.SURVEILLANCE, months_later(closes, -WINDOW_MONTHS), closes))
    closes = months_later(expiry, -RECERTIFICATION_MARGIN)
    recertification = v.AuditType.RECERTIFICATION
    windows.append(Window(recertification, recertification, months_later(closes, -WINDOW_MONTHS), closes))
    return windows


def internal_windows(start: date, end: date, count: int) -> list[Window]:
    """`count` windows that share the cycle from `start` to `end` (included) equally."""
    length = (end - start).days + 1
    return [
        Window(
            f"internal_{number + 1}",
            v.AuditType.INTERNAL,
            start + timedelta(days=number * length // count),
            start + timedelta(days=(number + 1) * length // count - 1),
        )
        for number in range(count)
    ]


# The certificate


@dataclass(frozen=True)
class Certificate:
    """Where the organisation's certificate stands after its last decision."""

    number: str
    status: str
    expiry: date | None
    scope: str
    site_ids: list[int]
    decision: CertificationDecision


def _decisions(session: Session, organisation_id: int) -> list[CertificationDecision]:
    return list(
        session.exec(
            select(CertificationDecision)
            .where(CertificationDecision.organisation_id == organisation_id)
            .order_by(CertificationDecision.decided_on, CertificationDecision.id)
        )
    )


def certificate(*, session: Session, organisation_id: int, today: date) -> Certificate | None:
    """The organisation's certificate as its last decision left it; None before the first grant."""
    decisions = _decisions(session, organisation_id)
    if not decisions:
        return None
    last = decisions[-1]
    audit = session.get_one(Audit, last.audit_id)
    if last.outcome == v.DecisionOutcome.WITHDRAW:
        status = v.CertificateStatus.WITHDRAWN
    elif last.outcome == v.DecisionOutcome.SUSPEND:
        status = v.CertificateStatus.SUSPENDED
    elif audit.certificate_expiry is not None and audit.certificate_expiry < today:
        status = v.CertificateStatus.EXPIRED
    else:
        status = v.CertificateStatus.VALID
    return Certificate(
        audit.certificate_number, status, audit.certificate_expiry, last.scope, list(last.site_ids), last
    )


def decision_of(*, session: Session, audit: Audit) -> CertificationDecision | None:
    return session.exec(select(CertificationDecision).where(CertificationDecision.audit_id == audit.id)).first()


def waiting_for_decision(audit: Audit, decision: CertificationDecision | None) -> bool:
    """A certification audit whose report is done waits for its decision."""
    return (
        decision is None and audit.audit_type in v.CERTIFICATION_AUDIT_TYPES and audit.status == v.AuditStatus.REPORTING
    )


def decide(*, session: Session, actor: User, audit: Audit, data: DecisionIn, today: date) -> CertificationDecision:
    """Record the technical review and the certification decision after `audit`, and the certificate that follows:
    its number and expiry on the audit (the report's certificate facts), its scope and production units here."""
    access.require_decider(session=session, user=actor, audit=audit)
    if decision_of(session=session, audit=audit) is not None:
        raise Conflict(N_("This audit already has its certification decision."))
    if audit.status != v.AuditStatus.REPORTING:
        raise Conflict(N_("The decision follows the audit's report: move the audit to reporting first."))
    if data.outcome not in {choice.value for choice in v.outcomes_for(audit.audit_type)}:
        raise Invalid(N_("This decision cannot follow an audit of this type."), field="outcome")
    if data.decided_on < audit.end_date or data.decided_on > today:
        raise Invalid(N_("The decision is taken after the audit, and not in the future."), field="decided_on")
    reviewer = actor if data.reviewed_by_id in (None, actor.id) else session.get(User, data.reviewed_by_id)
    if (
        reviewer is None
        or not reviewer.is_active
        or not access.allows(session=session, user=reviewer, record=audit, can=access.Can.DECIDE)
    ):
        raise Invalid(
            N_("The technical reviewer must be one of the certification body's people who was not on the audit team."),
            field="reviewed_by_id",
        )
    organisation_sites = {site.id for site in sites_of(session=session, organisation_id=audit.organisation_id).items}
    if data.site_ids is not None and not set(data.site_ids) <= organisation_sites:
        raise Invalid(N_("The site is not one of the organisation's."), field="site_ids")
    before = certificate(session=session, organisation_id=audit.organisation_id, today=today)
    number = data.certificate_number or audit.certificate_number or (before.number if before else "")
    if not number:
        raise Invalid(N_("Give the certificate's number."), field="certificate_number")
    expiry: date | None = (
        certificate_expiry(data.decided_on)
        if data.outcome in v.CYCLE_STARTING_OUTCOMES
        else (before.expiry if before else audit.certificate_expiry)
    )
    audited_sites = [site.id for site in audits.audit_sites(session=session, audit=audit)]
    decision = CertificationDecision(
        audit_id=audit.id,
        organisation_id=audit.organisation_id,
        outcome=data.outcome,
        decided_on=data.decided_on,
        reasons=data.reasons,
        decided_by_id=actor.id,
        review=data.review,
        reviewed_by_id=reviewer.id,
        reviewed_on=data.reviewed_on or data.decided_on,
        scope=data.scope if data.scope is not None else (before.scope if before else audit.scope),
        site_ids=data.site_ids if data.site_ids is not None else (before.site_ids if before else audited_sites),
    )
    session.add(decision)
    session.flush()
    audit_before = trail.snapshot(v.TrailEntity.AUDIT, audit)
    audit.certificate_number, audit.certificate_expiry = number, expiry
    trail.record(
        session=session,
        actor=actor,
        action="decide",
        entity="certification_decision",
        entity_id=decision.id,
        audit_id=audit.id,
        after=trail.snapshot("certification_decision", decision),
    )
    audits.record_change(session=session, actor=actor, audit=audit, before=audit_before)
    return decision


def certificate_facts(*, session: Session, audit: Audit) -> dict[str, object]:
    """The certificate facts a later audit's report starts from (the Report page's form, while the team has not
    written them): the number and expiry of the organisation's certificate as it stands, which the audit concerns."""
    current = certificate(session=session, organisation_id=audit.organisation_id, today=today())
    if current is None or audit.audit_type not in v.CERTIFICATION_AUDIT_TYPES or current.decision.audit_id == audit.id:
        return {}
    return {"certificate_number": current.number, "certificate_expiry": current.expiry}


def deciders(*, session: Session, audit: Audit) -> list[User]:
    """The active people who may review this audit and decide on certification (for the form's reviewer list)."""
    candidates = session.exec(
        select(User).where(User.is_active, User.organisation_id.is_(None), User.role.in_(access.PLANNER_ROLES))
    )
    return [
        user
        for user in sorted(candidates, key=lambda user: user.name)
        if access.allows(session=session, user=user, record=audit, can=access.Can.DECIDE)
    ]


# The programme


@dataclass(frozen=True)
class Coverage:
    checklists: list[str]
    clauses: set[str]
    site_ids: set[int]
    actors: set[str]  # vocabulary.ACTORS

    @property
    def ordered_clauses(self) -> list[str]:
        """The clauses in the standards' order (4.1 before 10.1)."""
        return sorted(self.clauses, key=_clause_order)


@dataclass(frozen=True)
class ProgrammeAudit:
    """One audit of the cycle: its window (none for an extra audit) and the audit that fills it, if any."""

    window: Window
    audit: Audit | None
    coverage: Coverage | None


@dataclass
class Programme:
    organisation: Organisation
    settings: AuditProgramme | None
    certificate: Certificate | None
    cycle_start: date | None
    cycle_end: date | None
    audits: list[ProgrammeAudit]
    clauses_by_checklist: dict[str, set[str]] = field(default_factory=dict)  # what each checklist asks about
    uncovered_checklists: list[str] = field(default_factory=list)
    uncovered_clauses: list[str] = field(default_factory=list)
    uncovered_sites: list[Site] = field(default_factory=list)
    uncovered_actors: list[str] = field(default_factory=list)  # in the vocabulary's order

    @property
    def kind(self) -> str:
        return self.settings.kind if self.settings else v.ProgrammeKind.CERTIFICATION

    def slot(self, name: str) -> ProgrammeAudit | None:
        return next((entry for entry in self.audits if entry.window.slot == name), None)


def with_programmes(*, session: Session) -> list[Organisation]:
    """The organisations that have a programme, or a certification decision that implies one."""
    ids = select(AuditProgramme.organisation_id).union(select(CertificationDecision.organisation_id))
    return list(session.exec(select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.id)))


def get_settings(*, session: Session, organisation_id: int) -> AuditProgramme | None:
    return session.exec(select(AuditProgramme).where(AuditProgramme.organisation_id == organisation_id)).first()


def set_programme(
    *, session: Session, actor: User, organisation: Organisation, data: ProgrammeIn, library: Library
) -> AuditProgramme:
    """Set the organisation's programme: what kind, and what each cycle must cover."""
    access.require_planner(session=session, user=actor, organisation_id=organisation.id)
    unknown = [checklist_id for checklist_id in data.checklists if library.get(checklist_id) is None]
    if unknown:
        raise Invalid("Unknown checklist: {id}.", field="checklists", id=unknown[0])
    row = get_settings(session=session, organisation_id=organisation.id)
    before = trail.snapshot("programme", row)
    row = row or AuditProgramme(organisation_id=organisation.id, kind=data.kind)
    internal = data.kind == v.ProgrammeKind.INTERNAL
    row.kind, row.checklists, row.scope = data.kind, list(dict.fromkeys(data.checklists)), data.scope
    row.cycle_start = data.cycle_start if internal else None
    row.cycle_months = data.cycle_months if internal else None
    row.audits_per_cycle = data.audits_per_cycle if internal else None
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="update" if before else "create",
        entity="programme",
        entity_id=row.id,
        before=before,
        after=trail.snapshot("programme", row),
    )
    return row


def _coverage(session: Session, audit: Audit) -> Coverage:
    """What the audit covers: all it plans while planned, what it answered once conducted."""
    structure = audit_structure(session=session, audit=audit)
    items = structure.items
    if audit.status != v.AuditStatus.PLANNED:
        answered = set(
            session.exec(select(Response.item_id).where(Response.audit_id == audit.id, Response.verdict.is_not(None)))
        )
        items = {item_id: placed for item_id, placed in items.items() if item_id in answered}
    sites = set(session.exec(select(AuditSite.site_id).where(AuditSite.audit_id == audit.id)))
    if audit.status == v.AuditStatus.PLANNED:
        actors = {actor for placed in items.values() for actor in placed.item.tags.actors}
    else:
        interviewed = select(Evidence.interviewee_role).where(
            Evidence.audit_id == audit.id, Evidence.interviewee_role.is_not(None), ~Evidence.confidential
        )
        actors = {str(role) for role in session.exec(interviewed) if role is not None}
    return Coverage(
        [checklist.id for _, checklist in structure.checklists],  # the parsed copy: the structure is cached per process
        {clause for placed in items.values() for clause in placed.item.clauses},
        sites,
        actors,
    )


def _fill(windows: list[Window], found: list[Audit], *, by_window: bool) -> list[tuple[Window, Audit | None]]:
    """Each window with its audit: with `by_window`, first the audit of its type that starts within it; then, in date
    order, the first audit of its type not taken yet (the first surveillance after the decision is the first, however
    late). Audits left over are extra."""
    left = list(found)
    taken: dict[int, Audit] = {}
    for within in (True, False) if by_window else (False,):
        for number, window in enumerate(windows):
            if number in taken:
                continue
            audit = next(
                (
                    a
                    for a in left
                    if a.audit_type == window.audit_type
                    and (
                        not within or (window.opens and window.closes and window.opens <= a.start_date <= window.closes)
                    )
                ),
                None,
            )
            if audit is not None:
                left.remove(audit)
                taken[number] = audit
    filled: list[tuple[Window, Audit | None]] = [(window, taken.get(n)) for n, window in enumerate(windows)]
    filled += [(Window("", audit.audit_type, None, None), audit) for audit in left]
    return filled


def programme(*, session: Session, organisation: Organisation, library: Library, today: date) -> Programme:
    """The organisation's current cycle: each audit with its window and what it covers, and what is left uncovered."""
    found = cycle(session=session, organisation=organisation, today=today)
    _uncovered(found, session=session, library=library)
    return found


def cycle(*, session: Session, organisation: Organisation, today: date, coverage: bool = True) -> Programme:
    """The organisation's current cycle: each audit with its window and what it covers (not yet what is uncovered;
    nothing, without `coverage`)."""
    settings = get_settings(session=session, organisation_id=organisation.id)
    current = certificate(session=session, organisation_id=organisation.id, today=today)
    query = select(Audit).where(Audit.organisation_id == organisation.id).order_by(Audit.start_date, Audit.id)
    start: date | None = None
    end: date | None = None
    internal = settings is not None and settings.kind == v.ProgrammeKind.INTERNAL
    if internal and settings is not None:
        assert settings.cycle_start and settings.cycle_months and settings.audits_per_cycle
        cycles = 0
        while period_end(settings.cycle_start, (cycles + 1) * settings.cycle_months) < today:
            cycles += 1
        start = months_later(settings.cycle_start, cycles * settings.cycle_months)
        end = period_end(start, settings.cycle_months)
        windows = internal_windows(start, end, settings.audits_per_cycle)
        query = query.where(Audit.audit_type == v.AuditType.INTERNAL)
    else:
        starting = next(
            (d for d in reversed(_decisions(session, organisation.id)) if d.outcome in v.CYCLE_STARTING_OUTCOMES), None
        )
        if starting is None:  # the initial certification: stage 1 and stage 2, planned when the client is ready
            windows = [Window(audit_type, audit_type, None, None) for audit_type in INITIAL_SLOTS]
            query = query.where(Audit.audit_type.in_([v.AuditType.STAGE1, v.AuditType.STAGE2]))
        else:
            start = starting.decided_on
            end = session.get_one(Audit, starting.audit_id).certificate_expiry or certificate_expiry(start)
            windows = certification_windows(start, end)
            query = query.where(
                Audit.audit_type != v.AuditType.INTERNAL, Audit.id != starting.audit_id, Audit.start_date > start
            )
    if end is not None:
        query = query.where(Audit.start_date <= end)
    if start is not None:
        query = query.where(Audit.start_date >= start)
    entries = [
        ProgrammeAudit(window, audit, _coverage(session, audit) if audit and coverage else None)
        for window, audit in _fill(windows, list(session.exec(query)), by_window=internal)
    ]
    return Programme(organisation, settings, current, start, end, entries)


def _uncovered(found: Programme, *, session: Session, library: Library) -> None:
    wanted = found.settings.checklists if found.settings else []
    actors: set[str] = set()
    for checklist_id in wanted:
        loaded = library.get(checklist_id)
        items = list(loaded.checklist.items()) if loaded is not None else []
        found.clauses_by_checklist[checklist_id] = {clause for item in items for clause in item.clauses}
        actors.update(actor for item in items for actor in item.tags.actors)
    required = set().union(*found.clauses_by_checklist.values())
    covered = [entry.coverage for entry in found.audits if entry.coverage is not None]
    used = {checklist_id for coverage in covered for checklist_id in coverage.checklists}
    clauses = {clause for coverage in covered for clause in coverage.clauses}
    site_ids = {site_id for coverage in covered for site_id in coverage.site_ids}
    interviewed = {actor for coverage in covered for actor in coverage.actors}
    found.uncovered_actors = [actor for actor in v.ACTORS.values if actor in actors - interviewed]
    found.uncovered_checklists = [checklist_id for checklist_id in wanted if checklist_id not in used]
    found.uncovered_clauses = sorted(required - clauses, key=_clause_order)
    found.uncovered_sites = [
        site
        for site in sites_of(session=session, organisation_id=found.organisation.id).items
        if site.id not in site_ids
    ]


@dataclass(frozen=True)
class NextAudit:
    """The audit that follows another in the programme: planned (its start), or still to plan in its window."""

    audit_type: str
    planned: date | None
    opens: date | None
    closes: date | None

    @property
    def earliest(self) -> date:
        day = self.planned or self.opens
        assert day is not None  # only audits planned and windows with dates are ever a next audit
        return day


def next_audit(*, session: Session, audit: Audit, today: date) -> NextAudit | None:
    """The next audit after `audit` in its organisation's programme: the first planned after it or the first window
    still open after it (an internal programme's next cycle when this one has none left). None when the organisation
    has no programme of the audit's kind, or nothing in it follows (stage 2 before the certification decision)."""
    settings = get_settings(session=session, organisation_id=audit.organisation_id)
    if settings is None and not _decisions(session, audit.organisation_id):
        return None
    internal = settings is not None and settings.kind == v.ProgrammeKind.INTERNAL
    if internal != (audit.audit_type == v.AuditType.INTERNAL):
        return None
    organisation = session.get_one(Organisation, audit.organisation_id)
    found = cycle(session=session, organisation=organisation, today=today)
    following = _following(found, audit)
    if following is None and internal and found.cycle_end is not None:
        then = found.cycle_end + timedelta(days=1)
        following = _following(cycle(session=session, organisation=organisation, today=then), audit)
    return following


def _following(found: Programme, audit: Audit) -> NextAudit | None:
    after = []
    for entry in found.audits:
        window, planned = entry.window, entry.audit
        if planned is not None and planned.id != audit.id and planned.start_date > audit.end_date:
            after.append(NextAudit(planned.audit_type, planned.start_date, window.opens, window.closes))
        elif planned is None and window.opens and window.closes and window.closes > audit.end_date:
            after.append(NextAudit(window.audit_type, None, window.opens, window.closes))
    return min(after, key=lambda following: following.earliest, default=None)


def _clause_order(ref: str) -> tuple:
    standard, _, clause = ref.partition(":")
    return (standard, *(int(part) if part.isdigit() else 0 for part in clause.split(".")))


def planning_values(*, found: Programme, slot: str, today: date, title: str) -> dict:
    """What the planning form starts with (its title: `title` and the year) for the programme's audit `slot`: its type, a day in its window, the
    certificate's (or the programme's) scope and sites, and the checklists still to cover (all, when none is)."""
    entry = found.slot(slot)
    if entry is None or entry.audit is not None:
        raise NotFound(N_("The programme has no audit to plan here."))
    window = entry.window
    day = max(window.opens, today) if window.opens else today
    if window.closes and day > window.closes:
        day = today  # the window has closed: plan it now, late
    wanted = found.settings.checklists if found.settings else []
    missing = set(found.uncovered_clauses)
    suggested = [
        checklist_id
        for checklist_id in wanted
        if checklist_id in found.uncovered_checklists or missing & found.clauses_by_checklist.get(checklist_id, set())
    ]
    certificate = found.certificate
    sites = certificate.site_ids if certificate and certificate.site_ids else [s.id for s in found.uncovered_sites]
    return {
        "organisation_id": found.organisation.id,
        "audit_type": window.audit_type,
        "title": f"{title} {day.year}",
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "scope": certificate.scope if certificate else (found.settings.scope if found.settings else ""),
        "site_ids": sites,
        "checklists": suggested or wanted,
    }


def today() -> date:
    """Today in Denmark, where the programme's windows and the decisions are dated."""
    return datetime.now(REPORT_TIME_ZONE).date()
