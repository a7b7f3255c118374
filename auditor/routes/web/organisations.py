"""Organisation pages: the list, creating one, and its sites."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from auditor.deps import CurrentUser, OrganisationManager, OrganisationQuery, PageDep, PathId, SessionDep
from auditor.models import Organisation
from auditor.paging import DEFAULT_LIMIT, PageRequest
from auditor.routes.web.forms import FormDep, form_fields, parse, row_id
from auditor.schemas import OrganisationIn, SiteIn
from auditor.services import access, organisations
from auditor.templating import render

router = APIRouter()

# What a form chooses an organisation for: an action of access.RULES[Organisation]
ChoosingFor = Literal[tuple(access.RULES[Organisation])]  # type: ignore[valid-type]


@router.get("/organisations/choices")
def find_organisations(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    can: ChoosingFor,  # type: ignore[valid-type]
    organisation_q: OrganisationQuery = "",
    organisation_id: Annotated[str, Query(max_length=20)] = "",
):
    """The organisation chooser's options for a search (the fragment its search field swaps in while typing)."""
    access.require_anywhere(user, Organisation, access.Can(can))
    choice = organisations.organisation_choice(
        session=session, actor=user, can=access.Can(can), query=organisation_q, chosen=row_id(organisation_id)
    )
    return render(request, "organisations/_choice.html", {"choice": choice, "errors": {}})


def _list_context(session, user, page: PageRequest = PageRequest(), **extra) -> dict:
    found = organisations.list_organisations(session=session, actor=user, page=page)
    sites = organisations.sites_of_each(
        session=session, organisation_ids=[o.id for o in found.items], page=PageRequest()
    )
    return {
        "organisations": found.items,
        "page": found,
        "sites": sites,
        "values": {},
        "errors": {},
        "site_errors": {},
        "site_values": {},
        "can_manage": access.anywhere(user, Organisation, access.Can.MANAGE),
        "can_plan": access.anywhere(user, Organisation, access.Can.PLAN_AUDITS),
        **extra,
    }


def _list_page_of(session, user, organisation: Organisation) -> PageRequest:
    """The page of the list of organisations that shows this one."""
    position = organisations.list_position(session=session, actor=user, organisation=organisation)
    return PageRequest(offset=position // DEFAULT_LIMIT * DEFAULT_LIMIT)


@router.get("/organisations")
def list_organisations(request: Request, session: SessionDep, user: CurrentUser, page: PageDep):
    """Organisations with their sites, and the form to add one."""
    return render(request, "organisations/list.html", _list_context(session, user, page))


@router.post("/organisations")
def create_organisation(request: Request, session: SessionDep, user: OrganisationManager, submitted: FormDep):
    """Create an organisation from the form."""
    form = form_fields(submitted)
    data, errors = parse(OrganisationIn, form)
    if data is None:
        return render(
            request,
            "organisations/list.html",
            _list_context(session, user, values=form, errors=errors),
            status_code=422,
        )
    organisation = organisations.create_organisation(session=session, actor=user, data=data)
    return RedirectResponse(f"/organisations#organisation-{organisation.id}", status_code=303)


@router.post("/organisations/{organisation_id}/sites")
def create_site(
    request: Request, organisation_id: PathId, session: SessionDep, user: OrganisationManager, submitted: FormDep
):
    """Add a site or production unit."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    page = _list_page_of(session, user, organisation)  # the list's page that shows its form
    form = form_fields(submitted)
    data, errors = parse(SiteIn, form)
    if data is None:
        context = _list_context(
            session, user, page, site_errors={organisation.id: errors}, site_values={organisation.id: form}
        )
        return render(request, "organisations/list.html", context, status_code=422)
    organisations.add_site(session=session, actor=user, organisation=organisation, data=data)
    return RedirectResponse(
        f"/organisations?offset={page.offset}#organisation-{organisation.id}"
        if page.offset
        else f"/organisations#organisation-{organisation.id}",
        status_code=303,
    )


@router.get("/organisations/{organisation_id}/sites")
def list_sites(request: Request, organisation_id: PathId, session: SessionDep, user: CurrentUser, page: PageDep):
    """Every site of an organisation, by name, a page at a time (the list of organisations shows the first page)."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    found = organisations.sites_of(session=session, organisation_id=organisation.id, page=page)
    offset = _list_page_of(session, user, organisation).offset
    back = f"/organisations?offset={offset}" if offset else "/organisations"
    return render(
        request,
        "organisations/sites.html",
        {"organisation": organisation, "sites": found, "back": f"{back}#organisation-{organisation.id}"},
    )
