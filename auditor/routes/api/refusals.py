"""The refusals an API operation can answer, as /openapi.json documents them: the status, when it is answered and the
body (schemas.ErrorOut, which routes/errors.py builds every error body from). Routers and routes use these shared
dicts; none writes its own. tests/test_api_fuzz.py checks that every answer is one the document lists."""

from __future__ import annotations

from typing import Any

from auditor.schemas import ErrorOut

WHEN = {
    401: "Not signed in: no valid session or API token (`unauthenticated`).",
    403: "Signed in, but your role may not do this (`forbidden`); with the session cookie also a change sent without "
    "its CSRF token (`csrf_failed`) or a temporary password still to be changed (`password_change_required`).",
    404: "Nothing with this id that you may see (`not_found`): a record that does not exist, or that your role and "
    "organisation do not show you, answer alike.",
    409: "The change does not fit the record's current state (`conflict`), e.g. a step of the chain out of order; "
    "the audit is closed (`audit_closed`); a `client_id` already used for something else (`client_id_taken`).",
    413: "The body is larger than this operation accepts (`too_large`); nothing was stored.",
    422: "Input this operation cannot take (`invalid`): a field's type, length, value or date rule, a control "
    "character in a text or query parameter; `errors` names each field.",
    503: "The server is at capacity right now (`busy`); nothing was changed. Send it again after `Retry-After` seconds.",
}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a router or route that can answer these statuses."""
    return {status: {"model": ErrorOut, "description": WHEN[status]} for status in statuses}


# Any operation under /api/v1 (routes/api/__init__.py): the login, the role, a query parameter, the server's capacity.
EVERY_OPERATION = refusals(401, 403, 422, 503)
# An operation on a record named in its path (or body) that may not exist or be hidden from you.
NAMED = refusals(404)
# A change: it may not fit the record's state, and its body has a size limit.
CHANGE = refusals(409, 413)
# A change to a record named in its path.
CHANGE_NAMED = refusals(404, 409, 413)
# A batch of changes (a tablet's queued answers): each change's refusal (409, 404, 422) is in its own result; the
# request as a whole refuses only what every operation may, a body too large, and a batch it cannot take (422).
BATCH = refusals(413)
