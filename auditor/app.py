"""The application factory."""

from __future__ import annotations

import gc
import logging
import threading
import time
from contextlib import asynccontextmanager

from anyio import to_thread

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from auditor import __version__
from auditor.checklists import Library
from auditor.config import Settings
from auditor.db import reading
from auditor.i18n import LANGUAGE_COOKIE, negotiate_locale, set_locale
from auditor.paths import STATIC_DIR
from auditor.security import finish_response
from auditor.routes import errors
from auditor.routes.api import router as api_router
from auditor.routes.web import router as web_router
from auditor.services import library as published

log = logging.getLogger("auditor")


def settle_memory() -> None:
    """After start-up, move everything alive (library, parsed checklists, templates) out of the garbage
    collector's view, so full collections during requests stop re-scanning it (p95 of a 1,020-item page
    went from ~220 ms to ~100 ms in bench/). Call once per server process, never per app in tests."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI):
    # Every handler and dependency that does blocking work is a plain `def`, run in this thread pool; its size is
    # a setting, to be weighed against the database pool (README: "Many requests at once").
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.worker_threads
    if app.state.library is None:  # publish this machine's checklist files (services/library.py's rule)
        await to_thread.run_sync(lambda: published.publish_at_start(engine=app.state.engine, paths=app.state.settings.checklist_paths()))
    yield


def create_app(settings: Settings | None = None, *, engine=None, library: Library | None = None) -> FastAPI:
    """The app. It serves the checklist library published in the database (and publishes its own files when it
    starts); tests may pass a fixed `library` instead."""
    settings = settings or Settings()
    app = FastAPI(
        lifespan=lifespan,
        title="auditor",
        version=__version__,
        summary="Audit the psychosocial work environment against ISO 45003 and Arbejdstilsynet's audit guides.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or settings.make_engine()
    app.state.read_engine = reading(app.state.engine)
    app.state.report_slots = threading.BoundedSemaphore(settings.report_concurrency)
    app.state.library = library  # None: the published library, read per request (deps.get_library)

    @app.middleware("http")
    async def security(request: Request, call_next):
        """Security headers on every response; the CSRF cookie where a page made one."""
        response = await call_next(request)
        finish_response(request, response)
        return response

    @app.middleware("http")
    async def server_timing(request: Request, call_next):
        """Report the time spent in the app (Server-Timing), for browser dev tools and bench/."""
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    @app.middleware("http")
    async def choose_language(request: Request, call_next):
        """The locale for this request: the user's remembered choice, else the browser's languages."""
        locale = negotiate_locale(
            cookie=request.cookies.get(LANGUAGE_COOKIE),
            accept_language=request.headers.get("accept-language"),
            default=settings.default_language,
        )
        request.state.locale = locale
        set_locale(locale)
        return await call_next(request)

    # Tablets on a site visit often have a weak connection; card-heavy pages compress about tenfold.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)

    app.add_exception_handler(errors.DomainError, errors.handle_domain_error)
    app.add_exception_handler(RequestValidationError, errors.handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, errors.handle_http_error)
    app.add_exception_handler(PoolTimeout, errors.handle_database_busy)
    app.add_exception_handler(OperationalError, errors.handle_database_busy)
    app.add_exception_handler(Exception, errors.handle_unexpected_error)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api_router)
    app.include_router(web_router)
    return app
