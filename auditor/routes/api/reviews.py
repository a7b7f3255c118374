"""Management reviews (ISO 45001 9.3): compiled inputs, the sections management writes, decisions, the minutes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StringConstraints

from auditor import vocabulary as v
from auditor.deps import (
    CurrentUser,
    ManagedReviewDep,
    PageDep,
    ReviewCreator,
    ReviewDep,
    SessionDep,
    SettingsDep,
    send_page,
)
from auditor.models import ManagementReview, Organisation
from auditor.routes.api.refusals import CHANGE, CHANGE_NAMED, NAMED
from auditor.routes.downloads import DOCX, Language, review_minutes_download
from auditor.schemas import Input, LongText, Name, RowId, ShortText
from auditor.services import reviews

router = APIRouter(tags=["management reviews"])


# What comes in and goes out


class ReviewIn(Input):
    organisation_id: RowId
    period_start: date
    period_end: date = Field(description="On or after `period_start`, and at most ten years after it")


class ManualSectionsIn(Input):
    """The sections management writes (ISO 45001 9.3 b, c, d consultation, compliance, risks and opportunities, e, f,
    and the outputs' conclusion on suitability, adequacy and effectiveness); fields left out keep their text."""

    changes_in_issues: LongText | None = Field(
        default=None, description="9.3 b) changes in external and internal issues"
    )
    objectives: LongText | None = Field(
        default=None, description="9.3 c) how far the OH&S policy and objectives were met"
    )
    consultation: LongText | None = Field(default=None, description="9.3 d) consultation and participation of workers")
    resources: LongText | None = Field(default=None, description="9.3 e) adequacy of resources")
    communications: LongText | None = Field(
        default=None, description="9.3 f) relevant communication with interested parties"
    )
    compliance_evaluation: LongText | None = Field(
        default=None, description="9.3 d) evaluation of compliance with legal and other requirements"
    )
    risks_opportunities: LongText | None = Field(default=None, description="9.3 d) risks and opportunities")
    suitability: LongText | None = Field(default=None, description="Output: is the system suitable?")
    adequacy: LongText | None = Field(default=None, description="Output: is the system adequate?")
    effectiveness: LongText | None = Field(default=None, description="Output: is the system effective?")


class ParticipantIn(Input):
    role: ShortText = Field(description="Their role, e.g. CEO, HR manager, AMO member")
    name: ShortText = ""


class MeetingIn(Input):
    meeting_date: date | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=reviews.MAX_ROWS)


class MonitoringRowIn(Input):
    period: ShortText = Field(description="The period measured, e.g. 2026 H1")
    absence_percent: float | None = Field(default=None, ge=0, le=100, description="Sickness absence in %")
    survey: LongText = Field(default="", description="The survey's result (trivselsmåling, APV)")
    injuries: int | None = Field(default=None, ge=0, le=1_000_000, description="Occupational injuries reported")


class MonitoringIn(Input):
    rows: list[MonitoringRowIn] = Field(max_length=reviews.MAX_ROWS)


class ComplianceRowIn(Input):
    date: date
    kind: Literal[tuple(reviews.COMPLIANCE_KINDS.values)]  # type: ignore[valid-type]  # the vocabulary's values
    reference: ShortText = ""
    description: LongText
    status: Literal[tuple(reviews.COMPLIANCE_STATUSES.values)]  # type: ignore[valid-type]


class ComplianceIn(Input):
    rows: list[ComplianceRowIn] = Field(max_length=reviews.MAX_ROWS)


class ApprovalIn(Input):
    approved_by: Name = Field(description="Who in top management approved the minutes (name and role)")
    approved_on: date


class WithdrawalIn(Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] = Field(
        description="Why the approval is withdrawn"
    )


class CommunicationIn(Input):
    communicated_on: date
    communication: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)] = Field(
        description="To whom (AMO, MED, all workers) and how the outputs were communicated"
    )


class DecisionIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    needs_action: bool = Field(
        default=False, description="Opens a case (source management_review) that tracks the decision"
    )


class DecisionOut(BaseModel):
    id: int
    text: str
    case_id: int | None
    case_reference: str | None
    case_status: v.CaseStatus | None
    created_at: datetime


class ReviewSummaryOut(BaseModel):
    id: int
    organisation_id: int
    organisation: str
    period_start: date
    period_end: date
    decisions: int
    created_at: datetime
    updated_at: datetime


class ReviewOut(BaseModel):
    id: int
    organisation_id: int
    organisation: str
    period_start: date
    period_end: date
    inputs: dict = Field(description="ISO 45001 9.3 a-g as compiled: values and counts, labels are the vocabulary's")
    manual: dict[str, str]
    decisions: list[DecisionOut]
    meeting_date: date | None
    participants: list[dict]
    monitoring: list[dict]
    compliance: list[dict]
    state: str = Field(description="draft, approved or communicated")
    approved_by: str
    approved_on: date | None
    communicated_on: date | None
    communication: str
    withdrawn_on: date | None = Field(description="When the last approval was withdrawn (until approved again)")
    withdrawal_reason: str
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


def review_out(session, review: ManagementReview) -> ReviewOut:
    return ReviewOut(
        **review.model_dump(exclude={"manual"}),
        manual={key: review.manual.get(key, "") for key in reviews.MANUAL_SECTIONS.values},
        organisation=session.get(Organisation, review.organisation_id).name,
        decisions=[decision_out(row) for row in reviews.list_decisions(session=session, review=review)],
        state=reviews.review_state(review),
    )


def decision_out(row: reviews.DecisionRow) -> DecisionOut:
    return DecisionOut(
        **row.decision.model_dump(exclude={"review_id"}), case_reference=row.reference, case_status=row.case_status
    )


# Loaders: who may see and change a review is decided before the body is read


# Routes


@router.post("/management-reviews", status_code=201, responses=CHANGE)
def create_review(data: ReviewIn, session: SessionDep, user: ReviewCreator, settings: SettingsDep) -> ReviewOut:
    """Compile a management review of an organisation for a period (inputs a-g from audits, findings and cases)."""
    review = reviews.create_review(
        session=session,
        actor=user,
        organisation_id=data.organisation_id,
        period_start=data.period_start,
        period_end=data.period_end,
        policy=settings.deadline_policy,
    )
    return review_out(session, review)


@router.get("/management-reviews")
def list_reviews(
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    organisation_id: RowId | None = None,
) -> list[ReviewSummaryOut]:
    """The management reviews you may see, latest period first; paged (Link and X-Total-Count headers)."""
    found = reviews.list_reviews(session=session, actor=user, organisation_id=organisation_id, page=page)
    return send_page(
        found.with_items(
            [
                ReviewSummaryOut(
                    **s.review.model_dump(
                        include={"id", "organisation_id", "period_start", "period_end", "created_at", "updated_at"}
                    ),
                    organisation=s.organisation,
                    decisions=s.decisions,
                )
                for s in found.items
            ]
        ),
        request,
        response,
    )


# Before /management-reviews/{review_id}: that path would otherwise take "12.docx" for an id.
@router.get(
    "/management-reviews/{review_id}.docx", response_class=Response, responses={**NAMED, 200: {"content": {DOCX: {}}}}
)
def download_review(request: Request, review: ReviewDep, session: SessionDep, lang: Language | None = None) -> Response:
    """The review's minutes as a Word file: inputs with tables and charts, management's sections, decisions."""
    return review_minutes_download(request, review, session, lang)


@router.get("/management-reviews/{review_id}", responses=NAMED)
def show_review(review: ReviewDep, session: SessionDep) -> ReviewOut:
    """One management review with its inputs, sections and decisions."""
    return review_out(session, review)


@router.patch("/management-reviews/{review_id}", responses=CHANGE_NAMED)
def update_review(
    review: ManagedReviewDep, data: ManualSectionsIn, session: SessionDep, user: CurrentUser
) -> ReviewOut:
    """Change the sections management writes; fields left out keep their text."""
    sections = data.model_dump(exclude_unset=True)
    return review_out(session, reviews.update_manual(session=session, actor=user, review=review, sections=sections))


@router.post("/management-reviews/{review_id}/recompile", responses=CHANGE_NAMED)
def recompile_review(
    review: ManagedReviewDep, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> ReviewOut:
    """Compile the inputs again from today's data; sections and decisions stay."""
    return review_out(
        session, reviews.recompile_review(session=session, actor=user, review=review, policy=settings.deadline_policy)
    )


@router.post("/management-reviews/{review_id}/decisions", status_code=201, responses=CHANGE_NAMED)
def add_decision(review: ManagedReviewDep, data: DecisionIn, session: SessionDep, user: CurrentUser) -> DecisionOut:
    """Record a decision; one that needs action opens a case (its id is in case_id)."""
    decision = reviews.add_decision(
        session=session, actor=user, review=review, text=data.text, needs_action=data.needs_action
    )
    return decision_out(
        next(row for row in reviews.list_decisions(session=session, review=review) if row.decision.id == decision.id)
    )


@router.put("/management-reviews/{review_id}/meeting", responses=CHANGE_NAMED)
def update_meeting(review: ManagedReviewDep, data: MeetingIn, session: SessionDep, user: CurrentUser) -> ReviewOut:
    """The meeting's date and participants (top management named by role, AMO / MED)."""
    reviews.update_meeting(
        session=session,
        actor=user,
        review=review,
        meeting_date=data.meeting_date,
        participants=[p.model_dump() for p in data.participants],
    )
    return review_out(session, review)


@router.put("/management-reviews/{review_id}/monitoring", responses=CHANGE_NAMED)
def set_monitoring(review: ManagedReviewDep, data: MonitoringIn, session: SessionDep, user: CurrentUser) -> ReviewOut:
    """9.3 d) monitoring and measurement results per period (absence, survey, reported injuries); replaces the list."""
    reviews.set_monitoring(session=session, actor=user, review=review, rows=[r.model_dump() for r in data.rows])
    return review_out(session, review)


@router.put("/management-reviews/{review_id}/compliance", responses=CHANGE_NAMED)
def set_compliance(review: ManagedReviewDep, data: ComplianceIn, session: SessionDep, user: CurrentUser) -> ReviewOut:
    """9.3 d) the authorities' decisions and orders (Arbejdstilsynet) with dates and status; replaces the list."""
    reviews.set_compliance(session=session, actor=user, review=review, rows=[r.model_dump() for r in data.rows])
    return review_out(session, review)


@router.post("/management-reviews/{review_id}/approval", responses=CHANGE_NAMED)
def approve_review(review: ManagedReviewDep, data: ApprovalIn, session: SessionDep, user: CurrentUser) -> ReviewOut:
    """Record top management's approval (who, when); 422 naming every required section still empty."""
    reviews.approve(
        session=session, actor=user, review=review, approved_by=data.approved_by, approved_on=data.approved_on
    )
    return review_out(session, review)


@router.post("/management-reviews/{review_id}/approval/withdrawal", responses=CHANGE_NAMED)
def withdraw_approval(
    review: ManagedReviewDep, data: WithdrawalIn, session: SessionDep, user: CurrentUser
) -> ReviewOut:
    """Withdraw the approval, with a reason: the review is a draft again; 409 if it is not approved."""
    reviews.withdraw_approval(session=session, actor=user, review=review, reason=data.reason)
    return review_out(session, review)


@router.post("/management-reviews/{review_id}/communication", responses=CHANGE_NAMED)
def record_communication(
    review: ManagedReviewDep, data: CommunicationIn, session: SessionDep, user: CurrentUser
) -> ReviewOut:
    """How and when the outputs were communicated to workers and their representatives (AMO / MED)."""
    reviews.record_communication(
        session=session,
        actor=user,
        review=review,
        communicated_on=data.communicated_on,
        communication=data.communication,
    )
    return review_out(session, review)
