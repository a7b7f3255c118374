"""Shapes of what comes in and goes out: the JSON API's bodies and the HTML forms' data share these."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from auditor import vocabulary as v
from auditor.checklists import CLAUSE_PATTERN, Item, TagLists
from auditor.errors import error_codes
from auditor.i18n import N_
from auditor.text import refuse_unstorable

MAX_ID = 2**31 - 1  # the largest id a PostgreSQL integer column holds
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]  # a reference to a row, in a body or a query
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]


# A time of day as the audit plan keeps it: local, without a UTC offset ("08:30" or "08:30:00"). OpenAPI's `time`
# format is RFC 3339's full-time, which needs an offset, so the schema names the shape itself.
def _local_time(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError(N_("give a local time of day, without a UTC offset"))
    return value


LocalTime = Annotated[
    time,
    AfterValidator(_local_time),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "A local time of day, HH:MM or HH:MM:SS, without a UTC offset",
            "examples": ["08:30"],
        }
    ),
]

# Every `code` an error body may carry. Built from the error classes, which mypy cannot follow.
ErrorCode = StrEnum("ErrorCode", [(code.upper(), code) for code in error_codes()], module=__name__)  # type: ignore[misc]


class FieldErrorOut(BaseModel):
    field: str = Field(description="The field, dotted when nested (`sites.0.p_number`); empty for the body as a whole")
    message: str = Field(description="What is wrong with it, in the request's language")


class ErrorOut(BaseModel):
    """The body of every refusal and error the API answers (routes/errors.py builds them all from this)."""

    code: ErrorCode = Field(
        description="What kind of refusal, for a client to act on: e.g. `invalid` (422), `not_found` (404), "
        "`forbidden` or `csrf_failed` (403), `version_conflict` or `audit_closed` (409), `busy` (503)"
    )
    detail: str = Field(description="What went wrong, for a person, in the request's language")
    errors: list[FieldErrorOut] = Field(default=[], description="With `invalid`: what is wrong, field by field")


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
    address: ShortText = Field(default="", description="The organisation's address, as the audit report names it")
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
    address: str
    sites: list[SiteOut] = Field(
        description="the first sites by name, at most 50: every page of them at /api/v1/organisations/{id}/sites"
    )
    site_count: int = Field(description="how many sites the organisation has")


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
    end_date: date = Field(description="On or after `start_date`")
    lead_auditor_id: RowId | None = Field(
        default=None, description="A lead auditor's user id; defaults to you if you are one"
    )
    team_ids: list[RowId] = Field(default=[], description="User ids of the other auditors")
    report_language: v.Language = v.Language.DA
    checklists: Annotated[list[str], Field(min_length=1)]
    override_reason: ShortText = Field(
        default="", description="Installation admins: why the team is set although the competence check refuses it"
    )

    @field_validator("end_date")
    @classmethod
    def _after_start(cls, end_date: date, info: ValidationInfo) -> date:
        start_date = info.data.get("start_date")  # absent when it did not validate
        if start_date is not None and end_date < start_date:
            raise ValueError(N_("The end date cannot be before the start date."))  # on end_date: the form marks it
        return end_date


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
    end_date: date | None = Field(
        default=None, description="On or after the start date (the one sent, or the stored one)"
    )
    lead_auditor_id: RowId | None = None
    team_ids: list[RowId] | None = None
    report_language: v.Language | None = None
    override_reason: ShortText = Field(
        default="", description="Installation admins: why the team is set although the competence check refuses it"
    )


# A recommendation, or "" for none. The values are read from the vocabulary at import, which mypy cannot follow.
RecommendationValue = Literal[(*v.RECOMMENDATIONS.values, "")]  # type: ignore[valid-type]
ReadinessValue = Literal[(*v.STAGE1_READINESS.values, "")]  # type: ignore[valid-type]
Days = Annotated[float, Field(ge=0, le=1_000)]
Hours = Annotated[float, Field(ge=0, le=10_000)]


class AccompanyingPerson(Input):
    """Someone with the audit team who does not audit: a technical expert, observer, interpreter or guide."""

    name: Name
    role: v.AccompanyingRole
    remote: bool = Field(default=False, description="Took part remotely, not on site")


class CompetenceIn(Input):
    """An auditor's competence record; the whole record is sent."""

    bek1407: v.Bek1407Basis | None = Field(default=None, description="How BEK 1407 is met; null: not met")
    bek1407_date: date | None = Field(default=None, description="The course passed or the exemption granted")
    technical_areas: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]],
        Field(max_length=50),
    ] = []
    languages: Annotated[
        list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]],
        Field(max_length=20),
    ] = []

    @model_validator(mode="after")
    def _dated(self) -> CompetenceIn:
        if self.bek1407 and self.bek1407_date is None:
            raise ValueError(N_("Give the date of the BEK 1407 course or exemption."))
        return self


class DeclarationIn(Input):
    """A tie to an organisation an auditor declares (ISO/IEC 17021-1 5.2)."""

    organisation_id: RowId
    kind: v.ConflictKind
    starts_on: date | None = None
    ends_on: date | None = Field(default=None, description="null: it still holds")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""

    @model_validator(mode="after")
    def _period(self) -> DeclarationIn:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError(N_("The end date cannot be before the start date."))
        return self


class CompetenceOut(BaseModel):
    """An auditor's competence record (empty until an admin fills it in)."""

    auditor_id: int
    bek1407: v.Bek1407Basis | None = Field(description="How BEK 1407 is met; null: not met")
    bek1407_date: date | None = Field(description="The course passed or the exemption granted")
    technical_areas: list[str]
    languages: list[str]
    updated_at: datetime | None = Field(description="When the record last changed; null: never recorded")


class AuditorOut(BaseModel):
    """A lead auditor or auditor, with their competence record."""

    id: int
    name: str
    role: v.Role
    competence: CompetenceOut


class DeclarationOut(BaseModel):
    """A tie to an organisation an auditor declared (ISO/IEC 17021-1 5.2)."""

    id: int
    auditor_id: int
    organisation_id: int
    organisation: str = Field(description="The organisation's name")
    kind: v.ConflictKind
    starts_on: date | None
    ends_on: date | None = Field(description="null: it still holds")
    note: str
    created_at: datetime


class UnitVisitIn(Input):
    """A production unit the audit visits, and why."""

    site_id: RowId
    reason: ShortText = Field(default="", description="Why the unit is visited (required)")
    must_visit: bool = Field(
        default=False, description="Not to be sampled (a high risk, processes of its own): visited in every audit"
    )


class SamplingIn(Input):
    """Which of the organisation's production units the audit visits (IAF MD 1); the whole plan is sent."""

    central_site_id: RowId | None = Field(
        default=None, description="The central function, visited in every audit (one of `visits`); null: none"
    )
    visits: Annotated[list[UnitVisitIn], Field(max_length=1000)] = []

    @field_validator("visits")
    @classmethod
    def _once_each(cls, visits: list[UnitVisitIn]) -> list[UnitVisitIn]:
        if len({visit.site_id for visit in visits}) < len(visits):
            raise ValueError(N_("Each unit is listed once."))
        return visits


class SampledUnitOut(BaseModel):
    site: SiteOut
    visited: bool
    central: bool
    must_visit: bool = Field(description="Marked not to be sampled: visited, and not counted in the sample")
    reason: str = Field(description="Why the unit is visited; empty: not visited")
    carried_must_visit_reason: str = Field(
        description="Why the organisation's last earlier saved plan marked the unit must be visited; empty: it did not"
    )
    last_visit: str = Field(description="The title of the cycle's last earlier audit that visited it; empty: none")


class SamplingOut(BaseModel):
    """The audit's sampling plan: every production unit of the organisation, visited in this audit or not."""

    units: list[SampledUnitOut]
    required: int | None = Field(
        description="The fewest units besides the central function IAF MD 1 asks this audit to visit; null: no minimum"
    )
    visited: int = Field(description="Units besides the central function visited")
    not_yet_in_cycle_site_ids: list[int] = Field(
        description="Units no audit of the cycle has visited, this one included"
    )


class TimeAdjustment(Input):
    """Audit days added (positive) or taken off (negative) the IAF MD 5 table's days, with the reason."""

    days: Annotated[float, Field(ge=-100, le=100)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class AuditTimeIn(Input):
    """What the audit's IAF MD 5 time is computed from, and the days actually spent; the whole record is sent."""

    personnel_full_time: Annotated[int, Field(ge=0, le=1_000_000)] | None = Field(
        default=None, description="Full-time personnel in the scope, those on every shift included"
    )
    personnel_part_time_fte: Annotated[float, Field(ge=0, le=1_000_000)] | None = Field(
        default=None, description="Part-time personnel converted to full-time equivalents by the hours they work"
    )
    personnel_temporary: Annotated[float, Field(ge=0, le=1_000_000)] | None = Field(
        default=None, description="Temporary, seasonal and contracted personnel present at the time of the audit"
    )
    ohs_risk: v.OhsRisk | None = Field(default=None, description="The OH&S risk category; null: not set")
    adjustments: Annotated[list[TimeAdjustment], Field(max_length=30)] = []
    actual_days: Days | None = Field(default=None, description="Audit days actually spent (null: not stated)")


class AuditTimeOut(BaseModel):
    """The audit's time by IAF MD 5: what it is computed from and each step of the computation (null: not known)."""

    personnel: int | None = Field(description="The effective number of personnel")
    ohs_risk: v.OhsRisk | None = Field(description="The OH&S risk category; null: not set")
    table_days: float | None = Field(description="The IAF MD 5 table's days (initial audit: stage 1 + stage 2)")
    reduction_days: float | None = Field(
        description="Days a surveillance or recertification audit takes off the table's days (negative); null: none"
    )
    reduction_share: str = Field(description='The audit\'s share of the initial audit time ("1/3"); empty: all of it')
    adjustments: list[TimeAdjustment]
    repeated_reductions: list[TimeAdjustment] = Field(
        description="Adjustments that look like the reduction by the audit's type entered again by hand (as many days "
        "off, or naming the share): counted twice unless removed"
    )
    md5_days: float | None = Field(description="The table's days, reduced by the audit's type, with the adjustments")
    dk_extra_percent: float | None = Field(description="The Danish certificate's extra time, per cent; null: none")
    dk_extra_days: float | None
    planned_days: float | None = Field(description="All of it")
    actual_days: float | None
    table_version: str
    table_citation: str


class ProductionUnitIn(Input):
    """The audit's conclusion on one of its sites (a production unit) for a Danish recognised certificate."""

    site_id: RowId
    material_hours: Hours | None = Field(default=None, description="Hours on the material work environment; null: none")
    significant_problems: LongText = Field(
        default="", description="Significant work-environment problems found, or that none were found"
    )


class CaseFollowUpIn(Input):
    """What the audit verified on site of a case carried over from an earlier audit, and the result."""

    checked: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] = Field(
        description="What was verified on site"
    )
    result: v.FollowUpResult
    verified_by_id: RowId = Field(description="The team member who verified it")


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
    md5_days: Days | None = Field(default=None, description="Audit days required by IAF MD 5 (null: not stated)")
    actual_days: Days | None = Field(default=None, description="Audit days actually spent (null: not stated)")
    psychosocial_hours: Hours | None = Field(
        default=None, description="Hours spent on the psychosocial work environment (null: not stated)"
    )
    production_units: Annotated[list[ProductionUnitIn], Field(max_length=200)] | None = Field(
        default=None, description="Per site of the audit: hours on the material work environment and the conclusion"
    )
    certificate_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    certificate_expiry: date | None = Field(default=None, description="The certificate's expiry (null: none)")
    next_audit_date: date | None = Field(default=None, description="The date of the next audit (null: not set)")
    accompanying: Annotated[list[AccompanyingPerson], Field(max_length=50)] | None = Field(
        default=None, description="Technical experts, observers, interpreters and guides"
    )
    significant_changes: LongText | None = Field(default=None, description="Significant changes since the last audit")
    programme_issues: LongText | None = Field(
        default=None, description="Significant issues affecting the audit programme"
    )
    unresolved_issues: LongText | None = Field(
        default=None, description="Unresolved issues and diverging opinions between the team and the auditee"
    )
    combination: v.AuditCombination | None = Field(
        default=None, description="A single, combined, joint or integrated audit"
    )
    marks_control: LongText | None = Field(default=None, description="Control of certificates and marks")
    statements: dict[v.Statement, bool] | None = Field(
        default=None,
        description="The team's statements (ISO/IEC 17021-1 9.4.8.3), each true or false; absent: not stated",
    )
    stage1_readiness: ReadinessValue | None = Field(
        default=None, description='Stage 1 audits only: readiness for stage 2; "" for none'
    )
    list_not_audited: bool | None = Field(
        default=None, description="The report lists each item not audited on this visit (else a count per section)"
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
    audit_type: v.AuditType
    organisation: str
    start_date: date
    end_date: date
    status: v.AuditStatus
    progress: Progress


class PlanEntryIn(Input):
    day: date = Field(description="One of the audit's days: from its start date to its end date")
    start_time: LocalTime
    end_time: LocalTime | None = Field(default=None, description="After `start_time`")
    kind: v.PlanKind = v.PlanKind.ACTIVITY
    activity: ShortText = ""
    auditor: ShortText = ""
    auditee_role: ShortText = ""
    remote: bool = Field(default=False, description="Carried out remotely, not on site")

    @field_validator("end_time")
    @classmethod
    def _after_start(cls, end_time: time | None, info: ValidationInfo) -> time | None:
        start_time = info.data.get("start_time")  # absent when it did not validate
        if end_time is not None and start_time is not None and end_time <= start_time:
            raise ValueError(N_("The end time must be after the start time."))  # on end_time: the form marks it
        return end_time

    @model_validator(mode="after")
    def _activity(self) -> PlanEntryIn:
        if self.kind == v.PlanKind.ACTIVITY and not self.activity:
            raise ValueError(N_("describe the activity or process"))
        return self


class PlanEntryOut(BaseModel):
    id: int
    day: date
    start_time: LocalTime
    end_time: LocalTime | None
    kind: v.PlanKind
    activity: str
    auditor: str
    auditee_role: str
    remote: bool


WeighingText = Annotated[str, StringConstraints(max_length=5_000)]

# Arbejdstilsynet's weighing frame: one text per part of vocabulary.WEIGHING_PARTS, each at most 5,000 characters.
Weighing = create_model(  # type: ignore[call-overload]  # fields from the vocabulary, so they are named once
    "Weighing",
    __base__=Input,
    __doc__="Arbejdstilsynet's weighing of the influence, part by part (items whose checklist asks for it).",
    **{
        part.value: (WeighingText, Field(default="", description=f"{part.label}: {part.help}"))
        for part in v.WEIGHING_PARTS
    },
)


class ResponseIn(Input):
    """A save of one answer. Fields left out keep their stored value; `version` is the one the save is based on
    (0 when there was no answer yet)."""

    verdict: v.Answer | None = None  # a question's verdict; a step of the audit (item kind "step") is done or not_done
    note: LongText | None = None
    weighing: Weighing | None = Field(
        default=None,
        description="Only on items with `weighing` (the checklist's VAP assessments): the parts sent replace the "
        "stored ones, parts left out keep theirs; null clears the weighing",
    )
    version: Annotated[int, Field(ge=0)]
    client_id: UUID | None = Field(
        default=None,
        description="A UUID the client made for this change (a new one when the change's fields change). Sent again "
        "with the same id, the save answers with the answer this change saved the first time (its version), even "
        "after a newer change of the item, and saves nothing",
    )


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
    weighing: dict[v.WeighingPart, str] | None = Field(
        default=None, description="Arbejdstilsynet's weighing, part by part (none recorded: null)"
    )
    version: int
    updated_at: datetime | None
    updated_by: str | None = Field(
        default=None,
        description="The name of who saved the answer last (none before the first save, "
        "or for answers saved before this was recorded)",
    )


class VersionConflictOut(ErrorOut):
    """409 `version_conflict` on an answer's save: the stored answer and what was sent (`current` and `submitted` are
    absent with `audit_closed`)."""

    current: AnswerOut | None = Field(default=None, description="The answer as stored, with who saved it")
    submitted: dict | None = Field(default=None, description="The fields as they were sent")


class ResponseOut(AnswerOut):
    """An answer with the item's photos (when the endpoint lists them)."""

    photos: list[PhotoOut] = []


MAX_BATCH = 100  # answers in one batch: a tablet's queue goes in a few requests, each a short transaction


class AnswerChangeIn(ResponseIn):
    """One queued answer of a batch: the body of `PUT .../responses/{item_id}` with the item it answers."""

    item_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class AnswerBatchIn(BaseModel):
    """Queued answers, each an AnswerChangeIn, validated one by one (one change's bad field refuses that change only);
    an item at most once per batch (its next change goes after this one's result)."""

    model_config = ConfigDict(extra="forbid")

    changes: list[dict] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Each change as the body of `PUT .../responses/{item_id}` plus `item_id`, saved in this order",
    )

    @field_validator("changes")
    @classmethod
    def _each_item_once(cls, changes: list[dict]) -> list[dict]:
        items = [change.get("item_id") for change in changes if isinstance(change.get("item_id"), str)]
        if len(set(items)) != len(items):
            raise ValueError(N_("An item may appear once in a batch: send its next change after this one's result."))
        return changes


class AnswerResultOut(BaseModel):
    """What became of one change of a batch: the status and body `PUT .../responses/{item_id}` would have answered
    (200 with the answer; 409 `version_conflict` with both versions, or `audit_closed`; 404; 422)."""

    item_id: str | None
    status: int
    body: ResponseOut | VersionConflictOut | ErrorOut


class AnswerBatchOut(BaseModel):
    results: list[AnswerResultOut] = Field(description="One per change, in the order they were sent")


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
    tags: FindingTags | None = Field(
        default=None, description="The tags you confirm; left out, none (the item's tags are only suggestions)"
    )
    site_ids: list[RowId] | None = Field(
        default=None,
        description="The audit's sites (production units) the finding concerns; left out, the audit's only site",
    )

    @field_validator("clauses")
    @classmethod
    def _clauses(cls, values: list[str] | None) -> list[str] | None:
        for ref in values or []:
            if not CLAUSE_PATTERN.match(ref):
                raise ValueError(f"clause {ref!r} must look like '45003:6.1.2' or '45001:9.3'")
        return values


class NewFindingIn(FindingIn, ClientMade):
    """A finding as the API raises it: with an optional client-made id."""

    photo_ids: list[RowId] = Field(
        default=[],
        max_length=100,
        description="Photos of this audit (of the item, say) that go with the finding: each is copied onto it, the "
        "same picture stored once. One removed meanwhile is left out",
    )


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
    site_ids: list[int] = Field(default=[], description="The sites the finding concerns; empty: not stated")
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
    correction: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] = Field(
        description="What was done about the instance; with `not_applicable`, why no correction applies"
    )
    not_applicable: bool = False


class InvestigationIn(Input):
    """ISO 45001 10.2 beyond the actions; the fields sent change, the others keep their value."""

    investigation_participants: list[v.Actor] | None = Field(
        default=None, description="Who took part in the investigation, by role (workers, the OH&S representative...)"
    )
    participation_note: LongText | None = None
    extent: LongText | None = Field(
        default=None, description="Whether the same nonconformity exists, or could occur, elsewhere"
    )
    apv_reviewed: bool | None = Field(default=None, description="The APV / risk assessment was reviewed")
    apv_reference: LongText | None = None
    new_hazards_assessed: bool | None = Field(
        default=None, description="New or changed hazards were assessed before acting"
    )
    new_hazards: LongText | None = None
    system_changes: LongText | None = Field(default=None, description="Changes to the OH&S management system")
    communicated_on: date | None = Field(
        default=None, description="When the workers and their representatives (AMO / MED) were told"
    )
    communication: LongText | None = None


class VerifyInIn(Input):
    audit_id: RowId | None = Field(description="The audit that verifies the case; null: none chosen")


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
    verified_on: date = Field(description="Today or earlier")
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
    verify_in_audit_id: int | None = Field(description="The audit that verifies the case (carried over to it)")
    escalated: bool = Field(description="Flagged for escalation by the deadline policy's `escalate` rule")
    correction_not_applicable: bool
    investigation_participants: list[str]
    participation_note: str
    extent: str
    apv_reviewed: bool | None
    apv_reference: str
    new_hazards_assessed: bool | None
    new_hazards: str
    system_changes: str
    communicated_on: date | None
    communication: str


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
    entity: v.TrailEntity
    entity_id: str
    action: v.TrailAction
    confidential: bool
    before: dict | None
    after: dict | None


class ChecklistSummaryOut(BaseModel):
    """A checklist of the library, in Danish and English."""

    id: str
    version: str
    title: dict[str, str]
    description: dict[str, str]
    audit_types: list[v.AuditType]
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
    verdicts: list[ChoiceOut] = Field(description="The verdicts this audit's type allows (for question items)")
    step_states: list[ChoiceOut] = Field(
        description="What an item of kind `step` (a step of the audit itself) is answered with: done or not done"
    )
    finding_kinds: list[ChoiceOut]
    evidence_methods: list[ChoiceOut]
    interviewee_roles: list[ChoiceOut]
    answers: list[AnswerOut] = Field(description="Every stored answer; an item without one is unanswered (version 0)")
    evidence: list[EvidenceOut] = Field(description="The evidence you may see")
    findings: list[FindingOut]
    photos: list[PhotoOut] = Field(
        description="Every photo you may see, on items and on findings, for fetching the thumbnails"
    )


# The certification decision and the audit programme (services/programmes.py)

Required = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]


class DecisionIn(Input):
    """The technical review and the certification decision after a certification audit, both by people who were not
    on its team. The certificate follows: granting or renewing gives it an expiry three years on; a field left out
    keeps what the certificate says now (or the audit, for a first certificate)."""

    outcome: v.DecisionOutcome
    decided_on: date
    reasons: Required = Field(description="Why: what the decision rests on")
    review: Required = Field(description="The technical review's conclusion")
    reviewed_by_id: RowId | None = Field(
        default=None, description="Who reviewed the audit (not on its team); defaults to you"
    )
    reviewed_on: date | None = Field(default=None, description="On or before `decided_on`; defaults to it")
    certificate_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    scope: LongText | None = Field(default=None, description="The certificate's scope after the decision")
    site_ids: list[RowId] | None = Field(default=None, description="The production units the certificate covers")

    @model_validator(mode="after")
    def _dates(self) -> DecisionIn:
        if self.reviewed_on is not None and self.reviewed_on > self.decided_on:
            raise ValueError(N_("The technical review comes before the decision."))
        return self


class CertificateOut(BaseModel):
    number: str
    status: v.CertificateStatus
    expiry: date | None
    scope: str
    sites: list[SiteOut]
    decided_on: date
    audit_id: int


class DecisionOut(BaseModel):
    id: int
    audit_id: int
    outcome: v.DecisionOutcome
    decided_on: date
    reasons: str
    decided_by_id: int
    review: str
    reviewed_by_id: int
    reviewed_on: date
    scope: str
    site_ids: list[int]
    certificate_number: str
    certificate_expiry: date | None


class ProgrammeIn(Input):
    """An organisation's audit programme: a certification programme's dates follow from its certification decisions;
    an internal programme has a cycle of `cycle_months` from `cycle_start` with `audits_per_cycle` audits."""

    kind: v.ProgrammeKind
    checklists: Annotated[list[str], Field(min_length=1, description="Checklist ids whose clauses each cycle covers")]
    scope: LongText = ""
    cycle_start: date | None = None
    cycle_months: Annotated[int, Field(ge=1, le=60)] | None = None
    audits_per_cycle: Annotated[int, Field(ge=1, le=24)] | None = None

    @model_validator(mode="after")
    def _internal_cycle(self) -> ProgrammeIn:
        if self.kind == v.ProgrammeKind.INTERNAL and None in (
            self.cycle_start,
            self.cycle_months,
            self.audits_per_cycle,
        ):
            raise ValueError(N_("An internal programme needs its cycle: a start, a length and a number of audits."))
        return self


class ProgrammeAuditOut(BaseModel):
    """One audit of the cycle: planned in a window (`slot`), and the audit that fills it once there is one."""

    slot: str = Field(description="The place in the cycle (surveillance_1, internal_2, ...); empty for an extra audit")
    audit_type: v.AuditType
    opens: date | None
    closes: date | None
    audit_id: int | None
    title: str | None
    status: v.AuditStatus | None
    start_date: date | None
    checklists: list[str]
    clauses: list[str]
    site_ids: list[int]
    actors: list[v.Actor] = Field(description="The roles interviewed (a planned audit: the roles its items name)")


class ProgrammeOut(BaseModel):
    organisation_id: int
    kind: v.ProgrammeKind
    checklists: list[str]
    scope: str
    cycle_start: date | None
    cycle_end: date | None
    certificate: CertificateOut | None
    audits: list[ProgrammeAuditOut]
    uncovered_checklists: list[str]
    uncovered_clauses: list[str]
    uncovered_site_ids: list[int]
    uncovered_actors: list[v.Actor] = Field(description="The roles the programme's checklists name not yet interviewed")
