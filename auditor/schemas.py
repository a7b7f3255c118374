"""Shapes of what comes in and goes out: the JSON API's bodies and the HTML forms' data share these."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from auditor import vocabulary as v
from auditor.checklists import CLAUSE_PATTERN, Item, TagLists
from auditor.i18n import N_

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteIn(_In):
    name: Name
    p_number: str | None = Field(default=None, description="Danish production unit number (10 digits)")
    address: ShortText = ""

    @field_validator("p_number")
    @classmethod
    def _p_number(cls, value: str | None) -> str | None:
        value = (value or "").replace(" ", "") or None
        if value is not None and not re.fullmatch(r"\d{10}", value):
            raise ValueError(N_("a P-number has 10 digits"))
        return value


class OrganisationIn(_In):
    name: Name
    cvr: str | None = Field(default=None, description="Danish CVR number (8 digits)")
    sites: list[SiteIn] = []

    @field_validator("cvr")
    @classmethod
    def _cvr(cls, value: str | None) -> str | None:
        value = (value or "").replace(" ", "") or None
        if value is not None and not re.fullmatch(r"\d{8}", value):
            raise ValueError(N_("a CVR number has 8 digits"))
        return value


class SiteOut(BaseModel):
    id: int
    name: str
    p_number: str | None
    address: str


class OrganisationOut(BaseModel):
    id: int
    name: str
    cvr: str | None
    sites: list[SiteOut]


class AuditIn(_In):
    title: Name
    audit_type: v.AuditType
    organisation_id: int
    site: ShortText | None = Field(default=None, description="A site name; created under the organisation if new")
    site_ids: list[int] = []
    scope: LongText = ""
    objectives: LongText = ""
    criteria: LongText = ""
    start_date: date
    end_date: date
    lead_auditor_id: int | None = Field(default=None, description="A lead auditor's user id; defaults to you if you are one")
    team_ids: list[int] = Field(default=[], description="User ids of the other auditors")
    report_language: v.Language = v.Language.DA
    checklists: Annotated[list[str], Field(min_length=1)]

    @model_validator(mode="after")
    def _dates(self) -> AuditIn:
        if self.end_date < self.start_date:
            raise ValueError(N_("end_date cannot be before start_date"))
        return self


class AuditUpdate(_In):
    """Fields of a planned audit that can change; checklists are fixed once the audit exists."""

    title: Name | None = None
    audit_type: v.AuditType | None = None
    site_ids: list[int] | None = None
    scope: LongText | None = None
    objectives: LongText | None = None
    criteria: LongText | None = None
    start_date: date | None = None
    end_date: date | None = None
    lead_auditor_id: int | None = None
    team_ids: list[int] | None = None
    report_language: v.Language | None = None


# A recommendation, or "" for none. The values are read from the vocabulary at import, which mypy cannot follow.
RecommendationValue = Literal[(*v.RECOMMENDATIONS.values, "")]  # type: ignore[valid-type]


class ReportDetails(_In):
    """What the audit team writes into the report; only the fields sent change."""

    report_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = None
    summary: LongText | None = None
    conclusion: LongText | None = None
    recommendation: RecommendationValue | None = Field(default=None, description='Certification audits only; "" for none')
    plan_deviations: LongText | None = Field(default=None, description="Deviations from the audit plan, and why")
    auditee_representative: ShortText | None = Field(default=None, description="Name and title of the client's representative who signs")
    dk_certificate: bool | None = Field(default=None, description="The audit is for a Danish recognised OH&S certificate")
    bek1407_auditor_id: int | None = Field(default=None, description="The team member trained under BEK 1407; 0 for none")
    material_hours: Annotated[float, Field(ge=0, le=10_000)] | None = Field(default=None, description="Hours spent on the material work environment")
    significant_problems: LongText | None = Field(default=None, description="Significant work-environment problems found, or that none were found")


class StatusIn(_In):
    status: v.AuditStatus


class Progress(BaseModel):
    answered: int
    total: int
    percent: int


class AuditChecklistOut(BaseModel):
    id: str
    version: str
    title: dict[str, str]
    item_count: int


class TeamMemberOut(BaseModel):
    user_id: int
    name: str
    role: v.TeamRole


class AuditOut(BaseModel):
    id: int
    title: str
    audit_type: v.AuditType
    organisation_id: int
    organisation: str
    sites: list[SiteOut]
    scope: str
    objectives: str
    criteria: str
    start_date: date
    end_date: date
    team: list[TeamMemberOut]
    report_language: v.Language
    status: v.AuditStatus
    checklists: list[AuditChecklistOut]
    progress: Progress
    created_at: datetime
    updated_at: datetime


class AuditSummaryOut(BaseModel):
    """An audit in the list of audits."""

    id: int
    title: str
    audit_type: str
    organisation: str
    start_date: date
    end_date: date
    status: str
    progress: Progress


class PlanEntryIn(_In):
    day: date
    start_time: time
    end_time: time | None = None
    kind: v.PlanKind = v.PlanKind.ACTIVITY
    activity: ShortText = ""
    auditor: ShortText = ""
    auditee_role: ShortText = ""

    @model_validator(mode="after")
    def _times(self) -> PlanEntryIn:
        if self.end_time is not None and self.end_time <= self.start_time:
            raise ValueError(N_("end_time must be after start_time"))
        if self.kind == v.PlanKind.ACTIVITY and not self.activity:
            raise ValueError(N_("describe the activity or process"))
        return self


class PlanEntryOut(BaseModel):
    id: int
    day: date
    start_time: time
    end_time: time | None
    kind: v.PlanKind
    activity: str
    auditor: str
    auditee_role: str


class ResponseIn(_In):
    """A save of one answer. Fields left out keep their stored value; `version` is the one the save is based on
    (0 when there was no answer yet)."""

    verdict: v.Verdict | None = None
    note: LongText | None = None
    version: Annotated[int, Field(ge=0)]


class PhotoOut(BaseModel):
    id: int
    item_id: str | None
    finding_id: int | None
    caption: str
    confidential: bool
    width: int
    height: int
    url: str
    thumbnail_url: str
    created_at: datetime


class ResponseOut(BaseModel):
    item_id: str
    verdict: v.Verdict | None
    note: str
    version: int
    updated_at: datetime | None
    photos: list[PhotoOut] = []


class EvidenceIn(_In):
    method: v.EvidenceMethod
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
    interviewee_role: v.Actor | None = None
    interviewee_count: Annotated[int, Field(ge=1, le=500)] | None = None
    reference: ShortText = ""
    confidential: bool = Field(default=False, description="Seen only by the audit team; never in a report or export")

    @field_validator("interviewee_role", mode="before")
    @classmethod
    def _role(cls, value: object) -> object:
        return value or None  # a form's empty choice

    @model_validator(mode="after")
    def _interviews(self) -> EvidenceIn:
        if self.method in v.INTERVIEW_METHODS:
            if self.interviewee_role is None:
                raise ValueError(N_("an interview needs the interviewee's role (never a name)"))
            if self.interviewee_count is None:
                self.interviewee_count = 1
        else:
            self.interviewee_role = None
            self.interviewee_count = None
        return self


class EvidenceOut(BaseModel):
    id: int
    item_id: str
    method: v.EvidenceMethod
    summary: str
    interviewee_role: v.Actor | None
    interviewee_count: int | None
    reference: str
    confidential: bool
    created_at: datetime


FindingTags = TagLists


class FindingIn(_In):
    item_id: str | None = None
    kind: v.FindingKind
    clauses: list[str] | None = Field(default=None, description="Defaults to the item's clauses")
    requirement: LongText = ""
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    evidence: LongText = ""
    tags: FindingTags | None = Field(default=None, description="Defaults to the item's tags")

    @field_validator("clauses")
    @classmethod
    def _clauses(cls, values: list[str] | None) -> list[str] | None:
        for ref in values or []:
            if not CLAUSE_PATTERN.match(ref):
                raise ValueError(f"clause {ref!r} must look like '45003:6.1.2' or '45001:9.3'")
        return values


class FindingOut(BaseModel):
    id: int
    reference: str
    case_id: int | None = Field(description="The corrective-action case a nonconformity opened")
    audit_id: int
    item_id: str | None
    kind: v.FindingKind
    clauses: list[str]
    requirement: str
    statement: str
    evidence: str
    tags: dict
    created_at: datetime
    updated_at: datetime
    photos: list[PhotoOut] = Field(default=[], description="The photos on the finding that you may see")


# Corrective-action cases

class CaseIn(_In):
    """A case opened by hand: an incident, a complaint, a worker's report."""

    organisation_id: int
    source: v.CaseSource = v.CaseSource.OTHER
    grade: v.FindingKind
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    requirement: LongText = ""
    evidence: LongText = ""
    clauses: list[str] = []
    tags: FindingTags = FindingTags()


class CorrectionIn(_In):
    correction: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class RootCauseIn(_In):
    method: v.RootCauseMethod
    cause: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class ActionIn(_In):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
    owner_id: int
    due_date: date
    prevention_level: v.PreventionLevel


class PlanReviewIn(_In):
    accept: bool
    reason: LongText = ""
    individual_measures_only: bool | None = None


class ImplementIn(_In):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]


class VerificationIn(_In):
    method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
    verified_on: date
    result: v.VerificationResult


class CommentIn(_In):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]


class CaseActionOut(BaseModel):
    id: int
    description: str
    owner_id: int
    owner: str
    due_date: date
    prevention_level: v.PreventionLevel
    status: v.ActionStatus
    overdue: bool
    implemented_at: datetime | None
    implementation_note: str


class CaseOut(BaseModel):
    id: int
    reference: str
    organisation_id: int
    source: v.CaseSource
    audit_id: int | None
    finding_id: int | None
    item_id: str | None
    grade: v.FindingKind
    clauses: list[str]
    requirement: str
    statement: str
    evidence: str
    tags: dict
    status: v.CaseStatus
    opened_at: datetime
    due_date: date | None
    overdue: bool
    correction: str
    root_cause_method: v.RootCauseMethod | None
    root_cause: str
    plan_return_reason: str
    individual_measures_only: bool
    only_individual_measures_planned: bool
    verification_method: str
    verified_on: date | None
    verification_result: v.VerificationResult | None
    closed_at: datetime | None
    actions: list[CaseActionOut]



class HealthOut(BaseModel):
    status: str
    version: str


class CommentOut(BaseModel):
    id: int
    author: str
    text: str
    at: datetime


class AttachmentOut(BaseModel):
    id: int
    filename: str
    size: int
    content_type: str


class AuditEventOut(BaseModel):
    """One change in the audit trail: who, when, what, before and after (confidential content blanked for those who
    may not see it)."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    audit_id: int | None
    entity: str
    entity_id: str
    action: str
    confidential: bool
    before: dict | None
    after: dict | None


class ChecklistSummaryOut(BaseModel):
    """A checklist of the library, in Danish and English."""

    id: str
    version: str
    title: dict[str, str]
    description: dict[str, str]
    audit_types: list[str]
    item_count: int


class SectionOut(BaseModel):
    code: str
    title: dict[str, str]
    items: list[Item]
    sections: list[SectionOut]


class ChecklistOut(ChecklistSummaryOut):
    """A checklist with its sections and items (checklists/FORMAT.md describes the fields)."""

    source: dict[str, str]
    attribution: dict[str, str]
    sections: list[SectionOut]
