"""User administration: create, re-role, deactivate, reset a password (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlmodel import col, select

from auditor.deps import OrganisationQuery, PageDep, PathId, SessionDep, UserManager
from auditor.errors import Invalid
from auditor.models import Organisation
from auditor.paging import PageRequest
from auditor.routes.web.forms import FormDep, check_fields, form_fields, invalid_errors, row_id
from auditor.schemas import UserIn
from auditor.services import access, accounts, organisations
from auditor.templating import render

router = APIRouter()


def _list_context(
    session, user, page: PageRequest = PageRequest(), values: dict | None = None, organisation_q: str = "", **extra
) -> dict:
    found = accounts.list_users(session=session, actor=user, page=page)
    owners = {person.organisation_id for person in found.items if person.organisation_id is not None}
    return {
        "users": found.items,
        "page": found,
        "organisation_names": dict(
            session.exec(select(Organisation.id, Organisation.name).where(col(Organisation.id).in_(owners))).all()
        ),
        "choice": organisations.organisation_choice(
            session=session,
            actor=user,
            can=access.Can.MANAGE_USERS,
            query=organisation_q,
            chosen=row_id((values or {}).get("organisation_id")),
        ),
        "may_add_provider_staff": access.allows_in(
            session=session, user=user, can=access.Can.MANAGE_USERS, organisation_id=None
        ),
        "values": values or {},
        "errors": {},
        "shown_once": None,
        **extra,
    }


@router.get("/users")
def list_users(
    request: Request, session: SessionDep, user: UserManager, page: PageDep, organisation_q: OrganisationQuery = ""
):
    """Every user you manage, and the form to add one."""
    return render(request, "users/list.html", _list_context(session, user, page, organisation_q=organisation_q))


@router.post("/users")
def create_user(request: Request, session: SessionDep, user: UserManager, submitted: FormDep):
    """Create a user with a temporary password, shown once."""
    form = form_fields(submitted)
    organisation_id = row_id(form.get("organisation_id"))
    if user.organisation_id is not None:
        organisation_id = user.organisation_id
    try:
        check_fields(UserIn, form)
        created, password = accounts.create_user(
            session=session,
            actor=user,
            email=str(form.get("email", "")),
            name=str(form.get("name", "")),
            role=str(form.get("role", "")),
            organisation_id=organisation_id,
        )
    except Invalid as error:
        session.rollback()
        return render(
            request,
            "users/list.html",
            _list_context(session, user, values=form, errors=invalid_errors(error)),
            status_code=422,
        )
    return render(request, "users/list.html", _list_context(session, user, shown_once=(created, password)))


@router.get("/users/{user_id}")
def edit_user(request: Request, user_id: PathId, session: SessionDep, user: UserManager):
    """One user: role, name, active, password reset."""
    target = accounts.get_user(session=session, actor=user, user_id=user_id)
    return render(request, "users/edit.html", {"target": target, "errors": {}, "shown_once": None})


@router.post("/users/{user_id}")
def update_user(request: Request, user_id: PathId, session: SessionDep, user: UserManager, submitted: FormDep):
    """Save a user's role, name and whether they may log in."""
    target = accounts.get_user(session=session, actor=user, user_id=user_id)
    form = form_fields(submitted)
    try:
        check_fields(UserIn, form)
        accounts.update_user(
            session=session,
            actor=user,
            user=target,
            role=str(form.get("role", target.role)),
            name=str(form.get("name", "")),
            is_active=form.get("is_active") == "on",
        )
    except Invalid as error:
        session.rollback()
        return render(
            request,
            "users/edit.html",
            {"target": target, "errors": invalid_errors(error), "shown_once": None},
            status_code=422,
        )
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/reset-password")
def reset_password(request: Request, user_id: PathId, session: SessionDep, user: UserManager):
    """A new temporary password, shown once."""
    target = accounts.get_user(session=session, actor=user, user_id=user_id)
    password = accounts.reset_password(session=session, actor=user, user=target)
    return render(request, "users/edit.html", {"target": target, "errors": {}, "shown_once": password})
