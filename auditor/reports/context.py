"""What an audit report says, gathered from the services, translated into the report's language."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from babel.dates import format_date, format_datetime, format_time
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.i18n import localized, translate
from auditor.models import Audit, Organisation, utcnow
from auditor.services import audits, evidence, findings, photos, responses
from auditor.services.checklists import audit_structure


@dataclass
class VerdictCount:
    value: str
    label: str
    colour: str
    count: int


@dataclass
class FindingRow:
    reference: str
    kind: str
    kind_label: str
    colour: str
    clauses: str
    item_code: str
    requirement: str
    statement: str
    evidence: str


@dataclass(frozen=True)
class ReportPhoto:
    path: Path
    caption: str


@dataclass
class ItemRow:
    code: str
    clauses: str
    question: str
    verdict: str | None
    verdict_label: str
    colour: str
    note: str
    evidence: list[str]
    photos: list[ReportPhoto] = field(default_factory=list)


@dataclass
class SectionBlock:
    title: str
    level: int
    items: list[ItemRow] = field(default_factory=list)


@dataclass
class PlanRow:
    day: str
    time: str
    activity: str
    auditor: str
    auditee_role: str


@dataclass
class AuditReportContext:
    lang: str
    title: str
    organisation: str
    cvr: str
    sites: list[str]
    audit_type: str
    status: str
    dates: str
    lead_auditor: str
    team: list[str]
    scope: str
    objectives: str
    criteria: str
    checklists: list[str]
    plan: list[PlanRow]
    answered: int
    total: int
    verdict_counts: list[VerdictCount]
    findings: list[FindingRow]
    sections: list[SectionBlock]
    generated_at: str
    report_id: str

    def t(self, message: str) -> str:
        return translate(message, self.lang)


def _format_date(value: date, lang: str) -> str:
    return format_date(value, "long", locale=lang)


def build_audit_report_context(*, session: Session, audit: Audit, lang: str, now: datetime | None = None, photo_storage: Path | None = None) -> AuditReportContext:
    def t(message: str) -> str:
        return translate(message, lang)

    def label(vocabulary: v.Vocabulary, value: str | None) -> str:
        return t(vocabulary[value].label) if value in vocabulary else ""

    organisation = session.get(Organisation, audit.organisation_id)
    structure = audit_structure(session=session, audit_id=audit.id)
    answers = {r.item_id: r for r in responses.list_responses(session=session, audit=audit)}
    evidence_by_item: dict[str, list[str]] = {}
    # actor=None: a report never carries confidential evidence, whoever downloads it.
    for entry in evidence.list_evidence(session=session, actor=None, audit=audit):
        who = ""
        if entry.interviewee_role:
            who = f" ({label(v.ACTORS, entry.interviewee_role)}, {entry.interviewee_count})"
        evidence_by_item.setdefault(entry.item_id, []).append(f"{label(v.EVIDENCE_METHODS, entry.method)}{who}: {entry.summary}")

    # actor=None: never a confidential photo. Only paths here: the renderer reads one file at a time.
    photos_by_item: dict[str, list[ReportPhoto]] = {}
    if photo_storage is not None:
        for photo in photos.list_photos(session=session, actor=None, audit=audit):
            path = photos.photo_path(photo_storage, photo.sha256)
            if photo.item_id and path.exists():
                photos_by_item.setdefault(photo.item_id, []).append(ReportPhoto(path, photo.caption))

    counts = Counter(r.verdict for r in answers.values() if r.verdict)
    verdict_counts = [VerdictCount(c.value, t(c.label), c.colour, counts.get(c.value, 0)) for c in v.verdicts_for(audit.audit_type)]
    finding_rows = []
    for finding in findings.list_findings(session=session, audit=audit):
        placed = structure.items.get(finding.item_id) if finding.item_id else None
        kind = v.VERDICTS[finding.kind]
        finding_rows.append(FindingRow(
            reference=findings.finding_reference(finding), kind=finding.kind, kind_label=t(kind.label), colour=kind.colour,
            clauses=", ".join(v.clause_label(ref) for ref in finding.clauses), item_code=placed.item.code if placed else "",
            requirement=finding.requirement, statement=finding.statement, evidence=finding.evidence,
        ))

    sections: list[SectionBlock] = []
    last_path: tuple = ()
    for item_id, placed in structure.items.items():
        path = placed.path
        for depth, section in enumerate(path):
            if len(last_path) <= depth or last_path[depth] is not section:
                sections.append(SectionBlock(f"{section.code} {localized(section.title.model_dump(), lang)}", depth + 1))
        last_path = path
        answer = answers.get(item_id)
        verdict = answer.verdict if answer else None
        sections[-1].items.append(ItemRow(
            code=placed.item.code,
            clauses=", ".join(v.clause_label(ref) for ref in placed.item.clauses),
            question=localized(placed.item.question.model_dump(), lang),
            verdict=verdict,
            verdict_label=label(v.VERDICTS, verdict) if verdict else t("Not answered"),
            colour=v.VERDICTS[verdict].colour if verdict else "#9ca3af",
            note=answer.note if answer else "",
            evidence=evidence_by_item.get(item_id, []),
            photos=photos_by_item.get(item_id, []),
        ))

    now = now or utcnow()
    team = audits.audit_team(session=session, audit=audit)
    return AuditReportContext(
        lang=lang,
        title=audit.title,
        organisation=organisation.name,
        cvr=organisation.cvr or "",
        sites=[s.name + (f" (P-nr. {s.p_number})" if s.p_number else "") for s in audits.audit_sites(session=session, audit=audit)],
        audit_type=label(v.AUDIT_TYPES, audit.audit_type),
        status=label(v.AUDIT_STATUSES, audit.status),
        dates=_format_date(audit.start_date, lang) + ("" if audit.end_date == audit.start_date else f" – {_format_date(audit.end_date, lang)}"),
        lead_auditor=next((user.name for user, role in team if role == "lead"), ""),
        team=[user.name for user, role in team if role != "lead"],
        scope=audit.scope,
        objectives=audit.objectives,
        criteria=audit.criteria,
        checklists=[f"{localized(s.title, lang)} (v{s.version})" for s in audits.audit_snapshots(session=session, audit=audit)],
        plan=[
            PlanRow(
                day=format_date(e.day, "short", locale=lang),
                time=format_time(e.start_time, "HH:mm", locale=lang) + (f"–{format_time(e.end_time, 'HH:mm', locale=lang)}" if e.end_time else ""),
                activity=" – ".join(x for x in (label(v.PLAN_KINDS, e.kind) if e.kind != "activity" else "", e.activity) if x),
                auditor=e.auditor,
                auditee_role=e.auditee_role,
            )
            for e in audits.plan_entries(session=session, audit=audit)
        ],
        answered=sum(counts.values()),
        total=structure.total,
        verdict_counts=verdict_counts,
        findings=finding_rows,
        sections=sections,
        generated_at=format_datetime(now, "medium", tzinfo="Europe/Copenhagen", locale=lang),
        report_id=f"A{audit.id:05d}-{now:%Y%m%d}",
    )
