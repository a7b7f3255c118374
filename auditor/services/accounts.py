"""Accounts: users, passwords (argon2id), login with rate limits, browser sessions and API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import bindparam, delete, func, update
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.db import bookkeeping
from auditor.errors import Invalid, NotFound, Unauthenticated
from auditor.i18n import N_
from auditor.models import ApiToken, AuthSession, LoginFailure, Organisation, User, utcnow
from auditor.paging import Page, PageRequest, page_of
from auditor.services import access, trail

password_hash = PasswordHash.recommended()  # argon2id
_DUMMY_HASH = password_hash.hash("not a real password")  # so an unknown e-mail costs as much as a wrong password

MIN_PASSWORD_LENGTH = 10
FREE_FAILURES = 5  # failures in a row of one account from one address before that pair must wait
FIRST_WAIT = timedelta(minutes=1)  # then twice as long after each further failure
MAX_WAIT = timedelta(hours=1)
FAILURES_KEPT = timedelta(hours=24)  # a pair's failures older than this are forgotten
ADDRESS_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 20  # failures from one address in ADDRESS_WINDOW, whatever the accounts
TOKEN_PREFIX = "aud_"


class TooManyAttempts(Unauthenticated):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(N_("A password needs at least {n} characters."), field="password", n=MIN_PASSWORD_LENGTH)


def temporary_password() -> str:
    return secrets.token_urlsafe(12)


# Users


def create_user(
    *,
    session: Session,
    actor: User | None,
    email: str,
    name: str,
    role: str,
    organisation_id: int | None = None,
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user; without a password, a temporary one is made, returned once, and must be changed at login."""
    if actor is not None:
        access.require_user_manager(session=session, user=actor, organisation_id=organisation_id)
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise Invalid(N_("Enter a valid e-mail address."), field="email")
    if not name.strip():
        raise Invalid(N_("This field is required."), field="name")
    _check_role(role, organisation_id)
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise Invalid(N_("No organisation with this id."), field="organisation_id")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise Invalid(N_("A user with this e-mail address already exists."), field="email")
    shown_once = None
    if password is None:
        password = shown_once = temporary_password()
    check_password_rules(password)
    user = User(
        email=email,
        name=name.strip(),
        role=v.Role(role),
        organisation_id=organisation_id,
        password_hash=password_hash.hash(password),
        must_change_password=shown_once is not None,
    )
    session.add(user)
    session.flush()
    trail.record(
        session=session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after=trail.snapshot("user", user),
    )
    return user, shown_once


def _check_role(role: str, organisation_id: int | None) -> None:
    if role not in v.ROLES:
        raise Invalid(N_("Unknown role."), field="role")
    if role in v.CLIENT_ONLY_ROLES and organisation_id is None:
        raise Invalid(N_("This role belongs to a client organisation; choose one."), field="organisation_id")


def list_users(*, session: Session, actor: User, page: PageRequest | None = None) -> Page:
    """The users the actor manages, by organisation and name; one page of them, or all without `page`."""
    access.require_user_manager(session=session, user=actor, organisation_id=actor.organisation_id)
    query = (
        select(User)
        .where(access.where(actor, User, access.Can.MANAGE))
        .order_by(User.organisation_id, User.name, User.id)
    )
    return page_of(session, query, page)


def get_user(*, session: Session, actor: User, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No user with this id."))
    access.require(session=session, user=actor, record=user, can=access.Can.MANAGE, missing=N_("No user with this id."))
    return user


def find_user(*, session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalise_email(email))).first()


def update_user(
    *,
    session: Session,
    actor: User,
    user: User,
    role: str | None = None,
    is_active: bool | None = None,
    name: str | None = None,
) -> User:
    """Change a user's role, name or whether they may log in. Deactivating ends their sessions and tokens."""
    access.require_user_manager(session=session, user=actor, organisation_id=user.organisation_id)
    before = trail.snapshot("user", user)
    if role is not None:
        _check_role(role, user.organisation_id)
        user.role = v.Role(role)
    if name is not None and name.strip():
        user.name = name.strip()
    if is_active is not None:
        if not is_active and user.id == actor.id:
            raise Invalid(N_("You cannot deactivate yourself."), field="is_active")
        user.is_active = is_active
        if not is_active:  # and reactivating brings none of them back
            _end_sessions(session, user)
            _revoke_tokens(session, user)
    session.add(user)
    trail.record(
        session=session,
        actor=actor,
        action="update",
        entity="user",
        entity_id=user.id,
        before=before,
        after=trail.snapshot("user", user),
    )
    return user


def reset_password(*, session: Session, actor: User | None, user: User) -> str:
    """A new temporary password, shown once; the user must change it at the next login. Every session ends and
    every API token is revoked: whoever knew the old password may have made them."""
    if actor is not None:
        access.require_user_manager(session=session, user=actor, organisation_id=user.organisation_id)
    password = temporary_password()
    user.password_hash = password_hash.hash(password)
    user.must_change_password = True
    _end_sessions(session, user)
    _revoke_tokens(session, user)
    session.add(user)
    trail.record(session=session, actor=actor, action="reset_password", entity="user", entity_id=user.id)
    return password


def change_password(
    *,
    session: Session,
    user: User,
    current: str,
    new: str,
    session_token: str | None = None,
    revoke_tokens: bool = False,
) -> None:
    """Set a new password. Every other session ends (the one with `session_token` goes on); API tokens are revoked
    when the user asks (they may have been made by whoever knew the old password)."""
    if not password_hash.verify(current, user.password_hash):
        raise Invalid(N_("The current password is not right."), field="current_password")
    if new == current:
        raise Invalid(N_("Choose a new password, not the current one."), field="new_password")
    check_password_rules(new)
    user.password_hash = password_hash.hash(new)
    user.must_change_password = False
    _end_sessions(session, user, keep=session_token)
    if revoke_tokens:
        _revoke_tokens(session, user)
    session.add(user)
    trail.record(
        session=session,
        actor=user,
        action="change_password",
        entity="user",
        entity_id=user.id,
        after={"tokens_revoked": revoke_tokens},
    )


def _end_sessions(session: Session, user: User, keep: str | None = None) -> None:
    """Log the user out everywhere, except the session whose cookie value is `keep`."""
    query = delete(AuthSession).where(AuthSession.user_id == user.id)
    if keep:
        query = query.where(AuthSession.token_hash != hash_token(keep))
    session.execute(query)


def _revoke_tokens(session: Session, user: User) -> None:
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )


# Login and sessions


@dataclass(frozen=True)
class Login:
    user: User
    token: str  # the cookie value; only its hash is stored


def log_in(
    *, session: Session, email: str, password: str, address: str, lifetime: timedelta, now: datetime | None = None
) -> Login:
    """Check the password and open a session. The same message for an unknown e-mail and a wrong password.

    Failures are throttled per account and address pair (the OWASP Authentication Cheat Sheet's growing lockout),
    so an attacker elsewhere cannot lock the owner out:
    - after FREE_FAILURES failures in a row, the pair waits FIRST_WAIT from its last failure, then twice as long
      after each further failure, up to MAX_WAIT; a successful login, or FAILURES_KEPT without a failure, clears it;
    - an address with MAX_FAILURES_PER_ADDRESS failures in ADDRESS_WINDOW (any accounts) may not try again the
      accounts it has failed on until it is back under that ceiling; an account it has not failed on is checked as
      usual, so people behind the same NAT or proxy still log in.
    A throttled attempt is refused before the password is hashed; an unknown e-mail is throttled the same way, so a
    refusal does not tell whether an account exists."""
    now = now or utcnow()
    email = normalise_email(email)
    wait = _login_wait(session=session, email=email, address=address, now=now)
    if wait is not None:
        minutes = math.ceil(wait.total_seconds() / 60)
        if minutes == 1:
            raise TooManyAttempts(N_("Too many failed attempts. Wait a minute and try again."))
        raise TooManyAttempts(N_("Too many failed attempts. Wait {minutes} minutes and try again."), minutes=minutes)
    user = find_user(session=session, email=email)
    valid, updated_hash = password_hash.verify_and_update(password, user.password_hash if user else _DUMMY_HASH)
    if not (user and valid and user.is_active):
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - FAILURES_KEPT))
        session.add(LoginFailure(email=email, address=address, at=now))  # kept: the caller commits the refusal's record
        raise Unauthenticated(N_("Wrong e-mail or password."))
    if updated_hash:  # hashed with older parameters: store it with today's
        user.password_hash = updated_hash
    session.execute(delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.address == address))
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id, AuthSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(AuthSession(token_hash=hash_token(token), user_id=user.id, created_at=now, expires_at=now + lifetime))
    user.last_login_at = now
    session.add(user)
    return Login(user, token)


def _login_wait(*, session: Session, email: str, address: str, now: datetime) -> timedelta | None:
    """How long this account and address pair must wait before its next try (log_in's rules); None: no wait."""
    pair = (LoginFailure.email == email, LoginFailure.address == address, LoginFailure.at > now - FAILURES_KEPT)
    failures, last = session.exec(select(func.count(), func.max(LoginFailure.at)).where(*pair)).one()
    if not failures:
        return None
    until = []
    if failures >= FREE_FAILURES:
        doublings = min(failures - FREE_FAILURES, 16)  # MAX_WAIT caps it long before; this keeps timedelta finite
        until.append(last + min(FIRST_WAIT * 2**doublings, MAX_WAIT))
    # The address is back under its ceiling once its MAX_FAILURES_PER_ADDRESS-th newest failure leaves the window.
    ceiling = session.exec(
        select(LoginFailure.at)
        .where(LoginFailure.address == address, LoginFailure.at > now - ADDRESS_WINDOW)
        .order_by(LoginFailure.at.desc())
        .offset(MAX_FAILURES_PER_ADDRESS - 1)
        .limit(1)
    ).first()
    if ceiling is not None:
        until.append(ceiling + ADDRESS_WINDOW)
    wait = max(until, default=now) - now
    return wait if wait > timedelta(0) else None


def user_for_session(*, session: Session, token: str, lifetime: timedelta, now: datetime | None = None) -> User:
    """The user of a live session; each use extends it (idle timeout), a deactivated user has none."""
    now = now or utcnow()
    auth = session.exec(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).first()
    if auth is None or auth.expires_at <= now:
        raise Unauthenticated(N_("Your session has expired. Please log in again."))
    user = session.get(User, auth.user_id)
    if user is None or not user.is_active:
        raise Unauthenticated(N_("Your session has expired. Please log in again."))
    if auth.expires_at - now < lifetime / 2:  # extend, but write at most a few times per lifetime
        bookkeeping(session, update(AuthSession).where(AuthSession.id == auth.id).values(expires_at=now + lifetime))
    return user


def log_out(*, session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))


# API tokens


def create_token(*, session: Session, user: User, name: str = "API") -> tuple[ApiToken, str]:
    """A new personal API token; the token itself is returned once and stored only as a hash."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip()[:100] or "API", prefix=token[:12], token_hash=hash_token(token))
    session.add(row)
    session.flush()
    trail.record(
        session=session,
        actor=user,
        action="create_token",
        entity="user",
        entity_id=user.id,
        after={"token": row.prefix},
    )
    return row, token


def user_for_token(*, session: Session, token: str) -> User:
    found = session.execute(_TOKEN_AND_OWNER, {"token_hash": hash_token(token)}).first()
    if found is None:
        raise Unauthenticated(N_("This API token is not valid."))
    token_id, revoked_at, last_used_at, user = found
    if revoked_at is not None or not user.is_active:
        raise Unauthenticated(N_("This API token is not valid."))
    now = utcnow()
    if last_used_at is None or now - last_used_at > timedelta(minutes=1):
        bookkeeping(session, update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
    return user


# Read on every API request: one query, built once (building a statement costs more than SQLite running it); the
# token's own columns as plain values (an ORM object of the token would cost more than the query).
_TOKEN_AND_OWNER = (
    select(ApiToken.id, ApiToken.revoked_at, ApiToken.last_used_at, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def list_tokens(*, session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(*, session: Session, actor: User | None, token_id: int) -> ApiToken:
    """Revoke one of your own tokens (an admin may revoke anyone's they manage; actor None: the operator's CLI)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(N_("No token with this id."))
    if actor is not None and row.user_id != actor.id:
        owner = session.get_one(User, row.user_id)
        access.require_user_manager(session=session, user=actor, organisation_id=owner.organisation_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        trail.record(
            session=session,
            actor=actor,
            action="revoke_token",
            entity="user",
            entity_id=row.user_id,
            after={"token": row.prefix},
        )
    return row


def has_users(*, session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None
