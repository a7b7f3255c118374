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
from pathlib import Path
from typing import Any

from babel.dates import format_time
from babel.numbers import format_decimal
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.i18n import REPORT_TIME_ZONE, format_day, format_moment, localized, translate
from auditor.models import Audit, BodyLogo, Case, Finding, Organisation, Photo, User, utcnow
from auditor.reports.charts import BarChart
from auditor.reports.pictures import Picture
from auditor.services import (
    audit_time,
    audits,
    blobs,
    body_logo,
    cases,
    evidence,
    findings,
    follow_ups,
    photos,
    programmes,
    responses,
    sampling,
)
from auditor.services.checklists import audit_structure

NOT_ANSWERED_COLOUR = "#9ca3af"
PHOTO_WIDTH_MM = 60
LOGO_WIDTH_MM = 40
CHART_WIDTH_MM = 150

HOURS_PER_AUDIT_DAY = 8  # IAF MD 5: an audit day is normally eight hours

log = logging.getLogger("auditor")


@dataclass(frozen=True)
class ReportSettings:
    """What the installation's settings (config.py) give every report: the certification body and the Danish
    certificate's required extra time."""

    body_name: str = ""
    body_address: str = ""
    body_accreditation: str = ""
    body_logo: Path | None = None
    dk_extra_time_percent: float = 5.0

    @classmethod
    def of(cls, settings) -> ReportSettings:
        return cls(
            settings.cb_name,
            settings.cb_address,
            settings.cb_accreditation,
            settings.cb_logo,
            settings.dk_extra_time_percent,
        )


@dataclass(frozen=True)
class BodyInfo:
    name: str
    address: str
    accreditation: str
    logo: Picture
    has_logo: bool


@dataclass(frozen=True)
class StatementRow:
    code: str
    statement: str
    answer: str  # yes, no or not stated, in the report's language


@dataclass(frozen=True)
class AccompanyingRow:
    name: str
    role: str
    presence: str  # on site or remote


@dataclass(frozen=True)
class FollowUpRow:
    reference: str
    grade: str
    statement: str
    raised_in: str
    checked: str
    result: str
    result_code: str
    fill: str
    verified_by: str


@dataclass(frozen=True)
class UnitRow:
    name: str
    p_number: str
    material_hours: str
    significant_problems: str


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
    is_stage1: bool
    stage1_readiness: str
    stage1_readiness_code: str
    statements: list[StatementRow]
    accompanying: list[AccompanyingRow]
    combination: str
    combination_code: str
    significant_changes: str
    programme_issues: str
    unresolved_issues: str
    marks_control: str
    certificate_number: str
    certificate_expiry: str
    next_audit_date: str
    next_audit_source: str
    list_not_audited: bool


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
    address: str
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
    presence: str  # on site or remote


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
    """A top-level section's checklist questions (steps are the auditor's own work) and the findings raised on them."""

    title: str
    items: int  # questions
    answered: int  # questions with a verdict
    not_audited: int  # questions not audited on this visit (as the section's one-line summaries count them)
    conform: int  # questions with the verdict conform
    nonconformities: int  # nonconformity findings (each has its NC form)
    observations: int  # observation and OFI findings
    good_practice: int  # good practice findings


@dataclass(frozen=True)
class Statistics:
    answered: int
    total: int
    percent: int
    by_verdict: list[VerdictCount]
    by_section: list[SectionCount]
    chart: Picture
    section_total: SectionCount  # the sums of by_section


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
    # ISO 45001 10.2 beyond the actions (cases.record_investigation); "" where nothing is recorded
    correction_not_applicable: bool = False
    participants: str = ""  # who took part in the investigation, by role, and how
    extent: str = ""  # whether the same nonconformity exists or could occur elsewhere
    risk_assessment: str = ""  # the APV / risk assessment reviewed: yes (where) or no
    new_hazards: str = ""  # new or changed hazards assessed before acting: yes (what) or no
    system_changes: str = ""
    communication: str = ""  # when and how the workers and their representatives were told
    escalated: bool = False  # a minor NC still open after the audit that should have closed it (cases.is_escalated)
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
    sites: str = ""  # the sites / production units the finding concerns, or "not stated"


@dataclass(frozen=True)
class ConflictRow:
    """An item whose nonconformity verdict no finding records, or a finding that disagrees with its item's verdict
    (audits.verdict_conflicts): a report with any is not ready to issue."""

    item_code: str
    verdict: str
    finding: str  # "F-003: Minor nonconformity", or "" when there is no finding


@dataclass(frozen=True)
class SiteCount:
    site: str  # a site's name (with its P-number), or "Not stated"
    findings: int
    nonconformities: int


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
    weighing: list[str]  # Arbejdstilsynet's weighing, "Part: text" for each part written
    evidence: list[str]
    photos: list[PhotoRow]


@dataclass
class SectionBlock:
    """A section with its items; the audit report shows the audited ones and one line on the rest."""

    title: str
    level: int
    items: list[ItemRow] = field(default_factory=list)
    audited: list[ItemRow] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)  # codes of the items not audited on this visit
    not_audited_line: str = ""


@dataclass(frozen=True)
class CertificateInfo:
    applies: bool
    production_units: list[str]
    units: list[UnitRow]
    bek1407_auditor: str
    material_hours: str  # all production units together
    md5_days: str
    actual_days: str
    psychosocial_hours: str
    psychosocial_share: str  # per cent of the actual audit time
    material_share: str  # per cent of the IAF MD 5 audit time
    required_share: str  # per cent of the IAF MD 5 audit time (setting)
    required_hours: str
    requirement_met: str  # yes, no, or "" when the days are not stated


@dataclass(frozen=True)
class AuditTimeInfo:
    """The audit time by IAF MD 5 (services/audit_time.py), each figure formatted; "" where not known."""

    stated: bool  # the planned or the actual days are known
    personnel: str
    ohs_risk: str
    table_days: str
    reduction: str  # "-3,67: Surveillance audit: about 1/3 of ...", or "" when the audit takes the table's days
    adjustments: list[str]  # "+0,5: the reason"
    repeated_reduction: str  # a warning for each adjustment that repeats the reduction by type; "" none
    md5_days: str
    dk_extra: str  # "5 %: 0,3" for a Danish recognised certificate, else ""
    planned_days: str
    actual_days: str
    table: str  # the table's document, issue and number


@dataclass(frozen=True)
class SamplingRow:
    """One of the organisation's production units in the sampling plan (IAF MD 1)."""

    name: str
    p_number: str
    visited: str  # Yes or No
    central: bool
    reason: str


def tint(hex_colour: str, amount: float = 0.75) -> str:
    """A light tint of a vocabulary colour (RRGGBB, for Word's cell shading), so black text stays readable on it."""
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    r, g, b = (round(c + (255 - c) * amount) for c in (r, g, b))
    return f"{r:02X}{g:02X}{b:02X}"


def report_id(audit: Audit) -> str:
    return f"A{audit.id:05d}"


def build_report_context(
    *,
    session: Session,
    audit: Audit,
    kind: str,
    lang: str,
    policy: dict,
    settings: ReportSettings | None = None,
    now: datetime | None = None,
) -> dict[str, object]:
    """Every variable of a report on `audit`, in `lang`, as the templates read them."""
    settings = settings or ReportSettings()

    def t(message: str) -> str:
        return translate(message, lang)

    def label(vocabulary: v.Vocabulary, value: str | None) -> str:
        choice = vocabulary.get(value)
        return t(choice.label) if choice else ""

    def day(value: date | None) -> str:
        return format_day(value, lang)

    def number(value: float | None) -> str:
        return format_decimal(value, "#,##0.#", locale=lang) if value is not None else ""

    def yes_no(value: bool | None) -> str:
        return "" if value is None else t("Yes") if value else t("No")

    organisation = session.get_one(Organisation, audit.organisation_id)
    structure = audit_structure(session=session, audit=audit)
    answers = {r.item_id: r for r in responses.list_responses(session=session, audit=audit).items}
    team = audits.audit_team(session=session, audit=audit)
    sites = audits.audit_sites(session=session, audit=audit)

    # actor=None: a report never carries confidential evidence or photos, whoever downloads it.
    evidence_by_item: dict[str, list[str]] = {}
    interviews: Counter[str] = Counter()
    interviewed: Counter[str] = Counter()
    for entry in evidence.list_evidence(session=session, actor=None, audit=audit).items:
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
    shown = photos.list_photos(session=session, actor=None, audit=audit).items
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
    top_sections: dict[str, list[tuple[str, bool]]] = {}  # top-level section title -> (verdict, audited) a question
    top_of_question: dict[str, str] = {}  # a question's item id -> its top-level section's title
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
        block = sections[-1]
        item_row = ItemRow(
            code=placed.item.code,
            kind=placed.item.kind,
            choices=[t(c.short or c.label) for c in v.answers_for(audit.audit_type, placed.item.kind)],
            clauses=", ".join(v.clause_label(ref) for ref in placed.item.clauses),
            question=localized(placed.item.question.model_dump(), lang),
            verdict=verdict,
            verdict_label=label(v.ANSWERS, verdict) if verdict else t("Not audited on this visit"),
            fill=tint(v.ANSWERS[verdict].colour if verdict else NOT_ANSWERED_COLOUR),
            note=answer.note if answer else "",
            weighing=[
                f"{t(part.label)}: {text}"
                for part in v.WEIGHING_PARTS
                if (text := ((answer.weighing if answer else None) or {}).get(part.value, "").strip())
            ],
            evidence=evidence_by_item.get(item_id, []),
            photos=photos_by_item.get(item_id, []),
        )
        block.items.append(item_row)
        # An item is audited if it has a verdict, a note, evidence or a photo; the rest is one line per section.
        audited = bool(verdict or item_row.note or item_row.weighing or item_row.evidence or item_row.photos)
        if audited:
            block.audited.append(item_row)
        else:
            block.not_audited.append(item_row.code)
        if not placed.item.is_step:
            questions += 1
            counts.update([verdict] if verdict else [])
            top = f"{placed.path[0].code} {localized(placed.path[0].title.model_dump(), lang)}"
            top_sections.setdefault(top, []).append((verdict, audited))
            top_of_question[item_id] = top
    for block in sections:
        if block.not_audited:
            block.not_audited_line = (
                t("Not audited on this visit: {items}.").format(items=", ".join(block.not_audited))
                if audit.list_not_audited
                else t("Not audited on this visit: {count} of {total} items.").format(
                    count=len(block.not_audited), total=len(block.items)
                )
            )

    # Statistics
    by_verdict = [
        VerdictCount(c.value, t(c.label), t(c.short), tint(c.colour), counts.get(c.value, 0))
        for c in v.verdicts_for(audit.audit_type)
    ]
    answered = sum(counts.values())
    # By section: the questions by verdict, and the findings raised on them, so that the table's nonconformities are
    # the NC forms, its observations and good practice the findings table's; a finding on no question has a row.
    audit_findings = findings.list_findings(session=session, audit=audit)
    raised: dict[str | None, list[str]] = {}
    for finding in audit_findings:
        raised.setdefault(top_of_question.get(finding.item_id or ""), []).append(finding.kind)
    by_section = [
        _section_count(title, answers_of_section, raised.get(title, []))
        for title, answers_of_section in top_sections.items()
    ]
    if None in raised:
        by_section.append(_section_count(t("Not raised on a checklist question"), [], raised[None]))
    section_total = _section_count(
        t("Total"),
        [answer for answers_of_section in top_sections.values() for answer in answers_of_section],
        [kind for kinds in raised.values() for kind in kinds],
    )
    chart = BarChart(
        t("Answers by verdict"),
        [(c.label, c.count) for c in by_verdict],
        colours=[v.VERDICTS[c.code].colour for c in by_verdict],
    )

    # Findings, with their nonconformity cases and their own sites
    site_names = {s.id: f"{s.name} (P-nr. {s.p_number})" if s.p_number else s.name for s in sites}
    not_stated = t("Not stated")
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
            lang=lang,
            sites=", ".join(site_names[i] for i in finding.site_ids if i in site_names) or not_stated,
        )
        for finding in audit_findings
    ]
    by_site = [
        SiteCount(
            name,
            sum(1 for f in audit_findings if site_id in f.site_ids),
            sum(1 for f in audit_findings if site_id in f.site_ids and f.kind in v.NONCONFORMITY_KINDS),
        )
        for site_id, name in site_names.items()
    ]
    unplaced = [f for f in audit_findings if not set(f.site_ids) & site_names.keys()]
    if unplaced:
        by_site.append(
            SiteCount(not_stated, len(unplaced), sum(1 for f in unplaced if f.kind in v.NONCONFORMITY_KINDS))
        )
    conflicts = [
        ConflictRow(
            c.code,
            label(v.ANSWERS, c.verdict) if c.verdict else t("Not answered"),
            f"F-{c.finding_number:03d}: {label(v.FINDING_KINDS, c.finding_kind)}" if c.finding_number else "",
        )
        for c in audits.verdict_conflicts(session=session, audit=audit)
    ]

    snapshots = audits.audit_snapshots(session=session, audit=audit)
    units = audits.production_units(session=session, audit=audit)
    follow_up_rows = []
    for case, recorded in follow_ups.carried_over(session=session, audit=audit).items:
        origin = session.get(Audit, case.audit_id) if case.audit_id else None
        result = v.FOLLOW_UP_RESULTS.get(recorded.result) if recorded else None
        follow_up_rows.append(
            FollowUpRow(
                reference=cases.case_reference(case),
                grade=label(v.FINDING_KINDS, case.grade),
                statement=case.statement,
                raised_in=f"{origin.title} ({day(origin.start_date)})" if origin else "",
                checked=recorded.checked if recorded else "",
                result=t(result.label) if result else t("Not verified yet"),
                result_code=result.value if result else "",
                fill=tint(result.colour if result else NOT_ANSWERED_COLOUR),
                verified_by=_user_name(session, recorded.verified_by_id) if recorded else "",
            )
        )
    material_total = (
        sum(link.material_hours or 0 for _, link in units)
        if any(link.material_hours is not None for _, link in units)
        else None
    )
    shares = _time_shares(audit, material_total, settings.dk_extra_time_percent)
    # The logo an administrator uploaded, else the file the setting names
    uploaded_logo = body_logo.current(session=session)
    logo_reader = _logo_reader(session, uploaded_logo) if uploaded_logo else _file_reader(settings.body_logo)
    lead = next((user for user, role in team if role == v.TeamRole.LEAD), None)
    bek1407 = session.get(User, audit.bek1407_auditor_id) if audit.bek1407_auditor_id else None
    now = now or utcnow()
    next_audit_date, next_audit_source = _next_audit(session, audit, now.astimezone(REPORT_TIME_ZONE).date(), t, day)
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
            is_stage1=audit.audit_type == v.AuditType.STAGE1,
            stage1_readiness=label(v.STAGE1_READINESS, audit.stage1_readiness),
            stage1_readiness_code=audit.stage1_readiness,
            statements=[
                StatementRow(c.value, t(c.label), yes_no(audit.statements.get(c.value)) or t("Not stated"))
                for c in v.STATEMENTS
            ],
            accompanying=[
                AccompanyingRow(
                    person.get("name", ""),
                    label(v.ACCOMPANYING_ROLES, person.get("role")),
                    t("Remote") if person.get("remote") else t("On site"),
                )
                for person in audit.accompanying
            ],
            combination=label(v.AUDIT_COMBINATIONS, audit.combination),
            combination_code=audit.combination,
            significant_changes=audit.significant_changes,
            programme_issues=audit.programme_issues,
            unresolved_issues=audit.unresolved_issues,
            marks_control=audit.marks_control,
            certificate_number=audit.certificate_number,
            certificate_expiry=day(audit.certificate_expiry),
            next_audit_date=next_audit_date,
            next_audit_source=next_audit_source,
            list_not_audited=audit.list_not_audited,
        ),
        "body": BodyInfo(
            settings.body_name,
            settings.body_address,
            settings.body_accreditation,
            Picture(logo_reader, LOGO_WIDTH_MM),
            uploaded_logo is not None or settings.body_logo is not None,
        ),
        "follow_ups": follow_up_rows,
        "areas_of_concern": [f for f in finding_rows if f.kind == v.Verdict.AREA_OF_CONCERN],
        "checklists": [
            ChecklistInfo(localized(s.title, lang), s.version, localized(s.content["attribution"], lang))
            for s in snapshots
        ],
        "organisation": OrganisationInfo(
            organisation.name,
            organisation.cvr or "",
            organisation.address,
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
                presence=t("Remote") if e.remote else t("On site"),
            )
            for e in audits.plan_entries(session=session, audit=audit).items
        ],
        "statistics": Statistics(
            answered,
            questions,
            round(100 * answered / questions) if questions else 0,
            by_verdict,
            by_section,
            Picture(chart, CHART_WIDTH_MM),
            section_total,
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
            units=[
                UnitRow(site.name, site.p_number or "", number(link.material_hours), link.significant_problems)
                for site, link in units
            ],
            bek1407_auditor=bek1407.name if bek1407 else "",
            material_hours=number(material_total),
            md5_days=number(audit.md5_days),
            actual_days=number(audit.actual_days),
            psychosocial_hours=number(audit.psychosocial_hours),
            psychosocial_share=number(shares.psychosocial),
            material_share=number(shares.material),
            required_share=number(settings.dk_extra_time_percent),
            required_hours=number(shares.required_hours),
            requirement_met=yes_no(shares.met),
        ),
        "audit_time": _audit_time_info(
            audit_time.audit_time(audit=audit, dk_extra_percent=settings.dk_extra_time_percent), t, number
        ),
        "sampling": [
            SamplingRow(
                row.site.name,
                row.site.p_number or "",
                yes_no(row.visited),
                row.central,
                sampling.visit_reason(row, t),
            )
            for row in sampling.sampling_plan(session=session, audit=audit).units
        ],
        "sections": sections,
        "findings_by_site": by_site,
        "verdict_conflicts": conflicts,
    }


def _section_count(title: str, answers: list[tuple[str, bool]], kinds: list[str]) -> SectionCount:
    """One row of the statistics by section: its questions' (verdict, audited) and the kinds of findings raised on them."""
    verdicts = [verdict for verdict, _ in answers]
    return SectionCount(
        title=title,
        items=len(answers),
        answered=sum(1 for verdict in verdicts if verdict),
        not_audited=sum(1 for _, audited in answers if not audited),
        conform=verdicts.count(v.Verdict.CONFORM),
        nonconformities=sum(1 for kind in kinds if kind in v.NONCONFORMITY_KINDS),
        observations=sum(1 for kind in kinds if kind in (v.Verdict.OBSERVATION, v.Verdict.OFI)),
        good_practice=kinds.count(v.Verdict.GOOD_PRACTICE),
    )


def _audit_time_info(time: audit_time.AuditTime, t: Callable[[str], str], number: Callable) -> AuditTimeInfo:
    def signed(days: float) -> str:
        return ("+" if days > 0 else "") + number(days)

    return AuditTimeInfo(
        time.planned_days is not None or time.actual_days is not None,
        str(time.personnel) if time.personnel is not None else "",
        t(v.OHS_RISKS[time.ohs_risk].label) if time.ohs_risk in v.OHS_RISKS else "",
        number(time.table_days),
        f"{signed(time.reduction_days)}: {audit_time.reduction_reason(time, t)}" if time.reduction_days else "",
        [f"{signed(a['days'])}: {a['reason']}" for a in time.adjustments],
        " ".join(audit_time.repeated_reduction_warnings(time, t, number)),
        number(time.md5_days),
        f"{number(time.dk_extra_percent)} %: {number(time.dk_extra_days)}" if time.dk_extra_percent is not None else "",
        number(time.planned_days),
        number(time.actual_days),
        time.table_citation,
    )


@dataclass(frozen=True)
class TimeShares:
    psychosocial: float | None  # per cent of the actual audit time
    material: float | None  # per cent of the IAF MD 5 audit time
    required_hours: float | None  # the extra hours required on the material work environment
    met: bool | None


def _time_shares(audit: Audit, material_hours: float | None, required_percent: float) -> TimeShares:
    """The Danish certificate's time figures: the psychosocial hours as a share of the actual audit time, the material
    hours as a share of the IAF MD 5 time, and whether they reach the required extra time (None: not known)."""
    actual = audit.actual_days * HOURS_PER_AUDIT_DAY if audit.actual_days else None
    md5 = audit.md5_days * HOURS_PER_AUDIT_DAY if audit.md5_days else None
    required = md5 * required_percent / 100 if md5 is not None else None
    return TimeShares(
        round(100 * audit.psychosocial_hours / actual, 1) if actual and audit.psychosocial_hours is not None else None,
        round(100 * material_hours / md5, 1) if md5 and material_hours is not None else None,
        round(required, 1) if required is not None else None,
        material_hours + 1e-9 >= required if required is not None and material_hours is not None else None,
    )


def _next_audit(
    session: Session, audit: Audit, today: date, t: Callable[[str], str], day: Callable[[date | None], str]
) -> tuple[str, str]:
    """The next audit's date and where it comes from: the date the team wrote (no source: it is theirs), else the
    next audit the organisation's programme plans, or its window while it is not planned (services/programmes)."""
    if audit.next_audit_date is not None:
        return day(audit.next_audit_date), ""
    following = programmes.next_audit(session=session, audit=audit, today=today)
    if following is None:
        return "", ""
    kind = v.AUDIT_TYPES.get(following.audit_type)
    name = t(kind.label) if kind else following.audit_type
    if following.planned is not None:
        return day(following.planned), t("{type}, planned in the audit programme").format(type=name)
    return f"{day(following.opens)} – {day(following.closes)}", t("{type}, window in the audit programme").format(
        type=name
    )


def _user_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.name if user else ""


def _file_reader(path: Path | None) -> Callable[[], bytes | None]:
    """Reads the certification body's logo when the report places it; a missing file is logged and left out."""

    def read() -> bytes | None:
        if path is None:
            return None
        try:
            return path.read_bytes()
        except OSError as error:
            log.warning("The certification body's logo %s is left out of the report: %s", path, error)
            return None

    return read


def _logo_reader(session: Session, logo: BodyLogo) -> Callable[[], bytes | None]:
    """Reads the uploaded logo when the report places it; a missing blob is logged and left out."""

    def read() -> bytes | None:
        content = body_logo.read(session=session, logo=logo)
        if content is None:
            log.warning("The certification body's uploaded logo is left out of the report: its file is missing")
        return content

    return read


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
    t: Callable[[str], str],
    lang: str,
    sites: str = "",
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
            reference=cases.case_reference(case, lang),
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
            **_corrective_action_facts(case, t, label, day),
            escalated=cases.case_row(session=session, case=case, policy=policy, with_actions=False).escalated,
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
        sites=sites,
    )


def _corrective_action_facts(case: Case, t: Callable[[str], str], label, day) -> dict[str, Any]:
    """A case's ISO 45001 10.2 facts as sentences in the report's language ("" where nothing is recorded)."""

    def yes_no(answer: bool | None, detail: str) -> str:
        if answer is None:
            return ""
        return f"{t('Yes') if answer else t('No')}{': ' + detail if detail else ''}"

    roles = ", ".join(label(v.ACTORS, role) for role in case.investigation_participants)
    told = day(case.communicated_on)
    return {
        "correction_not_applicable": case.correction_not_applicable,
        "participants": ". ".join(x for x in (roles, case.participation_note) if x),
        "extent": case.extent,
        "risk_assessment": yes_no(case.apv_reviewed, case.apv_reference),
        "new_hazards": yes_no(case.new_hazards_assessed, case.new_hazards),
        "system_changes": case.system_changes,
        "communication": f"{told}: {case.communication}" if told else case.communication,
    }
