"""Database tables (SQLModel). Schema changes go through an Alembic migration in auditor/migrations.

A table's `id` is typed `int` although it is None until the row is first flushed: the code reads ids only of stored
rows, and `int | None` would make every `audit.id` handed on a type error (mypy). The schema is the same either way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import Enum, StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Index, LargeBinary, Text, TypeDecorator, UniqueConstraint
from sqlmodel import AutoString, Column, Field, SQLModel

from auditor.vocabulary import (
    ActionStatus,
    Actor,
    Answer,
    AuditCombination,
    AuditStatus,
    AuditType,
    CaseSource,
    CaseStatus,
    ConflictKind,
    DecisionOutcome,
    EvidenceMethod,
    FindingKind,
    Language,
    MeasureScope,
    PlanKind,
    PreventionLevel,
    ProgrammeKind,
    ReminderKind,
    ReminderState,
    ReportKind,
    Role,
    RootCauseMethod,
    TeamRole,
    VerificationResult,
)

RowT = TypeVar("RowT", bound=SQLModel)


def detached_copy(row: RowT) -> RowT:
    """A copy of a row's column values, bound to no session: what is still shown after a rollback (which expires the
    row itself). Read through the attributes, so an expired row is read again first. Built, not validated: the values
    are copied as they are, so a row not stored yet (a blank answer, version 0, without id or time) is copied too."""
    return type(row)(
        **{name: getattr(row, name) for name in (column.key for column in row.__table__.columns)}  # type: ignore[attr-defined]
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A time-zone aware timestamp, stored as UTC; SQLite hands back naive values, so mark them UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use auditor.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


class ChoiceString(TypeDecorator):
    """A vocabulary's enum, stored as its value in the VARCHAR a `str` field gets (so it needs no migration) and read
    back as the enum member; a value the vocabulary no longer has is read back as it is stored."""

    impl = AutoString
    cache_ok = True

    def __init__(self, enum: type[StrEnum], length: int):
        super().__init__(length=length)
        self.enum = enum

    def process_result_value(self, value: str | None, dialect) -> Enum | str | None:
        return self.enum._value2member_map_.get(value, value) if value is not None else None


def _choice(enum: type[StrEnum], length: int, **kwargs: Any) -> Any:
    return Field(sa_type=ChoiceString(enum, length), **kwargs)


def _client_id() -> Any:
    """The UUID a tablet made for a record it created (services/sync.py): unique, so a create sent twice is stored once."""
    return Field(default=None, max_length=36, unique=True, index=True)


def _json(default_factory=list) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class Organisation(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    cvr: str | None = Field(default=None, max_length=8)
    address: str = Field(default="", max_length=300)  # the legal address the audit report names (17021-1 9.4.8)
    created_at: datetime = _timestamp()


class Site(SQLModel, table=True):
    """A site or Danish production unit (p-enhed) of an organisation."""

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    p_number: str | None = Field(default=None, max_length=10)
    address: str = Field(default="", max_length=300)


class ChecklistSnapshot(SQLModel, table=True):
    """A checklist's content as it was when an audit first used it. Never changed afterwards."""

    __table_args__ = (UniqueConstraint("checklist_id", "sha256"),)

    id: int = Field(default=None, primary_key=True)
    checklist_id: str = Field(max_length=80)
    version: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    title: dict = _json(dict)
    item_count: int
    content: dict = _json(dict)
    created_at: datetime = _timestamp()


class LibraryRevision(SQLModel, table=True):
    """One publish of the checklist library: the snapshot that serves each checklist id. Every process serves
    the newest row, so all machines plan audits with the same checklists (auditor/services/library.py)."""

    id: int = Field(default=None, primary_key=True)
    # The revision this one replaced (0 for the first); unique, so of two publishers racing only one wins.
    previous_id: int = Field(unique=True)
    entries: list = _json(list)  # [{"snapshot_id": 3, "source": "/path/to/file.yaml"}, ...]
    published_by: str = Field(max_length=200)
    published_at: datetime = _timestamp()


class User(SQLModel, table=True):
    """A person who logs in. `organisation_id` None: staff of the audit provider; set: a member of that
    client organisation. Users are deactivated, never deleted, so the audit trail keeps its authors."""

    id: int = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    role: Role = _choice(Role, 20)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    is_active: bool = True
    must_change_password: bool = False
    language: Language = _choice(Language, 2, default=Language.DA)  # of the e-mails the user gets
    created_at: datetime = _timestamp()
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A browser login. The cookie holds a random token; only its hash is stored."""

    id: int = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal token for API clients (Authorization: Bearer ...), shown once, stored hashed."""

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _timestamp()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A personal calendar feed: a secret address a calendar program subscribes to (services/calendar.py). The
    address holds a random token; only its hash is stored. It speaks the language chosen when it was made."""

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    prefix: str = Field(max_length=12)
    token_hash: str = Field(max_length=64, unique=True)
    language: Language = _choice(Language, 2, default=Language.DA)
    created_at: datetime = _timestamp()
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reminder(SQLModel, table=True):
    """One e-mail reminder, recorded before it is sent: its key is unique, so every process on every machine that
    finds it due queues it once, and a run claims it (claimed_at) before sending, so one run sends it
    (services/reminders.py). The text is kept as queued, so a retry sends the same e-mail."""

    id: int = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: ReminderKind = _choice(ReminderKind, 20)
    user_id: int = Field(foreign_key="user.id", index=True)
    recipient: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    state: ReminderState = _choice(ReminderState, 10, default=ReminderState.QUEUED, index=True)
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = _timestamp()
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderOptOut(SQLModel, table=True):
    """A kind of reminder a user has turned off."""

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    kind: ReminderKind = _choice(ReminderKind, 20, primary_key=True)


class LoginFailure(SQLModel, table=True):
    """A failed login, kept to throttle its account and address pair and its address (services/accounts.py::log_in)."""

    id: int = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = _timestamp(index=True)


class Audit(SQLModel, table=True):
    # An organisation's audits by start date: a case's "next audit" (its verification deadline) is the first of them.
    __table_args__ = (Index("ix_audit_org_start", "organisation_id", "start_date"),)

    id: int = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    audit_type: AuditType = _choice(AuditType, 20)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    scope: str = Field(default="", sa_type=Text)
    objectives: str = Field(default="", sa_type=Text)
    criteria: str = Field(default="", sa_type=Text)
    start_date: date
    end_date: date
    report_language: Language = _choice(Language, 2, default=Language.DA)
    status: AuditStatus = _choice(AuditStatus, 20, default=AuditStatus.PLANNED, index=True)
    item_total: int = 0
    # Its checklists' content hashes (their snapshots' sha256), in their order, comma-separated: frozen with the
    # checklists when the audit is planned. services/checklists.audit_structure finds the parsed checklists by it.
    checklists_key: str = Field(default="", sa_type=Text)
    # What the audit team writes into the report
    report_version: str = Field(default="1", max_length=20)
    summary: str = Field(default="", sa_type=Text)
    conclusion: str = Field(default="", sa_type=Text)
    recommendation: str = Field(default="", max_length=30)  # certification audits: vocabulary.RECOMMENDATIONS
    plan_deviations: str = Field(default="", sa_type=Text)
    auditee_representative: str = Field(default="", max_length=200)  # name and title of the client's signatory
    # A Danish recognised OH&S certificate (anerkendt arbejdsmiljøcertifikat, BRIEF 3.5)
    dk_certificate: bool = False
    bek1407_auditor_id: int | None = Field(default=None, foreign_key="user.id")
    # Why an installation admin set the team although the competence and impartiality check refused it
    # (services/staffing.py); it stands until the team changes.
    team_override_reason: str = Field(default="", max_length=300)
    # Audit time in days: planned by IAF MD 5 (without the Danish extra time) and actually spent; hours on the
    # psychosocial work environment. The hours on the material work environment are per production unit (AuditSite).
    md5_days: float | None = None
    actual_days: float | None = None
    psychosocial_hours: float | None = None
    # What md5_days is computed from (services/audit_time.py): the effective number of personnel as IAF MD 5 counts
    # them (full-time on every shift; part-time as full-time equivalents; temporary, seasonal and contracted staff
    # present at the audit), the OH&S risk category, and the planner's adjustments, each with its reason.
    personnel_full_time: int | None = None
    personnel_part_time_fte: float | None = None
    personnel_temporary: float | None = None
    ohs_risk: str = Field(default="", max_length=10)  # vocabulary.OHS_RISKS, "" not set
    time_adjustments: list = _json(list)  # [{"days": 0.5 or -0.5, "reason": "..."}]
    # The random part of the sampling plan (services/sampling.py), each draw as it was made, so that anyone can make it
    # again: [{"seed": 123, "candidates": [site ids, ascending], "count": 2, "drawn": [site ids]}]
    sample_draws: list = _json(list)
    # The rest of ISO/IEC 17021-1 9.4.8
    certificate_number: str = Field(default="", max_length=50)
    certificate_expiry: date | None = None
    next_audit_date: date | None = None
    accompanying: list = _json(list)  # [{"name", "role": vocabulary.ACCOMPANYING_ROLES, "remote": bool}]
    significant_changes: str = Field(default="", sa_type=Text)  # since the last audit
    programme_issues: str = Field(default="", sa_type=Text)  # significant issues affecting the audit programme
    unresolved_issues: str = Field(default="", sa_type=Text)  # unresolved issues, diverging opinions
    combination: AuditCombination = _choice(AuditCombination, 20, default=AuditCombination.SINGLE)
    marks_control: str = Field(default="", sa_type=Text)  # control of certificates and marks
    statements: dict = _json(dict)  # vocabulary.STATEMENTS value -> true / false (absent: not stated)
    stage1_readiness: str = Field(default="", max_length=30)  # stage 1: vocabulary.STAGE1_READINESS
    list_not_audited: bool = False  # the report lists each item not audited on this visit, not only a count
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class AuditMember(SQLModel, table=True):
    """The audit team: one lead auditor and any number of auditors, all with accounts."""

    audit_id: int = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    role: TeamRole = _choice(TeamRole, 20, default=TeamRole.AUDITOR)


class AuditorCompetence(SQLModel, table=True):
    """An auditor's competence record (services/staffing.py): how BEK 1407 is met and since when, technical areas,
    languages. Kept by admins."""

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    bek1407: str = Field(default="", max_length=20)  # vocabulary.BEK1407_BASES, "" not met
    bek1407_date: date | None = None  # the course passed or the exemption granted
    technical_areas: list = _json(list)  # e.g. IAF scope sectors, as the body names them
    languages: list = _json(list)  # the languages the auditor audits in
    updated_at: datetime = _timestamp()


class ImpartialityDeclaration(SQLModel, table=True):
    """A tie an auditor declared to an organisation (ISO/IEC 17021-1 5.2): what it is and when; no end: still so."""

    id: int = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True, ondelete="CASCADE")
    kind: ConflictKind = _choice(ConflictKind, 20)
    starts_on: date | None = None
    ends_on: date | None = None
    note: str = Field(default="", max_length=500)
    created_at: datetime = _timestamp()


class AuditSite(SQLModel, table=True):
    """A site in an audit's scope; for a Danish recognised certificate, the audit's conclusion on the production unit."""

    audit_id: int = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="site.id", primary_key=True)
    material_hours: float | None = None  # audit time on the material (actual) work environment of this unit
    significant_problems: str = Field(default="", sa_type=Text)  # væsentlige arbejdsmiljøproblemer, or none found
    # The sampling plan (IAF MD 1, services/sampling.py): the central function, always visited, and why each unit is
    # visited in this audit.
    central: bool = False
    visit_reason: str = Field(default="", max_length=300)
    must_visit: bool = False  # not to be sampled (a high risk, processes of its own): visited, the reason says why


class AuditChecklist(SQLModel, table=True):
    audit_id: int = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    snapshot_id: int = Field(foreign_key="checklistsnapshot.id", primary_key=True)
    position: int = 0


class PlanEntry(SQLModel, table=True):
    """One line of the audit plan's agenda (ISO 19011 6.3.2)."""

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    day: date
    start_time: time
    end_time: time | None = None
    kind: PlanKind = _choice(PlanKind, 20, default=PlanKind.ACTIVITY)
    activity: str = Field(max_length=300)
    auditor: str = Field(default="", max_length=200)
    auditee_role: str = Field(default="", max_length=200)
    remote: bool = False  # carried out remotely, not on site (17021-1 9.4.8)


class Response(SQLModel, table=True):
    """The auditor's answer to one checklist item in one audit."""

    __table_args__ = (UniqueConstraint("audit_id", "item_id"),)

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", ondelete="CASCADE")
    item_id: str = Field(max_length=80)
    verdict: Answer | None = _choice(Answer, 20, default=None)  # a question's verdict or a step's state
    note: str = Field(default="", sa_type=Text)
    # Arbejdstilsynet's weighing, part by part ({part: text} for vocabulary.WEIGHING_PARTS), on items that ask for it
    weighing: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int = 1
    updated_at: datetime = _timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")  # None for answers saved before 0010


class AnswerReceipt(SQLModel, table=True):
    """That a change of an answer, by the id the tablet's outbox made for it, was saved, and the version it made: sent
    again, the change answers with that version and saves nothing, even after a newer change (services/sync.py).
    Forgotten when the audit closes. No rowid on SQLite: the key is the table."""

    __table_args__ = {"sqlite_with_rowid": False}

    audit_id: int = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    client_id: str = Field(primary_key=True, max_length=36)
    item_id: str = Field(max_length=80)
    version: int
    user_id: int = Field(foreign_key="user.id")
    saved_at: datetime = _timestamp()


class Evidence(SQLModel, table=True):
    """What the auditor saw, read or heard. Interviewees are recorded by role and count, never by name."""

    __table_args__ = (Index("ix_evidence_audit_item", "audit_id", "item_id"),)

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", ondelete="CASCADE")
    item_id: str = Field(max_length=80)
    method: EvidenceMethod = _choice(EvidenceMethod, 30)
    summary: str = Field(sa_type=Text)
    interviewee_role: Actor | None = _choice(Actor, 40, default=None)
    interviewee_count: int | None = None
    reference: str = Field(default="", max_length=300)
    confidential: bool = False
    created_at: datetime = _timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    client_id: str | None = _client_id()


class Finding(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("audit_id", "number"),)

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    number: int
    item_id: str | None = Field(default=None, max_length=80)
    kind: FindingKind = _choice(FindingKind, 20)
    clauses: list = _json(list)
    requirement: str = Field(default="", sa_type=Text)
    statement: str = Field(sa_type=Text)
    evidence: str = Field(default="", sa_type=Text)
    tags: dict = _json(dict)  # the tags a person confirmed (the item's are only suggestions: findings.draft_finding)
    site_ids: list = _json(list)  # the sites / production units the finding concerns; empty: not stated
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    client_id: str | None = _client_id()


class CaseFollowUp(SQLModel, table=True):
    """What an audit verified on site of a case carried over from an earlier audit, and the result (17021-1 9.4.8)."""

    __table_args__ = (UniqueConstraint("audit_id", "case_id"),)

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    case_id: int = Field(foreign_key="case.id")
    checked: str = Field(default="", sa_type=Text)  # what was verified on site
    result: str = Field(max_length=20)  # vocabulary.FOLLOW_UP_RESULTS
    verified_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = _timestamp()


class CertificationDecision(SQLModel, table=True):
    """The certification body's decision after a certification audit (ISO/IEC 17021-1 9.5): a technical review of
    the audit and a decision, both by people who were not on its team. The certificate follows from it: its number
    and expiry are the audit's (`Audit.certificate_number`, `certificate_expiry`, which the decision writes), its
    scope and production units are here. One decision per audit."""

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", unique=True, ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    outcome: DecisionOutcome = _choice(DecisionOutcome, 20)
    decided_on: date
    reasons: str = Field(sa_type=Text)
    decided_by_id: int = Field(foreign_key="user.id")
    review: str = Field(sa_type=Text)  # the technical review's conclusion
    reviewed_by_id: int = Field(foreign_key="user.id")
    reviewed_on: date
    scope: str = Field(default="", sa_type=Text)  # the certificate's scope after the decision
    site_ids: list = _json(list)  # the production units the certificate covers after the decision
    created_at: datetime = _timestamp()


class AuditProgramme(SQLModel, table=True):
    """An organisation's audit programme (services/programmes.py): the certification cycle, whose dates follow from
    the certification decisions, or an internal programme of `cycle_months` from `cycle_start` with
    `audits_per_cycle` audits. Either way, what every cycle must cover: `checklists` (their clauses) and every site."""

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True, ondelete="CASCADE")
    kind: ProgrammeKind = _choice(ProgrammeKind, 20)
    checklists: list = _json(list)  # checklist ids whose clauses each cycle covers
    scope: str = Field(default="", sa_type=Text)  # an internal programme's scope (a certificate has its own)
    cycle_start: date | None = None  # internal only
    cycle_months: int | None = None  # internal only
    audits_per_cycle: int | None = None  # internal only
    updated_at: datetime = _timestamp()


class FindingCounter(SQLModel, table=True):
    """The last finding number given in an audit (services/numbering.py takes the next one)."""

    audit_id: int = Field(foreign_key="audit.id", primary_key=True, ondelete="CASCADE")
    last_number: int = 0


class AuditEvent(SQLModel, table=True):
    """The audit trail: one row per change, who, when, what, before and after. Append-only: the migration
    adds database triggers that refuse UPDATE and DELETE, and nothing in the app edits it."""

    id: int = Field(default=None, primary_key=True)
    at: datetime = _timestamp(index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=254)
    audit_id: int | None = Field(default=None, index=True)
    entity: str = Field(max_length=30)
    entity_id: str = Field(max_length=80)
    action: str = Field(max_length=20)
    confidential: bool = False
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


# The case's facts of ISO 45001 10.2 b, c, e, g and the communication to workers, recorded while it is open
# (services/cases.record_investigation changes only these; the trail keeps them).
INVESTIGATION_FIELDS = (
    "investigation_participants",
    "participation_note",
    "extent",
    "apv_reviewed",
    "apv_reference",
    "new_hazards_assessed",
    "new_hazards",
    "system_changes",
    "communicated_on",
    "communication",
)


class Case(SQLModel, table=True):
    """A nonconformity (or an observation, OFI, incident, complaint someone chose to track) followed through
    correction, root cause, corrective actions and verified effectiveness to closure (ISO 45001 10.2)."""

    __table_args__ = (
        UniqueConstraint("organisation_id", "number"),
        Index("ix_case_org_status", "organisation_id", "status"),
    )

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    number: int
    source: CaseSource = _choice(CaseSource, 20, default=CaseSource.AUDIT)
    audit_id: int | None = Field(default=None, foreign_key="audit.id", index=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", unique=True)
    item_id: str | None = Field(default=None, max_length=80)
    grade: FindingKind = _choice(FindingKind, 20)
    clauses: list = _json(list)
    requirement: str = Field(default="", sa_type=Text)
    statement: str = Field(sa_type=Text)
    evidence: str = Field(default="", sa_type=Text)
    tags: dict = _json(dict)
    status: CaseStatus = _choice(CaseStatus, 20, default=CaseStatus.RAISED)
    opened_at: datetime = _timestamp(index=True)
    correction: str = Field(default="", sa_type=Text)
    corrected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    root_cause_method: RootCauseMethod | None = _choice(RootCauseMethod, 20, default=None)
    root_cause: str = Field(default="", sa_type=Text)
    plan_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    plan_accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    plan_return_reason: str = Field(default="", sa_type=Text)
    individual_measures_only: bool = False  # an auditor's remark: collective measures come first (BEK 1406 §6)
    implemented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    verification_method: str = Field(default="", sa_type=Text)
    verified_on: date | None = None
    verification_result: VerificationResult | None = _choice(VerificationResult, 20, default=None)
    verified_by_id: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The audit that verifies the case: chosen once when a fitting audit is planned (cases.carry_over), then changed
    # only by a person (cases.choose_verification_audit).
    verify_in_audit_id: int | None = Field(default=None, foreign_key="audit.id")
    # ISO 45001 10.2: a correction that does not apply says why (the reason is in `correction`)
    correction_not_applicable: bool = False
    # 10.2 b) the investigation: who took part (vocabulary.ACTORS roles, never names), and the extent: whether the
    # same nonconformity exists or could occur elsewhere
    investigation_participants: list = _json(list)
    participation_note: str = Field(default="", sa_type=Text)
    extent: str = Field(default="", sa_type=Text)
    # 10.2 c) the APV / risk assessment reviewed (None: not said), with where
    apv_reviewed: bool | None = None
    apv_reference: str = Field(default="", sa_type=Text)
    # 10.2 e) new or changed hazards assessed before acting; g) changes to the OH&S management system
    new_hazards_assessed: bool | None = None
    new_hazards: str = Field(default="", sa_type=Text)
    system_changes: str = Field(default="", sa_type=Text)
    # Communication to the workers and their representatives (AMO / MED): when, and how
    communicated_on: date | None = None
    communication: str = Field(default="", sa_type=Text)
    updated_at: datetime = _timestamp()


class CaseCounter(SQLModel, table=True):
    """The last case number given in an organisation (services/numbering.py takes the next one)."""

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, ondelete="CASCADE")
    last_number: int = 0


class CaseAction(SQLModel, table=True):
    """One corrective action of a case's plan."""

    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    description: str = Field(sa_type=Text)
    owner_id: int = Field(foreign_key="user.id", index=True)
    due_date: date
    prevention_level: PreventionLevel = _choice(PreventionLevel, 20)
    scope: MeasureScope | None = _choice(MeasureScope, 20, default=None)  # None: added before actions had a scope
    status: ActionStatus = _choice(ActionStatus, 20, default=ActionStatus.OPEN)
    implemented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    implementation_note: str = Field(default="", sa_type=Text)
    created_at: datetime = _timestamp()


class Blob(SQLModel, table=True):
    """A file's bytes (a photo, its thumbnail or original, an attachment), kept once however many records use it.
    Records name their blobs by SHA-256 and the services delete a blob with the last record that uses it.
    No foreign keys point here: an installation that upgraded with a file missing from its disk keeps the record."""

    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    content: bytes = Field(sa_type=LargeBinary)


class CaseAttachment(SQLModel, table=True):
    """Evidence of implementation: a checked file, its bytes in the blob `sha256`."""

    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    action_id: int | None = Field(default=None, foreign_key="caseaction.id")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int = Field(foreign_key="user.id")
    uploaded_at: datetime = _timestamp()


class CaseComment(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    author_id: int = Field(foreign_key="user.id")
    text: str = Field(sa_type=Text)
    at: datetime = _timestamp()


class ManagementReview(SQLModel, table=True):
    """Ledelsens evaluering (ISO 45001 9.3) of one organisation for one period: compiled inputs, the quality
    manager's own sections, and decisions."""

    id: int = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    period_start: date
    period_end: date
    inputs: dict = _json(dict)
    manual: dict = _json(dict)
    # The meeting and its record (ISO 45001 9.3): when, who (top management by role), what was measured (d2) and
    # what the authorities decided (d3), who approved the minutes, and how workers and their representatives heard.
    meeting_date: date | None = None
    participants: list = _json(list)  # [{"role": ..., "name": ...}]
    monitoring: list = _json(list)  # d2, one row per period: [{"period", "absence_percent", "survey", "injuries"}]
    compliance: list = _json(list)  # d3: [{"date", "kind", "reference", "description", "status"}]
    approved_by: str = Field(default="", max_length=200)
    approved_on: date | None = None
    communicated_on: date | None = None
    communication: str = Field(default="", sa_type=Text)  # to whom (AMO / MED) and how
    # The last withdrawal of the approval (reviews.withdraw_approval), until the review is approved again.
    withdrawn_on: date | None = None
    withdrawal_reason: str = Field(default="", sa_type=Text)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ReviewDecision(SQLModel, table=True):
    id: int = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="managementreview.id", index=True)
    text: str = Field(sa_type=Text)
    case_id: int | None = Field(default=None, foreign_key="case.id")  # the case that tracks a decision that needs doing
    created_at: datetime = _timestamp()


class Photo(SQLModel, table=True):
    """A photo taken as evidence on a checklist item or a finding. Stored re-encoded: EXIF orientation applied,
    location and every other metadata removed, downscaled; the original only if AUDITOR_KEEP_PHOTO_ORIGINALS says so.
    The image, its thumbnail and the original are blobs."""

    id: int = Field(default=None, primary_key=True)
    audit_id: int = Field(foreign_key="audit.id", index=True, ondelete="CASCADE")
    item_id: str | None = Field(default=None, max_length=80)
    finding_id: int | None = Field(default=None, foreign_key="finding.id")
    caption: str = Field(default="", max_length=300)
    confidential: bool = False
    sha256: str = Field(max_length=64)
    width: int
    height: int
    size: int
    thumbnail_sha256: str = Field(max_length=64)
    original_sha256: str | None = Field(default=None, max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = _timestamp()
    client_id: str | None = _client_id()


class BodyLogo(SQLModel, table=True):
    """The certification body's logo as an administrator uploaded it: checked, stripped of metadata, its image a blob.
    At most one row (a new upload replaces it); without one, the reports use the AUDITOR_CB_LOGO file."""

    id: int = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=30)  # image/png or image/jpeg
    width: int
    height: int
    size: int
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = _timestamp()


class ReportTemplate(SQLModel, table=True):
    """A Word template (docxtpl) uploaded for one kind of report and language: the provider's own
    (organisation_id None, i.e. the certification body) or one organisation's, for every audit type or one.
    The newest upload for a scope is the one in use; removing it brings back the one before."""

    id: int = Field(default=None, primary_key=True)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True, ondelete="CASCADE")
    kind: ReportKind = _choice(ReportKind, 30)
    language: Language = _choice(Language, 2)
    audit_type: AuditType | None = _choice(AuditType, 20, default=None)
    filename: str = Field(max_length=200)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=LargeBinary)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = _timestamp()
