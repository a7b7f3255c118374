"""Organisations and their sites."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from auditor.deps import CurrentUser, OrganisationManager, PageDep, PathId, SessionDep, send_page
from auditor.models import Organisation, Site
from auditor.paging import Page, PageRequest
from auditor.routes.api.refusals import CHANGE, CHANGE_NAMED, NAMED
from auditor.schemas import OrganisationIn, OrganisationOut, SiteIn, SiteOut
from auditor.services import organisations

router = APIRouter(tags=["organisations"])


def organisation_out(session, organisation: Organisation, sites: Page[Site] | None = None) -> OrganisationOut:
    """The organisation with the first page of its sites (`sites`, when read already for a list of them)."""
    if sites is None:
        sites = organisations.sites_of(session=session, organisation_id=organisation.id, page=PageRequest())
    return OrganisationOut(
        id=organisation.id,
        name=organisation.name,
        cvr=organisation.cvr,
        address=organisation.address,
        sites=[site_out(s) for s in sites.items],
        site_count=sites.total,
    )


def site_out(site: Site) -> SiteOut:
    return SiteOut.model_validate(site, from_attributes=True)


@router.get("/organisations")
def list_organisations(
    request: Request, response: Response, session: SessionDep, user: CurrentUser, page: PageDep
) -> list[OrganisationOut]:
    """The organisations you may see, by name; paged (Link and X-Total-Count headers)."""
    found = organisations.list_organisations(session=session, actor=user, page=page)
    sites = organisations.sites_of_each(
        session=session, organisation_ids=[o.id for o in found.items], page=PageRequest()
    )
    return send_page(
        found.with_items([organisation_out(session, o, sites[o.id]) for o in found.items]), request, response
    )


@router.post("/organisations", status_code=201, responses=CHANGE)
def create_organisation(data: OrganisationIn, session: SessionDep, user: OrganisationManager) -> OrganisationOut:
    """Create an organisation, optionally with its sites."""
    organisation = organisations.create_organisation(session=session, actor=user, data=data)
    return organisation_out(session, organisation)


@router.get("/organisations/{organisation_id}", responses=NAMED)
def show_organisation(organisation_id: PathId, session: SessionDep, user: CurrentUser) -> OrganisationOut:
    """One organisation with its sites."""
    return organisation_out(
        session, organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    )


@router.post("/organisations/{organisation_id}/sites", status_code=201, responses=CHANGE_NAMED)
def create_site(organisation_id: PathId, data: SiteIn, session: SessionDep, user: OrganisationManager) -> SiteOut:
    """Add a site or production unit to an organisation."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    site = organisations.add_site(session=session, actor=user, organisation=organisation, data=data)
    return site_out(site)


@router.get("/organisations/{organisation_id}/sites", responses=NAMED)
def list_sites(
    request: Request,
    response: Response,
    organisation_id: PathId,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
) -> list[SiteOut]:
    """The organisation's sites and production units, by name; paged (Link and X-Total-Count headers)."""
    organisation = organisations.get_organisation(session=session, actor=user, organisation_id=organisation_id)
    found = organisations.sites_of(session=session, organisation_id=organisation.id, page=page)
    return send_page(found.with_items([site_out(s) for s in found.items]), request, response)
