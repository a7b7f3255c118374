"""Organisations and their sites / production units."""

from __future__ import annotations

from sqlalchemy import and_, func, or_
from sqlmodel import Session, select

from auditor.errors import NotFound
from auditor.models import Organisation, Site, User
from auditor.paging import Page, PageRequest, page_of
from auditor.schemas import OrganisationIn, SiteIn
from auditor.services import access


def create_organisation(*, session: Session, actor: User | None, data: OrganisationIn) -> Organisation:
    """Create an organisation (provider admins and lead auditors; `actor` None for the CLI and demo)."""
    if actor is not None:
        access.require_anywhere(actor, Organisation, access.Can.MANAGE)
    organisation = Organisation(name=data.name, cvr=data.cvr, address=data.address)
    session.add(organisation)
    session.flush()
    for site in data.sites:
        add_site(session=session, actor=actor, organisation=organisation, data=site)
    return organisation


def add_site(*, session: Session, actor: User | None, organisation: Organisation, data: SiteIn) -> Site:
    if actor is not None:
        access.require_anywhere(actor, Organisation, access.Can.MANAGE)
    site = Site(organisation_id=organisation.id, name=data.name, p_number=data.p_number, address=data.address)
    session.add(site)
    session.flush()
    return site


def get_organisation(*, session: Session, actor: User, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No organisation with this id.")
    access.require_organisation(session=session, user=actor, organisation=organisation)
    return organisation


def list_organisations(*, session: Session, actor: User, page: PageRequest | None = None) -> Page:
    """The organisations the actor may see, by name; one page of them, or all without `page`."""
    return page_of(
        session,
        select(Organisation).where(access.where(actor, Organisation)).order_by(Organisation.name, Organisation.id),
        page,
    )


def list_position(*, session: Session, actor: User, organisation: Organisation) -> int:
    """How many organisations come before this one in the actor's list (list_organisations' order)."""
    before = or_(
        Organisation.name < organisation.name,
        and_(Organisation.name == organisation.name, Organisation.id < organisation.id),
    )
    return session.exec(
        select(func.count()).select_from(Organisation).where(access.where(actor, Organisation), before)
    ).one()


def sites_of(*, session: Session, organisation_id: int, page: PageRequest | None = None) -> Page[Site]:
    """An organisation's sites by name; one page of them, or all without `page` (the caller has checked the actor
    may see the organisation)."""
    return page_of(
        session, select(Site).where(Site.organisation_id == organisation_id).order_by(Site.name, Site.id), page
    )


def find_or_add_site(*, session: Session, organisation: Organisation, name: str) -> Site:
    """A site of the organisation with this name, created if it does not exist yet."""
    for site in sites_of(session=session, organisation_id=organisation.id).items:
        if site.name.casefold() == name.casefold():
            return site
    return add_site(session=session, actor=None, organisation=organisation, data=SiteIn(name=name))
