"""What happens around every request, in one pure ASGI layer (each BaseHTTPMiddleware layer costs a task and a
body copy per request, and hid the body size from GZip): the request id, the locale, the query's text rule,
admission, the security headers and the CSRF cookie, Server-Timing, the access log line and the request metrics."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditor.config import Settings
from auditor.errors import DomainError, Invalid
from auditor.i18n import LANGUAGE_COOKIE, negotiate_locale, set_locale
from auditor.logs import start_request
from auditor.metrics import record_request, route_template
from auditor.reports.engine import MAX_TEMPLATE_BYTES
from auditor.security import finish_response
from auditor.services.body_logo import MAX_BYTES as MAX_LOGO_BYTES
from auditor.services.cases import MAX_ATTACHMENT_BYTES
from auditor.text import CONTROL_CHARACTER, storable

access_log = logging.getLogger("auditor.access")

# Requests that need no database connection and no thread for long: never queued.
UNQUEUED = re.compile(r"^/(healthz|readyz|metrics|static/|favicon\.ico$)")
# Requests that write a Word file or check a template: each keeps a core busy for a while and holds the document in
# memory, so they take turns in a queue of their own (as many at once as AUDITOR_REPORT_PROCESSES, at most
# AUDITOR_REPORT_QUEUE waiting), without holding up the others.
HEAVY = re.compile(r"\.docx$|^(/api/v1)?/report-templates$")
REPORT_WAIT_S = 60
# The largest request body: forms and JSON (the longest texts are 20,000 characters, a few to a form); uploads have
# their own, a little above the size of the file they accept. Over the limit: 413 (routes/errors.py).
MAX_BODY_BYTES = 1024 * 1024
UPLOAD_MARGIN_BYTES = 1024 * 1024  # the multipart envelope and the form's other fields


def body_limit(settings: Settings, path: str) -> int:
    """The most bytes a request to `path` may send."""
    if path.endswith("/photos"):
        return int(settings.photo_max_mb * 1024 * 1024) + UPLOAD_MARGIN_BYTES
    if path.endswith(("/attachments", "/step/attach")):
        return MAX_ATTACHMENT_BYTES + UPLOAD_MARGIN_BYTES
    if path.endswith("/report-templates"):
        return MAX_TEMPLATE_BYTES + UPLOAD_MARGIN_BYTES
    if path == "/report-templates/logo":
        return MAX_LOGO_BYTES + UPLOAD_MARGIN_BYTES
    return MAX_BODY_BYTES


class BodyTooLarge(HTTPException):
    """A request body over its route's limit: the app's HTTP error handler answers 413 (routes/errors.py)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit


def limit_body(scope: Scope, receive: Receive, limit: int) -> Receive:
    """`receive`, raising BodyTooLarge where the body is read once it (or its declared length) passes `limit`."""
    declared = Headers(scope=scope).get("content-length", "")
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        if declared.isdigit() and int(declared) > limit:
            raise BodyTooLarge(limit)
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return receive_within_limit


class Turns:
    """Requests taking turns: `at_once` at work, the others waiting up to `wait_s` seconds, at most `max_waiting` of
    them (None: no limit). Waiting is on the event loop, where it costs nothing."""

    def __init__(self, at_once: int, wait_s: float, max_waiting: int | None = None) -> None:
        self.slots = asyncio.Semaphore(at_once)
        self.wait_s = wait_s
        self.max_waiting = max_waiting
        self.waiting = 0

    async def take(self) -> bool:
        """Wait for a turn; False if the queue is full or the wait too long (the request is answered 503)."""
        if not self.slots.locked():  # a free slot: taken at once, without wait_for's task and timer
            await self.slots.acquire()
            return True
        if self.max_waiting is not None and self.waiting >= self.max_waiting:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self.slots.acquire(), self.wait_s)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def release(self) -> None:
        self.slots.release()


class Admission:
    """How many requests of this process are at work at once. Each admitted request holds at most one database
    connection and one of FastAPI's threads at a time, so with no more admitted than there are connections (and
    fewer than threads) none of them can wait for a connection or a thread that only a waiting request could free:
    the queue is here, on the event loop, where waiting costs nothing. A request that waits too long gets 503, and so
    does a Word file that finds AUDITOR_REPORT_QUEUE others waiting, rather than piling up."""

    def __init__(self, settings: Settings) -> None:
        connections = settings.db_pool_size + settings.db_max_overflow
        reports = max(1, settings.report_processes)
        self.reports = Turns(reports, REPORT_WAIT_S, settings.report_queue)
        self.others = Turns(
            max(1, min(connections - reports, settings.worker_threads - reports)), settings.db_pool_timeout
        )

    def queue(self, method: str, path: str) -> Turns | None:
        if UNQUEUED.match(path):
            return None
        # A Word file is downloaded (GET) and a template checked when it is uploaded (POST); the templates' list is not.
        if HEAVY.search(path) and (method == "GET") == path.endswith(".docx"):
            return self.reports
        return self.others


def storable_query(request: Request) -> bool:
    """Every request's query parameters obey the text rule of the bodies (auditor/text.py): a NUL or another control
    character is a 422, never a 500 from a database that cannot compare it. Checked here rather than by a dependency of
    every route, which cost a save 2 % of its instructions (bench/count_save.py)."""
    return all(storable(value) for _, value in request.query_params.multi_items())


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        on_error: Callable[[Request, Exception], Response],
        on_refusal: Callable[[Request, DomainError], Response],
        on_busy: Callable[[Request], Response],
    ) -> None:
        self.app = app
        self.on_error = on_error
        self.on_refusal = on_refusal
        self.on_busy = on_busy
        self.admission = Admission(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        # The app's settings, as the routes read them (deps.get_settings): the admission was sized by those given here.
        settings: Settings = scope["app"].state.settings
        request_id = start_request(request.headers.get("x-request-id"))
        # The user's remembered choice, else the browser's languages.
        locale = negotiate_locale(
            cookie=request.cookies.get(LANGUAGE_COOKIE),
            accept_language=request.headers.get("accept-language"),
            default=settings.default_language,
        )
        request.state.locale = locale
        set_locale(locale)
        status, response_started = 500, False

        async def send_finished(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-ID", request_id)  # appended: no response sets these two
                headers.append("Server-Timing", f"app;dur={(time.perf_counter() - started) * 1000:.1f}")
                finish_response(request, headers)
            await send(message)

        queue = self.admission.queue(request.method, scope["path"])
        try:
            try:
                if scope["query_string"] and not storable_query(request):
                    refusal = await run_in_threadpool(self.on_refusal, request, Invalid(CONTROL_CHARACTER))
                    await refusal(scope, receive, send_finished)
                    return
                if queue is not None and not await queue.take():
                    response = await run_in_threadpool(self.on_busy, request)
                    await response(scope, receive, send_finished)
                    return
                try:
                    await self.app(
                        scope, limit_body(scope, receive, body_limit(settings, scope["path"])), send_finished
                    )
                finally:
                    if queue is not None:
                        queue.release()
            except Exception as error:
                if response_started:  # too late to answer otherwise
                    raise
                # Answered here rather than by Starlette's outermost handler, so the page carries the request id
                # and the security headers, and the traceback is logged once, with the request id.
                response = await run_in_threadpool(self.on_error, request, error)
                await response(scope, receive, send_finished)
        finally:
            duration = time.perf_counter() - started
            route = route_template(scope)
            record_request(method=request.method, route=route, status=status, seconds=duration)
            client = scope.get("client")
            access_log.info(
                "%s %s %s",
                request.method,
                scope["path"],
                status,
                extra={
                    "method": request.method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 1),
                    "client": client[0] if client else None,
                },
            )
