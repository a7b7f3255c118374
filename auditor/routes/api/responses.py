"""Answers to checklist items, and the evidence recorded on them."""

from __future__ import annotations

from fastapi import APIRouter, Response as HTTPResponse

from auditor.deps import AuditDep, ConductAuditDep, CurrentUser, PathId, SessionDep
from auditor.models import Evidence, Response
from auditor.schemas import EvidenceIn, EvidenceOut, ResponseIn, ResponseOut
from auditor.routes.api.photos import photo_out
from auditor.services import evidence, photos, responses

router = APIRouter(tags=["responses"])


def response_out(response: Response) -> ResponseOut:
    return ResponseOut(item_id=response.item_id, verdict=response.verdict, note=response.note, version=response.version, updated_at=response.updated_at)


def evidence_out(entry: Evidence) -> EvidenceOut:
    return EvidenceOut.model_validate(entry, from_attributes=True)


@router.get("/audits/{audit_id}/responses")
def list_responses(audit: AuditDep, session: SessionDep) -> list[ResponseOut]:
    """Every answer recorded in the audit."""
    return [response_out(r) for r in responses.list_responses(session=session, audit=audit)]


@router.get("/audits/{audit_id}/responses/{item_id}")
def show_response(audit: AuditDep, item_id: str, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """One answer with its photos; an item not answered yet has version 0."""
    answer = response_out(responses.answer_for(session=session, audit=audit, item_id=item_id))
    answer.photos = [photo_out(p) for p in photos.list_photos(session=session, actor=user, audit=audit, item_id=item_id)]
    return answer


@router.put(
    "/audits/{audit_id}/responses/{item_id}",
    responses={409: {"description": "The answer changed since `version`; the body holds `current` and `submitted`."}},
)
def record_response(audit: ConductAuditDep, item_id: str, data: ResponseIn, session: SessionDep, user: CurrentUser) -> ResponseOut:
    """Save an answer (idempotent). Send the version you based it on; a stale one gets 409."""
    return response_out(responses.save_response(session=session, actor=user, audit=audit, item_id=item_id, data=data))


@router.get("/audits/{audit_id}/responses/{item_id}/evidence")
def list_evidence(audit: AuditDep, item_id: str, session: SessionDep, user: CurrentUser) -> list[EvidenceOut]:
    """Evidence recorded on one item (confidential entries only for the audit team)."""
    return [evidence_out(e) for e in evidence.list_evidence(session=session, actor=user, audit=audit, item_id=item_id)]


@router.post("/audits/{audit_id}/responses/{item_id}/evidence", status_code=201)
def create_evidence(audit: ConductAuditDep, item_id: str, data: EvidenceIn, session: SessionDep, user: CurrentUser) -> EvidenceOut:
    """Record evidence on an item; interviews give the interviewee's role and count, never a name."""
    return evidence_out(evidence.add_evidence(session=session, actor=user, audit=audit, item_id=item_id, data=data))


@router.delete("/audits/{audit_id}/evidence/{evidence_id}", status_code=204)
def delete_evidence(audit: ConductAuditDep, evidence_id: PathId, session: SessionDep, user: CurrentUser) -> HTTPResponse:
    """Remove an evidence entry."""
    evidence.delete_evidence(session=session, actor=user, audit=audit, evidence_id=evidence_id)
    return HTTPResponse(status_code=204)
