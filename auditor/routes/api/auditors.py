"""Auditors and their competence records (BEK 1407, technical areas, languages), kept by the admins who manage their
accounts; an auditor sees their own."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import AuditorDep, CompetenceAuditorDep, CurrentUser, PageDep, SessionDep, UserManager, send_page
from auditor.models import AuditorCompetence, User
from auditor.routes.api.refusals import CHANGE_NAMED, NAMED
from auditor.schemas import AuditorOut, CompetenceIn, CompetenceOut
from auditor.services import staffing

router = APIRouter(tags=["auditors"])


def competence_out(auditor: User, record: AuditorCompetence | None) -> CompetenceOut:
    """The record as the API shows it; an auditor without one has an empty record."""
    return CompetenceOut(
        auditor_id=auditor.id,
        bek1407=record.bek1407 or None if record else None,
        bek1407_date=record.bek1407_date if record else None,
        technical_areas=record.technical_areas if record else [],
        languages=record.languages if record else [],
        updated_at=record.updated_at if record else None,
    )


def auditor_out(auditor: User, record: AuditorCompetence | None) -> AuditorOut:
    return AuditorOut(id=auditor.id, name=auditor.name, role=auditor.role, competence=competence_out(auditor, record))


@router.get("/auditors")
def list_auditors(
    request: Request, response: Response, session: SessionDep, user: UserManager, page: PageDep
) -> list[AuditorOut]:
    """The active auditors whose accounts you manage, by name, with their competence; paged (Link and X-Total-Count
    headers)."""
    found = staffing.list_auditors(session=session, actor=user, page=page)
    return send_page(found.with_items([auditor_out(*row) for row in found.items]), request, response)


@router.get("/auditors/{auditor_id}", responses=NAMED)
def show_auditor(auditor: AuditorDep, session: SessionDep) -> AuditorOut:
    """An auditor with their competence record (admins who manage their account, and the auditor)."""
    return auditor_out(auditor, staffing.competence_of(session=session, auditor_id=auditor.id))


@router.put("/auditors/{auditor_id}/competence", responses=CHANGE_NAMED)
def update_competence(
    auditor: CompetenceAuditorDep, data: CompetenceIn, session: SessionDep, user: CurrentUser
) -> CompetenceOut:
    """Replace an auditor's competence record (admins who manage their account); the whole record is sent."""
    return competence_out(auditor, staffing.update_competence(session=session, actor=user, auditor=auditor, data=data))
