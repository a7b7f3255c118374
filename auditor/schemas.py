"""Shapes of what comes in and goes out: the JSON API's bodies and the HTML forms' data share these."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from auditor import vocabulary as v
from auditor.checklists import CLAUSE_PATTERN, Item, TagLists
from auditor.i18n import N_
from auditor.text import refuse_unstorable

MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a reference to a row, in a body or a query
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


class Input(BaseModel):
    """What comes in: no field the schema does not name, and no text a report, a spreadsheet or the database could
    not carry (auditor.text)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: object) -> object:
        return refuse_unstorable(value)


class SiteIn(Input):
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


class OrganisationIn(Input):
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


class AuditIn(Input):
    title: Name
    audit_type: v.AuditType
    organisation_id: RowId
    site: ShortText | None = Field(default=None, description="A site name; created under the organisation if new")
    site_ids: list[RowId] = []
    scope: LongText = ""
    objectives: LongText = ""
    criteria: LongText = ""
    start_date: date
    end_date: date
    lead_auditor_id: RowId | None = Field(
        default=None, description="A lead auditor's user id; defaults to you if you are one"
    )
    team_ids: list[RowId] = Field(default=[], description="User ids of the other auditors")
    report_language: v.Language = v.Language.DA
    checklists: Annotated[list[str], Field(min_length=1)]

    @model_validator(mode="after")
    def _dates(self) -> AuditIn:
        if self.end_date < self.start_date:
            raise ValueError(N_("The end date cannot be before the start date."))
        return self


class AuditUpdate(Input):
    """Fields of a planned audit that can change (a field left out or null keeps its value); checklists are fixed once
    the audit exists."""

    title: Name | None = None
    audit_type: v.AuditType | None = None
    site_ids: list[RowId] | None = None
    scope: LongText | None = None
    objectives: LongText | None = None
    criteria: LongText | None = None
    start_date: date | None = None
    end_date: date | None = None
    lead_auditor_id: RowId | None = None
    team_ids: list[RowId] | None = None
    report_language: v.Language | None = None


# A recommendation, or "" for none. The values are read from the vocabulary at import, which mypy cannot follow.
RecommendationValue = Literal[(*v.RECOMMENDATIONS.values, "")]  # type: ignore[valid-type]


class ReportDetails(Input):
    """What the audit team writes into the report; only the fields sent change."""

    report_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)] | None = None
    summary: LongText | None = None
    conclusion: LongText | None = None
    recommendation: RecommendationValue | None = Field(
        default=None, description='Certification audits only; "" for none'
    )
    plan_deviations: LongText | None = Field(default=None, description="Deviations from the audit plan, and why")
    auditee_representative: ShortText | None = Field(
        default=None, description="Name and title of the client's representative who signs"
    )
    dk_certificate: bool | None = Field(
        default=None, description="The audit is for a Danish recognised OH&S certificate"
    )
    bek1407_auditor_id: Annotated[int, Field(ge=0, le=MAX_ID)] | None = Field(
        default=None, description="The team member trained under BEK 1407; 0 for none"
    )
    material_hours: Annotated[float, Field(ge=0, le=10_000)] | None = Field(
        default=None, description="Hours spent on the material work environment"
    )
    significant_problems: LongText | None = Field(
        default=None, description="Significant work-environment problems found, or that none were found"
    )


class UserIn(Input):
    """A user's fields as an administrator writes them (the pages' user forms)."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
    name: Name


class TokenIn(Input):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class StatusIn(Input):
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


class PlanEntryIn(Input):
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
            raise ValueError(N_("The end time must be after the start time."))
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


class ResponseIn(Input):
    """A save of one answer. Fields left out keep their stored value; `version` is the one the save is based on
    (0 when there was no answer yet)."""

    verdict: v.Answer | None = None  # a question's verdict; a step of the audit (item kind "step") is done or not_done
    note: LongText | None = None
    version: Annotated[int, Field(ge=0)]


Caption = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class PhotoIn(Input):
    """The caption of a photo upload (a form field beside the file): the page checks it against the API's limit."""

    caption: Caption = ""


class PhotoOut(BaseModel):
    id: int
    item_id: str | None
    finding_id: int | None
    caption: str
    confidential: bool
    width: int
    height: int
    size: int = Field(description="Bytes of the photo at `url`")
    url: str
    thumbnail_url: str
    created_at: datetime
    client_id: str | None = Field(default=None, description="The id the client made when it uploaded the photo")


class AnswerOut(BaseModel):
    """An answer to one item; version 0 is an item not answered yet."""

    item_id: str
    verdict: v.Answer | None
    note: str
    version: int
    updated_at: datetime | None
    updated_by: str | None = Field(
        default=None,
        description="The name of who saved the answer last (none before the first save, "
        "or for answers saved before this was recorded)",
    )


class ResponseOut(AnswerOut):
    """An answer with the item's photos (when the endpoint lists them)."""

    photos: list[PhotoOut] = []


class EvidenceIn(Input):
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


class ClientMade(Input):
    """A create the tablet's outbox may send more than once (services/sync.py)."""

    client_id: UUID | None = Field(
        default=None,
        description="A UUID the client made for this create. Sent again with the same id, "
        "the create answers with what it stored the first time and stores nothing new",
    )


class NewEvidenceIn(EvidenceIn, ClientMade):
    """Evidence as the API records it: with an optional client-made id."""


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
    client_id: str | None = Field(default=None, description="The id the client made when it recorded the entry")


FindingTags = TagLists


class FindingIn(Input):
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


class NewFindingIn(FindingIn, ClientMade):
    """A finding as the API raises it: with an optional client-made id."""


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
    client_id: str | None = Field(default=None, description="The id the client made when it raised the finding")
    photos: list[PhotoOut] = Field(default=[], description="The photos on the finding that you may see")


# Corrective-action cases


class CaseIn(Input):
    """A case opened by hand: an incident, a complaint, a worker's report."""

    organisation_id: RowId
    source: v.CaseSource = v.CaseSource.OTHER
    grade: v.FindingKind
    statement: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    requirement: LongText = ""
    evidence: LongText = ""
    clauses: list[str] = []
    tags: FindingTags = FindingTags()


class CorrectionIn(Input):
    correction: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class RootCauseIn(Input):
    method: v.RootCauseMethod
    cause: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class ActionIn(Input):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
    owner_id: RowId
    due_date: date
    prevention_level: v.PreventionLevel
    scope: v.MeasureScope


class PlanReviewIn(Input):
    accept: bool
    reason: LongText = ""
    individual_measures_only: bool | None = None


class ImplementIn(Input):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]


class VerificationIn(Input):
    method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]
    verified_on: date
    result: v.VerificationResult


class CommentIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5_000)]


class CaseActionOut(BaseModel):
    id: int
    description: str
    owner_id: int
    owner: str
    due_date: date
    prevention_level: v.PreventionLevel
    scope: v.MeasureScope | None
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


class ChoiceOut(BaseModel):
    """One choice of a vocabulary (a verdict, a finding kind, ...) with its labels in Danish and English."""

    value: str
    label: dict[str, str]
    short: dict[str, str]
    colour: str


class SessionOut(BaseModel):
    """Who is signed in, and the CSRF token that changes made with the session cookie must send (`X-CSRF-Token`)."""

    user_id: int
    name: str
    csrf_token: str


class OfflineCopyOut(BaseModel):
    """Everything conducting one audit needs, for a tablet without network: what the audit's pages show, as data."""

    version: str = Field(
        description="Changes whenever anything in the copy changes (also sent as the ETag): send it as "
        "If-None-Match to get 304 when nothing did"
    )
    generated_at: datetime
    user_id: int = Field(description="The user the copy was made for: it holds what they may see")
    permissions: list[str] = Field(description="What the user may do with the audit (view, plan, conduct, ...)")
    audit: AuditOut
    checklists: list[ChecklistOut] = Field(description="The audit's checklists as they were frozen when it was planned")
    verdicts: list[ChoiceOut] = Field(description="The verdicts this audit's type allows")
    finding_kinds: list[ChoiceOut]
    evidence_methods: list[ChoiceOut]
    interviewee_roles: list[ChoiceOut]
    answers: list[AnswerOut] = Field(description="Every stored answer; an item without one is unanswered (version 0)")
    evidence: list[EvidenceOut] = Field(description="The evidence you may see")
    findings: list[FindingOut]
    photos: list[PhotoOut] = Field(
        description="Every photo you may see, on items and on findings, for fetching the thumbnails"
    )
