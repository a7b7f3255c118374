"""Management review (ledelsens evaluering, ISO 45001 9.3) of one organisation for one period.

The inputs a-g are compiled from the organisation's audits, findings and corrective-action cases and stored with
the review as plain JSON (values, never translated labels), so the minutes show what management saw on the day.
The quality manager writes the sections no database knows (9.3 b, c, e, f and worker consultation); decisions are
the outputs, and a decision that needs doing opens a case (source "management_review") that tracks it.

Who may do what:
- the organisation's quality managers and admins, and installation admins, create reviews and edit them;
- the organisation's viewers read them;
- everyone else gets "not found".

Times are compared in UTC: a period runs from its first day 00:00 to the day after its last day 00:00.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case as when, func, or_
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import Conflict, Invalid
from auditor.i18n import N_, REPORT_TIME_ZONE
from auditor.models import (
    Audit,
    AuditSite,
    Case,
    Finding,
    ManagementReview,
    Organisation,
    ReviewDecision,
    Site,
    User,
    utcnow,
)
from auditor.paging import Page, PageRequest, page_of
from auditor.services import access, cases, trail
from auditor.services.findings import finding_reference
from auditor.vocabulary import Choice, Vocabulary

INPUTS_VERSION = 1
LONGEST_PERIOD = timedelta(days=3653)  # ten years: the month-by-month query has a column pair per month
LISTED = 50  # at most this many overdue cases and improvement opportunities are listed by name

# The sections management writes itself (ISO 45001 9.3 b, c, d consultation, e, f).
MANUAL_SECTIONS = Vocabulary(
    "ManualSection",
    Choice("changes_in_issues", N_("Changes in external and internal issues")),
    Choice("objectives", N_("Extent to which the OH&S policy and objectives have been met")),
    Choice("consultation", N_("Consultation and participation of workers")),
    Choice("resources", N_("Adequacy of resources")),
    Choice("communications", N_("Relevant communication with interested parties")),
    Choice("compliance_evaluation", N_("Evaluation of compliance")),
    Choice("risks_opportunities", N_("Risks and opportunities")),
    Choice("suitability", N_("Is the system suitable?")),
    Choice("adequacy", N_("Is the system adequate?")),
    Choice("effectiveness", N_("Is the system effective?")),
)
# The outputs' conclusion on the system (ISO 45001 9.3: suitability, adequacy and effectiveness)
CONCLUSION_SECTIONS = ("suitability", "adequacy", "effectiveness")

# d3: what an authority decided about the organisation (Arbejdstilsynet's decisions and orders)
COMPLIANCE_KINDS = Vocabulary(
    "ComplianceKind",
    Choice("order", N_("Order (påbud)")),
    Choice("immediate_order", N_("Immediate order (strakspåbud)")),
    Choice("guidance", N_("Guidance (vejledning)")),
    Choice("decision", N_("Other decision")),
)
COMPLIANCE_STATUSES = Vocabulary(
    "ComplianceStatus",
    Choice("open", N_("Open")),
    Choice("complied", N_("Complied with")),
    Choice("appealed", N_("Appealed")),
)
REVIEW_STATES = Vocabulary(
    "ReviewState",
    Choice("draft", N_("Draft")),
    Choice("approved", N_("Approved")),
    Choice("communicated", N_("Approved and communicated")),
)
MAX_ROWS = 200  # participants, monitoring periods, authorities' decisions: each list at most this long

# ISO 45003 follows ISO 45001's high-level structure; the top-level clauses a finding can sit under.
CLAUSE_TITLES = {
    "4": N_("Context of the organization"),
    "5": N_("Leadership and worker participation"),
    "6": N_("Planning"),
    "7": N_("Support"),
    "8": N_("Operation"),
    "9": N_("Performance evaluation"),
    "10": N_("Improvement"),
}

# What the trend compares between the period and the one before it.
TREND_MEASURES = Vocabulary(
    "TrendMeasure",
    Choice("audits", N_("Audits")),
    Choice("findings", N_("Findings")),
    Choice("nonconformities", N_("Nonconformities")),
    *(Choice(kind.value, kind.label) for kind in v.FINDING_KINDS),
    Choice("cases_opened", N_("Cases opened")),
    Choice("cases_closed", N_("Cases closed")),
    Choice("open_at_end", N_("Cases open at the end of the period")),
    Choice("median_days_to_close", N_("Median days to close")),
    Choice("mean_days_to_close", N_("Mean days to close")),
    Choice("effective", N_("Verified effective")),
    Choice("ineffective", N_("Verified not effective")),
)

# Days from opening to closing, grouped for the chart: (from, to); None: no upper end.
CLOSE_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, 180), (181, None))


# Who may do what: the rules are in access.py


# Reading


def get_review(*, session: Session, actor: User, review_id: int) -> ManagementReview:
    return access.load(
        session=session,
        user=actor,
        model=ManagementReview,
        record_id=review_id,
        can=access.Can.VIEW,
        missing=N_("No management review with this id."),
    )


@dataclass
class ReviewSummary:
    review: ManagementReview
    organisation: str
    decisions: int


def list_reviews(
    *, session: Session, actor: User, organisation_id: int | None = None, page: PageRequest | None = None
) -> Page:
    """The reviews the user may see (ReviewSummary), latest period first, with their organisation and number of
    decisions; one page of them, or all without `page`."""
    decisions = select(ReviewDecision.review_id, func.count().label("n")).group_by(ReviewDecision.review_id).subquery()
    query = (
        select(ManagementReview, Organisation.name, func.coalesce(decisions.c.n, 0))
        .join(Organisation, Organisation.id == ManagementReview.organisation_id)
        .outerjoin(decisions, decisions.c.review_id == ManagementReview.id)
        .where(access.where(actor, ManagementReview))
        .order_by(ManagementReview.period_end.desc(), ManagementReview.id.desc())
    )
    if organisation_id is not None:
        query = query.where(ManagementReview.organisation_id == organisation_id)
    found = page_of(session, query, page)
    return found.with_items([ReviewSummary(review, name, count) for review, name, count in found.items])


@dataclass
class DecisionRow:
    decision: ReviewDecision
    reference: str | None  # the case's NC-xxxx when the decision opened one
    case_status: str | None


def list_decisions(*, session: Session, review: ManagementReview) -> list[DecisionRow]:
    rows = session.exec(
        select(ReviewDecision, Case)
        .outerjoin(Case, Case.id == ReviewDecision.case_id)
        .where(ReviewDecision.review_id == review.id)
        .order_by(ReviewDecision.id)
    )
    return [
        DecisionRow(decision, cases.case_reference(case) if case else None, case.status if case else None)
        for decision, case in rows
    ]


# Changing


def create_review(
    *,
    session: Session,
    actor: User,
    organisation_id: int,
    period_start: date,
    period_end: date,
    policy: dict,
    today: date | None = None,
) -> ManagementReview:
    """Compile the inputs for the organisation and period and keep them as a new review."""
    access.require_anywhere(actor, Organisation, access.Can.COMPILE_REVIEWS)
    if session.get(Organisation, organisation_id) is None or not access.allows_in(
        session=session, user=actor, can=access.Can.COMPILE_REVIEWS, organisation_id=organisation_id
    ):
        raise Invalid(N_("No organisation with this id."), field="organisation_id")
    _check_period(period_start, period_end)
    review = ManagementReview(
        organisation_id=organisation_id,
        period_start=period_start,
        period_end=period_end,
        created_by_id=actor.id,
        inputs=compile_inputs(
            session=session,
            organisation_id=organisation_id,
            period_start=period_start,
            period_end=period_end,
            policy=policy,
            today=today,
        ),
    )
    session.add(review)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="review",
        entity_id=review.id,
        after=trail.snapshot("review", review),
    )
    return review


def recompile_review(
    *, session: Session, actor: User, review: ManagementReview, policy: dict, today: date | None = None
) -> ManagementReview:
    """Compile the inputs again from today's data (the manual sections and decisions stay)."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    before = {"compiled_at": review.inputs.get("compiled_at")}
    review.inputs = compile_inputs(
        session=session,
        organisation_id=review.organisation_id,
        period_start=review.period_start,
        period_end=review.period_end,
        policy=policy,
        today=today,
    )
    review.updated_at = utcnow()
    session.add(review)
    trail.record(
        session=session,
        actor=actor,
        action="recompile",
        entity="review",
        entity_id=review.id,
        before=before,
        after={"compiled_at": review.inputs["compiled_at"]},
    )
    return review


def update_manual(
    *, session: Session, actor: User, review: ManagementReview, sections: dict[str, str | None]
) -> ManagementReview:
    """Save the hand-written sections given; sections left out keep their text."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    for key in sections:
        if key not in MANUAL_SECTIONS:
            raise Invalid(N_("Unknown section."), field=key)
    manual = {**review.manual, **{key: (text or "").strip() for key, text in sections.items()}}
    if manual != review.manual:
        before = trail.snapshot("review", review)
        review.manual, review.updated_at = manual, utcnow()
        session.add(review)
        trail.record(
            session=session,
            actor=actor,
            action="update",
            entity="review",
            entity_id=review.id,
            before=before,
            after=trail.snapshot("review", review),
        )
    return review


def review_state(review: ManagementReview) -> str:
    if review.approved_on is None:
        return "draft"
    return "communicated" if review.communicated_on else "approved"


def _require_draft(review: ManagementReview) -> None:
    """An approved review is a record: its contents change only if its approval is withdrawn first."""
    if review.approved_on is not None:
        raise Conflict(N_("The review is approved: its contents can no longer change."))


def _changed(session: Session, actor: User, review: ManagementReview, before: dict | None, action: str = "update"):
    review.updated_at = utcnow()
    session.add(review)
    trail.record(
        session=session,
        actor=actor,
        action=action,
        entity="review",
        entity_id=review.id,
        before=before,
        after=trail.snapshot("review", review),
    )


def _text(value: object, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _required(value: object, limit: int, field: str, message: str = N_("This field is required.")) -> str:
    """The text, or Invalid on `field` when it is empty."""
    text = _text(value, limit)
    if not text:
        raise Invalid(message, field=field)
    return text


def update_meeting(
    *, session: Session, actor: User, review: ManagementReview, meeting_date: date | None, participants: list[dict]
) -> ManagementReview:
    """The meeting's date and who took part: top management named by role, and anyone else (AMO / MED)."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    rows = [{"role": _text(p.get("role"), 200), "name": _text(p.get("name"), 200)} for p in participants]
    rows = [p for p in rows if p["role"] or p["name"]]
    for index, row in enumerate(rows):
        if not row["role"]:
            raise Invalid(N_("Each participant needs a role (e.g. CEO)."), field=f"participants.{index}.role")
    if len(rows) > MAX_ROWS:
        raise Invalid(N_("At most {n} rows."), field="participants", n=MAX_ROWS)
    before = trail.snapshot("review", review)
    review.meeting_date, review.participants = meeting_date, rows
    _changed(session, actor, review, before)
    return review


def set_monitoring(*, session: Session, actor: User, review: ManagementReview, rows: list[dict]) -> ManagementReview:
    """d2) monitoring and measurement results, entered per period: sickness absence (%), the survey's result and
    the occupational injuries reported."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    kept = []
    for index, row in enumerate(rows):
        entry = {
            "period": _text(row.get("period"), 100),
            "absence_percent": row.get("absence_percent"),
            "survey": _text(row.get("survey"), 2000),
            "injuries": row.get("injuries"),
        }
        if not any(value not in (None, "") for value in entry.values()):
            continue
        if not entry["period"]:
            raise Invalid(N_("Each row needs its period (e.g. 2026 H1)."), field=f"monitoring.{index}.period")
        absence, injuries = entry["absence_percent"], entry["injuries"]
        if absence is not None and not (isinstance(absence, int | float) and 0 <= absence <= 100):
            raise Invalid(N_("Absence is a percentage from 0 to 100."), field=f"monitoring.{index}.absence_percent")
        if injuries is not None and not (
            isinstance(injuries, int) and not isinstance(injuries, bool) and injuries >= 0
        ):
            raise Invalid(N_("Injuries are a whole number, 0 or more."), field=f"monitoring.{index}.injuries")
        kept.append(entry)
    if len(kept) > MAX_ROWS:
        raise Invalid(N_("At most {n} rows."), field="monitoring", n=MAX_ROWS)
    before = trail.snapshot("review", review)
    review.monitoring = kept
    _changed(session, actor, review, before)
    return review


def set_compliance(*, session: Session, actor: User, review: ManagementReview, rows: list[dict]) -> ManagementReview:
    """d3) the authorities' decisions and orders in the period (Arbejdstilsynet), each with its date and status."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    kept = []
    for index, row in enumerate(rows):
        entry = {
            "date": row.get("date"),
            "kind": _text(row.get("kind"), 30),
            "reference": _text(row.get("reference"), 100),
            "description": _text(row.get("description"), 2000),
            "status": _text(row.get("status"), 30),
        }
        if not (entry["date"] or entry["reference"] or entry["description"]):
            continue
        day = entry["date"]
        if isinstance(day, date):
            entry["date"] = day.isoformat()
        else:
            try:
                entry["date"] = date.fromisoformat(str(day)).isoformat()
            except ValueError:
                raise Invalid(N_("Enter a valid date."), field=f"compliance.{index}.date") from None
        if entry["kind"] not in COMPLIANCE_KINDS:
            raise Invalid(N_("Choose one of the options."), field=f"compliance.{index}.kind")
        if entry["status"] not in COMPLIANCE_STATUSES:
            raise Invalid(N_("Choose one of the options."), field=f"compliance.{index}.status")
        if not entry["description"]:
            raise Invalid(N_("This field is required."), field=f"compliance.{index}.description")
        kept.append(entry)
    if len(kept) > MAX_ROWS:
        raise Invalid(N_("At most {n} rows."), field="compliance", n=MAX_ROWS)
    before = trail.snapshot("review", review)
    review.compliance = sorted(kept, key=lambda e: e["date"])
    _changed(session, actor, review, before)
    return review


def missing_for_approval(review: ManagementReview) -> list[str]:
    """What a review lacks before it can be approved (English msgids, translated where shown): the meeting, its
    participants, the monitoring results (d2), and every section management writes, the conclusion included."""
    missing = []
    if review.meeting_date is None:
        missing.append(N_("Meeting date"))
    if not review.participants:
        missing.append(N_("Participants"))
    if not review.monitoring:
        missing.append(N_("Monitoring and measurement results"))
    missing += [c.label for c in MANUAL_SECTIONS if not (review.manual.get(c.value) or "").strip()]
    return missing


def approve(
    *, session: Session, actor: User, review: ManagementReview, approved_by: str, approved_on: date
) -> ManagementReview:
    """Top management's approval of the minutes: who (name and role) and when. Refused while a required section
    is empty: the error names every one."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    approved_by = _required(approved_by, 200, "approved_by")
    if review.meeting_date is not None and approved_on < review.meeting_date:
        raise Invalid(N_("The minutes cannot be approved before the meeting."), field="approved_on")
    missing = missing_for_approval(review)
    if missing:
        raise Invalid(
            N_("The review cannot be approved while these are empty: {sections}."),
            field="approval",
            sections=missing,
        )
    before = trail.snapshot("review", review)
    review.approved_by, review.approved_on = approved_by, approved_on
    review.withdrawn_on, review.withdrawal_reason = None, ""  # the record is approved again: no withdrawal stands
    _changed(session, actor, review, before, action="approve")
    return review


def withdraw_approval(*, session: Session, actor: User, review: ManagementReview, reason: str) -> ManagementReview:
    """Withdraw the approval of the minutes (who may approve, with a reason): the review is a draft again, to be
    changed and approved again. The communication of its outputs goes with the approval; the trail keeps both."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    if review.approved_on is None:
        raise Conflict(N_("The review is not approved: there is no approval to withdraw."))
    reason = _required(reason, 20_000, "reason", N_("Say why the approval is withdrawn."))
    before = trail.snapshot("review", review)
    review.approved_by, review.approved_on = "", None
    review.communicated_on, review.communication = None, ""
    review.withdrawn_on, review.withdrawal_reason = utcnow().astimezone(REPORT_TIME_ZONE).date(), reason
    _changed(session, actor, review, before, action="withdraw_approval")
    return review


def record_communication(
    *, session: Session, actor: User, review: ManagementReview, communicated_on: date, communication: str
) -> ManagementReview:
    """How and when the outputs were communicated to workers and their representatives (AMO / MED)."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    if review.approved_on is None:
        raise Conflict(N_("Approve the review before recording how its outputs were communicated."))
    communication = _required(communication, 20_000, "communication")
    if communicated_on < review.approved_on:
        raise Invalid(N_("The outputs cannot be communicated before the approval."), field="communicated_on")
    before = trail.snapshot("review", review)
    review.communicated_on, review.communication = communicated_on, communication
    _changed(session, actor, review, before)
    return review


def add_decision(
    *, session: Session, actor: User, review: ManagementReview, text: str, needs_action: bool
) -> ReviewDecision:
    """Record a decision (an output of the review); one that needs doing opens a case that tracks it."""
    access.require(session=session, user=actor, record=review, can=access.Can.MANAGE)
    _require_draft(review)
    text = (text or "").strip()
    if not text:
        raise Invalid(N_("This field is required."), field="text")
    case = None
    if needs_action:
        case = cases.open_case(
            session=session,
            actor=actor,
            organisation_id=review.organisation_id,
            statement=text,
            grade=v.FindingKind.OFI,
            source=v.CaseSource.MANAGEMENT_REVIEW,
        )
    decision = ReviewDecision(review_id=review.id, text=text, case_id=case.id if case else None)
    session.add(decision)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="review_decision",
        entity_id=decision.id,
        after=trail.snapshot("review_decision", decision),
    )
    return decision


def _check_period(start: date, end: date) -> None:
    if end < start:
        raise Invalid(N_("The period cannot end before it starts."), field="period_end")
    if end - start > LONGEST_PERIOD:
        raise Invalid(N_("A review period can be at most ten years."), field="period_end")


# Compiling the inputs


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length just before: whole calendar months shift by months, anything else by days."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return _add_months(start, -months), start - timedelta(days=1)
    return start - (end - start) - timedelta(days=1), start - timedelta(days=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def compile_inputs(
    *,
    session: Session,
    organisation_id: int,
    period_start: date,
    period_end: date,
    policy: dict,
    today: date | None = None,
) -> dict:
    """The review's inputs (ISO 45001 9.3 a-g) as JSON-ready data: values and counts, labels are added when shown.
    `policy` is the deadline policy (settings.deadline_policy) that decides which open cases are overdue."""
    today = today or date.today()
    previous_start, previous_end = previous_period(period_start, period_end)
    audit_results = _audit_results(session, organisation_id, period_start, period_end)
    period_cases = _period_cases(session, organisation_id, period_start, period_end)
    previous = _trend_figures(
        _audit_results(session, organisation_id, previous_start, previous_end, detail=False),
        _period_cases(session, organisation_id, previous_start, previous_end),
    )
    current = _trend_figures(audit_results, period_cases)
    return {
        "version": INPUTS_VERSION,
        "compiled_at": utcnow().isoformat(timespec="seconds"),
        "today": today.isoformat(),
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "previous_period": {"start": previous_start.isoformat(), "end": previous_end.isoformat()},
        "earlier_decisions": _earlier_decisions(session, organisation_id, period_start),
        "audit_results": audit_results,
        "cases": {**_case_status(session, organisation_id, policy, today), **period_cases},
        "trends": [
            {
                "measure": key,
                "previous": previous[key],
                "current": current[key],
                "difference": None
                if previous[key] is None or current[key] is None
                else round(current[key] - previous[key], 1),
            }
            for key in TREND_MEASURES.values
        ],
        "over_time": _over_time(session, organisation_id, period_start, period_end),
        "improvement_opportunities": _improvement_opportunities(session, organisation_id, period_start, period_end),
    }


def _audits_in_period(organisation_id: int, start: date, end: date):
    """Audit results belong to the period the audit ended in."""
    return select(Audit.id).where(
        Audit.organisation_id == organisation_id, Audit.end_date >= start, Audit.end_date <= end
    )


def _audit_results(session: Session, organisation_id: int, start: date, end: date, *, detail: bool = True) -> dict:
    in_period = _audits_in_period(organisation_id, start, end)
    by_kind = dict(
        session.exec(
            select(Finding.kind, func.count()).where(Finding.audit_id.in_(in_period)).group_by(Finding.kind)
        ).all()
    )
    results = {
        "audit_count": session.exec(select(func.count()).select_from(in_period.subquery())).one(),
        "findings": sum(by_kind.values()),
        "by_kind": {kind: by_kind.get(kind, 0) for kind in v.FINDING_KINDS.values},
    }
    if not detail:
        return results

    is_nc = when((Finding.kind.in_(v.NONCONFORMITY_KINDS), 1))
    per_audit = {
        audit_id: (n, ncs)
        for audit_id, n, ncs in session.exec(
            select(Finding.audit_id, func.count(), func.count(is_nc))
            .where(Finding.audit_id.in_(in_period))
            .group_by(Finding.audit_id)
        )
    }
    audits = session.exec(
        select(Audit.id, Audit.title, Audit.audit_type, Audit.start_date, Audit.end_date, Audit.status)
        .where(Audit.id.in_(in_period))
        .order_by(Audit.end_date, Audit.id)
    ).all()
    results["audits"] = [
        {
            "id": a.id,
            "title": a.title,
            "audit_type": a.audit_type,
            "start_date": a.start_date.isoformat(),
            "end_date": a.end_date.isoformat(),
            "status": a.status,
            "findings": per_audit.get(a.id, (0, 0))[0],
            "nonconformities": per_audit.get(a.id, (0, 0))[1],
        }
        for a in audits
    ]
    # A finding counts for the sites it names (its own, never every site of its audit); one that names none is
    # counted apart ("not stated").
    audited_sites = session.exec(
        select(Site.id, Site.name, func.count(AuditSite.audit_id.distinct()))
        .join(AuditSite, AuditSite.site_id == Site.id)
        .where(AuditSite.audit_id.in_(in_period))
        .group_by(Site.id, Site.name)
        .order_by(Site.name)
    ).all()
    site_findings: dict[int, list[int]] = {site_id: [0, 0] for site_id, _, _ in audited_sites}
    not_stated = [0, 0]
    for kind, site_ids in session.exec(select(Finding.kind, Finding.site_ids).where(Finding.audit_id.in_(in_period))):
        counted = [site_findings[site_id] for site_id in set(site_ids or []) if site_id in site_findings]
        for counts in counted or [not_stated]:
            counts[0] += 1
            counts[1] += 1 if kind in v.NONCONFORMITY_KINDS else 0
    results["by_site"] = [
        {
            "site_id": site_id,
            "name": name,
            "audits": n_audits,
            "findings": site_findings[site_id][0],
            "nonconformities": site_findings[site_id][1],
        }
        for site_id, name, n_audits in audited_sites
    ]
    results["site_not_stated"] = {"findings": not_stated[0], "nonconformities": not_stated[1]}

    # Clauses and tags are JSON lists inside each finding, and a finding counts under its *first* ISO 45003
    # clause, which SQL cannot say portably; these are the period's findings of one organisation only.
    top: dict[str, int] = {}
    full: dict[str, int] = {}
    hazards: dict[str, int] = {}
    tables: dict[int, int] = {}
    bek = dict.fromkeys(v.BEK1406_FACTORS.values, 0)
    without_clause = 0
    for clauses, tags in session.exec(select(Finding.clauses, Finding.tags).where(Finding.audit_id.in_(in_period))):
        clause = next((ref.partition(":")[2] for ref in clauses or [] if ref.startswith("45003:")), None)
        if clause:
            full[clause] = full.get(clause, 0) + 1
            top[clause.split(".")[0]] = top.get(clause.split(".")[0], 0) + 1
        else:
            without_clause += 1
        for factor in set((tags or {}).get("bek1406") or []):
            if factor in bek:
                bek[factor] += 1
        factors = {f for f in (tags or {}).get("hazards") or [] if f in v.HAZARD_FACTORS}
        for factor in factors:
            hazards[factor] = hazards.get(factor, 0) + 1
        for number in {v.HAZARD_TABLES[f.split(".")[0]] for f in factors}:  # a finding counts once per table
            tables[number] = tables.get(number, 0) + 1
    results["by_clause"] = [
        {"clause": c, "count": n} for c, n in sorted(top.items(), key=lambda kv: _clause_key(kv[0]))
    ]
    results["by_full_clause"] = [
        {"clause": c, "count": n} for c, n in sorted(full.items(), key=lambda kv: _clause_key(kv[0]))
    ]
    results["without_clause"] = without_clause
    results["by_bek1406"] = bek
    results["by_hazard"] = [
        {"factor": f, "table": v.HAZARD_TABLES[f.split(".")[0]], "count": hazards[f]}
        for f in v.HAZARD_FACTORS.values
        if f in hazards
    ]
    results["by_hazard_table"] = [
        {"table": number, "count": tables.get(number, 0)} for number in sorted(set(v.HAZARD_TABLES.values()))
    ]
    return results


def _clause_key(clause: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in clause.split("."))


def _period_cases(session: Session, organisation_id: int, start: date, end: date) -> dict:
    """Cases opened, closed, still open at the end, verified, and days to close, in one period."""
    lo, hi = _bounds(start, end)
    opened, closed = and_(Case.opened_at >= lo, Case.opened_at < hi), and_(Case.closed_at >= lo, Case.closed_at < hi)
    verified = and_(Case.verified_on >= start, Case.verified_on <= end)
    n_opened, n_closed, open_at_end, effective, ineffective = session.exec(
        select(
            func.count(when((opened, 1))),
            func.count(when((closed, 1))),
            func.count(when((and_(Case.opened_at < hi, or_(Case.closed_at.is_(None), Case.closed_at >= hi)), 1))),
            func.count(when((and_(verified, Case.verification_result == v.VerificationResult.EFFECTIVE), 1))),
            func.count(when((and_(verified, Case.verification_result == v.VerificationResult.INEFFECTIVE), 1))),
        ).where(Case.organisation_id == organisation_id)
    ).one()
    closed_cases = session.exec(
        select(Case.opened_at, Case.closed_at).where(Case.organisation_id == organisation_id, closed)
    )
    days = sorted((closed_at.date() - opened_at.date()).days for opened_at, closed_at in closed_cases)  # type: ignore[union-attr]  # closed: closed_at is set
    by_source = dict(
        session.exec(
            select(Case.source, func.count())
            .where(Case.organisation_id == organisation_id, opened)
            .group_by(Case.source)
        ).all()
    )
    by_grade = dict(
        session.exec(
            select(Case.grade, func.count()).where(Case.organisation_id == organisation_id, opened).group_by(Case.grade)
        ).all()
    )
    return {
        "opened_in_period": n_opened,
        "opened_by_source": {s: by_source[s] for s in v.CASE_SOURCES.values if s in by_source},
        "opened_by_grade": {g: by_grade[g] for g in v.FINDING_KINDS.values if g in by_grade},
        "closed_in_period": n_closed,
        "open_at_end": open_at_end,
        "days_to_close": {
            "count": len(days),
            "median": statistics.median(days) if days else None,
            "mean": round(statistics.fmean(days), 1) if days else None,
            "buckets": [
                {"from": low, "to": high, "count": sum(1 for d in days if d >= low and (high is None or d <= high))}
                for low, high in CLOSE_BUCKETS
            ],
        },
        "effectiveness": {"effective": effective, "ineffective": ineffective},
    }


def _case_status(session: Session, organisation_id: int, policy: dict, today: date) -> dict:
    """The organisation's cases as they stand today: open by status and grade, and which are overdue."""
    is_open = and_(Case.organisation_id == organisation_id, Case.status != v.CaseStatus.CLOSED)
    by_status = dict(session.exec(select(Case.status, func.count()).where(is_open).group_by(Case.status)).all())
    by_grade = dict(session.exec(select(Case.grade, func.count()).where(is_open).group_by(Case.grade)).all())
    overdue = overdue_cases(session=session, organisation_id=organisation_id, policy=policy, today=today)
    overdue.sort(key=lambda row: (row.due or today, row.case.number))
    return {
        "open": sum(by_status.values()),
        "open_by_status": {s: by_status[s] for s in v.CASE_STATUSES.values if s in by_status},
        "open_by_grade": {g: by_grade[g] for g in v.FINDING_KINDS.values if g in by_grade},
        "overdue": len(overdue),
        "overdue_cases": [
            {
                "id": row.case.id,
                "reference": row.reference,
                "grade": row.case.grade,
                "status": row.case.status,
                "statement": row.case.statement[:200],
                "opened_on": row.case.opened_at.date().isoformat(),
                "due": row.due.isoformat() if row.due else None,
            }
            for row in overdue[:LISTED]
        ],
    }


def overdue_cases(*, session: Session, organisation_id: int, policy: dict, today: date) -> list[cases.CaseRow]:
    """The organisation's overdue open cases, by the board's rule (cases.due_date and cases.is_overdue)."""
    due = cases.due_date(policy)
    found = session.exec(select(Case, due).where(Case.organisation_id == organisation_id, cases.is_overdue(due, today)))
    return [cases.CaseRow(case, cases.case_reference(case), found_due, True) for case, found_due in found]


def _trend_figures(audit_results: dict, period_cases: dict) -> dict:
    by_kind = audit_results["by_kind"]
    days = period_cases["days_to_close"]
    return {
        "audits": audit_results["audit_count"],
        "findings": audit_results["findings"],
        "nonconformities": sum(by_kind[k] for k in v.NONCONFORMITY_KINDS),
        **by_kind,
        "cases_opened": period_cases["opened_in_period"],
        "cases_closed": period_cases["closed_in_period"],
        "open_at_end": period_cases["open_at_end"],
        "median_days_to_close": days["median"],
        "mean_days_to_close": days["mean"],
        "effective": period_cases["effectiveness"]["effective"],
        "ineffective": period_cases["effectiveness"]["ineffective"],
    }


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months the period touches, each cut to the period: (first day, last day)."""
    months, first = [], start.replace(day=1)
    while first <= end:
        following = _add_months(first, 1)
        months.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return months


def _over_time(session: Session, organisation_id: int, start: date, end: date) -> list[dict]:
    """Per month: cases opened, closed, and open at the month's end. One query, one column pair per month."""
    months = _months(start, end)
    lo, _ = _bounds(start, end)
    columns = [func.count(when((Case.opened_at < lo, 1))), func.count(when((Case.closed_at < lo, 1)))]
    for first, last in months:
        a, b = _bounds(first, last)
        columns += [
            func.count(when((and_(Case.opened_at >= a, Case.opened_at < b), 1))),
            func.count(when((and_(Case.closed_at >= a, Case.closed_at < b), 1))),
        ]
    # mypy types a select() of *columns as one column, but each row holds all of them.
    counts: Sequence[int] = session.exec(select(*columns).where(Case.organisation_id == organisation_id)).one()  # type: ignore[assignment]
    still_open = counts[0] - counts[1]
    rows = []
    for index, (first, _) in enumerate(months):
        opened, closed = counts[2 + 2 * index], counts[3 + 2 * index]
        still_open += opened - closed
        rows.append({"month": first.strftime("%Y-%m"), "opened": opened, "closed": closed, "open": still_open})
    return rows


def _earlier_decisions(session: Session, organisation_id: int, period_start: date) -> dict:
    """9.3 a): every decision of the last earlier review, and any decision of an older one whose case is still open."""
    earlier = and_(ManagementReview.organisation_id == organisation_id, ManagementReview.period_start < period_start)
    last = session.exec(
        select(ManagementReview).where(earlier).order_by(ManagementReview.period_end.desc(), ManagementReview.id.desc())
    ).first()
    if last is None:
        return {"previous_review": None, "decisions": [], "total": 0, "with_case": 0, "closed": 0, "open": 0}
    rows = session.exec(
        select(ReviewDecision, ManagementReview.period_start, ManagementReview.period_end, Case)
        .join(ManagementReview, ManagementReview.id == ReviewDecision.review_id)
        .outerjoin(Case, Case.id == ReviewDecision.case_id)
        .where(
            earlier, or_(ManagementReview.id == last.id, and_(Case.id.is_not(None), Case.status != v.CaseStatus.CLOSED))
        )
        .order_by(ManagementReview.period_end.desc(), ReviewDecision.id)
    ).all()
    decisions = [
        {
            "review_id": decision.review_id,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "decision_id": decision.id,
            "text": decision.text,
            "case_id": decision.case_id,
            "reference": cases.case_reference(case) if case else None,
            "status": case.status if case else None,
        }
        for decision, start, end, case in rows
    ]
    with_case = [d for d in decisions if d["case_id"] is not None]
    return {
        "previous_review": {
            "id": last.id,
            "period_start": last.period_start.isoformat(),
            "period_end": last.period_end.isoformat(),
        },
        "decisions": decisions,
        "total": len(decisions),
        "with_case": len(with_case),
        "closed": sum(1 for d in with_case if d["status"] == v.CaseStatus.CLOSED),
        "open": sum(1 for d in with_case if d["status"] != v.CaseStatus.CLOSED),
    }


def _improvement_opportunities(session: Session, organisation_id: int, start: date, end: date) -> dict:
    """9.3 g): the opportunities for improvement the period's audits raised."""
    ofi = and_(Finding.audit_id.in_(_audits_in_period(organisation_id, start, end)), Finding.kind == v.FindingKind.OFI)
    total = session.exec(select(func.count()).select_from(Finding).where(ofi)).one()
    rows = session.exec(
        select(Finding, Audit.title)
        .join(Audit, Audit.id == Finding.audit_id)
        .where(ofi)
        .order_by(Audit.end_date, Audit.id, Finding.number)
        .limit(LISTED)
    ).all()
    return {
        "total": total,
        "items": [
            {
                "audit_id": finding.audit_id,
                "audit_title": title,
                "reference": finding_reference(finding),
                "statement": finding.statement,
            }
            for finding, title in rows
        ],
    }
