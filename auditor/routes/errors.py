"""Errors as people and API clients see them: a clear message, the right status, never a stack trace."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from markupsafe import escape
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from auditor.db import is_busy
from auditor.deps import is_htmx
from auditor.errors import (
    METHOD_NOT_ALLOWED,
    SERVER_ERROR,
    TOO_LARGE,
    Busy,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    PasswordChangeRequired,
    StaleVersion,
    Unauthenticated,
)
from auditor.i18n import N_, get_locale, gettext
from auditor.schemas import AnswerOut, ErrorOut, FieldErrorOut
from auditor.security import SESSION_COOKIE
from auditor.templating import render

log = logging.getLogger("auditor")

TOO_LARGE_MESSAGE = N_("What was sent is larger than this accepts ({size} at most). Nothing was saved.")
# What people read for the refusals FastAPI and Starlette make themselves (their own texts are English).
HTTP_MESSAGES = {
    404: N_("This page does not exist."),
    405: N_("This address does not take this kind of request."),
}
BUSY_MESSAGE = N_("The server is busy right now. Nothing was changed: try again in a moment.")

# The `code` of errors that FastAPI or Starlette raise themselves (an unknown path, a method the route lacks).
HTTP_CODES = {404: NotFound.code, 405: METHOD_NOT_ALLOWED, 413: TOO_LARGE}

STATUS = {
    NotFound: 404,
    Invalid: 422,
    StaleVersion: 409,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    PasswordChangeRequired: 403,
    Busy: 503,
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in {
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
    }


def error_body(code: str, detail: str, errors: list[dict] | None = None) -> dict:
    """The JSON body of a refusal, in the shape /openapi.json documents (schemas.ErrorOut); `errors` only when there
    are some."""
    body = ErrorOut(code=code, detail=detail, errors=[FieldErrorOut(**error) for error in errors or []])
    return body.model_dump(mode="json", exclude_defaults=True)


def message_of(error: DomainError) -> str:
    """The translated message, its parameters filled in (a message without parameters may show braces, e.g. a tag).
    A parameter that is a list holds msgids: each is translated, and they are joined with commas."""
    message = gettext(error.message)
    params = {
        key: ", ".join(gettext(item) for item in value) if isinstance(value, list | tuple) else value
        for key, value in error.params.items()
    }
    return message.format(**params) if params else message


def status_of(error: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)


def api_refusal(error: DomainError) -> dict:
    """The JSON body the API answers a domain error with (also each refused change of a batch of answers)."""
    message = message_of(error)
    fields = [{"field": error.field, "message": message}] if isinstance(error, Invalid) and error.field else []
    body = error_body(error.code, message, fields)
    if isinstance(error, StaleVersion):  # error.current is never None (responses._stale)
        current = AnswerOut.model_validate(error.current, from_attributes=True)
        body["current"] = current.model_copy(update={"updated_by": error.updated_by}).model_dump(mode="json")
        body["submitted"] = error.submitted.model_dump(mode="json", exclude_unset=True)  # the fields as sent
    return body


def handle_domain_error(request: Request, error: DomainError) -> Response:
    status = status_of(error)
    if not wants_json(request) and isinstance(error, Unauthenticated | PasswordChangeRequired):
        return _to_login(request, error)
    if wants_json(request):
        return JSONResponse(api_refusal(error), status_code=status, headers=_headers(error, status))
    response = error_page(request, status, message_of(error))
    response.headers.update(_headers(error, status) or {})
    return response


def _headers(error: DomainError, status: int) -> dict[str, str] | None:
    if status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, Busy):
        return {"Retry-After": str(error.retry_after_s)}
    return None


def busy_response(request: Request) -> Response:
    """The 503 for a request that waited too long for its turn (middleware.Admission)."""
    return handle_domain_error(request, Busy(BUSY_MESSAGE))


def handle_database_busy(request: Request, error: Exception) -> Response:
    """No database connection came free within the pool's timeout, or SQLite's write lock did not within its busy
    timeout: the request did nothing, so it can be sent again (503, Retry-After). Anything else is unexpected."""
    if not (isinstance(error, PoolTimeout) or is_busy(error)):
        return handle_unexpected_error(request, error)
    log.warning("database busy on %s %s: %s", request.method, request.url.path, type(error).__name__)
    return handle_domain_error(request, Busy(BUSY_MESSAGE))


def _to_login(request: Request, error: DomainError) -> Response:
    """People without a valid session go to the login page, and come back where they were afterwards."""
    if isinstance(error, PasswordChangeRequired):
        target = "/account?must_change=1"
    else:
        if request.method == "GET":
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:  # after logging in, go back to the page the form was on
            back = urlsplit(request.headers.get("HX-Current-URL") or request.headers.get("Referer") or "/").path or "/"
        target = f"/login?next={quote(back)}"
        if request.cookies.get(SESSION_COOKIE):
            target += "&expired=1"
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def describe_validation_errors(errors) -> list[dict]:
    """pydantic errors as {field, message} a person can act on."""
    described = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        message = error.get("msg", "invalid value").removeprefix("Value error, ")
        if error.get("type") == "extra_forbidden":
            message = "is not a field this endpoint accepts"
        elif error.get("type") in ("enum", "literal_error"):  # a vocabulary's enum: name the values it allows
            message = f"must be one of {error['ctx']['expected']}"
        described.append({"field": ".".join(loc), "message": message})
    return described


def handle_validation_error(request: Request, error: RequestValidationError) -> Response:
    if any(
        part.get("loc", ("",))[0] == "path" for part in error.errors()
    ):  # a path that names nothing, e.g. an id out of range (deps.PathId)
        return handle_http_error(request, HTTPException(404, "Not Found"))
    if wants_json(request):
        return JSONResponse(invalid_body(error.errors()), status_code=422)
    return error_page(request, 422, invalid_body(error.errors())["detail"])


def invalid_body(errors) -> dict:
    """The 422 body for pydantic's errors: each field's problem, and all of them in `detail`."""
    described = describe_validation_errors(errors)
    summary = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in described)
    return error_body(Invalid.code, summary, described)


def handle_http_error(request: Request, error: HTTPException) -> Response:
    if error.status_code == 413:  # middleware.BodyTooLarge
        limit = getattr(error, "limit", 0)
        error = HTTPException(
            413,
            gettext(TOO_LARGE_MESSAGE).format(
                size=f"{limit / (1024 * 1024):.0f} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
            ),
        )
    if wants_json(request):
        code = HTTP_CODES.get(error.status_code, "error")
        detail = gettext(HTTP_MESSAGES[405]) if error.status_code == 405 else str(error.detail)
        return JSONResponse(
            error_body(code, detail),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )
    message = gettext(HTTP_MESSAGES[error.status_code]) if error.status_code in HTTP_MESSAGES else str(error.detail)
    return error_page(request, error.status_code, message)


def handle_unexpected_error(request: Request, error: Exception) -> Response:
    # exc_info given: this runs in a worker thread, where the exception is not the one "being handled"
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    message = gettext(
        "Something went wrong on our side. Nothing you typed has been lost on this device; please try again."
    )
    if wants_json(request):
        return JSONResponse(error_body(SERVER_ERROR, message), status_code=500)
    try:
        return error_page(request, 500, message)
    except Exception:  # the page failed too (what broke may be what every page reads): the message alone, still ours
        log.exception("the error page failed on %s %s", request.method, request.url.path)
        return HTMLResponse(
            BARE_ERROR_PAGE.format(lang=escape(get_locale()), title=escape(gettext("Error")), message=escape(message)),
            status_code=500,
        )


BARE_ERROR_PAGE = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title} 500 · auditor</title></head>'
    '<body><main><h1>{title} 500</h1><p role="alert">{message}</p><p><a href="/">auditor</a></p></main></body></html>'
)


def error_page(request: Request, status: int, message: str) -> Response:
    template = "errors/_message.html" if is_htmx(request) else "errors/page.html"
    return render(request, template, {"status": status, "message": message}, status_code=status)
