"""What a report says: the variables a Word template reads, gathered from the services and translated into
the report's language. Every report kind gets the same variables (reports/variables.py documents each one).

Nothing confidential is ever gathered here: evidence and photos are read with no actor, which leaves
confidential entries out, and interviewees appear by role and count only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_time
from babel.numbers import format_decimal
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.i18n import REPORT_TIME_ZONE, format_day, format_moment, localized, translate
from auditor.models import Audit, Case, Finding, Organisation, Photo, User, utcnow
from auditor.reports.charts import BarChart
from auditor.reports.pictures import Picture
from auditor.services import audits, blobs, cases, evidence, findings, photos, responses
from auditor.services.checklists import audit_structure

NOT_ANSWERED_COLOUR = "#9ca3af"
PHOTO_WIDTH_MM = 60
CHART_WIDTH_MM = 150

log = logging.getLogger("auditor")


@dataclass(frozen=True)
class ReportInfo:
    id: str
    version: str
    kind: str
    generated: str
    language: str


@dataclass(frozen=True)
class AuditInfo:
    title: str
    type: str
    type_code: str
    is_certification: bool
    is_internal: bool
    status: str
    dates: str
    start_date: str
    end_date: str
    objectives: str
    scope: str
    criteria: str
    checklists: list[str]
    plan_deviations: str
    summary: str
    conclusion: str
    recommendation: str
    recommendation_code: str


@dataclass(frozen=True)
class ChecklistInfo:
    title: str
    version: str
    attribution: str


@dataclass(frozen=True)
class SiteInfo:
    name: str
    p_number: str
    address: str


@dataclass(frozen=True)
class OrganisationInfo:
    name: str
    cvr: str
    sites: list[SiteInfo]
    representative: str


@dataclass(frozen=True)
class TeamInfo:
    lead: str
    auditors: list[str]
    bek1407_auditor: str


@dataclass(frozen=True)
class PlanRow:
    day: str
    time: str
    activity: str
    auditor: str
    auditee_role: str


@dataclass(frozen=True)
class InterviewCount:
    role: str
    interviews: int
    people: int


@dataclass(frozen=True)
class VerdictCount:
    code: str
    label: str
    short: str
    fill: str
    count: int


@dataclass(frozen=True)
class SectionCount:
    title: str
    items: int
    answered: int
    conform: int
    nonconformities: int
    observations: int
    good_practice: int


@dataclass(frozen=True)
class Statistics:
    answered: int
    total: int
    percent: int
    by_verdict: list[VerdictCount]
    by_section: list[SectionCount]
    chart: Picture


@dataclass(frozen=True)
class PhotoRow:
    image: Picture
    caption: str


@dataclass(frozen=True)
class ActionRow:
    description: str
    owner: str
    due: str
    status: str


@dataclass(frozen=True)
class CaseInfo:
    reference: str
    status: str
    correction: str
    root_cause: str
    actions: list[ActionRow]
    verification: str
    # The auditor's evaluation of the organisation's response (its root cause and corrective action plan)
    received: str = ""  # the day the plan came in
    evaluation: str = ""  # accepted or returned, or nothing yet
    evaluation_reason: str = ""  # why it was returned
    evaluated_on: str = ""


@dataclass(frozen=True)
class FindingRow:
    reference: str
    kind: str
    kind_label: str
    fill: str
    clauses: str
    item_code: str
    requirement: str
    statement: str
    evidence: str
    photos: list[PhotoRow]
    correction_due: str
    response_due: str
    case: CaseInfo | None


@dataclass(frozen=True)
class ItemRow:
    code: str
    kind: str
    choices: list[str]
    clauses: str
    question: str
    verdict: str
    verdict_label: str
    fill: str
    note: str
    evidence: list[str]
    photos: list[PhotoRow]


@dataclass
class SectionBlock:
    title: str
    level: int
    items: list[ItemRow] = field(default_factory=list)


@dataclass(frozen=True)
class CertificateInfo:
    applies: bool
    production_units: list[str]
    bek1407_auditor: str
    material_hours: str
    significant_problems: str


def tint(hex_colour: str, amount: float = 0.75) -> str:
    """A light tint of a vocabulary colour (RRGGBB, for Word's cell shading), so black text stays readable on it."""
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"{r:02X}{g:02X}{b:02X}"


def report_id(audit: Audit) -> str:
    return f"A{audit.id:05d}"


def build_report_context(
    *, session: Session, audit: Audit, kind: str, lang: str, policy: dict, now: datetime | None = None
) -> dict[str, object]:
    """Every variable of a report on `audit`, in `lang`, as the templates read them."""

    def t(message: str) -> str:
        return translate(message, lang)

    def label(vocabulary: v.Vocabulary, value: str | None) -> str:
        choice = vocabulary.get(value)
        return t(choice.label) if choice else ""

    def day(value: date | None) -> str:
        return format_day(value, lang)

    organisation = session.get_one(Organisation, audit.organisation_id)
    structure = audit_structure(session=session, audit_id=audit.id)
    answers = {r.item_id: r for r in responses.list_responses(session=session, audit=audit)}
    team = audits.audit_team(session=session, audit=audit)
    sites = audits.audit_sites(session=session, audit=audit)

    # actor=None: a report never carries confidential evidence or photos, whoever downloads it.
    evidence_by_item: dict[str, list[str]] = {}
    interviews: Counter[str] = Counter()
    interviewed: Counter[str] = Counter()
    for entry in evidence.list_evidence(session=session, actor=None, audit=audit):
        if entry.method in v.INTERVIEW_METHODS and entry.interviewee_role:
            interviews[entry.interviewee_role] += 1
            interviewed[entry.interviewee_role] += entry.interviewee_count or 0
        who = (
            f" ({label(v.ACTORS, entry.interviewee_role)}, {entry.interviewee_count})" if entry.interviewee_role else ""
        )
        evidence_by_item.setdefault(entry.item_id, []).append(
            f"{label(v.EVIDENCE_METHODS, entry.method)}{who}: {entry.summary}"
        )
    photos_by_item: dict[str, list[PhotoRow]] = {}
    photos_by_finding: dict[int, list[PhotoRow]] = {}
    shown = photos.list_photos(session=session, actor=None, audit=audit)
    stored = blobs.stored(session=session, digests=(photo.sha256 for photo in shown))
    for photo in shown:
        if photo.sha256 not in stored:
            _photo_left_out(photo)
            continue
        row = PhotoRow(Picture(_photo_reader(session, photo), PHOTO_WIDTH_MM), photo.caption)
        if photo.finding_id is not None:
            photos_by_finding.setdefault(photo.finding_id, []).append(row)
        elif photo.item_id:
            photos_by_item.setdefault(photo.item_id, []).append(row)

    # Checklist responses, section by section. The statistics count questions only: a step is the auditor's own work.
    sections: list[SectionBlock] = []
    top_sections: dict[str, list[str | None]] = {}  # top-level section title -> the verdicts of its questions
    counts: Counter[str] = Counter()
    questions = 0
    last_path: tuple = ()
    for item_id, placed in structure.items.items():
        for depth, section in enumerate(placed.path):
            if len(last_path) <= depth or last_path[depth] is not section:
                sections.append(
                    SectionBlock(f"{section.code} {localized(section.title.model_dump(), lang)}", depth + 1)
                )
        last_path = placed.path
        answer = answers.get(item_id)
        verdict = answer.verdict if answer and answer.verdict else ""
        if not placed.item.is_step:
            questions += 1
            counts.update([verdict] if verdict else [])
            top_sections.setdefault(
                f"{placed.path[0].code} {localized(placed.path[0].title.model_dump(), lang)}", []
            ).append(verdict)
        sections[-1].items.append(
            ItemRow(
                code=placed.item.code,
                kind=placed.item.kind,
                choices=[t(c.short or c.label) for c in v.answers_for(audit.audit_type, placed.item.kind)],
                clauses=", ".join(v.clause_label(ref) for ref in placed.item.clauses),
                question=localized(placed.item.question.model_dump(), lang),
                verdict=verdict,
                verdict_label=label(v.ANSWERS, verdict) if verdict else t("Not answered"),
                fill=tint(v.ANSWERS[verdict].colour if verdict else NOT_ANSWERED_COLOUR),
                note=answer.note if answer else "",
                evidence=evidence_by_item.get(item_id, []),
                photos=photos_by_item.get(item_id, []),
            )
        )

    # Statistics
    by_verdict = [
        VerdictCount(c.value, t(c.label), t(c.short), tint(c.colour), counts.get(c.value, 0))
        for c in v.verdicts_for(audit.audit_type)
    ]
    answered = sum(counts.values())
    by_section = [
        SectionCount(
            title,
            len(verdicts),
            sum(1 for x in verdicts if x),
            verdicts.count(v.Verdict.CONFORM),
            sum(1 for x in verdicts if x in v.NONCONFORMITY_KINDS),
            verdicts.count(v.Verdict.OBSERVATION) + verdicts.count(v.Verdict.OFI),
            verdicts.count(v.Verdict.GOOD_PRACTICE),
        )
        for title, verdicts in top_sections.items()
    ]
    chart = BarChart(
        t("Answers by verdict"),
        [(c.label, c.count) for c in by_verdict],
        colours=[v.VERDICTS[c.code].colour for c in by_verdict],
    )

    # Findings, with their nonconformity cases
    finding_rows = [
        _finding_row(
            session=session,
            finding=finding,
            structure=structure,
            policy=policy,
            label=label,
            day=day,
            photos=photos_by_finding.get(finding.id, []),
            case=cases.case_for_finding(session=session, finding_id=finding.id),
            t=t,
        )
        for finding in findings.list_findings(session=session, audit=audit)
    ]

    snapshots = audits.audit_snapshots(session=session, audit=audit)
    lead = next((user for user, role in team if role == v.TeamRole.LEAD), None)
    bek1407 = session.get(User, audit.bek1407_auditor_id) if audit.bek1407_auditor_id else None
    now = now or utcnow()
    return {
        "report": ReportInfo(
            report_id(audit),
            audit.report_version,
            label(v.REPORT_KINDS, kind),
            format_moment(now, lang, REPORT_TIME_ZONE),
            lang,
        ),
        "audit": AuditInfo(
            title=audit.title,
            type=label(v.AUDIT_TYPES, audit.audit_type),
            type_code=audit.audit_type,
            is_certification=audit.audit_type in v.CERTIFICATION_AUDIT_TYPES,
            is_internal=audit.audit_type == v.AuditType.INTERNAL,
            status=label(v.AUDIT_STATUSES, audit.status),
            dates=day(audit.start_date) + ("" if audit.end_date == audit.start_date else f" – {day(audit.end_date)}"),
            start_date=day(audit.start_date),
            end_date=day(audit.end_date),
            objectives=audit.objectives,
            scope=audit.scope,
            criteria=audit.criteria,
            checklists=[f"{localized(s.title, lang)} (v{s.version})" for s in snapshots],
            plan_deviations=audit.plan_deviations,
            summary=audit.summary,
            conclusion=audit.conclusion,
            recommendation=label(v.RECOMMENDATIONS, audit.recommendation),
            recommendation_code=audit.recommendation,
        ),
        "checklists": [
            ChecklistInfo(localized(s.title, lang), s.version, localized(s.content["attribution"], lang))
            for s in snapshots
        ],
        "organisation": OrganisationInfo(
            organisation.name,
            organisation.cvr or "",
            [SiteInfo(s.name, s.p_number or "", s.address) for s in sites],
            audit.auditee_representative,
        ),
        "team": TeamInfo(
            lead.name if lead else "",
            [user.name for user, role in team if role != v.TeamRole.LEAD],
            bek1407.name if bek1407 else "",
        ),
        "plan": [
            PlanRow(
                day=format_day(e.day, lang, short_month=True),
                time=format_time(e.start_time, "HH:mm", locale=lang)
                + (f"–{format_time(e.end_time, 'HH:mm', locale=lang)}" if e.end_time else ""),
                activity=" – ".join(
                    x for x in (label(v.PLAN_KINDS, e.kind) if e.kind != v.PlanKind.ACTIVITY else "", e.activity) if x
                ),
                auditor=e.auditor,
                auditee_role=v.plan_role(e.auditee_role, t),
            )
            for e in audits.plan_entries(session=session, audit=audit)
        ],
        "statistics": Statistics(
            answered,
            questions,
            round(100 * answered / questions) if questions else 0,
            by_verdict,
            by_section,
            Picture(chart, CHART_WIDTH_MM),
        ),
        "interviews": [
            InterviewCount(t(actor.label), interviews[actor.value], interviewed[actor.value]) for actor in v.ACTORS
        ],
        "findings": finding_rows,
        "nonconformities": [f for f in finding_rows if f.kind in v.NONCONFORMITY_KINDS],
        "good_practice": [f for f in finding_rows if f.kind == v.Verdict.GOOD_PRACTICE],
        "certificate": CertificateInfo(
            applies=audit.dk_certificate,
            production_units=[f"{s.name} (P-nr. {s.p_number})" if s.p_number else s.name for s in sites],
            bek1407_auditor=bek1407.name if bek1407 else "",
            material_hours=format_decimal(audit.material_hours, "#,##0.#", locale=lang)
            if audit.material_hours is not None
            else "",
            significant_problems=audit.significant_problems,
        ),
        "sections": sections,
    }


def _photo_reader(session: Session, photo: Photo) -> Callable[[], bytes | None]:
    """Reads the photo's image when the report places it, so only one photo is in memory at a time."""

    def read() -> bytes | None:
        content = blobs.read(session=session, sha256=photo.sha256)
        if content is None:  # deleted after the report started
            _photo_left_out(photo)
        return content

    return read


def _photo_left_out(photo: Photo) -> None:
    log.warning(
        "Photo %s of audit %s is left out of the report: its file is not in the database", photo.id, photo.audit_id
    )


def _finding_row(
    *,
    session: Session,
    finding: Finding,
    structure,
    policy: dict,
    label,
    day,
    photos: list[PhotoRow],
    case: Case | None,
    t,
) -> FindingRow:
    placed = structure.items.get(finding.item_id) if finding.item_id else None
    kind = v.VERDICTS[finding.kind]
    due = cases.deadlines(case=case, policy=policy) if case else None
    case_info = None
    if case is not None:
        actions = cases.case_actions(session=session, case=case)
        owners = {user.id: user.name for user in (session.get(User, a.owner_id) for a in actions) if user}
        verification = ""
        if case.verification_result:
            verification = f"{label(v.VERIFICATION_RESULTS, case.verification_result)} ({day(case.verified_on)}): {case.verification_method}"
        case_info = CaseInfo(
            reference=cases.case_reference(case),
            status=label(v.CASE_STATUSES, case.status),
            correction=case.correction,
            root_cause=case.root_cause,
            actions=[
                ActionRow(
                    a.description, owners.get(a.owner_id, ""), day(a.due_date), label(v.ACTION_STATUSES, a.status)
                )
                for a in actions
            ],
            verification=verification,
            received=day(case.plan_submitted_at.date()) if case.plan_submitted_at else "",
            evaluation=t("Accepted") if case.plan_accepted_at else t("Returned") if case.plan_return_reason else "",
            evaluation_reason=case.plan_return_reason,
            evaluated_on=day(case.plan_accepted_at.date()) if case.plan_accepted_at else "",
        )
    return FindingRow(
        reference=findings.finding_reference(finding),
        kind=finding.kind,
        kind_label=label(v.VERDICTS, finding.kind),
        fill=tint(kind.colour),
        clauses=", ".join(v.clause_label(ref) for ref in finding.clauses),
        item_code=placed.item.code if placed else "",
        requirement=finding.requirement,
        statement=finding.statement,
        evidence=finding.evidence,
        photos=photos,
        correction_due=day(due.correction) if due else "",
        response_due=day(due.plan) if due else "",
        case=case_info,
    )
