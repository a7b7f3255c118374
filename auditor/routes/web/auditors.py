"""Auditors' competence records (admins) and impartiality declarations (admins and the auditor)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from auditor import vocabulary as v
from auditor.deps import CurrentUser, OrganisationQuery, PageDep, PathId, SessionDep, UserManager
from auditor.errors import Invalid
from auditor.models import User
from auditor.routes.web.forms import FormDep, form_fields, invalid_errors, parse, row_id
from auditor.schemas import CompetenceIn, DeclarationIn
from auditor.services import access, organisations, staffing
from auditor.templating import render

router = APIRouter()


@router.get("/auditors")
def list_auditors(request: Request, session: SessionDep, user: UserManager, page: PageDep):
    """The auditors whose accounts you manage, by name, with their competence, a page at a time."""
    found = staffing.list_auditors(session=session, actor=user, page=page)
    return render(request, "auditors/list.html", {"auditors": found})


def _show_context(session, user: User, auditor: User, granted: frozenset, organisation_q: str = "", **extra) -> dict:
    competence = staffing.competence_of(session=session, auditor_id=auditor.id)
    return {
        "auditor": auditor,
        "competence": competence,
        "declarations": staffing.declarations_of(session=session, auditor_id=auditor.id),
        "choice": organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.VIEW,
            query=organisation_q,
            chosen=row_id(extra.get("declaration_values", {}).get("organisation_id")),
        ),
        "can": {"manage": access.Can.MANAGE in granted, "declare": access.Can.DECLARE in granted},
        "bases": v.BEK1407_BASES,
        "kinds": v.CONFLICT_KINDS,
        "competence_values": {
            "bek1407": competence.bek1407 if competence else "",
            "bek1407_date": competence.bek1407_date if competence else "",
            "technical_areas": "\n".join(competence.technical_areas) if competence else "",
            "languages": ", ".join(competence.languages) if competence else "",
        },
        "competence_errors": {},
        "declaration_values": {},
        "declaration_errors": {},
        **extra,
    }


@router.get("/auditors/{auditor_id}")
def show_auditor(
    request: Request, auditor_id: PathId, session: SessionDep, user: CurrentUser, organisation_q: OrganisationQuery = ""
):
    """An auditor's competence and impartiality declarations."""
    auditor, granted = staffing.get_auditor(session=session, actor=user, auditor_id=auditor_id)
    return render(request, "auditors/show.html", _show_context(session, user, auditor, granted, organisation_q))


@router.post("/auditors/{auditor_id}/competence")
def update_competence(request: Request, auditor_id: PathId, session: SessionDep, user: CurrentUser, submitted: FormDep):
    """Save an auditor's competence record."""
    auditor, granted = staffing.get_auditor(session=session, actor=user, auditor_id=auditor_id)
    form = form_fields(submitted)
    values = {
        **form,
        "technical_areas": [line.strip() for line in str(form.get("technical_areas", "")).splitlines() if line.strip()],
        "languages": [part.strip() for part in str(form.get("languages", "")).split(",") if part.strip()],
    }
    data, errors = parse(CompetenceIn, values)
    if data is not None:
        staffing.update_competence(session=session, actor=user, auditor=auditor, data=data)
        return RedirectResponse(f"/auditors/{auditor.id}", status_code=303)
    context = _show_context(session, user, auditor, granted, competence_values=form, competence_errors=errors)
    return render(request, "auditors/show.html", context, status_code=422)


@router.post("/auditors/{auditor_id}/declarations")
def create_declaration(
    request: Request, auditor_id: PathId, session: SessionDep, user: CurrentUser, submitted: FormDep
):
    """Record a tie the auditor declares to an organisation."""
    auditor, granted = staffing.get_auditor(session=session, actor=user, auditor_id=auditor_id)
    form = form_fields(submitted)
    data, errors = parse(DeclarationIn, form)
    if data is not None:
        try:
            staffing.add_declaration(session=session, actor=user, auditor=auditor, data=data)
        except Invalid as error:
            session.rollback()
            errors = invalid_errors(error)
        else:
            return RedirectResponse(f"/auditors/{auditor.id}#declarations", status_code=303)
    context = _show_context(session, user, auditor, granted, declaration_values=form, declaration_errors=errors)
    return render(request, "auditors/show.html", context, status_code=422)


@router.post("/auditors/{auditor_id}/declarations/{declaration_id}/delete")
def delete_declaration(
    request: Request, auditor_id: PathId, declaration_id: PathId, session: SessionDep, user: CurrentUser
):
    """Withdraw a declaration made in error."""
    auditor, _ = staffing.get_auditor(session=session, actor=user, auditor_id=auditor_id)
    staffing.delete_declaration(session=session, actor=user, auditor=auditor, declaration_id=declaration_id)
    return RedirectResponse(f"/auditors/{auditor.id}#declarations", status_code=303)
