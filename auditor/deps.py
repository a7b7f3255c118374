"""Typed dependencies, so handler signatures read as prose; one loader per resource does the 404."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.checklists import Library
from auditor.config import Settings
from auditor.errors import Forbidden, PasswordChangeRequired, Unauthenticated
from auditor.i18n import N_
from auditor.models import Audit, Case, Finding, ManagementReview, User
from auditor.schemas import MAX_ID
from auditor.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from auditor.security import SAFE_METHODS, SESSION_COOKIE, check_csrf, submitted_csrf_token
from auditor.services import access, accounts, audits, cases, findings, reviews
from auditor.services.library import published_library


# Every row id in a path: a positive number a database column can hold (PostgreSQL's integer; SQLite's is wider).
# Any other value names nothing, so it is 404, like an id that does not exist (routes/errors.py), never a 500.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """The request's database session; a request that changes nothing (GET, HEAD) reads without queueing behind
    writers (db.reading)."""
    engine = request.app.state.read_engine if request.method in SAFE_METHODS else request.app.state.engine
    with Session(engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_library(request: Request, session: SessionDep) -> Library:
    """The newest published checklist library (or the fixed one a test gave create_app)."""
    fixed = request.app.state.library
    return fixed if fixed is not None else published_library(session=session)


LibraryDep = Annotated[Library, Depends(get_library)]



def get_page_request(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page, at most {MAX_LIMIT}")] = DEFAULT_LIMIT,
                     offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0) -> PageRequest:
    """The page a list is asked for (`?limit=&offset=`); outside the bounds: 422."""
    return PageRequest(limit, offset)


PageDep = Annotated[PageRequest, Depends(get_page_request)]


def send_page(page: Page, request: Request, response: Response) -> list:
    """An API list's page: the items are the body (as before paging); `X-Total-Count` has the total and `Link`
    (RFC 8288) the first, previous, next and last pages, keeping the other query parameters."""
    last = (page.total - 1) // page.limit * page.limit if page.total else 0
    offsets = {"first": 0, "prev": page.previous_offset, "next": page.next_offset, "last": last}
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = ", ".join(f'<{request.url.include_query_params(limit=page.limit, offset=offset)}>; rel="{rel}"'
                                         for rel, offset in offsets.items() if offset is not None)
    return page.items


# Pages a user who must change a temporary password may still reach.
PASSWORD_CHANGE_PATHS = frozenset({"/account", "/account/password", "/logout"})


async def get_submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a change (header or form field). Reading the body is waiting, not blocking work, so
    this is the one async dependency; everything that touches the database is a plain `def` (FastAPI runs those in
    its thread pool, so a slow query never stalls the event loop)."""
    if request.method in SAFE_METHODS or _bearer_token(request):
        return None
    return await submitted_csrf_token(request)


SubmittedCsrf = Annotated[str | None, Depends(get_submitted_csrf)]


def _bearer_token(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def get_current_user(request: Request, session: SessionDep, settings: SettingsDep, csrf: SubmittedCsrf) -> User:
    """The logged-in user (session cookie) or the API token's owner (Authorization: Bearer).
    Cookie-authenticated requests that change something must carry the CSRF token."""
    token = _bearer_token(request)
    if token:
        user = accounts.user_for_token(session=session, token=token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthenticated(N_("Please log in."))
        user = accounts.user_for_session(session=session, token=cookie, lifetime=settings.session_lifetime)
        if request.method not in SAFE_METHODS:
            check_csrf(request, csrf)
        if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
            raise PasswordChangeRequired(N_("Choose a new password before you go on."))
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def audit_loader(can: access.Can):
    """A loader for the audit in the path: 404 if the user may not see it, 403 if they may not do `can`.
    It runs before the request body is read, so a refused request never gets as far as validation."""

    def get_audit_or_404(audit_id: PathId, session: SessionDep, user: CurrentUser) -> Audit:
        audit = audits.get_audit(session=session, actor=user, audit_id=audit_id)
        access.require(session=session, user=user, audit=audit, can=can)
        return audit

    return get_audit_or_404


AuditDep = Annotated[Audit, Depends(audit_loader(access.Can.VIEW))]
PlanAuditDep = Annotated[Audit, Depends(audit_loader(access.Can.PLAN))]
ConductAuditDep = Annotated[Audit, Depends(audit_loader(access.Can.CONDUCT))]


def require_planner(user: CurrentUser) -> User:
    access.require_planner(user=user)
    return user


def require_organisation_manager(user: CurrentUser) -> User:
    access.require_organisation_manager(user)
    return user


def require_user_manager(user: CurrentUser) -> User:
    access.require_user_manager(user=user, organisation_id=user.organisation_id)
    return user


def require_case_opener(user: CurrentUser) -> User:
    """Opening a case by hand: quality managers and admins (for which organisation, the service checks)."""
    if user.role not in {v.Role.ADMIN, v.Role.QUALITY_MANAGER}:
        raise Forbidden(N_("Your role does not allow this."))
    return user


def require_template_admin(user: CurrentUser) -> User:
    access.require_template_manager(user=user, organisation_id=user.organisation_id)
    return user


Planner = Annotated[User, Depends(require_planner)]
TemplateAdmin = Annotated[User, Depends(require_template_admin)]
CaseOpener = Annotated[User, Depends(require_case_opener)]
OrganisationManager = Annotated[User, Depends(require_organisation_manager)]
UserManager = Annotated[User, Depends(require_user_manager)]


def get_finding_or_404(finding_id: PathId, audit: AuditDep, session: SessionDep) -> Finding:
    return findings.get_finding(session=session, audit=audit, finding_id=finding_id)


FindingDep = Annotated[Finding, Depends(get_finding_or_404)]


def is_htmx(request: Request) -> bool:
    """True for a request htmx made, which wants a fragment rather than a page."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def get_case_or_404(case_id: PathId, session: SessionDep, user: CurrentUser) -> Case:
    """The case in the path, if the user may see it."""
    return cases.get_case(session=session, actor=user, case_id=case_id)


CaseDep = Annotated[Case, Depends(get_case_or_404)]


def get_review_or_404(review_id: PathId, session: SessionDep, user: CurrentUser) -> ManagementReview:
    """The review in the path, if the user may see it."""
    return reviews.get_review(session=session, actor=user, review_id=review_id)


def get_managed_review(review: Annotated[ManagementReview, Depends(get_review_or_404)], user: CurrentUser) -> ManagementReview:
    """The review in the path, if the user may also change it (403 otherwise)."""
    reviews.require_manager(actor=user, review=review)
    return review


def require_review_creator(user: CurrentUser) -> User:
    """Compiling a review: quality managers and admins (of which organisation, the service checks)."""
    reviews.require_creator(user)
    return user


ReviewDep = Annotated[ManagementReview, Depends(get_review_or_404)]
ManagedReviewDep = Annotated[ManagementReview, Depends(get_managed_review)]
ReviewCreator = Annotated[User, Depends(require_review_creator)]
