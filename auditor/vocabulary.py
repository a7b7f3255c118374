"""The domain's words in one place: each verdict, finding kind, audit type, status and tag,
with its stored value, its label (an English msgid, translated at render time) and its colour.

The HTML, the CSS classes, the JSON API, the checklist validator and the Word report all read
these tables; nothing else spells them out. Each vocabulary also builds a `StrEnum` of its values
(`Verdict.CONFORM == "conform"`), which the API schemas, the models and the services use, so
`/openapi.json` lists the allowed values and code never spells a value as a bare string.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from auditor.i18n import N_


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str
    # hex, used by CSS (/colours.css) and by Word cell shading and charts. A verdict's colour is also the background of
    # its pressed button under white text and its border on white: each needs 4.5:1 against white (WCAG 1.4.3).
    colour: str = "#4b5563"
    short: str = ""  # a short label for tight places (buttons, table cells)
    help: str = ""  # what the choice means, where a person picks it


class Vocabulary:
    """An ordered set of choices with lookup by value, and `enum`: a `StrEnum` named `name` whose members are the
    values (member names upper-cased, dots as underscores: "org.roles" -> `ORG_ROLES`)."""

    def __init__(self, name: str, *choices: Choice):
        self.choices = choices
        self._by_value = {c.value: c for c in choices}
        # Built at run time, so mypy cannot list the members (it types them Any); /openapi.json and pydantic see them all.
        self.enum = StrEnum(name, [(c.value.upper().replace(".", "_"), c.value) for c in choices], module=__name__)  # type: ignore[misc]

    def __iter__(self):
        return iter(self.choices)

    def __contains__(self, value: object) -> bool:
        return value in self._by_value

    def __getitem__(self, value: str) -> Choice:
        return self._by_value[value]

    def get(self, value: str | None) -> Choice | None:
        """The choice with this value; None for None or a value that is not (or no longer) one of them."""
        return self._by_value.get(value) if value is not None else None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)


# Verdicts an auditor records on a checklist item. `nc` (ungraded) is for internal audits.
VERDICTS = Vocabulary(
    "Verdict",
    Choice("conform", N_("Conform"), "#15803d", N_("Conform")),
    Choice("major_nc", N_("Major nonconformity"), "#b91c1c", N_("Major NC")),
    Choice("minor_nc", N_("Minor nonconformity"), "#c2410c", N_("Minor NC")),
    Choice("nc", N_("Nonconformity"), "#9a3412", N_("NC")),
    # Stage 1 grades what could become a nonconformity at stage 2 as an area of concern (ISO/IEC 17021-1 9.3.1.2).
    Choice("area_of_concern", N_("Area of concern"), "#92400e", N_("Concern")),
    Choice("observation", N_("Observation"), "#a16207", N_("Observation")),
    Choice("ofi", N_("Opportunity for improvement"), "#1d4ed8", N_("OFI")),
    Choice("good_practice", N_("Good practice"), "#0f766e", N_("Good practice")),
    Choice("not_applicable", N_("Not applicable"), "#4b5563", N_("N/A")),
)
Verdict = VERDICTS.enum

# Findings are graded with the verdicts that say something is wrong or remarkable.
FINDING_KINDS = Vocabulary(
    "FindingKind", *(c for c in VERDICTS if c.value not in {Verdict.CONFORM, Verdict.NOT_APPLICABLE})
)
FindingKind = FINDING_KINDS.enum
NONCONFORMITY_KINDS = frozenset({FindingKind.MAJOR_NC, FindingKind.MINOR_NC, FindingKind.NC})


# What a checklist item is. A question takes a verdict on the auditee. A step is the auditor's own work (the internal
# audit's phases prepare, assess and report, follow up): done or not done, with no clauses, no finding and no place in
# the statistics, so the audit's own process is never scored against the organisation audited.
ITEM_KINDS = Vocabulary(
    "ItemKind",
    Choice("question", N_("Question")),
    Choice("step", N_("Audit step")),
)
ItemKind = ITEM_KINDS.enum
STEP_STATES = Vocabulary(
    "StepState",
    Choice("done", N_("Done"), "#15803d", N_("Done")),
    Choice("not_done", N_("Not done"), "#4b5563", N_("Not done")),
)
StepState = STEP_STATES.enum
# What a response stores: a question's verdict or a step's state.
ANSWERS = Vocabulary("Answer", *VERDICTS, *STEP_STATES)
Answer = ANSWERS.enum


def colours_css() -> str:
    """The answers' colours as CSS custom properties (`--v-conform: #15803d;`), served as /colours.css: the stylesheet
    uses them and never spells a colour of its own, so a colour changes here once, for the screen and the reports."""
    lines = "".join(f"  --v-{choice.value}: {choice.colour};\n" for choice in ANSWERS)
    return f":root {{\n{lines}}}\n"


def answers_for(audit_type: str, item_kind: str) -> list[Choice]:
    """What an item of this kind may be answered with in an audit of this type."""
    return list(STEP_STATES) if item_kind == ItemKind.STEP else verdicts_for(audit_type)


def _allowed(value: str, audit_type: str) -> bool:
    """Ungraded `nc` only in internal audits; a stage 1 audit grades areas of concern, never nonconformities, and
    only a stage 1 audit has areas of concern."""
    if audit_type == AuditType.STAGE1:
        return value not in NONCONFORMITY_KINDS
    if value == Verdict.AREA_OF_CONCERN:
        return False
    return value != Verdict.NC or audit_type == AuditType.INTERNAL


def verdicts_for(audit_type: str) -> list[Choice]:
    """Verdicts an audit of this type may record."""
    return [c for c in VERDICTS if _allowed(c.value, audit_type)]


def finding_kinds_for(audit_type: str) -> list[Choice]:
    return [c for c in FINDING_KINDS if _allowed(c.value, audit_type)]


AUDIT_TYPES = Vocabulary(
    "AuditType",
    Choice("internal", N_("Internal audit")),
    Choice("stage1", N_("Stage 1 audit")),
    Choice("stage2", N_("Stage 2 audit")),
    Choice("surveillance", N_("Surveillance audit")),
    Choice("recertification", N_("Recertification audit")),
    Choice("special", N_("Special audit")),
)
AuditType = AUDIT_TYPES.enum

CERTIFICATION_AUDIT_TYPES = frozenset(
    {AuditType.STAGE2, AuditType.SURVEILLANCE, AuditType.RECERTIFICATION, AuditType.SPECIAL}
)

# The audit team's recommendation to the certification body (ISO/IEC 17021-1 9.4.8).
# A minor NC needs an accepted plan, a major NC a verified correction and corrective action (BRIEF 3.2).
RECOMMENDATIONS = Vocabulary(
    "Recommendation",
    Choice("certify", N_("Recommended for certification (or continued certification)")),
    Choice(
        "certify_after_minor_plans",
        N_("Recommended once the plans for the minor nonconformities are accepted"),
    ),
    Choice(
        "certify_after_major_verified",
        N_("Recommended once the correction and corrective action of the major nonconformities are verified"),
    ),
    Choice("scope_change", N_("Recommended with a change of scope")),
    Choice("suspension", N_("Suspension of the certificate recommended")),
    Choice("withdrawal", N_("Withdrawal of the certificate recommended")),
    Choice("not_recommended", N_("Not recommended")),
)
Recommendation = RECOMMENDATIONS.enum

# The certification body's decision after a certification audit (ISO/IEC 17021-1 9.5, 9.6): taken by someone who
# was not on the audit team (services/access.py), after a technical review. Granting and renewing start a three-year
# cycle; maintaining and reducing the scope keep the certificate's expiry; suspending and withdrawing stop it.
DECISION_OUTCOMES = Vocabulary(
    "DecisionOutcome",
    Choice("grant", N_("Grant certification"), "#15803d"),
    Choice("maintain", N_("Maintain certification"), "#15803d"),
    Choice("renew", N_("Renew certification"), "#15803d"),
    Choice("reduce_scope", N_("Reduce the scope"), "#a16207"),
    Choice("suspend", N_("Suspend the certificate"), "#c2410c"),
    Choice("withdraw", N_("Withdraw the certificate"), "#b91c1c"),
)
DecisionOutcome = DECISION_OUTCOMES.enum
CYCLE_STARTING_OUTCOMES = frozenset({DecisionOutcome.GRANT, DecisionOutcome.RENEW})
# Which outcome follows which audit: granting a stage 2 (or a special audit's re-audit), renewing a recertification,
# maintaining a surveillance or special audit; reducing, suspending and withdrawing after any of them.
OUTCOMES_AFTER = {
    AuditType.STAGE2: frozenset({DecisionOutcome.GRANT}),
    AuditType.SURVEILLANCE: frozenset({DecisionOutcome.MAINTAIN}),
    AuditType.RECERTIFICATION: frozenset({DecisionOutcome.RENEW}),
    AuditType.SPECIAL: frozenset({DecisionOutcome.GRANT, DecisionOutcome.MAINTAIN}),
}
ANY_AUDIT_OUTCOMES = frozenset({DecisionOutcome.REDUCE_SCOPE, DecisionOutcome.SUSPEND, DecisionOutcome.WITHDRAW})


def outcomes_for(audit_type: str) -> list[Choice]:
    """The decisions that may follow an audit of this type (none after an internal or stage 1 audit)."""
    allowed = OUTCOMES_AFTER.get(audit_type)
    return [] if allowed is None else [c for c in DECISION_OUTCOMES if c.value in allowed | ANY_AUDIT_OUTCOMES]


# Where a certificate stands after its last decision.
CERTIFICATE_STATUSES = Vocabulary(
    "CertificateStatus",
    Choice("valid", N_("Valid"), "#15803d"),
    Choice("suspended", N_("Suspended"), "#c2410c"),
    Choice("withdrawn", N_("Withdrawn"), "#b91c1c"),
    Choice("expired", N_("Expired"), "#4b5563"),
)
CertificateStatus = CERTIFICATE_STATUSES.enum

# An organisation's audit programme (ISO 19011 5; ISO/IEC 17021-1 9.1.3): the certification body's three-year cycle
# from the certification decision, or the organisation's own internal audit programme over a cycle it chooses.
PROGRAMME_KINDS = Vocabulary(
    "ProgrammeKind",
    Choice("certification", N_("Certification programme (three-year cycle)")),
    Choice("internal", N_("Internal audit programme")),
)
ProgrammeKind = PROGRAMME_KINDS.enum

# Arbejdstilsynet's weighing of a psychosocial risk (its "vægt"), the frame of each assessment item of the
# significant OH&S problems (VAP) that a checklist marks with `weighing: true`: recorded part by part on the answer.
WEIGHING_PARTS = Vocabulary(
    "WeighingPart",
    Choice(
        "occurrence",
        N_("Occurrence"),
        help=N_("How often and how strongly the influence occurs: extent, nature, duration"),
    ),
    Choice(
        "prevention",
        N_("The company's prevention"),
        help=N_("What the company does to prevent it, and whether it works"),
    ),
    Choice("aggravating_factors", N_("Aggravating factors"), help=N_("What makes the influence worse")),
    Choice(
        "health_effects",
        N_("Signs of health effects"),
        help=N_("Signs that the influence harms health (absence, stress, turnover, reports)"),
    ),
    Choice("conclusion", N_("Conclusion"), help=N_("The weighing as a whole: is there a significant OH&S problem?")),
)
WeighingPart = WEIGHING_PARTS.enum

# A stage 1 audit's conclusion: is the client ready for stage 2 (ISO/IEC 17021-1 9.3.1.2)?
STAGE1_READINESS = Vocabulary(
    "Stage1Readiness",
    Choice("ready", N_("Ready for stage 2")),
    Choice("ready_with_concerns", N_("Ready for stage 2 once the areas of concern are addressed")),
    Choice("not_ready", N_("Not ready for stage 2")),
)
Stage1Readiness = STAGE1_READINESS.enum

# The audit team's statements on conformity and effectiveness (ISO/IEC 17021-1 9.4.8.3): each yes, no or not stated.
STATEMENTS = Vocabulary(
    "Statement",
    Choice(
        "capability", N_("The management system is capable of meeting applicable requirements and expected outcomes")
    ),
    Choice("internal_audit", N_("The internal audit process is effective")),
    Choice("management_review", N_("The management review process is effective")),
    Choice("scope_appropriate", N_("The certification scope is appropriate")),
    Choice("objectives_met", N_("The audit objectives were met")),
)
Statement = STATEMENTS.enum

# Whether the audit was combined with another standard's, joint with another body, or integrated (17021-1 9.4.8).
AUDIT_COMBINATIONS = Vocabulary(
    "AuditCombination",
    Choice("single", N_("A single audit (ISO 45001 only)")),
    Choice("combined", N_("Combined audit (with another management system standard)")),
    Choice("joint", N_("Joint audit (with another certification body)")),
    Choice("integrated", N_("Integrated audit (an integrated management system)")),
)
AuditCombination = AUDIT_COMBINATIONS.enum

# People who go with the audit team without auditing (17021-1 9.4.8, ISO 19011 3.15).
ACCOMPANYING_ROLES = Vocabulary(
    "AccompanyingRole",
    Choice("technical_expert", N_("Technical expert")),
    Choice("observer", N_("Observer")),
    Choice("interpreter", N_("Interpreter")),
    Choice("guide", N_("Guide")),
)
AccompanyingRole = ACCOMPANYING_ROLES.enum

# The OH&S risk (complexity) category of IAF MD 5's audit-time table for OH&S management systems.
OHS_RISKS = Vocabulary(
    "OhsRisk",
    Choice("high", N_("High OH&S risk")),
    Choice("medium", N_("Medium OH&S risk")),
    Choice("low", N_("Low OH&S risk")),
)
OhsRisk = OHS_RISKS.enum

# How an auditor meets BEK 1407's requirement on the psychosocial work environment: its course, or an exemption.
BEK1407_BASES = Vocabulary(
    "Bek1407Basis",
    Choice("course", N_("BEK 1407 course passed")),
    Choice("exemption", N_("Exempted from the BEK 1407 course")),
)
Bek1407Basis = BEK1407_BASES.enum

# What an auditor declares about their ties to an organisation (ISO/IEC 17021-1 5.2: impartiality).
CONFLICT_KINDS = Vocabulary(
    "ConflictKind",
    Choice("consultancy", N_("Consultancy for the organisation")),
    Choice("employment", N_("Employed by the organisation")),
    Choice("relative", N_("A close relative works there")),
    Choice("other", N_("Another tie to the organisation")),
)
ConflictKind = CONFLICT_KINDS.enum

# What an audit found when it verified a case carried over from an earlier audit.
FOLLOW_UP_RESULTS = Vocabulary(
    "FollowUpResult",
    Choice("effective", N_("Effective"), "#15803d"),
    Choice("not_effective", N_("Not effective"), "#b91c1c"),
    Choice("not_yet", N_("Not yet verifiable"), "#ca8a04"),
)
FollowUpResult = FOLLOW_UP_RESULTS.enum

# The Word reports an audit has; each comes from a template an admin can replace.
REPORT_KINDS = Vocabulary(
    "ReportKind",
    Choice("audit_report", N_("Audit report")),
    Choice("nonconformity_report", N_("Nonconformity report")),
    Choice("checklist", N_("Blank checklist")),
)
ReportKind = REPORT_KINDS.enum

AUDIT_STATUSES = Vocabulary(
    "AuditStatus",
    Choice("planned", N_("Planned"), "#6b7280"),
    Choice("in_progress", N_("In progress"), "#2563eb"),
    Choice("reporting", N_("Reporting"), "#ca8a04"),
    Choice("closed", N_("Closed"), "#15803d"),
)
AuditStatus = AUDIT_STATUSES.enum
# Status moves forward one step at a time; reopening goes one step back.
STATUS_FLOW = {
    AuditStatus.PLANNED: (AuditStatus.IN_PROGRESS,),
    AuditStatus.IN_PROGRESS: (AuditStatus.REPORTING, AuditStatus.PLANNED),
    AuditStatus.REPORTING: (AuditStatus.CLOSED, AuditStatus.IN_PROGRESS),
    AuditStatus.CLOSED: (AuditStatus.REPORTING,),
}

# Kinds of line in the audit plan's agenda (ISO 19011 6.3.2, 6.4.3, 6.4.10).
PLAN_KINDS = Vocabulary(
    "PlanKind",
    Choice("opening_meeting", N_("Opening meeting")),
    Choice("activity", N_("Audit activity")),
    Choice("interview", N_("Interview")),
    Choice("site_tour", N_("Site tour")),
    Choice("team_conference", N_("Audit team conference")),
    Choice("case_follow_up", N_("Follow-up of an earlier nonconformity")),
    Choice("closing_meeting", N_("Closing meeting")),
)
PlanKind = PLAN_KINDS.enum

# What an audit does about a case carried over from an earlier one (services.cases.carry_over): the plan row's
# auditee role holds the value, and every view shows the label in its reader's language (plan_role).
FOLLOW_UP_STEPS = Vocabulary(
    "FollowUpStep",
    Choice("verify_corrective_actions", N_("Verify corrective actions")),
    Choice("follow_up", N_("Follow up")),
)
FollowUpStep = FOLLOW_UP_STEPS.enum


def plan_role(role: str, translate: Callable[[str], str]) -> str:
    """A plan row's auditee role as shown: a follow-up step (its value; rows written before kept its English label)
    in the reader's language, anything else as it was typed."""
    step = next((choice for choice in FOLLOW_UP_STEPS if role in (choice.value, choice.label)), None)
    return translate(step.label) if step else role


# Who a user is. Staff of the audit provider have no organisation; members of a client organisation do.
# A company that audits itself is one organisation whose own lead auditors and auditors are members.
ROLES = Vocabulary(
    "Role",
    Choice("admin", N_("Administrator")),
    Choice("lead_auditor", N_("Lead auditor")),
    Choice("auditor", N_("Auditor")),
    Choice("quality_manager", N_("Quality manager")),
    Choice("action_owner", N_("Action owner")),
    Choice("viewer", N_("Viewer")),
)
Role = ROLES.enum
AUDITOR_ROLES = frozenset({Role.LEAD_AUDITOR, Role.AUDITOR})
CLIENT_ONLY_ROLES = frozenset({Role.QUALITY_MANAGER, Role.ACTION_OWNER, Role.VIEWER})  # these need an organisation

TEAM_ROLES = Vocabulary(
    "TeamRole",
    Choice("lead", N_("Lead auditor")),
    Choice("auditor", N_("Auditor")),
)
TeamRole = TEAM_ROLES.enum

# The corrective-action chain (ISO 45001 10.2; BRIEF 3.3). Each step has a gate in services/cases.py.
CASE_STATUSES = Vocabulary(
    "CaseStatus",
    Choice("raised", N_("Raised"), "#b91c1c"),
    Choice("corrected", N_("Correction done"), "#ea580c"),
    Choice("cause_found", N_("Root cause analysed"), "#ca8a04"),
    Choice("plan_submitted", N_("Plan submitted"), "#2563eb"),
    Choice("plan_accepted", N_("Plan accepted"), "#0891b2"),
    Choice("implemented", N_("Implemented"), "#0f766e"),
    Choice("verified", N_("Effectiveness verified"), "#15803d"),
    Choice("closed", N_("Closed"), "#6b7280"),
)
CaseStatus = CASE_STATUSES.enum
CASE_SOURCES = Vocabulary(
    "CaseSource",
    Choice("audit", N_("Audit")),
    Choice("incident", N_("Incident")),
    Choice("complaint", N_("Complaint")),
    Choice("worker_report", N_("Worker's report")),
    Choice("management_review", N_("Management review")),
    Choice("other", N_("Other")),
)
CaseSource = CASE_SOURCES.enum
# A case's reference is its prefix and number: the prefix says what the case is, in the reader's language, so a
# management review decision is never numbered as a nonconformity (REVIEW §4 #30). Audit cases of another grade (an
# observation or OFI someone chose to track) and cases of no named source are plain cases.
NONCONFORMITY_PREFIX = {"en": "NC", "da": "NC"}
CASE_PREFIXES = {
    CaseSource.AUDIT: {"en": "CASE", "da": "SAG"},
    CaseSource.INCIDENT: {"en": "INC", "da": "HÆN"},
    CaseSource.COMPLAINT: {"en": "CMP", "da": "KLA"},
    CaseSource.WORKER_REPORT: {"en": "WR", "da": "HEN"},
    CaseSource.MANAGEMENT_REVIEW: {"en": "MR", "da": "LE"},
    CaseSource.OTHER: {"en": "CASE", "da": "SAG"},
}


def case_prefix(source: str, grade: str, language: str) -> str:
    """The prefix of a case's reference: NC for an audit's nonconformity, else by its source."""
    if source == CaseSource.AUDIT and grade in NONCONFORMITY_KINDS:
        prefixes = NONCONFORMITY_PREFIX
    else:
        prefixes = CASE_PREFIXES.get(source, CASE_PREFIXES[CaseSource.OTHER])
    return prefixes.get(language, prefixes["en"])


ROOT_CAUSE_METHODS = Vocabulary(
    "RootCauseMethod",
    Choice("five_whys", N_("5 whys")),
    Choice("fishbone", N_("Fishbone (Ishikawa)")),
    Choice("free_text", N_("Free text")),
)
RootCauseMethod = ROOT_CAUSE_METHODS.enum
VERIFICATION_RESULTS = Vocabulary(
    "VerificationResult",
    Choice("effective", N_("Effective"), "#15803d"),
    Choice("ineffective", N_("Not effective"), "#b91c1c"),
)
VerificationResult = VERIFICATION_RESULTS.enum
ACTION_STATUSES = Vocabulary(
    "ActionStatus",
    Choice("open", N_("Open"), "#ca8a04"),
    Choice("implemented", N_("Implemented"), "#15803d"),
)
ActionStatus = ACTION_STATUSES.enum

LANGUAGES = Vocabulary(
    "Language",
    Choice("da", "Dansk"),
    Choice("en", "English"),
)
Language = LANGUAGES.enum

# How the auditor obtained a piece of evidence (ISO 19011 6.4.7; AT IN-4-1 methods).
EVIDENCE_METHODS = Vocabulary(
    "EvidenceMethod",
    Choice("document", N_("Document review")),
    Choice("interview_individual", N_("Individual interview")),
    Choice("interview_group", N_("Group interview")),
    Choice("observation", N_("Observation")),
    Choice("records", N_("Records and data")),
    Choice("survey", N_("Questionnaire or survey")),
)
EvidenceMethod = EVIDENCE_METHODS.enum
INTERVIEW_METHODS = frozenset({EvidenceMethod.INTERVIEW_INDIVIDUAL, EvidenceMethod.INTERVIEW_GROUP})

# The actors of Arbejdstilsynet's three-layer model, and the further people IAF MD 22 (9.4.4.2) has a certification
# body interview: the OH&S representatives, the staff who monitor workers' health, temporary workers and contractors.
# Interviewees are recorded by these roles.
ACTORS = Vocabulary(
    "Actor",
    Choice("strategic_management", N_("Strategic management")),
    Choice("management_of_managers", N_("Management of managers")),
    Choice("first_line_management", N_("First-line management")),
    Choice("cooperation_bodies", N_("AMO / MED / SU")),
    Choice("staff_functions", N_("HR / OH&S staff")),
    Choice("employees", N_("Employees")),
    Choice("ohs_representative", N_("OH&S representative (AMR)")),
    Choice("health_monitoring", N_("Staff who monitor workers' health (occupational health service, psychologist)")),
    Choice("temporary_workers", N_("Temporary workers")),
    Choice("contractors", N_("Contractors' workers")),
)
Actor = ACTORS.enum

# BEK 1406: the risk factors of chapter 3, which have special rules (violence outside working hours has rules of its
# own), and § 5's other influences (night work, high demands on concentration, lack of meaning, job insecurity), so a
# finding on one of those has a legal anchor too.
BEK1406_FACTORS = Vocabulary(
    "Bek1406Factor",
    Choice("workload", N_("High workload and time pressure")),
    Choice("unclear_demands", N_("Unclear and conflicting demands")),
    Choice("emotional_demands", N_("High emotional demands in work with people")),
    Choice("offensive_behaviour", N_("Offensive behaviour, incl. bullying and sexual harassment")),
    Choice("violence", N_("Work-related violence")),
    Choice("violence_outside_hours", N_("Work-related violence outside working hours")),
    Choice("general_s5", N_("Other influences (section 5)")),
)
Bek1406Factor = BEK1406_FACTORS.enum

# ISO 45003 Tables 1-3 (our one-line names for the factor groups).
HAZARD_FACTORS = Vocabulary(
    "HazardFactor",
    Choice("org.roles", N_("Roles and expectations")),
    Choice("org.control", N_("Job control or autonomy")),
    Choice("org.demands", N_("Job demands")),
    Choice("org.change", N_("Organizational change management")),
    Choice("org.remote", N_("Remote and isolated work")),
    Choice("org.workload", N_("Workload and work pace")),
    Choice("org.hours", N_("Working hours and schedule")),
    Choice("org.security", N_("Job security and precarious work")),
    Choice("social.relationships", N_("Interpersonal relationships")),
    Choice("social.leadership", N_("Leadership")),
    Choice("social.culture", N_("Organizational or workgroup culture")),
    Choice("social.recognition", N_("Recognition and reward")),
    Choice("social.career", N_("Career development")),
    Choice("social.support", N_("Support")),
    Choice("social.supervision", N_("Supervision")),
    Choice("social.civility", N_("Civility and respect")),
    Choice("social.work_life", N_("Work/life balance")),
    Choice("social.violence", N_("Violence at work")),
    Choice("social.harassment", N_("Harassment")),
    Choice("social.bullying", N_("Bullying and victimization")),
    Choice("env.equipment", N_("Equipment")),
    Choice("env.conditions", N_("Physical working conditions")),
    Choice("env.resources", N_("Tools and resources")),
    Choice("env.hazardous", N_("Hazardous tasks and settings")),
)
HazardFactor = HAZARD_FACTORS.enum
HAZARD_TABLES = {"org": 1, "social": 2, "env": 3}

# The three prevention levels, with the names the Dansk Standard deck gives them. A level says when a measure acts, not
# whom it reaches: whether a measure is collective or individual (BEK 1406 § 6: collective first) is MEASURE_SCOPES.
PREVENTION_LEVELS = Vocabulary(
    "PreventionLevel",
    Choice(
        "primary",
        N_("Primary prevention"),
        "#15803d",
        help=N_("Anticipate: organise, plan and carry out the work so that problems do not arise."),
    ),
    Choice(
        "secondary",
        N_("Secondary prevention"),
        "#ca8a04",
        help=N_(
            "Handle: spot, limit and reduce strain early, and build the ability to deal with problems when they arise."
        ),
    ),
    Choice(
        "tertiary",
        N_("Tertiary prevention"),
        "#b91c1c",
        help=N_(
            "Respond and treat: halt a harmful course, restore resources and help people back to work; often individual "
            "treatment once health has been affected."
        ),
    ),
)
PreventionLevel = PREVENTION_LEVELS.enum

# Whom a corrective action reaches, whatever its prevention level.
MEASURE_SCOPES = Vocabulary(
    "MeasureScope",
    Choice("collective", N_("Collective measure"), help=N_("Aimed at the work, a team or the whole workplace.")),
    Choice(
        "individual", N_("Individual measure"), help=N_("Aimed at one person, e.g. a course, coaching or treatment.")
    ),
)
MeasureScope = MEASURE_SCOPES.enum

# Clause references are "<standard>:<clause>", e.g. "45003:6.1.2".
STANDARDS = {"45001": "ISO 45001", "45003": "ISO 45003"}


def clause_label(ref: str) -> str:
    """'45003:6.1.2' -> 'ISO 45003 6.1.2'."""
    standard, _, clause = ref.partition(":")
    return f"{STANDARDS.get(standard, standard)} {clause}"


# E-mail reminders (services/reminders.py): what a person can be reminded of, each kind one a user can turn off.
REMINDER_KINDS = Vocabulary(
    "ReminderKind",
    Choice("audit_soon", N_("An audit you are on starts in two weeks")),
    Choice("action_due", N_("A corrective action you own is due (14 and 3 days before, and on the day)")),
    Choice("plan_due", N_("A case's corrective action plan is due (14 and 3 days before, and on the day)")),
    Choice("overdue_weekly", N_("Overdue cases of your organisation, once a week")),
    Choice("window_opens", N_("The window of an audit in the programme opens, and nobody has planned it")),
    Choice(
        "window_closes",
        N_("The window of an audit in the programme closes in two weeks, and the audit is not planned within it"),
    ),
    Choice("decision_waiting", N_("Certification decisions waiting for you, once a week")),
)
ReminderKind = REMINDER_KINDS.enum
# A reminder's delivery: queued (not sent yet), sent, or failed (tried again at the next run, up to a limit)
REMINDER_STATES = Vocabulary(
    "ReminderState",
    Choice("queued", N_("Queued"), "#6b7280"),
    Choice("sent", N_("Sent"), "#15803d"),
    Choice("failed", N_("Failed"), "#b91c1c"),
)
ReminderState = REMINDER_STATES.enum
# What the audit trail records changes to (services/trail.py), and the kinds of change; the histories show the labels.
TRAIL_ENTITIES = Vocabulary(
    "TrailEntity",
    Choice("audit", N_("Audit")),
    Choice("plan_entry", N_("Audit plan")),
    Choice("team", N_("Audit team")),
    Choice("response", N_("Answer")),
    Choice("evidence", N_("Evidence")),
    Choice("photo", N_("Photo")),
    Choice("finding", N_("Finding")),
    Choice("case", N_("Case")),
    Choice("case_action", N_("Corrective action")),
    Choice("report_template", N_("Report template")),
    Choice("body_logo", N_("Logo of the certification body")),
    Choice("review", N_("Management review")),
    Choice("review_decision", N_("Review decision")),
    Choice("user", N_("User")),
    Choice("audit_site", N_("Production unit")),
    Choice("case_verification", N_("Verification of an earlier nonconformity")),
    Choice("programme", N_("Audit programme")),
    Choice("certification_decision", N_("Certification decision")),
    Choice("competence", N_("Auditor's competence")),
    Choice("declaration", N_("Impartiality declaration")),
)
TrailEntity = TRAIL_ENTITIES.enum
TRAIL_ACTIONS = Vocabulary(
    "TrailAction",
    Choice("create", N_("Created")),
    Choice("update", N_("Changed")),
    Choice("delete", N_("Deleted")),
    Choice("correction", N_("Correction recorded")),
    Choice("root_cause", N_("Root cause recorded")),
    Choice("submit_plan", N_("Plan submitted")),
    Choice("accept_plan", N_("Plan accepted")),
    Choice("return_plan", N_("Plan returned")),
    Choice("implement", N_("Implemented")),
    Choice("implemented", N_("All actions implemented")),
    Choice("verify", N_("Effectiveness verified")),
    Choice("close", N_("Closed")),
    Choice("attach", N_("File attached")),
    Choice("recompile", N_("Inputs compiled again")),
    Choice("change_password", N_("Password changed")),
    Choice("reset_password", N_("Password reset")),
    Choice("create_token", N_("API token created")),
    Choice("revoke_token", N_("API token revoked")),
    Choice("investigation", N_("Investigation recorded")),
    Choice("carry_over", N_("Carried over for verification")),
    Choice("verify_in", N_("Verification audit chosen")),
    Choice("approve", N_("Approved")),
    Choice("withdraw_approval", N_("Approval withdrawn")),
    Choice("create_feed", N_("Calendar feed created")),
    Choice("revoke_feed", N_("Calendar feed revoked")),
    Choice("decide", N_("Decided")),
    Choice("override", N_("Team check overridden")),
    Choice("draw_sample", N_("Sample drawn at random")),
)
TrailAction = TRAIL_ACTIONS.enum
