"""Auditors' impartiality declarations: the ties to organisations they declare (ISO/IEC 17021-1 5.2), recorded by the
auditor or an admin who manages their account, and checked when an audit's team is set."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import AuditorDep, CurrentUser, DeclaringAuditorDep, PageDep, PathId, SessionDep, send_page
from auditor.models import ImpartialityDeclaration, Organisation
from auditor.paging import page_of
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import DeclarationIn, DeclarationOut
from auditor.services import staffing

router = APIRouter(tags=["auditors"])


def declaration_out(declaration: ImpartialityDeclaration, organisation: str) -> DeclarationOut:
    return DeclarationOut(
        **declaration.model_dump(exclude={"user_id"}), auditor_id=declaration.user_id, organisation=organisation
    )


@router.get("/auditors/{auditor_id}/declarations", responses=NAMED)
def list_declarations(
    request: Request, response: Response, auditor: AuditorDep, session: SessionDep, page: PageDep
) -> list[DeclarationOut]:
    """The auditor's declarations, those that still hold first, then the most recent; paged (Link and X-Total-Count
    headers)."""
    found = page_of(session, staffing.declarations_query(auditor_id=auditor.id), page)
    return send_page(found.with_items([declaration_out(*row) for row in found.items]), request, response)


@router.post("/auditors/{auditor_id}/declarations", status_code=201, responses=CHANGE_NAMED)
def create_declaration(
    auditor: DeclaringAuditorDep, data: DeclarationIn, session: SessionDep, user: CurrentUser
) -> DeclarationOut:
    """Record a tie the auditor declares to an organisation (the auditor, or an admin who manages their account)."""
    declaration = staffing.add_declaration(session=session, actor=user, auditor=auditor, data=data)
    return declaration_out(declaration, session.get_one(Organisation, declaration.organisation_id).name)


@router.delete("/auditors/{auditor_id}/declarations/{declaration_id}", status_code=204, responses=CHANGE_NAMED)
def delete_declaration(
    auditor: DeclaringAuditorDep, declaration_id: PathId, session: SessionDep, user: CurrentUser
) -> Response:
    """Withdraw a declaration made in error (the trail keeps it)."""
    staffing.delete_declaration(session=session, actor=user, auditor=auditor, declaration_id=declaration_id)
    return Response(status_code=204)
