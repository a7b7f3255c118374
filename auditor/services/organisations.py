"""Organisations and their sites / production units."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from auditor.errors import NotFound
from auditor.i18n import N_
from auditor.models import Organisation, Site, User
from auditor.paging import Page, PageRequest, page_of, whole
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


def get_organisation(
    *, session: Session, actor: User, organisation_id: int, can: access.Can = access.Can.VIEW
) -> Organisation:
    """The organisation, if the actor may see it (NotFound otherwise) and `can` in it (Forbidden otherwise)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("No organisation with this id.")
    access.require(
        session=session, user=actor, record=organisation, can=can, missing=N_("No organisation with this id.")
    )
    return organisation


def list_organisations(*, session: Session, actor: User, page: PageRequest | None = None) -> Page:
    """The organisations the actor may see, by name; one page of them, or all without `page`."""
    return page_of(
        session,
        select(Organisation).where(access.where(actor, Organisation)).order_by(Organisation.name, Organisation.id),
        page,
    )


CHOICE_LIMIT = 50  # a form lists at most this many organisations; beyond, it searches them by name

# The empty choice a form offers first, by what it chooses for: the provider's own (to whoever may do that there),
# or a prompt (an auditor's declaration names an organisation, and its form starts with none chosen)
PROVIDER_CHOICES = {
    access.Can.MANAGE_USERS: N_("Audit provider (staff)"),
    access.Can.MANAGE_TEMPLATES: N_("Provider (all organisations)"),
}
PROMPTS = {access.Can.VIEW: N_("Choose…")}


@dataclass(frozen=True)
class OrganisationChoice:
    """What a form's organisation chooser offers: the organisations listed (every one the user may choose when
    `total` is at most CHOICE_LIMIT, else the first CHOICE_LIMIT whose name holds `query`, and the chosen one)."""

    can: access.Can
    organisations: list[Organisation]
    total: int  # the organisations the user may choose among
    matching: int  # those whose name holds the query
    query: str
    chosen: int | None
    blank: str | None  # the empty choice's label (PROVIDER_CHOICES, PROMPTS), when the form offers one

    limit = CHOICE_LIMIT

    @property
    def searched(self) -> bool:
        return self.total > CHOICE_LIMIT

    @property
    def more(self) -> bool:
        """More organisations match than are listed."""
        return self.matching > CHOICE_LIMIT


def organisation_choice(
    *, session: Session, actor: User, can: access.Can, query: str = "", chosen: int | None = None
) -> OrganisationChoice:
    """The organisations a form offers the actor for `can` (access.RULES[Organisation]), filtered and limited in SQL."""
    allowed = access.where(actor, Organisation, can)
    query = query.strip()
    matches = Organisation.name.icontains(query, autoescape=True) if query else allowed
    total, matching = session.execute(
        select(func.count(), func.count().filter(matches)).select_from(Organisation).where(allowed)
    ).one()
    listed = select(Organisation).where(allowed).order_by(Organisation.name, Organisation.id)
    if total > CHOICE_LIMIT:
        listed = listed.where(matches).limit(CHOICE_LIMIT)
    else:
        matching = total  # every one is listed: there is nothing to search
    shown = list(session.exec(listed))
    if chosen is not None and all(o.id != chosen for o in shown):
        shown += session.exec(select(Organisation).where(allowed, Organisation.id == chosen)).all()
        shown.sort(key=lambda o: (o.name, o.id))
    offers_provider = can in PROVIDER_CHOICES and access.allows_in(
        session=session, user=actor, can=can, organisation_id=None
    )
    blank = PROMPTS.get(can) or (PROVIDER_CHOICES[can] if offers_provider else None)
    return OrganisationChoice(can, shown, total, matching, query, chosen, blank)


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


def sites_of_each(
    *, session: Session, organisation_ids: list[int], page: PageRequest | None = None
) -> dict[int, Page[Site]]:
    """The sites of each of these organisations by name, in one query for them all (a list of organisations asked one
    query per organisation): the first page of each with its total, or all of them without `page` (the caller has
    checked the actor may see the organisations). An organisation without sites has an empty page."""
    place = func.row_number().over(partition_by=Site.organisation_id, order_by=(Site.name, Site.id))
    ranked = (
        select(Site, place.label("place"), func.count().over(partition_by=Site.organisation_id).label("total"))
        .where(col(Site.organisation_id).in_(organisation_ids))
        .subquery()
    )
    site = aliased(Site, ranked)
    query = select(site, ranked.c.total).order_by(ranked.c.organisation_id, ranked.c.place)
    if page is not None:
        query = query.where(ranked.c.place > page.offset, ranked.c.place <= page.offset + page.limit)
    found: dict[int, list[Site]] = defaultdict(list)
    totals: dict[int, int] = {}
    for row, total in session.execute(query):
        found[row.organisation_id].append(row)
        totals[row.organisation_id] = total
    return {
        organisation_id: Page(found[organisation_id], totals.get(organisation_id, 0), page.limit, page.offset)
        if page is not None
        else whole(found[organisation_id])
        for organisation_id in organisation_ids
    }


def find_or_add_site(*, session: Session, organisation: Organisation, name: str) -> Site:
    """A site of the organisation with this name, created if it does not exist yet."""
    for site in sites_of(session=session, organisation_id=organisation.id).items:
        if site.name.casefold() == name.casefold():
            return site
    return add_site(session=session, actor=None, organisation=organisation, data=SiteIn(name=name))
