"""Domain errors raised by services; the routes turn them into 404 / 409 / 422 for people and API clients.

Each kind has a machine-readable `code`, sent with the message in every JSON error body (`{"code": ..., "detail": ...}`),
so a client tells apart refusals that share a status: a stale answer (`version_conflict`) from a closed audit
(`audit_closed`), a role that may not (`forbidden`) from an expired form (`csrf_failed`)."""

from __future__ import annotations

from typing import Any

from auditor.models import detached_copy


class DomainError(Exception):
    """Base class; `message` is an English msgid, translated where it is shown."""

    code = "error"

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    code = "not_found"


class Invalid(DomainError):
    """Input that breaks a domain rule; `field` names the field when there is one."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **params: Any):
        super().__init__(message, **params)
        self.field = field


class StaleVersion(DomainError):
    """A save based on an older version than the stored one: `current` is the stored answer (a blank one, version 0,
    when there is none), `updated_by` the name of who saved it, `submitted` what was sent."""

    code = "version_conflict"

    def __init__(self, current: Any, submitted: Any, updated_by: str | None = None):
        super().__init__("Someone else changed this answer after you loaded it.")
        # A copy: the error is answered after the request's transaction has rolled back, which expires the row.
        self.current = None if current is None else detached_copy(current)
        self.submitted = submitted
        self.updated_by = updated_by


class Conflict(DomainError):
    """The request does not fit the resource's current state (e.g. an audit status that cannot follow this one)."""

    code = "conflict"


class AuditClosed(Conflict):
    """A change to an audit that is closed: a tablet keeps the change for export rather than sending it again."""

    code = "audit_closed"


class ClientIdTaken(Conflict):
    """A client-made id that another user, or another audit, already used for something it created."""

    code = "client_id_taken"


class Unauthenticated(DomainError):
    """No valid login or token: 401 for the API, the login page for people."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Logged in and allowed to see the resource, but not to do this with it."""

    code = "forbidden"


class CsrfFailed(Forbidden):
    """A change made with the session cookie without the page's CSRF token: fetch a fresh one and send it again."""

    code = "csrf_failed"


class PasswordChangeRequired(DomainError):
    """A temporary password must be replaced before anything else."""

    code = "password_change_required"


class Busy(DomainError):
    """The server is at capacity for this kind of work right now (all database connections or report slots taken):
    503 with Retry-After, so a tablet retries instead of treating it as a failure."""

    code = "busy"
    retry_after_s = 5


# The codes of refusals the web stack makes itself rather than a service (routes/errors.py).
METHOD_NOT_ALLOWED = "method_not_allowed"
TOO_LARGE = "too_large"
SERVER_ERROR = "server_error"


def error_codes() -> list[str]:
    """Every `code` a JSON error body may carry: each kind of DomainError's and the web stack's own (/openapi.json
    lists them as an enum)."""
    kinds, codes = [DomainError], []
    while kinds:
        kind = kinds.pop(0)
        codes.append(kind.code)
        kinds.extend(kind.__subclasses__())
    return list(dict.fromkeys([*codes, METHOD_NOT_ALLOWED, TOO_LARGE, SERVER_ERROR]))
