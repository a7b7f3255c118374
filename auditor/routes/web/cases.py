"""Case pages: the follow-up board, "my actions", a case with the steps of its chain."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlmodel import select
from starlette.datastructures import UploadFile

from auditor import vocabulary as v
from auditor.deps import (
    CaseDep,
    CaseOpener,
    CurrentUser,
    OrganisationQuery,
    PageDep,
    SessionDep,
    SettingsDep,
    is_htmx,
    page_address,
    page_request_of,
)
from auditor.errors import Conflict, Invalid
from auditor.i18n import get_locale
from auditor.models import Audit, Case, Organisation, User
from auditor.paging import DEFAULT_LIMIT, PageRequest
from auditor.routes.errors import message_of
from auditor.routes.web.forms import FormDep, check_fields, day, form_fields, row_id
from auditor.schemas import (
    ActionIn,
    CaseIn,
    CommentIn,
    CorrectionIn,
    ImplementIn,
    InvestigationIn,
    PlanReviewIn,
    RootCauseIn,
    VerificationIn,
)
from auditor.services import access, cases, history, organisations
from auditor.templating import render

router = APIRouter()


def _filters(params) -> cases.BoardFilters:
    overdue = {"yes": True, "no": False}.get(params.get("overdue", ""))
    owner = params.get("owner_id", "")
    audit = params.get("audit_id", "")
    return cases.BoardFilters(
        status=params.get("status") if params.get("status") in v.CASE_STATUSES else None,
        grade=params.get("grade") if params.get("grade") in v.FINDING_KINDS else None,
        overdue=overdue,
        clause=(params.get("clause") or "").strip() or None,
        bek=params.get("bek") if params.get("bek") in v.BEK1406_FACTORS else None,
        audit_id=row_id(audit),
        owner_id=row_id(owner),
    )


@router.get("/cases")
def show_board(request: Request, session: SessionDep, user: CurrentUser, settings: SettingsDep, page: PageDep):
    """The follow-up board: every case you may see, filtered, soonest due first, one page at a time, with the counts on top."""
    params = dict(request.query_params)
    found = cases.board(
        session=session, actor=user, policy=settings.deadline_policy, filters=_filters(params), page=page
    )
    ids = {r.case.organisation_id for r in found.rows}
    context = {
        "board": found,
        "params": params,
        "today": date.today(),
        "organisations": {o.id: o.name for o in session.exec(select(Organisation).where(Organisation.id.in_(ids)))}
        if ids
        else {},
        "owners": cases.action_owners(session=session, actor=user),
        "can_open": access.anywhere(user, Organisation, access.Can.OPEN_CASES),
        "export_query": request.url.query,
    }
    return render(request, "cases/_board.html" if is_htmx(request) else "cases/board.html", context)


@router.get("/cases/mine")
def show_my_actions(request: Request, session: SessionDep, user: CurrentUser, page: PageDep):
    """The open actions you own, soonest due first, a page at a time."""
    return render(
        request,
        "cases/mine.html",
        {"rows": cases.my_actions(session=session, actor=user, page=page), "reference": cases.case_reference},
    )


def _new_context(session, user, values: dict, errors: dict, organisation_q: str = "") -> dict:
    """The form asks for the organisation only of someone who may open cases in several."""
    choice = None
    if user.organisation_id is None:
        choice = organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.OPEN_CASES,
            query=organisation_q,
            chosen=row_id(values.get("organisation_id")),
        )
    return {"values": values, "errors": errors, "choice": choice}


@router.get("/cases/new")
def new_case(request: Request, session: SessionDep, user: CaseOpener, organisation_q: OrganisationQuery = ""):
    """The form to open a case outside an audit."""
    return render(request, "cases/new.html", _new_context(session, user, {}, {}, organisation_q))


@router.post("/cases")
def create_case(request: Request, session: SessionDep, user: CaseOpener, submitted: FormDep):
    """Open a case from the form (an incident, a complaint, a worker's report)."""
    form = form_fields(submitted)
    chosen = str(form.get("organisation_id", ""))
    organisation_id = user.organisation_id or row_id(chosen) or 0
    try:
        check_fields(CaseIn, form)
        if session.get(Organisation, organisation_id) is None or not access.allows_in(
            session=session, user=user, can=access.Can.OPEN_CASES, organisation_id=organisation_id
        ):
            raise Invalid("Choose an organisation.", field="organisation_id")
        case = cases.open_case(
            session=session,
            actor=user,
            organisation_id=organisation_id,
            statement=str(form.get("statement", "")),
            grade=str(form.get("grade", "")),
            source=str(form.get("source", v.CaseSource.OTHER)),
            requirement=str(form.get("requirement", "")),
            evidence=str(form.get("evidence", "")),
        )
    except Invalid as error:
        session.rollback()
        return render(
            request,
            "cases/new.html",
            _new_context(session, user, form, {error.field or "_form": message_of(error)}),
            status_code=422,
        )
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


# A refused step's field as its form names it (the services name the case's own fields).
STEP_FORM_FIELDS = {"root_cause_method": "method", "root_cause": "cause", "correction_not_applicable": "no_correction"}


def _step_errors(step: str, form: dict, field: str | None, message: str) -> dict:
    """What the case page shows of a refused step: {"errors": {field: message}, "error_prefix": the ids' prefix of
    the step's form (an action's own form for an implemented action)}."""
    form_name = f"{step}-{row_id(form.get('action_id'))}" if step == "implement" else step
    return {
        "errors": {STEP_FORM_FIELDS.get(field or "", field) or "_form": message},
        "error_prefix": f"{form_name}-",
    }


CommentsPage = Annotated[PageRequest, Depends(page_request_of("comments"))]
HistoryPage = Annotated[PageRequest, Depends(page_request_of("history"))]


def _case_context(
    session,
    user,
    settings,
    case: Case,
    comments_page: PageRequest = PageRequest(),
    history_page: PageRequest = PageRequest(),
) -> dict:
    row = cases.case_row(session=session, case=case, policy=settings.deadline_policy)
    people = {
        u.id: u
        for u in session.exec(
            select(User).where(User.organisation_id == case.organisation_id, User.is_active).order_by(User.name)
        )
    }
    owner_ids = {a.owner_id for a in row.actions}
    owners = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(owner_ids)))} if owner_ids else {}
    events = history.case_history(session=session, actor=user, case=case, page=history_page)
    return {
        "case": case,
        "row": row,
        "steps": cases.next_steps(session=session, actor=user, case=case),
        "errors": {},
        "error_prefix": "",
        "implementable": cases.implementable_actions(session=session, actor=user, case=case),
        "audit": session.get(Audit, case.audit_id) if case.audit_id else None,
        "people": list(people.values()),
        "owners": owners,
        "only_individual": cases.only_individual_measures(session=session, case=case),
        "comments": cases.comments(session=session, case=case, page=comments_page),
        "attachments": cases.attachments(session=session, case=case),
        "events": events.with_items(history.shown(session=session, events=events.items, locale=get_locale())),
        "today": date.today(),
        "verify_in": session.get(Audit, case.verify_in_audit_id) if case.verify_in_audit_id else None,
        "verify_in_choices": cases.verification_candidates(session=session, actor=user, case=case)
        if case.status != v.CaseStatus.CLOSED
        else [],
    }


@router.get("/cases/{case_id}")
def show_case(
    request: Request,
    case: CaseDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    comments_page: CommentsPage,
    history_page: HistoryPage,
):
    """A case: its chain, what is due, the steps you can take, comments and history (oldest first, each a page at a
    time)."""
    return render(request, "cases/show.html", _case_context(session, user, settings, case, comments_page, history_page))


# Each step's form has the fields of the API's body for the same step.
STEP_SCHEMAS: dict[str, type[BaseModel]] = {
    "correction": CorrectionIn,
    "investigation": InvestigationIn,
    "root_cause": RootCauseIn,
    "add_action": ActionIn,
    "review": PlanReviewIn,
    "implement": ImplementIn,
    "verify": VerificationIn,
    "comment": CommentIn,
}


def _investigation(form: dict) -> dict:
    """The investigation form's fields as record_investigation takes them: yes / no / not said for the two questions,
    a date or none."""
    answer = {"yes": True, "no": False}
    return {
        "investigation_participants": form.get("investigation_participants", []),
        **{
            name: str(form.get(name, ""))
            for name in (
                "participation_note",
                "extent",
                "apv_reference",
                "new_hazards",
                "system_changes",
                "communication",
            )
        },
        "apv_reviewed": answer.get(str(form.get("apv_reviewed", ""))),
        "new_hazards_assessed": answer.get(str(form.get("new_hazards_assessed", ""))),
        "communicated_on": day(form.get("communicated_on"), "communicated_on"),
    }


@router.post("/cases/{case_id}/step/{step}")
def take_step(
    request: Request,
    step: str,
    case: CaseDep,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    submitted: FormDep,
):
    """One step of the chain from the case page; a refused step shows why, and what was typed stays."""
    form = form_fields(submitted, lists=("investigation_participants",))
    text = lambda name: str(form.get(name, ""))  # noqa: E731
    try:
        if step in STEP_SCHEMAS:  # the API's limits for the same fields
            check_fields(STEP_SCHEMAS[step], form)
        if step == "correction":
            cases.record_correction(
                session=session,
                actor=user,
                case=case,
                correction=text("correction"),
                not_applicable=form.get("no_correction") == "on",
            )
        elif step == "investigation":
            cases.record_investigation(session=session, actor=user, case=case, values=_investigation(form))
        elif step == "verify_in":
            chosen = row_id(text("audit_id"))
            target = session.get(Audit, chosen) if chosen else None
            if chosen and target is None:
                raise Invalid("There is no audit with id {id}.", field="audit_id", id=chosen)
            cases.choose_verification_audit(session=session, actor=user, case=case, audit=target)
        elif step == "root_cause":
            cases.record_root_cause(session=session, actor=user, case=case, method=text("method"), cause=text("cause"))
        elif step == "add_action":
            due, owner_id = day(text("due_date"), "due_date"), row_id(text("owner_id"))
            if due is None or owner_id is None:
                raise Invalid("Choose an owner and a due date.", field="due_date")
            cases.add_action(
                session=session,
                actor=user,
                case=case,
                description=text("description"),
                owner_id=owner_id,
                due_date=due,
                prevention_level=text("prevention_level"),
                scope=text("scope"),
            )
        elif step == "submit":
            cases.submit_plan(session=session, actor=user, case=case)
        elif step == "review":
            cases.review_plan(
                session=session,
                actor=user,
                case=case,
                accept=text("decision") == "accept",
                reason=text("reason"),
                individual_measures_only=form.get("individual_measures_only") == "on",
            )
        elif step == "implement":
            cases.implement_action(
                session=session, actor=user, case=case, action_id=row_id(text("action_id")) or 0, note=text("note")
            )
        elif step == "verify":
            verified_on = day(text("verified_on"), "verified_on") or date.today()
            cases.verify_effectiveness(
                session=session,
                actor=user,
                case=case,
                method=text("method"),
                verified_on=verified_on,
                result=text("result"),
            )
        elif step == "close":
            cases.close_case(session=session, actor=user, case=case)
        elif step == "comment":
            cases.add_comment(session=session, actor=user, case=case, text=text("text"))
        elif step == "attach":
            upload = submitted.get("file")
            content = upload.file.read(cases.MAX_ATTACHMENT_BYTES + 1) if isinstance(upload, UploadFile) else b""
            cases.add_attachment(
                session=session,
                actor=user,
                case=case,
                filename=getattr(upload, "filename", "") or "",
                content=content,
                action_id=row_id(text("action_id")),
            )
        else:
            raise Invalid("Unknown step.", field="step")
    except (Invalid, Conflict) as error:
        session.rollback()
        status = 422 if isinstance(error, Invalid) else 409
        return render(
            request,
            "cases/show.html",
            {
                **_case_context(session, user, settings, case),
                **_step_errors(step, form, error.field if isinstance(error, Invalid) else None, message_of(error)),
                "values": form,
            },
            status_code=status,
        )
    if step == "comment":  # the page of the comments that shows the new one, the last
        total = cases.comments(session=session, case=case, page=PageRequest(limit=1)).total
        last = PageRequest(offset=(total - 1) // DEFAULT_LIMIT * DEFAULT_LIMIT)
        return RedirectResponse(page_address(f"/cases/{case.id}", "comments", last, "comment"), status_code=303)
    return RedirectResponse(f"/cases/{case.id}#{step}", status_code=303)
