"""Management review pages: the list with the form to compile one, and the review with its inputs,
management's own sections and the decisions."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor.deps import (
    CurrentUser,
    ManagedReviewDep,
    OrganisationQuery,
    PageDep,
    ReviewCreator,
    ReviewDep,
    SessionDep,
    SettingsDep,
    is_htmx,
)
from auditor.errors import Invalid
from auditor.i18n import get_locale
from auditor.models import ManagementReview, Organisation, User
from auditor.paging import PageRequest
from auditor.reports.review_report import build_review_report_context
from auditor.routes.api.reviews import (
    ApprovalIn,
    CommunicationIn,
    ComplianceIn,
    DecisionIn,
    ManualSectionsIn,
    MeetingIn,
    MonitoringIn,
    ReviewIn,
    WithdrawalIn,
)
from auditor.routes.web.forms import FormDep, check_fields, form_fields, invalid_errors, parse, row_id
from auditor.services import access, organisations, reviews
from auditor.templating import render

router = APIRouter()


def _list_context(
    session, user: User, values: dict, errors: dict, page: PageRequest = PageRequest(), organisation_q: str = ""
) -> dict:
    found = reviews.list_reviews(session=session, actor=user, page=page)
    return {
        "summaries": found.items,
        "page": found,
        "choice": organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.COMPILE_REVIEWS,
            query=organisation_q,
            chosen=row_id(values.get("organisation_id")),
        ),
        "can_create": access.anywhere(user, Organisation, access.Can.COMPILE_REVIEWS),
        "values": values,
        "errors": errors,
    }


@router.get("/management-reviews")
def list_reviews(
    request: Request, session: SessionDep, user: CurrentUser, page: PageDep, organisation_q: OrganisationQuery = ""
):
    """The management reviews you may see, and the form to compile one (last calendar year by default)."""
    year = date.today().year - 1
    values = {
        "organisation_id": user.organisation_id,
        "period_start": date(year, 1, 1).isoformat(),
        "period_end": date(year, 12, 31).isoformat(),
    }
    return render(request, "reviews/list.html", _list_context(session, user, values, {}, page, organisation_q))


@router.post("/management-reviews")
def create_review(
    request: Request, session: SessionDep, user: ReviewCreator, settings: SettingsDep, submitted: FormDep
):
    """Compile a management review from the form."""
    form = form_fields(submitted)
    data, errors = parse(ReviewIn, form)
    if data is not None:
        try:
            review = reviews.create_review(
                session=session,
                actor=user,
                organisation_id=data.organisation_id,
                period_start=data.period_start,
                period_end=data.period_end,
                policy=settings.deadline_policy,
            )
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/management-reviews/{review.id}", status_code=303)
    return render(request, "reviews/list.html", _list_context(session, user, form, errors), status_code=422)


def _show_context(session, user: User, review: ManagementReview, **extra) -> dict:
    return {
        "review": review,
        "report": build_review_report_context(session=session, review=review, lang=get_locale()),
        "can_manage": access.allows(session=session, user=user, record=review, can=access.Can.MANAGE),
        "decision_values": {},
        "decision_errors": {},
        "saved": None,
        "state": reviews.review_state(review),
        "missing": reviews.missing_for_approval(review),
        "compliance_kinds": reviews.COMPLIANCE_KINDS,
        "compliance_statuses": reviews.COMPLIANCE_STATUSES,
        "review_states": reviews.REVIEW_STATES,
        "blank_rows": BLANK_ROWS,
        "record_errors": {},
        "record_values": {},
        **extra,
    }


@router.get("/management-reviews/{review_id}")
def show_review(request: Request, review: ReviewDep, session: SessionDep, user: CurrentUser):
    """The review: inputs a-g with charts, management's sections, decisions, the Word download."""
    return render(request, "reviews/show.html", _show_context(session, user, review))


@router.post("/management-reviews/{review_id}/sections")
def update_sections(request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """Save the hand-written sections sent (an emptied text box clears its section)."""
    sections: dict[str, str | None] = {key: str(form[key]) for key in reviews.MANUAL_SECTIONS.values if key in form}
    check_fields(ManualSectionsIn, sections)  # the API's limits; over them: 422 with the message
    reviews.update_manual(session=session, actor=user, review=review, sections=sections)
    if is_htmx(request) and len(sections) == 1:
        context = _show_context(session, user, review, saved=next(iter(sections)))
        part = next(p for s in context["report"].sections for p in s.parts if p.manual in sections)
        return render(request, "reviews/_manual.html", {**context, "part": part})
    anchor = f"#section-{next(iter(sections))}" if len(sections) == 1 else ""
    return RedirectResponse(f"/management-reviews/{review.id}{anchor}", status_code=303)


@router.post("/management-reviews/{review_id}/recompile")
def recompile_review(review: ManagedReviewDep, session: SessionDep, user: CurrentUser, settings: SettingsDep):
    """Compile the inputs again from today's data."""
    reviews.recompile_review(session=session, actor=user, review=review, policy=settings.deadline_policy)
    return RedirectResponse(f"/management-reviews/{review.id}", status_code=303)


@router.post("/management-reviews/{review_id}/decisions")
def add_decision(
    request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, submitted: FormDep
):
    """Record a decision; one that needs action opens a case."""
    form = form_fields(submitted)
    values = {"text": form.get("text", ""), "needs_action": bool(form.get("needs_action"))}
    data, errors = parse(DecisionIn, values)
    if data is not None:
        reviews.add_decision(session=session, actor=user, review=review, text=data.text, needs_action=data.needs_action)
        if is_htmx(request):
            return render(request, "reviews/_decisions.html", _show_context(session, user, review))
        return RedirectResponse(f"/management-reviews/{review.id}#decisions", status_code=303)
    context = _show_context(session, user, review, decision_values=values, decision_errors=errors)
    return render(
        request, "reviews/_decisions.html" if is_htmx(request) else "reviews/show.html", context, status_code=422
    )


# The record of the meeting: one form each for the meeting, d2, d3, the approval and the communication. A form
# that is wrong shows the review again with its message above that form (422); its fields keep what was typed.

BLANK_ROWS = 2  # empty rows under the entered ones, to add a period or a decision


def _rows(form: dict, names: tuple[str, ...]) -> list[dict]:
    """Rows of a table of inputs named NAME-INDEX, in index order; a row with every field empty is left out, and so is
    an index that is not a number int() takes (isdecimal, not isdigit: "²" is a digit; at most 9 of them)."""
    suffixes = {key.rsplit("-", 1)[-1] for key in form if "-" in key}
    indexes = sorted({int(suffix) for suffix in suffixes if suffix.isdecimal() and len(suffix) <= 9})
    rows = [{name: form.get(f"{name}-{index}") for name in names} for index in indexes[:200]]
    return [{k: v for k, v in row.items() if v not in (None, "")} for row in rows if any(row.values())]


def _participants(text: str) -> list[dict]:
    """One participant a line, "Role: Name" (a line without a colon is a role)."""
    rows = []
    for line in text.splitlines():
        role, _, name = line.partition(":")
        if role.strip() or name.strip():
            rows.append({"role": role.strip(), "name": name.strip()})
    return rows


def _record_form(request, review, session, user, form_name: str, schema, data: dict, save):
    parsed, errors = parse(schema, data)
    if parsed is not None:
        try:
            save(parsed)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/management-reviews/{review.id}#record-{form_name}", status_code=303)
    context = _show_context(session, user, review, record_errors={form_name: errors}, record_values={form_name: data})
    return render(request, "reviews/show.html", context, status_code=422)


@router.post("/management-reviews/{review_id}/meeting")
def update_meeting(request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """The meeting's date and participants."""
    fields = form_fields(form)
    data = {
        "meeting_date": fields.get("meeting_date"),
        "participants": _participants(str(fields.get("participants", ""))),
    }
    return _record_form(
        request,
        review,
        session,
        user,
        "meeting",
        MeetingIn,
        data,
        lambda m: reviews.update_meeting(
            session=session,
            actor=user,
            review=review,
            meeting_date=m.meeting_date,
            participants=[p.model_dump() for p in m.participants],
        ),
    )


@router.post("/management-reviews/{review_id}/monitoring")
def set_monitoring(request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """d2) monitoring and measurement, one row a period."""
    data = {"rows": _rows(form_fields(form), ("period", "absence_percent", "survey", "injuries"))}
    return _record_form(
        request,
        review,
        session,
        user,
        "monitoring",
        MonitoringIn,
        data,
        lambda m: reviews.set_monitoring(
            session=session, actor=user, review=review, rows=[r.model_dump() for r in m.rows]
        ),
    )


@router.post("/management-reviews/{review_id}/compliance")
def set_compliance(request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """d3) the authorities' decisions and orders."""
    rows = _rows(form_fields(form), ("date", "kind", "reference", "description", "status"))
    rows = [r for r in rows if set(r) - {"kind", "status"}]  # the choices alone do not make a row
    return _record_form(
        request,
        review,
        session,
        user,
        "compliance",
        ComplianceIn,
        {"rows": rows},
        lambda m: reviews.set_compliance(
            session=session, actor=user, review=review, rows=[r.model_dump() for r in m.rows]
        ),
    )


@router.post("/management-reviews/{review_id}/approval")
def approve_review(request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep):
    """Top management's approval; refused, with what is missing, while a required section is empty."""
    return _record_form(
        request,
        review,
        session,
        user,
        "approval",
        ApprovalIn,
        form_fields(form),
        lambda m: reviews.approve(
            session=session, actor=user, review=review, approved_by=m.approved_by, approved_on=m.approved_on
        ),
    )


@router.post("/management-reviews/{review_id}/approval/withdrawal")
def withdraw_approval(
    request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep
):
    """Withdraw the approval, with a reason; the review can then be changed and approved again."""
    return _record_form(
        request,
        review,
        session,
        user,
        "withdraw",
        WithdrawalIn,
        form_fields(form),
        lambda m: reviews.withdraw_approval(session=session, actor=user, review=review, reason=m.reason),
    )


@router.post("/management-reviews/{review_id}/communication")
def record_communication(
    request: Request, review: ManagedReviewDep, session: SessionDep, user: CurrentUser, form: FormDep
):
    """How and when the outputs reached workers and their representatives (AMO / MED)."""
    return _record_form(
        request,
        review,
        session,
        user,
        "communication",
        CommunicationIn,
        form_fields(form),
        lambda m: reviews.record_communication(
            session=session,
            actor=user,
            review=review,
            communicated_on=m.communicated_on,
            communication=m.communication,
        ),
    )
