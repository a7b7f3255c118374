"""Every variable a report template can use, what it means, and sample values to check a template with.

VARIABLES is the documented list (shown on the templates page and in the API); `sample_context` fills every
one of them, so an uploaded template is rendered through all its sections before it is accepted. A test
keeps the two in step with the real report context (reports/context.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from auditor import vocabulary as v
from auditor.i18n import N_, translate
from auditor.reports.charts import BarChart
from auditor.reports.context import (
    CHART_WIDTH_MM,
    LOGO_WIDTH_MM,
    PHOTO_WIDTH_MM,
    AccompanyingRow,
    ActionRow,
    AuditInfo,
    AuditTimeInfo,
    BodyInfo,
    CaseInfo,
    CertificateInfo,
    ChecklistInfo,
    ConflictRow,
    FindingRow,
    FollowUpRow,
    InterviewCount,
    ItemRow,
    OrganisationInfo,
    PhotoRow,
    PlanRow,
    ReportInfo,
    SamplingRow,
    SectionBlock,
    SectionCount,
    SiteCount,
    SiteInfo,
    StatementRow,
    Statistics,
    TeamInfo,
    UnitRow,
    VerdictCount,
    tint,
)
from auditor.reports.pictures import Picture

# name -> description; `x[]` is one element of the list x (use it in a {% for %} loop)
VARIABLES: dict[str, str] = {
    "report.id": N_("Report id, the same for every version of the audit's report"),
    "report.version": N_("Report version, set by the lead auditor"),
    "report.kind": N_("Name of the report (audit report, nonconformity report, checklist)"),
    "report.generated": N_("Date and time the file was made"),
    "report.language": N_("Language code of the report: da or en"),
    "audit.title": N_("Title of the audit"),
    "audit.type": N_("Audit type, in the report's language"),
    "audit.type_code": N_("Audit type code: internal, stage1, stage2, surveillance, recertification, special"),
    "audit.is_certification": N_("True for certification audits (stage 2, surveillance, recertification, special)"),
    "audit.is_internal": N_("True for internal audits (no certification body is involved)"),
    "audit.status": N_("Status of the audit"),
    "audit.dates": N_("Dates of the audit, e.g. 3.–4. March 2026"),
    "audit.start_date": N_("First day of the audit"),
    "audit.end_date": N_("Last day of the audit"),
    "audit.objectives": N_("Audit objectives"),
    "audit.scope": N_("Audit scope"),
    "audit.criteria": N_("Audit criteria"),
    "audit.checklists[]": N_("Each checklist used, with its version"),
    "checklists[]": N_("Each checklist used"),
    "checklists[].title": N_("Title of the checklist"),
    "checklists[].version": N_("Version of the checklist"),
    "checklists[].attribution": N_("Who wrote the checklist's questions and what inspired them"),
    "audit.plan_deviations": N_("Deviations from the audit plan, and why"),
    "audit.summary": N_("Summary written by the audit team"),
    "audit.conclusion": N_("Audit conclusion"),
    "audit.recommendation": N_("The audit team's recommendation (certification audits)"),
    "audit.recommendation_code": N_(
        "Recommendation code: certify, certify_after_minor_plans, certify_after_major_verified, scope_change, "
        "suspension, withdrawal, not_recommended, or empty"
    ),
    "audit.is_stage1": N_("True for a stage 1 audit"),
    "audit.stage1_readiness": N_("Stage 1: the conclusion on readiness for stage 2"),
    "audit.stage1_readiness_code": N_("Readiness code: ready, ready_with_concerns, not_ready, or empty"),
    "audit.statements[]": N_("Each of the team's statements on conformity and effectiveness (ISO/IEC 17021-1 9.4.8.3)"),
    "audit.statements[].code": N_(
        "Statement code: capability, internal_audit, management_review, scope_appropriate, objectives_met"
    ),
    "audit.statements[].statement": N_("The statement"),
    "audit.statements[].answer": N_("Yes, No or Not stated, in the report's language"),
    "audit.accompanying[]": N_("Each accompanying person: technical expert, observer, interpreter or guide"),
    "audit.accompanying[].name": N_("Name"),
    "audit.accompanying[].role": N_("Role"),
    "audit.accompanying[].presence": N_("On site or remote"),
    "audit.combination": N_("Single, combined, joint or integrated audit"),
    "audit.combination_code": N_("Code: single, combined, joint, integrated"),
    "audit.significant_changes": N_("Significant changes since the last audit"),
    "audit.programme_issues": N_("Significant issues affecting the audit programme"),
    "audit.unresolved_issues": N_("Unresolved issues and diverging opinions"),
    "audit.marks_control": N_("Control of certificates and marks"),
    "audit.certificate_number": N_("Certificate number"),
    "audit.certificate_expiry": N_("Date the certificate expires"),
    "audit.next_audit_date": N_(
        "Date of the next audit: the one the team wrote, else the next audit planned in the organisation's audit "
        "programme, or its window while it is not planned"
    ),
    "audit.next_audit_source": N_(
        "Where the next audit's date comes from when the audit programme gives it, e.g. Surveillance audit, planned "
        "in the audit programme (empty when the team wrote the date)"
    ),
    "audit.list_not_audited": N_("True if the report lists each item not audited on this visit"),
    "body.name": N_("Name of the certification body"),
    "body.address": N_("Address of the certification body"),
    "body.accreditation": N_("Accreditation of the certification body, e.g. DANAK reg. nr."),
    "body.logo": N_(
        "Logo of the certification body (an image): the one uploaded on the Report templates page, else the file "
        "the setting names; nothing if neither"
    ),
    "body.has_logo": N_("True if a logo is uploaded or set"),
    "follow_ups[]": N_("Each case carried over from an earlier audit and verified in this one"),
    "follow_ups[].reference": N_("Case number"),
    "follow_ups[].grade": N_("Grade of the case"),
    "follow_ups[].statement": N_("Statement of the nonconformity"),
    "follow_ups[].raised_in": N_("The audit that raised it"),
    "follow_ups[].checked": N_("What was verified on site"),
    "follow_ups[].result": N_("Result: effective, not effective, not yet verifiable, or not verified yet"),
    "follow_ups[].result_code": N_("Result code: effective, not_effective, not_yet, or empty"),
    "follow_ups[].fill": N_("Colour of the result, for {% cellbg %}"),
    "follow_ups[].verified_by": N_("Who verified it"),
    "areas_of_concern[]": N_("Stage 1: each area of concern: the same fields as findings[]"),
    "organisation.name": N_("Name of the audited organisation"),
    "organisation.cvr": N_("CVR number"),
    "organisation.address": N_("Address of the audited organisation"),
    "organisation.sites[]": N_("Each site or production unit in the audit"),
    "organisation.sites[].name": N_("Name of the site"),
    "organisation.sites[].p_number": N_("P-number of the production unit"),
    "organisation.sites[].address": N_("Address of the site"),
    "organisation.representative": N_("The auditee's representative who signs (name and title)"),
    "team.lead": N_("Name of the lead auditor"),
    "team.auditors[]": N_("Names of the other auditors"),
    "team.bek1407_auditor": N_("Name of the auditor trained under BEK 1407"),
    "plan[]": N_("Each line of the audit plan as carried out"),
    "plan[].day": N_("Date"),
    "plan[].time": N_("Time, e.g. 09:00–10:00"),
    "plan[].activity": N_("Activity"),
    "plan[].auditor": N_("Auditor"),
    "plan[].auditee_role": N_("Auditee, by role"),
    "plan[].presence": N_("On site or remote"),
    "interviews[]": N_(
        "Each interviewee role, whether interviewed or not (IAF MD 22 names the roles a certification body interviews)"
    ),
    "interviews[].role": N_("The role"),
    "interviews[].interviews": N_("Number of interviews recorded with the role (0: not interviewed)"),
    "interviews[].people": N_("Number of people of the role interviewed"),
    "statistics.answered": N_("Number of checklist questions answered (steps of the audit are not counted)"),
    "statistics.total": N_("Number of checklist questions (steps of the audit are not counted)"),
    "statistics.percent": N_("Share answered, in per cent"),
    "statistics.by_verdict[]": N_("Each verdict with its count"),
    "statistics.by_verdict[].code": N_("Verdict code, e.g. conform, major_nc"),
    "statistics.by_verdict[].label": N_("Name of the verdict"),
    "statistics.by_verdict[].short": N_("Short name of the verdict, for tight places"),
    "statistics.by_verdict[].fill": N_("Colour of the verdict, for {% cellbg %}"),
    "statistics.by_verdict[].count": N_("Number of items with this verdict"),
    "statistics.by_section[]": N_("Each top-level section of the checklists with its counts"),
    "statistics.by_section[].title": N_("Section number and title"),
    "statistics.by_section[].items": N_("Questions in the section (steps of the audit are not counted)"),
    "statistics.by_section[].answered": N_("Questions answered"),
    "statistics.by_section[].not_audited": N_(
        "Questions not audited on this visit (no verdict, note, evidence or photo), as the sections' one-line "
        "summaries count them"
    ),
    "statistics.by_section[].conform": N_("Questions conform"),
    "statistics.by_section[].nonconformities": N_(
        "Nonconformity findings raised on the section's questions (each has its nonconformity form)"
    ),
    "statistics.by_section[].observations": N_(
        "Observations and opportunities for improvement raised as findings on the section's questions"
    ),
    "statistics.by_section[].good_practice": N_("Good practice raised as findings on the section's questions"),
    "statistics.section_total": N_("The totals row under statistics.by_section: every section's counts added up"),
    "statistics.section_total.title": N_("The word Total, in the report's language"),
    "statistics.section_total.items": N_("Questions in every section"),
    "statistics.section_total.answered": N_("Questions answered in every section"),
    "statistics.section_total.not_audited": N_("Questions not audited on this visit in every section"),
    "statistics.section_total.conform": N_("Questions conform in every section"),
    "statistics.section_total.nonconformities": N_("Nonconformity findings: as many as there are nonconformity forms"),
    "statistics.section_total.observations": N_("Observations and opportunities for improvement raised as findings"),
    "statistics.section_total.good_practice": N_("Good practice raised as findings"),
    "statistics.chart": N_("Bar chart of the answers by verdict (an image)"),
    "findings[]": N_("Each finding of the audit, in number order"),
    "nonconformities[]": N_("Each nonconformity (major, minor or ungraded): the same fields as findings[]"),
    "good_practice[]": N_("Each good-practice finding: the same fields as findings[]"),
    "findings[].reference": N_("Finding number, e.g. F-003"),
    "findings[].kind": N_("Kind code: major_nc, minor_nc, nc, observation, ofi, good_practice"),
    "findings[].kind_label": N_("Kind of finding, in the report's language"),
    "findings[].fill": N_("Colour of the kind, for {% cellbg %}"),
    "findings[].clauses": N_("Clauses the finding refers to"),
    "findings[].item_code": N_("Checklist item the finding was raised on"),
    "findings[].requirement": N_("The requirement"),
    "findings[].statement": N_("Statement of the finding"),
    "findings[].evidence": N_("Objective evidence"),
    "findings[].photos[]": N_("Each photo on the finding (never a confidential one)"),
    "findings[].photos[].image": N_("The photo (an image)"),
    "findings[].photos[].caption": N_("Caption of the photo"),
    "findings[].correction_due": N_("Date the correction is due (major nonconformities)"),
    "findings[].response_due": N_("Date the root cause and corrective action plan are due"),
    "findings[].case": N_("The nonconformity's corrective-action case, or nothing: test with {% if finding.case %}"),
    "findings[].case.reference": N_(
        "Case number with its prefix, e.g. NC-0007 for a nonconformity, CASE-0008 for an observation followed up"
    ),
    "findings[].case.status": N_("Status of the case"),
    "findings[].case.correction": N_("Correction made"),
    "findings[].case.root_cause": N_("Root cause found"),
    "findings[].case.actions[]": N_("Each corrective action"),
    "findings[].case.actions[].description": N_("What is done"),
    "findings[].case.actions[].owner": N_("Who owns the action"),
    "findings[].case.actions[].due": N_("Due date"),
    "findings[].case.actions[].status": N_("Status of the action"),
    "findings[].case.verification": N_("Result and method of the effectiveness check"),
    "findings[].case.correction_not_applicable": N_("True if no correction applies (the correction says why)"),
    "findings[].case.participants": N_("Who took part in the investigation, by role (ISO 45001 10.2 b)"),
    "findings[].case.extent": N_("Whether the same nonconformity exists or could occur elsewhere"),
    "findings[].case.risk_assessment": N_("Whether the APV / risk assessment was reviewed, and which"),
    "findings[].case.new_hazards": N_("Whether new or changed hazards were assessed before acting"),
    "findings[].case.system_changes": N_("Changes to the OH&S management system"),
    "findings[].case.communication": N_("When and how the workers and their representatives were told"),
    "findings[].case.escalated": N_("True if the case is flagged for escalation (still open after its audit)"),
    "findings[].sites": N_("The sites / production units the finding concerns, or Not stated"),
    "findings_by_site[]": N_("Each site of the audit (and Not stated) with the findings that concern it"),
    "findings_by_site[].site": N_("Name of the site, or Not stated"),
    "findings_by_site[].findings": N_("Findings that concern the site"),
    "findings_by_site[].nonconformities": N_("Nonconformities that concern the site"),
    "verdict_conflicts[]": N_(
        "Each item with a nonconformity verdict and no finding, or whose finding disagrees: empty in a report to issue"
    ),
    "verdict_conflicts[].item_code": N_("Item code"),
    "verdict_conflicts[].verdict": N_("The item's verdict"),
    "verdict_conflicts[].finding": N_("The finding that disagrees, or empty when there is none"),
    "findings[].case.received": N_("Date the organisation's root cause and corrective action plan came in"),
    "findings[].case.evaluation": N_("The auditor's evaluation of the plan: accepted or returned, or nothing yet"),
    "findings[].case.evaluation_reason": N_("Why the plan was returned"),
    "findings[].case.evaluated_on": N_("Date the plan was accepted"),
    "audit_time.stated": N_("True if the planned or the actual audit days are known"),
    "audit_time.personnel": N_("Effective number of personnel, as IAF MD 5 counts it"),
    "audit_time.ohs_risk": N_("OH&S risk category"),
    "audit_time.table_days": N_("Days in the IAF MD 5 table (stage 1 + stage 2)"),
    "audit_time.reduction": N_(
        "The days a surveillance or recertification audit takes off the table's days, and why (IAF MD 5)"
    ),
    "audit_time.adjustments[]": N_("Each adjustment of the audit time: the days and the reason"),
    "audit_time.repeated_reduction": N_(
        "A warning for each adjustment that looks like the reduction by the audit's type entered again by hand "
        "(counted twice unless removed); empty when there is none"
    ),
    "audit_time.md5_days": N_("Audit days required by IAF MD 5"),
    "audit_time.dk_extra": N_("Extra time on the material work environment, per cent and days (Danish certificate)"),
    "audit_time.planned_days": N_("Planned audit days, the extra time included"),
    "audit_time.actual_days": N_("Audit days actually spent"),
    "audit_time.table": N_("The IAF MD 5 table used: document, issue and table number"),
    "sampling[]": N_("Each of the organisation's production units in the sampling plan (IAF MD 1)"),
    "sampling[].name": N_("Name of the production unit"),
    "sampling[].p_number": N_("P-number"),
    "sampling[].visited": N_("Yes or No: the audit visited the unit"),
    "sampling[].central": N_("True for the central function"),
    "sampling[].reason": N_("Why the unit is visited"),
    "certificate.applies": N_("True if the audit is for a Danish recognised OH&S certificate"),
    "certificate.production_units[]": N_("Each production unit covered"),
    "certificate.units[]": N_("Each production unit with the audit's conclusion on it"),
    "certificate.units[].name": N_("Name of the production unit"),
    "certificate.units[].p_number": N_("P-number"),
    "certificate.units[].material_hours": N_("Hours on the material work environment of the unit"),
    "certificate.units[].significant_problems": N_("Significant work-environment problems found in the unit, if any"),
    "certificate.bek1407_auditor": N_("Name of the auditor trained under BEK 1407"),
    "certificate.material_hours": N_("Audit time on the material work environment, in hours, all units together"),
    "certificate.md5_days": N_("Audit days required by IAF MD 5"),
    "certificate.actual_days": N_("Audit days actually spent"),
    "certificate.psychosocial_hours": N_("Audit time on the psychosocial work environment, in hours"),
    "certificate.psychosocial_share": N_("Psychosocial hours in per cent of the actual audit time"),
    "certificate.material_share": N_("Material work-environment hours in per cent of the IAF MD 5 audit time"),
    "certificate.required_share": N_(
        "Extra time required on the material work environment, in per cent of the IAF MD 5 time"
    ),
    "certificate.required_hours": N_("Extra hours required on the material work environment"),
    "certificate.requirement_met": N_(
        "Yes or No: the material hours reach the extra time required; empty if not known"
    ),
    "sections[]": N_("Each section of the checklists, in order, with its items"),
    "sections[].title": N_("Section number and title"),
    "sections[].level": N_("Depth of the section: 1 for a top-level section"),
    "sections[].items[]": N_("Each checklist item of the section"),
    "sections[].audited[]": N_("Each item audited on this visit: the same fields as sections[].items[]"),
    "sections[].not_audited[]": N_("Code of each item not audited on this visit"),
    "sections[].not_audited_line": N_("One line on the items not audited on this visit (empty if there are none)"),
    "sections[].items[].code": N_("Item code"),
    "sections[].items[].kind": N_(
        "Item kind: question (takes a verdict) or step (the auditor's own work: done or not done)"
    ),
    "sections[].items[].choices[]": N_(
        "What the item can be answered with, short: the verdicts of a question, done and not done for a step"
    ),
    "sections[].items[].clauses": N_("Clauses the item refers to"),
    "sections[].items[].question": N_("The question"),
    "sections[].items[].verdict": N_("Verdict code, empty if not answered"),
    "sections[].items[].verdict_label": N_("Verdict, in the report's language"),
    "sections[].items[].fill": N_("Colour of the verdict, for {% cellbg %}"),
    "sections[].items[].note": N_("The auditor's note"),
    "sections[].items[].weighing[]": N_(
        "Arbejdstilsynet's weighing on the items that ask for it, one line per part written ('Occurrence: ...')"
    ),
    "sections[].items[].evidence[]": N_(
        "Each piece of evidence: method, role of the interviewees and summary (never a confidential one)"
    ),
    "sections[].items[].photos[]": N_("Each photo on the item (never a confidential one)"),
    "sections[].items[].photos[].image": N_("The photo (an image)"),
    "sections[].items[].photos[].caption": N_("Caption of the photo"),
}
# nonconformities[] and good_practice[] are findings[]: their fields are documented once, under findings[].
ALIASES = {
    "nonconformities[]": "findings[]",
    "good_practice[]": "findings[]",
    "areas_of_concern[]": "findings[]",
    "sections[].audited[]": "sections[].items[]",
}


def variable_paths(context: dict[str, object]) -> set[str]:
    """Every variable path in a report context, as VARIABLES names them."""

    def walk(prefix: str, value: object) -> Iterator[str]:
        if isinstance(value, list):
            if value:
                yield f"{prefix}[]"
            if prefix + "[]" not in ALIASES:
                for element in value:
                    yield from walk(f"{prefix}[]", element)
            return
        if "." in prefix or not dataclasses.is_dataclass(value):  # not the top-level groups (audit, team, ...)
            yield prefix
        if dataclasses.is_dataclass(value) and not isinstance(value, Picture):
            for f in dataclasses.fields(value):
                yield from walk(f"{prefix}.{f.name}", getattr(value, f.name))

    return {path for name, value in context.items() for path in walk(name, value)}


def sample_context(lang: str = v.Language.EN) -> dict[str, object]:
    """A report context with every variable filled (every list has an element, every condition is true),
    to render an uploaded template through all its sections."""

    def t(message: str) -> str:
        return translate(message, lang)

    def label(vocabulary: v.Vocabulary, value: str) -> str:
        return translate(vocabulary[value].label, lang)

    verdicts = [VerdictCount(c.value, t(c.label), t(c.short), tint(c.colour), 3) for c in v.VERDICTS]
    chart = BarChart(
        t("Answers by verdict"),
        [(c.label, c.count) for c in verdicts],
        colours=[v.VERDICTS[c.code].colour for c in verdicts],
    )
    photo = PhotoRow(Picture(chart, PHOTO_WIDTH_MM), "Sample caption")
    case = CaseInfo(
        "NC-0001",
        label(v.CASE_STATUSES, v.CaseStatus.PLAN_SUBMITTED),
        "Sample correction",
        "Sample root cause",
        [ActionRow("Sample action", "Sample owner", "1. May 2026", label(v.ACTION_STATUSES, v.ActionStatus.OPEN))],
        "Sample verification",
        True,
        "Sample participants",
        "Sample extent",
        "Sample risk assessment",
        "Sample new hazards",
        "Sample system changes",
        "Sample communication",
        True,
    )
    finding = FindingRow(
        "F-001",
        v.Verdict.MAJOR_NC,
        label(v.VERDICTS, v.Verdict.MAJOR_NC),
        tint(v.VERDICTS[v.Verdict.MAJOR_NC].colour),
        "ISO 45003 6.1.2",
        "6.1.2-01",
        "Sample requirement",
        "Sample statement",
        "Sample evidence",
        [photo],
        "1. April 2026",
        "1. April 2026",
        case,
        "Sample site",
    )
    item = ItemRow(
        "6.1.2-01",
        v.ItemKind.QUESTION,
        [c.short for c in verdicts],
        "ISO 45003 6.1.2",
        "Sample question?",
        v.Verdict.CONFORM,
        label(v.VERDICTS, v.Verdict.CONFORM),
        tint(v.VERDICTS[v.Verdict.CONFORM].colour),
        "Sample note",
        [f"{label(v.WEIGHING_PARTS, v.WeighingPart.OCCURRENCE)}: Sample"],
        ["Sample evidence"],
        [photo],
    )
    return {
        "report": ReportInfo(
            "A00001", "1", label(v.REPORT_KINDS, v.ReportKind.AUDIT_REPORT), "1. March 2026 12:00", lang
        ),
        "audit": AuditInfo(
            "Sample audit",
            label(v.AUDIT_TYPES, v.AuditType.STAGE2),
            v.AuditType.STAGE2,
            True,
            True,
            label(v.AUDIT_STATUSES, v.AuditStatus.REPORTING),
            "3.–4. March 2026",
            "3. March 2026",
            "4. March 2026",
            "Sample objectives",
            "Sample scope",
            "Sample criteria",
            ["Sample checklist (v1)"],
            "Sample deviations",
            "Sample summary",
            "Sample conclusion",
            label(v.RECOMMENDATIONS, v.Recommendation.CERTIFY),
            v.Recommendation.CERTIFY,
            True,
            label(v.STAGE1_READINESS, v.Stage1Readiness.READY),
            v.Stage1Readiness.READY,
            [StatementRow(c.value, t(c.label), t("Yes")) for c in v.STATEMENTS],
            [AccompanyingRow("Sample person", label(v.ACCOMPANYING_ROLES, v.AccompanyingRole.OBSERVER), t("On site"))],
            label(v.AUDIT_COMBINATIONS, v.AuditCombination.SINGLE),
            v.AuditCombination.SINGLE,
            "Sample changes",
            "Sample issues",
            "Sample diverging opinions",
            "Sample control of marks",
            "C-0001",
            "3. March 2029",
            "3. March 2027",
            "Surveillance audit, planned in the audit programme",
            True,
        ),
        "body": BodyInfo(
            "Sample Certification A/S", "Sample street 2", "DANAK reg. nr. 0000", Picture(chart, LOGO_WIDTH_MM), True
        ),
        "follow_ups": [
            FollowUpRow(
                "NC-0001",
                label(v.VERDICTS, v.Verdict.MINOR_NC),
                "Sample statement",
                "Sample audit (3. March 2025)",
                "Sample verification",
                label(v.FOLLOW_UP_RESULTS, v.FollowUpResult.EFFECTIVE),
                v.FollowUpResult.EFFECTIVE,
                tint(v.FOLLOW_UP_RESULTS[v.FollowUpResult.EFFECTIVE].colour),
                "Sample auditor",
            )
        ],
        "areas_of_concern": [finding],
        "checklists": [ChecklistInfo("Sample checklist", "1", "Sample attribution")],
        "organisation": OrganisationInfo(
            "Sample A/S",
            "12345678",
            "Sample street 1, 8000 Aarhus C",
            [SiteInfo("Sample site", "1234567890", "Sample street 1")],
            "Sample representative",
        ),
        "team": TeamInfo("Sample lead auditor", ["Sample auditor"], "Sample auditor"),
        "plan": [PlanRow("3.3.2026", "09:00–10:00", "Sample activity", "Sample auditor", "Sample role", t("On site"))],
        "statistics": Statistics(
            27,
            30,
            90,
            verdicts,
            [SectionCount("6 Planning", 30, 27, 3, 20, 3, 3, 1)],
            Picture(chart, CHART_WIDTH_MM),
            SectionCount("Total", 30, 27, 3, 20, 3, 3, 1),
        ),
        "interviews": [InterviewCount("Sample role", 2, 5)],
        "findings": [finding],
        "nonconformities": [finding],
        "good_practice": [finding],
        "certificate": CertificateInfo(
            True,
            ["Sample site (P-nr. 1234567890)"],
            [UnitRow("Sample site", "1234567890", "6", "Sample problems")],
            "Sample auditor",
            "6",
            "4",
            "4,5",
            "8",
            "22,2",
            "18,8",
            "5",
            "1,6",
            t("Yes"),
        ),
        "audit_time": AuditTimeInfo(
            True,
            "30",
            label(v.OHS_RISKS, v.OhsRisk.MEDIUM),
            "5,5",
            "",
            ["+0,5: Sample reason"],
            "",
            "6",
            "5 %: 0,3",
            "6,3",
            "6",
            "IAF MD 5:2019, Table OH&SMS 1",
        ),
        "sampling": [
            SamplingRow("Sample head office", "1234567891", t("Yes"), True, "Central function"),
            SamplingRow("Sample site", "1234567890", t("No"), False, ""),
        ],
        "sections": [
            SectionBlock("6 Planning", 1, [item], [item], ["6.1.2-02"], "Not audited on this visit: 6.1.2-02."),
            SectionBlock("6.1 Actions", 2, [item], [item], ["6.1.2-02"], "Not audited on this visit: 6.1.2-02."),
        ],
        "findings_by_site": [SiteCount("Sample site", 2, 1)],
        "verdict_conflicts": [ConflictRow("6.1.2-01", label(v.VERDICTS, v.Verdict.MINOR_NC), "")],
    }
