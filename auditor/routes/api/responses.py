"""Answers to checklist items, and the evidence recorded on them."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, FastAPI, Request, Response as HTTPResponse
from pydantic import ValidationError
from sqlmodel import Session

from auditor.deps import (
    AuditDep,
    ConductAuditDep,
    CurrentUser,
    PageDep,
    PathId,
    SessionDep,
    conduct_work,
    json_reply,
    send_page,
)
from auditor.models import Evidence, Response, User
from auditor.routes.api.photos import photo_out
from auditor.routes.api.refusals import BATCH, CHANGE, EVERY_OPERATION, NAMED
from auditor.routes.errors import api_refusal, invalid_body, status_of
from auditor.schemas import (
    AnswerBatchIn,
    AnswerBatchOut,
    AnswerChangeIn,
    AnswerOut,
    AnswerResultOut,
    ErrorOut,
    EvidenceOut,
    NewEvidenceIn,
    ResponseIn,
    ResponseOut,
    VersionConflictOut,
)
from auditor.services import evidence, photos, responses

TAGS: list[str | Enum] = ["responses"]
router = APIRouter(tags=TAGS, responses=NAMED)  # the saves: declare_saves


def answer_out(response: Response, updated_by: str | None) -> AnswerOut:
    """The answer; `updated_by` is the name of who saved it last (responses.editor_names)."""
    return AnswerOut(**_answer_fields(response), updated_by=updated_by)


def responses_out(session: Session, answers: list[Response], actor: User | None = None) -> list[ResponseOut]:
    """Answers with the names of who saved them, in one query for the names (none for the actor's own)."""
    names = responses.editor_names(session=session, answers=answers, actor=actor)
    return [ResponseOut(**_answer_fields(answer), updated_by=names.get(answer.updated_by_id)) for answer in answers]


def _answer_fields(response: Response) -> dict:
    return {
        "item_id": response.item_id,
        "verdict": response.verdict,
        "note": response.note,
        "weighing": response.weighing,
        "version": response.version,
        "updated_at": response.updated_at,
    }


def evidence_out(entry: Evidence) -> EvidenceOut:
    return EvidenceOut.model_validate(entry, from_attributes=True)


@router.get("/audits/{audit_id}/responses")
def list_responses(
    request: Request, response: HTTPResponse, audit: AuditDep, session: SessionDep, page: PageDep
) -> list[ResponseOut]:
    """The answers recorded in the audit, in the order they were first saved; paged (Link and X-Total-Count
    headers)."""
    found = responses.list_responses(session=session, audit=audit, page=page)
    return send_page(found.with_items(responses_out(session, found.items)), request, response)


@router.get("/audits/{audit_id}/responses/{item_id}")
def show_response(audit: AuditDep, item_id: str, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """One answer with its photos; an item not answered yet has version 0."""
    [answer] = responses_out(session, [responses.answer_for(session=session, audit=audit, item_id=item_id)], user)
    answer.photos = [
        photo_out(p) for p in photos.list_photos(session=session, actor=user, audit=audit, item_id=item_id).items
    ]
    return answer


def record_response(request: Request, audit_id: PathId, item_id: str, data: ResponseIn) -> HTTPResponse:
    """Save an answer (idempotent). Send the version you based it on; a stale one gets 409, unless the fields sent equal
    the stored answer (a save sent again): then 200 with the stored answer. Sent with a `client_id` that a save
    already had: 200 with what that save stored (its version), even when the answer changed since; the id used by
    another user or for another change: 409 `client_id_taken`. `"verdict": null` clears the verdict."""
    with conduct_work(request, audit_id) as work:
        saved = responses.save_response(
            session=work.session, actor=work.user, audit=work.audit, item_id=item_id, data=data
        )
        return json_reply(responses_out(work.session, [saved], work.user)[0])


def record_responses(request: Request, audit_id: PathId, batch: AnswerBatchIn) -> HTTPResponse:
    """Save a tablet's queued answers in one request: each change as `PUT .../responses/{item_id}` saves it, in the
    order sent, each with its own result (the status and body that PUT would answer: 200 with the answer, 409
    `version_conflict` with both versions or `audit_closed`, 404, 422). A refused change leaves the others saved.
    Sent again after a lost reply, every change answers as the first time (by its `client_id`, or while its fields
    equal the stored answer)."""
    with conduct_work(request, audit_id) as work:
        parsed: list[AnswerChangeIn | ValidationError] = []
        for change in batch.changes:
            try:
                parsed.append(AnswerChangeIn.model_validate(change))
            except ValidationError as error:
                parsed.append(error)
        valid = [(change.item_id, change) for change in parsed if isinstance(change, AnswerChangeIn)]
        saved_or_refused = iter(
            responses.save_responses(session=work.session, actor=work.user, audit=work.audit, changes=valid)
        )
        outcomes = [change if isinstance(change, ValidationError) else next(saved_or_refused) for change in parsed]
        answers = iter(responses_out(work.session, [o for o in outcomes if isinstance(o, Response)], work.user))
        results = []
        for sent, outcome in zip(batch.changes, outcomes, strict=True):
            item_id = sent.get("item_id") if isinstance(sent.get("item_id"), str) else None
            if isinstance(outcome, Response):
                results.append(AnswerResultOut(item_id=item_id, status=200, body=next(answers)))
            elif isinstance(outcome, ValidationError):
                results.append(
                    AnswerResultOut(item_id=item_id, status=422, body=ErrorOut(**invalid_body(outcome.errors())))
                )
            else:
                body = api_refusal(outcome)
                model = VersionConflictOut if "current" in body else ErrorOut
                results.append(AnswerResultOut(item_id=item_id, status=status_of(outcome), body=model(**body)))
        return json_reply(AnswerBatchOut(results=results))


def declare_saves(app: FastAPI, prefix: str) -> None:
    """The answers' saves, which tablets call most, as routes of the app itself, matched before every other route.
    An included router's routes are resolved again on every request (FastAPI 0.137 and later), twice for each level
    of inclusion: the two levels above a save (the API, then this module's router) cost it 8 % of its instructions
    (`bench/count_save.py`). Declared on the app, they take its dependencies and its dependency overrides as an
    included route does."""
    answer = f"{prefix}/audits/{{audit_id}}/responses"
    app.put(
        f"{answer}/{{item_id}}",
        tags=TAGS,
        response_model=ResponseOut,
        responses={
            **EVERY_OPERATION,
            **NAMED,
            **CHANGE,
            409: {
                "model": VersionConflictOut,
                "description": "`code` `version_conflict`: the answer changed since `version`; the body holds `current` "
                "(with `updated_by`) and `submitted`. `code` `audit_closed`: the audit is closed. `code` "
                "`client_id_taken`: the `client_id` was used by another user or for another change.",
            },
        },
    )(record_response)
    app.post(
        f"{answer}/batch", tags=TAGS, response_model=AnswerBatchOut, responses={**EVERY_OPERATION, **NAMED, **BATCH}
    )(record_responses)


@router.get("/audits/{audit_id}/responses/{item_id}/evidence")
def list_evidence(
    request: Request,
    response: HTTPResponse,
    audit: AuditDep,
    item_id: str,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
) -> list[EvidenceOut]:
    """Evidence recorded on one item, oldest first (confidential entries only for the audit team); paged (Link and
    X-Total-Count headers)."""
    found = evidence.list_evidence(session=session, actor=user, audit=audit, item_id=item_id, page=page)
    return send_page(found.with_items([evidence_out(e) for e in found.items]), request, response)


@router.post("/audits/{audit_id}/responses/{item_id}/evidence", status_code=201, responses=CHANGE)
def create_evidence(
    audit: ConductAuditDep, item_id: str, data: NewEvidenceIn, session: SessionDep, user: CurrentUser
) -> EvidenceOut:
    """Record evidence on an item; interviews give the interviewee's role and count, never a name. Sent again with the
    same `client_id`: 201 with the entry stored the first time."""
    return evidence_out(
        evidence.add_evidence(
            session=session, actor=user, audit=audit, item_id=item_id, data=data, client_id=data.client_id
        )
    )


@router.delete("/audits/{audit_id}/evidence/{evidence_id}", status_code=204, responses=CHANGE)
def delete_evidence(
    audit: ConductAuditDep, evidence_id: PathId, session: SessionDep, user: CurrentUser
) -> HTTPResponse:
    """Remove an evidence entry; one that is already gone answers 404 `not_found`."""
    evidence.delete_evidence(session=session, actor=user, audit=audit, evidence_id=evidence_id)
    return HTTPResponse(status_code=204)
