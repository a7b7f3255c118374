"""What happens around every request, in one pure ASGI layer (each BaseHTTPMiddleware layer costs a task and a
body copy per request, and hid the body size from GZip): the request id, the locale, the security headers and
the CSRF cookie, Server-Timing, the access log line and the request metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from auditor.config import Settings
from auditor.i18n import LANGUAGE_COOKIE, negotiate_locale, set_locale
from auditor.logs import start_request
from auditor.metrics import record_request, route_template
from auditor.security import finish_response

access_log = logging.getLogger("auditor.access")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, on_error: Callable[[Request, Exception], Response]) -> None:
        self.app = app
        self.settings = settings
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        request_id = start_request(request.headers.get("x-request-id"))
        # The user's remembered choice, else the browser's languages.
        locale = negotiate_locale(cookie=request.cookies.get(LANGUAGE_COOKIE), accept_language=request.headers.get("accept-language"),
                                  default=self.settings.default_language)
        request.state.locale = locale
        set_locale(locale)
        status, response_started = 500, False

        async def send_finished(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
                finish_response(request, headers)
            await send(message)

        try:
            try:
                await self.app(scope, receive, send_finished)
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
            access_log.info("%s %s %s", request.method, scope["path"], status, extra={
                "method": request.method, "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(duration * 1000, 1), "client": client[0] if client else None,
            })
