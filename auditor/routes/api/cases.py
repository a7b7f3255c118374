"""Corrective-action cases: the chain from a nonconformity to its verified closure, and the register."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlmodel import select

from auditor import vocabulary as v
from auditor.deps import CaseDep, CaseOpener, CurrentUser, PageDep, PathId, SessionDep, SettingsDep, send_page
from auditor.errors import Invalid
from auditor.models import Audit, Case, Organisation, User
from auditor.reports import cells, register
from auditor.routes.api.refusals import CHANGE, CHANGE_NAMED, NAMED
from auditor.routes.downloads import Language, attachment as download
from auditor.schemas import (
    ActionIn,
    AttachmentOut,
    AuditEventOut,
    CaseActionOut,
    CaseIn,
    CaseOut,
    CommentIn,
    CommentOut,
    CorrectionIn,
    ImplementIn,
    InvestigationIn,
    PlanReviewIn,
    RootCauseIn,
    RowId,
    VerificationIn,
    VerifyInIn,
)
from auditor.services import access, cases, history

router = APIRouter(tags=["cases"])


def case_out(session, case: Case, policy: dict) -> CaseOut:
    return rows_out(session, [cases.case_row(session=session, case=case, policy=policy)])[0]


def rows_out(session, rows: list[cases.CaseRow]) -> list[CaseOut]:
    """Cases as the API shows them, from board rows (their actions loaded already: no query per case)."""
    owner_ids = {a.owner_id for row in rows for a in row.actions}
    owners = {u.id: u.name for u in session.exec(select(User).where(User.id.in_(owner_ids)))} if owner_ids else {}
    out = []
    for row in rows:
        out.append(
            CaseOut(
                **row.case.model_dump(
                    exclude={
                        "number",
                        "corrected_at",
                        "plan_submitted_at",
                        "plan_accepted_at",
                        "implemented_at",
                        "verified_by_id",
                        "updated_at",
                    }
                ),
                reference=row.reference,
                due_date=row.due,
                overdue=row.overdue,
                escalated=row.escalated,
                only_individual_measures_planned=cases.individual_only(row.actions),
                actions=[
                    CaseActionOut(
                        **a.model_dump(exclude={"case_id", "created_at"}),
                        owner=owners.get(a.owner_id, ""),
                        overdue=a.id in row.late,
                    )
                    for a in row.actions
                ],
            )
        )
    return out


def _filters(
    status: v.CaseStatus | None = None,
    grade: v.FindingKind | None = None,
    overdue: bool | None = None,
    clause: str | None = None,
    bek: Annotated[v.Bek1406Factor | None, Query(description="A BEK 1406 risk factor in the case's tags")] = None,
    audit_id: RowId | None = None,
    owner_id: RowId | None = None,
) -> cases.BoardFilters:
    return cases.BoardFilters(
        status=status, grade=grade, overdue=overdue, clause=clause, bek=bek, audit_id=audit_id, owner_id=owner_id
    )


Filters = Annotated[cases.BoardFilters, Depends(_filters)]


@router.get("/cases")
def list_cases(
    request: Request,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    settings: SettingsDep,
    filters: Filters,
    page: PageDep,
) -> list[CaseOut]:
    """The cases you may see, soonest due first; filter by status, grade, overdue, clause, BEK factor, audit, owner;
    paged (Link and X-Total-Count headers)."""
    found = cases.board(session=session, actor=user, policy=settings.deadline_policy, filters=filters, page=page)
    return send_page(found.page.with_items(rows_out(session, found.rows)), request, response)


@router.post("/cases", status_code=201, responses=CHANGE)
def create_case(data: CaseIn, session: SessionDep, user: CaseOpener, settings: SettingsDep) -> CaseOut:
    """Open a case outside an audit: an incident, a complaint, a worker's report."""
    organisation = session.get(Organisation, data.organisation_id)
    if organisation is None or not access.allows_in(
        session=session, user=user, can=access.Can.OPEN_CASES, organisation_id=organisation.id
    ):
        raise Invalid("There is no organisation with id {id}.", field="organisation_id", id=data.organisation_id)
    case = cases.open_case(
        session=session,
        actor=user,
        organisation_id=organisation.id,
        statement=data.statement,
        grade=data.grade,
        source=data.source,
        requirement=data.requirement,
        evidence=data.evidence,
        clauses=data.clauses,
        tags=data.tags.model_dump(),
    )
    return case_out(session, case, settings.deadline_policy)


@router.get("/cases.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_cases_csv(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, filters: Filters, lang: Language | None = None
) -> Response:
    """The nonconformity register as CSV (the same filters as the list)."""
    table = _register_in(session, user, settings, filters, lang)
    return download(cells.as_csv(table), "nonconformity-register.csv", "text/csv; charset=utf-8")


@router.get("/cases.xlsx", response_class=Response, responses={200: {"content": {register.XLSX: {}}}})
def export_cases_xlsx(
    session: SessionDep, user: CurrentUser, settings: SettingsDep, filters: Filters, lang: Language | None = None
) -> Response:
    """The nonconformity register as an Excel workbook."""
    table = _register_in(session, user, settings, filters, lang)
    return download(register.as_xlsx(table), "nonconformity-register.xlsx", register.XLSX)


def _register_in(session, user, settings, filters, lang) -> list[list]:
    found = cases.board(session=session, actor=user, policy=settings.deadline_policy, filters=filters)
    names = {
        o.id: o.name
        for o in session.exec(
            select(Organisation).where(Organisation.id.in_({r.case.organisation_id for r in found.rows}))
        )
    }
    return register.register_rows(found.rows, names, lang or settings.default_language)


@router.get("/cases/{case_id}", responses=NAMED)
def show_case(case: CaseDep, session: SessionDep, settings: SettingsDep) -> CaseOut:
    """One case with its status, grade, due date, overdue flag and actions."""
    return case_out(session, case, settings.deadline_policy)


@router.post("/cases/{case_id}/correction", responses=CHANGE_NAMED)
def record_correction(
    case: CaseDep, data: CorrectionIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Record what was done about the instance itself."""
    return case_out(
        session,
        cases.record_correction(
            session=session, actor=user, case=case, correction=data.correction, not_applicable=data.not_applicable
        ),
        settings.deadline_policy,
    )


@router.post("/cases/{case_id}/investigation", responses=CHANGE_NAMED)
def record_investigation(
    case: CaseDep, data: InvestigationIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Record ISO 45001 10.2's facts beyond the actions: who took part in the investigation (by role), the extent
    (the same nonconformity elsewhere), the APV / risk assessment reviewed, new hazards assessed before acting, changes
    to the management system, and when and how the workers were told. Fields left out keep their value."""
    values = data.model_dump(include=data.model_fields_set)
    return case_out(
        session,
        cases.record_investigation(session=session, actor=user, case=case, values=values),
        settings.deadline_policy,
    )


@router.post("/cases/{case_id}/verify-in", responses=CHANGE_NAMED)
def choose_verification_audit(
    case: CaseDep, data: VerifyInIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Move the case's verification to another audit of the organisation that fits it (or to none); the follow-up
    row moves from one audit's plan to the other's, and the trail records who moved it."""
    audit = session.get(Audit, data.audit_id) if data.audit_id else None
    if data.audit_id and audit is None:
        raise Invalid("There is no audit with id {id}.", field="audit_id", id=data.audit_id)
    return case_out(
        session,
        cases.choose_verification_audit(session=session, actor=user, case=case, audit=audit),
        settings.deadline_policy,
    )


@router.post("/cases/{case_id}/root-cause", responses=CHANGE_NAMED)
def record_root_cause(
    case: CaseDep, data: RootCauseIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Record the root cause and how it was found (five_whys, fishbone, free_text)."""
    return case_out(
        session,
        cases.record_root_cause(session=session, actor=user, case=case, method=data.method, cause=data.cause),
        settings.deadline_policy,
    )


@router.post("/cases/{case_id}/actions", status_code=201, responses=CHANGE_NAMED)
def create_action(
    case: CaseDep, data: ActionIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Add a corrective action (owner, due date, prevention level, collective or individual) to the plan."""
    cases.add_action(session=session, actor=user, case=case, **data.model_dump())
    return case_out(session, case, settings.deadline_policy)


@router.post("/cases/{case_id}/submit", responses=CHANGE_NAMED)
def submit_plan(case: CaseDep, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CaseOut:
    """Send the corrective-action plan to the auditor."""
    return case_out(session, cases.submit_plan(session=session, actor=user, case=case), settings.deadline_policy)


@router.post("/cases/{case_id}/review", responses=CHANGE_NAMED)
def review_plan(
    case: CaseDep, data: PlanReviewIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """The auditor accepts the plan or returns it with a reason."""
    reviewed = cases.review_plan(
        session=session,
        actor=user,
        case=case,
        accept=data.accept,
        reason=data.reason,
        individual_measures_only=data.individual_measures_only,
    )
    return case_out(session, reviewed, settings.deadline_policy)


@router.post("/cases/{case_id}/actions/{action_id}/implement", responses=CHANGE_NAMED)
def implement_action(
    case: CaseDep, action_id: PathId, data: ImplementIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Mark an action implemented, saying what shows it."""
    cases.implement_action(session=session, actor=user, case=case, action_id=action_id, note=data.note)
    return case_out(session, case, settings.deadline_policy)


@router.post("/cases/{case_id}/verify", responses=CHANGE_NAMED)
def verify_effectiveness(
    case: CaseDep, data: VerificationIn, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> CaseOut:
    """Record the effectiveness check (by someone who owns none of the actions). Not effective: back to root cause."""
    verified = cases.verify_effectiveness(
        session=session, actor=user, case=case, method=data.method, verified_on=data.verified_on, result=data.result
    )
    return case_out(session, verified, settings.deadline_policy)


@router.post("/cases/{case_id}/close", responses=CHANGE_NAMED)
def close_case(case: CaseDep, session: SessionDep, user: CurrentUser, settings: SettingsDep) -> CaseOut:
    """Close a verified case with no open action."""
    return case_out(session, cases.close_case(session=session, actor=user, case=case), settings.deadline_policy)


@router.post("/cases/{case_id}/comments", status_code=201, responses=CHANGE_NAMED)
def create_comment(case: CaseDep, data: CommentIn, session: SessionDep, user: CurrentUser) -> CommentOut:
    """Comment on a case."""
    comment = cases.add_comment(session=session, actor=user, case=case, text=data.text)
    return CommentOut(id=comment.id, author=user.name, text=comment.text, at=comment.at)


@router.get("/cases/{case_id}/comments", responses=NAMED)
def list_comments(
    request: Request, response: Response, case: CaseDep, session: SessionDep, page: PageDep
) -> list[CommentOut]:
    """A case's comments, oldest first; paged (Link and X-Total-Count headers)."""
    found = cases.comments(session=session, case=case, page=page)
    return send_page(
        found.with_items([CommentOut(id=c.id, author=name, text=c.text, at=c.at) for c, name in found.items]),
        request,
        response,
    )


@router.get("/cases/{case_id}/history", responses=NAMED)
def list_case_history(
    request: Request, response: Response, case: CaseDep, session: SessionDep, user: CurrentUser, page: PageDep
) -> list[AuditEventOut]:
    """The case's history from the audit trail, oldest first; paged (Link and X-Total-Count headers)."""
    found = history.case_history(session=session, actor=user, case=case, page=page)
    return send_page(
        found.with_items([AuditEventOut.model_validate(event, from_attributes=True) for event in found.items]),
        request,
        response,
    )


@router.post("/cases/{case_id}/attachments", status_code=201, responses=CHANGE_NAMED)
def create_attachment(
    case: CaseDep,
    session: SessionDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File()],
    action_id: Annotated[RowId | None, Form()] = None,
) -> AttachmentOut:
    """Attach evidence (PDF, PNG, JPEG, .docx, .xlsx; at most 10 MB) to a case or one of its actions."""
    content = file.file.read(cases.MAX_ATTACHMENT_BYTES + 1)
    attachment = cases.add_attachment(
        session=session, actor=user, case=case, filename=file.filename or "", content=content, action_id=action_id
    )
    return AttachmentOut(
        id=attachment.id, filename=attachment.filename, size=attachment.size, content_type=attachment.content_type
    )


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response, responses=NAMED)
def download_attachment(case: CaseDep, attachment_id: PathId, session: SessionDep) -> Response:
    """Download an attachment."""
    attachment = cases.get_attachment(session=session, case=case, attachment_id=attachment_id)
    return download(
        cases.read_attachment(session=session, attachment=attachment), attachment.filename, attachment.content_type
    )
