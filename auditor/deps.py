"""Typed dependencies, so handler signatures read as prose; one loader per resource does the 404."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from auditor.checklists import Library
from auditor.config import Settings
from auditor.db import transaction
from auditor.errors import Forbidden, PasswordChangeRequired, Unauthenticated
from auditor.i18n import N_
from auditor.models import Audit, Case, Finding, ManagementReview, Organisation, User, detached_copy
from auditor.paging import DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest
from auditor.schemas import MAX_ID
from auditor.security import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, check_csrf, submitted_csrf_token
from auditor.services import access, accounts, audits, cases, findings, responses, reviews, staffing
from auditor.services.library import published_library

# Every row id in a path: a positive number a database column can hold (PostgreSQL's integer; SQLite's is wider).
# Any other value names nothing, so it is 404, like an id that does not exist (routes/errors.py), never a 500.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Session:
    """The request's database session, not connected yet (it connects at its first query). A plain `def`, as every
    dependency that touches the database is (one thread hop, the price of the rule). A request that changes nothing (GET,
    HEAD) reads without queueing behind writers (db.reading). Only a unit of work uses it (`request_transaction`,
    `conduct_work`): its commit or rollback gives the connection back to the pool, which leaves the session
    nothing to close."""
    engine = request.app.state.read_engine if request.method in SAFE_METHODS else request.app.state.engine
    return Session(engine, expire_on_commit=False)


RequestSession = Annotated[Session, Depends(get_session)]
_UNIT_OF_WORK = "auditor_request_unit_of_work"


@contextmanager
def request_unit_of_work(request: Request, session: Session) -> Iterator[Session]:
    """The request's unit of work (db.transaction): one commit when the handler has succeeded, a rollback when it (or
    the commit) raises, so the connection goes back to the pool with no transaction left open. Used by a dependency
    with scope "function": it ends when the handler returns, before the response is sent, so a failing commit
    becomes the error response (a 503 when the database is busy) and a 2xx is never sent for work not committed.
    One per request: a second would commit the first one's work halfway."""
    if session.info.get(_UNIT_OF_WORK):
        raise RuntimeError(
            "a request has one unit of work: take SessionDep or a dependency that ends its own, not both"
        )
    session.info[_UNIT_OF_WORK] = True
    try:
        with transaction(session, before_rollback=lambda: _keep_user(request)):
            yield session
    finally:
        session.info.pop(_UNIT_OF_WORK, None)


def request_transaction(request: Request, session: RequestSession) -> Iterator[Session]:
    """The request's session in its unit of work (request_unit_of_work). A plain `def`: the commit is I/O, so FastAPI
    ends it in its thread pool (two hops per request: in, with nothing to do, and out with the commit)."""
    with request_unit_of_work(request, session):
        yield session


def _keep_user(request: Request) -> None:
    """The error page is rendered after the rollback, which expires the user's row: it names the user from a copy."""
    user = getattr(request.state, "user", None)
    if user is not None:
        try:
            request.state.user = detached_copy(user)
        except SQLAlchemyError:  # the row could not be read again (the database failed): a page without the user's menu
            request.state.user = None


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(request_transaction, scope="function")]


def get_library(request: Request, session: SessionDep) -> Library:
    """The newest published checklist library (or the fixed one a test gave create_app)."""
    fixed = request.app.state.library
    return fixed if fixed is not None else published_library(session=session)


LibraryDep = Annotated[Library, Depends(get_library)]


def get_page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page, at most {MAX_LIMIT}")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, description="rows to skip")] = 0,
) -> PageRequest:
    """The page a list is asked for (`?limit=&offset=`); outside the bounds: 422."""
    return PageRequest(limit, offset)


PageDep = Annotated[PageRequest, Depends(get_page_request)]


# The text an organisation chooser searches for (services/organisations.organisation_choice), on every form with one
OrganisationQuery = Annotated[str, Query(max_length=200, description="part of an organisation's name")]


def page_request_of(list_name: str) -> Callable[..., PageRequest]:
    """The page of one of several lists on one web page, asked for with `?<list_name>_offset=` (its own offset,
    so that paging one list leaves the others where they are; DEFAULT_LIMIT rows)."""

    def get(offset: int = 0) -> PageRequest:
        return PageRequest(DEFAULT_LIMIT, offset)

    # set here, not written above: under `from __future__ import annotations` FastAPI could not see `list_name`
    get.__annotations__["offset"] = Annotated[int, Query(alias=f"{list_name}_offset", ge=0, description="rows to skip")]
    return get


def page_address(path: str, list_name: str, page: PageRequest, anchor: str, **params: str) -> str:
    """The address of the web page `path` showing its list `list_name` at `page` (page_request_of; the first page
    needs no offset), with the query `params`, landing on the element `anchor`."""
    query = ({f"{list_name}_offset": page.offset} if page.offset else {}) | params
    return path + (f"?{urlencode(query)}" if query else "") + f"#{anchor}"


def send_page(page: Page, request: Request, response: Response) -> list:
    """An API list's page: the items are the body (as before paging); `X-Total-Count` has the total and `Link`
    (RFC 8288) the first, previous, next and last pages, keeping the other query parameters."""
    last = (page.total - 1) // page.limit * page.limit if page.total else 0
    offsets = {"first": 0, "prev": page.previous_offset, "next": page.next_offset, "last": last}
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["Link"] = ", ".join(
        f'<{request.url.include_query_params(limit=page.limit, offset=offset)}>; rel="{rel}"'
        for rel, offset in offsets.items()
        if offset is not None
    )
    return page.items


def json_reply(answer: BaseModel) -> Response:
    """An API answer serialised here, in the handler's thread. Returned as a model, FastAPI would validate it again,
    in a thread hop of its own, before serialising it; the route names the model with `response_model=` for the docs."""
    return Response(answer.model_dump_json(), media_type="application/json")


# Pages a user who must change a temporary password may still reach.
PASSWORD_CHANGE_PATHS = frozenset({"/account", "/account/password", "/logout"})


async def get_submitted_csrf(request: Request) -> str | None:
    """The CSRF token sent with a change (header or form field). Reading the body is waiting, not blocking work, so
    this dependency is async; everything that queries the database is a plain `def` (FastAPI runs those in its
    thread pool, so a slow query never stalls the event loop). A form is parsed only when its token can matter:
    without the CSRF cookie check_csrf refuses whatever was sent, so the body is left unread."""
    if request.method in SAFE_METHODS or _bearer_token(request) or CSRF_COOKIE not in request.cookies:
        return None
    return await submitted_csrf_token(request)


async def get_signed_in_csrf(request: Request) -> str | None:
    """get_submitted_csrf for a request that needs a signed-in user: without a session cookie get_current_user refuses
    it (401) before the token is looked at, so the body is left unread. (The session itself is checked in the
    database, after this: see get_current_user.)"""
    if SESSION_COOKIE not in request.cookies:
        return None
    return await get_submitted_csrf(request)


SubmittedCsrf = Annotated[str | None, Depends(get_submitted_csrf)]
SignedInCsrf = Annotated[str | None, Depends(get_signed_in_csrf)]


def _bearer_token(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    return credential.strip() or None if scheme.lower() == "bearer" else None


def get_current_user(request: Request, session: SessionDep, csrf: SignedInCsrf) -> User:
    """The logged-in user (session cookie) or the API token's owner (Authorization: Bearer).
    Cookie-authenticated requests that change something must carry the CSRF token.

    The token (from a form: its body) is read before the session is checked: the check is a database query in the
    thread pool, inside the request's unit of work, and reading the form after it would hold the connection while a
    client sends its body. What bounds the work done for a client not yet known is middleware.body_limit (1 MB for
    a form, an upload's own limit on the upload routes) and get_signed_in_csrf (no session cookie: nothing read)."""
    token = _bearer_token(request)
    if token:
        user = accounts.user_for_token(session=session, token=token)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthenticated(N_("Please log in."))
        user = accounts.user_for_session(
            session=session, token=cookie, lifetime=request.app.state.settings.session_lifetime
        )
        if request.method not in SAFE_METHODS:
            check_csrf(request, csrf)
        if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
            raise PasswordChangeRequired(N_("Choose a new password before you go on."))
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def audit_loader(can: access.Can, columns: tuple = ()):
    """A loader for the audit in the path: 404 if the user may not see it, 403 if they may not do `can`.
    It runs before the request body is validated, so a refused request never gets as far as validation (a form is
    parsed before, only to find its CSRF token). `columns`: read only these of the audit now (access.load)."""

    def get_audit_or_404(audit_id: PathId, session: SessionDep, user: CurrentUser) -> Audit:
        audit = audits.get_audit(session=session, actor=user, audit_id=audit_id, columns=columns)
        access.require_audit(session=session, user=user, audit=audit, can=can)
        return audit

    return get_audit_or_404


AuditDep = Annotated[Audit, Depends(audit_loader(access.Can.VIEW))]
PlanAuditDep = Annotated[Audit, Depends(audit_loader(access.Can.PLAN))]
ConductAuditDep = Annotated[Audit, Depends(audit_loader(access.Can.CONDUCT))]
OfflineAuditDep = Annotated[Audit, Depends(audit_loader(access.Can.WORK_OFFLINE))]


def get_audit_to_decide(audit: AuditDep, session: SessionDep, user: CurrentUser) -> Audit:
    """The audit in the path, if the user may decide on certification after it (a team member gets 403 and why)."""
    access.require_decider(session=session, user=user, audit=audit)
    return audit


DecideAuditDep = Annotated[Audit, Depends(get_audit_to_decide)]


def gate(model: type, can: access.Can, message: str | None = None):
    """A dependency that lets through only a user who may `can` some record of `model` at all (which one, the
    handler's service checks)."""

    def may_at_all(user: CurrentUser) -> User:
        if not access.anywhere(user, model, can):
            raise Forbidden(message or N_("Your role does not allow this."))
        return user

    return may_at_all


@dataclass(frozen=True)
class AuditAtWork:
    """The request's session, its user and the audit in its path, allowed what the route does."""

    session: Session
    user: User
    audit: Audit


_CONDUCT_AUDIT = audit_loader(access.Can.CONDUCT, columns=responses.AUDIT_COLUMNS)


@contextmanager
def conduct_work(request: Request, audit_id: int) -> Iterator[AuditAtWork]:
    """The request's unit of work with CurrentUser and the audit in the path, allowed to conduct it, for the routes a
    tablet calls most (an answer's save, a batch of them). The handler, a plain `def`, does its whole work in it: the
    session's opening, the loading, the save and the commit in one thread hop (FastAPI runs each plain `def`
    dependency and handler in a thread, a generator dependency's end in another, and on a busy machine a hop to a
    thread and back costs more than a query: SessionDep, CurrentUser and AuditDep would make six). The same
    functions and checks, in the same order, as those dependencies; the body, validated before, is never used unless
    they let it through. A route that uses it takes no SessionDep: the work's `session` is the request's. Its body
    is JSON, so a signed-in browser's CSRF token comes in the X-CSRF-Token header (no form to read, so no async
    SignedInCsrf dependency either)."""
    # Opened here, not as a dependency; overridable as the dependency is (tests do)
    session = request.app.dependency_overrides.get(get_session, get_session)(request)
    with request_unit_of_work(request, session):
        user = get_current_user(request, session, request.headers.get(CSRF_HEADER))
        yield AuditAtWork(session, user, _CONDUCT_AUDIT(audit_id, session, user))


def auditor_loader(can: access.Can | None):
    """A loader for the auditor in the path (`auditor_id`): 404 unless the user manages the auditor's account or is the
    auditor, 403 if they may not also `can` with the auditor's record (None: seeing it is enough)."""

    def get_auditor_or_404(auditor_id: PathId, session: SessionDep, user: CurrentUser) -> User:
        return staffing.get_auditor(session=session, actor=user, auditor_id=auditor_id, can=can)[0]

    return get_auditor_or_404


AuditorDep = Annotated[User, Depends(auditor_loader(None))]
DeclaringAuditorDep = Annotated[User, Depends(auditor_loader(access.Can.DECLARE))]
CompetenceAuditorDep = Annotated[User, Depends(auditor_loader(access.Can.MANAGE))]


Planner = Annotated[User, Depends(gate(Organisation, access.Can.PLAN_AUDITS))]
TemplateAdmin = Annotated[
    User,
    Depends(gate(Organisation, access.Can.MANAGE_TEMPLATES, N_("Only an administrator can manage report templates."))),
]
CaseOpener = Annotated[User, Depends(gate(Organisation, access.Can.OPEN_CASES))]
OrganisationManager = Annotated[User, Depends(gate(Organisation, access.Can.MANAGE))]
UserManager = Annotated[
    User, Depends(gate(Organisation, access.Can.MANAGE_USERS, N_("Only an administrator can manage users.")))
]
ReviewCreator = Annotated[User, Depends(gate(Organisation, access.Can.COMPILE_REVIEWS))]


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


def get_managed_review(
    review: Annotated[ManagementReview, Depends(get_review_or_404)], session: SessionDep, user: CurrentUser
) -> ManagementReview:
    """The review in the path, if the user may also change it (403 otherwise)."""
    access.require(session=session, user=user, record=review, can=access.Can.MANAGE)
    return review


ReviewDep = Annotated[ManagementReview, Depends(get_review_or_404)]
ManagedReviewDep = Annotated[ManagementReview, Depends(get_managed_review)]
