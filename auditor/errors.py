"""Domain errors raised by services; the routes turn them into 404 / 409 / 422 for people and API clients."""

from __future__ import annotations

from typing import Any

from auditor.models import detached_copy


class DomainError(Exception):
    """Base class; `message` is an English msgid, translated where it is shown."""

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params


class NotFound(DomainError):
    pass


class Invalid(DomainError):
    """Input that breaks a domain rule; `field` names the field when there is one."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any):
        super().__init__(message, **params)
        self.field = field


class StaleVersion(DomainError):
    """A save based on an older version than the stored one."""

    def __init__(self, current: Any, submitted: Any):
        super().__init__("Someone else changed this answer after you loaded it.")
        # A copy: the error is answered after the request's transaction has rolled back, which expires the row.
        self.current = None if current is None else detached_copy(current)
        self.submitted = submitted


class Conflict(DomainError):
    """The request does not fit the resource's current state (e.g. changing a closed audit)."""


class Unauthenticated(DomainError):
    """No valid login or token: 401 for the API, the login page for people."""


class Forbidden(DomainError):
    """Logged in and allowed to see the resource, but not to do this with it."""


class PasswordChangeRequired(DomainError):
    """A temporary password must be replaced before anything else."""


class Busy(DomainError):
    """The server is at capacity for this kind of work right now (all database connections or report slots taken):
    503 with Retry-After, so a tablet retries instead of treating it as a failure."""

    retry_after_s = 5
