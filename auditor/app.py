"""The application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from auditor import __version__
from auditor.checklists import Library
from auditor.config import Settings
from auditor.db import reading, schema_problem
from auditor.logs import configure_logging
from auditor.metrics import learn_route_templates, watch_pool, worker_exiting
from auditor.middleware import RequestMiddleware
from auditor.paths import STATIC_DIR
from auditor.rendering import ReportRenderer
from auditor.routes import errors, operations
from auditor.routes.api import PREFIX as API_PREFIX, responses, router as api_router
from auditor.routes.web import router as web_router
from auditor.services import library as published, reminders

log = logging.getLogger("auditor")


def settle_memory() -> None:
    """After start-up, move everything alive (library, parsed checklists, templates) out of the garbage
    collector's view, so full collections during requests stop re-scanning it (p95 of a 1,020-item page
    went from ~220 ms to ~100 ms in bench/). Call once per server process, never per app in tests."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start-up: refuse to serve on a database whose schema does not fit this code (every page would fail), size the
    thread pool, publish this machine's checklist files. Shutdown: end the report processes, close the database
    connections this app opened."""
    problem = await to_thread.run_sync(schema_problem, app.state.engine)
    if problem:
        log.error(
            "auditor cannot start: %s. Run `auditor db upgrade` first (or start with `auditor serve --upgrade`)",
            problem,
        )
        raise RuntimeError(problem)
    # Every handler and dependency that does blocking work is a plain `def`, run in this thread pool; its size is
    # a setting, to be weighed against the database pool (README: "Many requests at once").
    to_thread.current_default_thread_limiter().total_tokens = app.state.settings.worker_threads
    if app.state.library is None:  # publish this machine's checklist files (services/library.py's rule)
        await to_thread.run_sync(
            lambda: published.publish_at_start(engine=app.state.engine, paths=app.state.settings.checklist_paths())
        )
    await to_thread.run_sync(app.state.reports.start)  # report processes (rendering.py), not waited for
    stop_reminders = (
        reminders.start_in_server(engine=app.state.engine, settings=app.state.settings)
        if app.state.settings.reminders_in_server
        else None
    )
    try:
        yield
    finally:
        if stop_reminders is not None:
            await to_thread.run_sync(stop_reminders)
        await to_thread.run_sync(app.state.reports.shutdown)  # the report processes (rendering.py)
    if app.state.owns_engine:
        await to_thread.run_sync(app.state.engine.dispose)
    worker_exiting()


def create_server_app() -> FastAPI:
    """The app of one server process (each worker of `auditor serve`, or `uvicorn --factory auditor.app:create_server_app`):
    settings from the environment, logging set up, memory settled once start-up is done."""
    settings = Settings()
    configure_logging(settings)
    app = create_app(settings)
    settle_memory()
    return app


def create_app(settings: Settings | None = None, *, engine=None, library: Library | None = None) -> FastAPI:
    """The app. It serves the checklist library published in the database (and publishes its own files when it
    starts); tests may pass a fixed `library` instead."""
    settings = settings or Settings()
    app = FastAPI(
        title="auditor",
        version=__version__,
        summary="Audit the psychosocial work environment against ISO 45003 and Arbejdstilsynet's audit guides.",
        docs_url=None,  # /docs is served from our own files (routes/operations.py)
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.owns_engine = engine is None
    app.state.engine = engine or settings.make_engine()
    app.state.read_engine = reading(app.state.engine)
    watch_pool(app.state.engine)
    app.state.library = library  # None: the published library, read per request (deps.get_library)
    app.state.reports = ReportRenderer(settings)  # Word files, rendered in processes of their own

    app.add_middleware(
        RequestMiddleware,
        settings=settings,
        on_error=errors.handle_unexpected_error,
        on_refusal=errors.handle_domain_error,
        on_busy=errors.busy_response,
    )
    # Tablets on a site visit often have a weak connection; card-heavy pages compress about tenfold.
    app.add_middleware(GZipMiddleware, minimum_size=2048, compresslevel=5)

    # Starlette types a handler as taking any Exception; each of these takes the class it is registered for.
    app.add_exception_handler(errors.DomainError, errors.handle_domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, errors.handle_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, errors.handle_http_error)  # type: ignore[arg-type]
    app.add_exception_handler(PoolTimeout, errors.handle_database_busy)
    app.add_exception_handler(OperationalError, errors.handle_database_busy)
    app.add_exception_handler(Exception, errors.handle_unexpected_error)

    # Matched in this order, one after the other (none of their paths overlap): the answers' saves, which tablets call
    # most, then the rest of the API.
    responses.declare_saves(app, API_PREFIX)
    app.include_router(api_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(operations.router)
    app.include_router(web_router)
    learn_route_templates(operations.router, api_router, web_router)
    return app
