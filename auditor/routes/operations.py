"""For the people who run it: liveness, readiness and metrics (load balancers, Docker, Prometheus)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from auditor import __version__
from auditor.db import schema_problem
from auditor.deps import SessionDep
from auditor.metrics import CONTENT_TYPE, exposition
from auditor.paths import STATIC_DIR
from auditor.schemas import HealthOut
from auditor.services import library
from auditor.services.access import require_metrics_reader
from auditor.templating import render

router = APIRouter(tags=["operations"])

SWAGGER_UI_VERSION = "5.35.0"  # static/vendor/swagger-ui-*-5.35.0.*, from the npm package swagger-ui-dist (Apache-2.0)


@router.get("/docs", include_in_schema=False)
def show_api_docs(request: Request) -> Response:
    """The API's interactive documentation: Swagger UI from our own static files, under the site's own
    Content-Security-Policy (no inline script, nothing from another site)."""
    return render(
        request,
        "api/docs.html",
        {"title": request.app.title, "openapi_url": request.app.openapi_url, "swagger_ui_version": SWAGGER_UI_VERSION},
    )


@router.get("/favicon.ico", include_in_schema=False)
def show_favicon() -> FileResponse:
    """The site's icon, where browsers ask for it whatever the page links (a 404 in every browser's log otherwise)."""
    return FileResponse(
        STATIC_DIR / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/healthz")
def health_check() -> HealthOut:
    """Alive: the process answers (no database); for restarting a hung process."""
    return HealthOut(status="ok", version=__version__)


@router.get("/readyz", responses={503: {"description": "not ready, with the reason"}})
def readiness_check(request: Request, session: SessionDep) -> JSONResponse:
    """Ready: the database answers, its schema is current and checklists are published; for sending traffic here."""
    try:
        problem = schema_problem(request.app.state.engine)
        if problem is None and not _checklists_ready(request, session):
            problem = "no checklist is published"
    except SQLAlchemyError as error:
        problem = f"the database does not answer ({type(getattr(error, 'orig', None) or error).__name__})"
    if problem:
        return JSONResponse({"status": "not ready", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ready", "version": __version__})


def _checklists_ready(request: Request, session) -> bool:
    fixed = request.app.state.library  # a test's fixed library, else the one published in the database
    return bool(fixed.checklists) if fixed is not None else library.published_library_ready(session=session)


@router.get("/metrics", include_in_schema=False)
def show_metrics(request: Request) -> Response:
    """Prometheus metrics, for the configured monitoring addresses only."""
    require_metrics_reader(
        address=request.client.host if request.client else None, allowed=request.app.state.settings.metrics_allow_ips
    )
    return Response(exposition(), media_type=CONTENT_TYPE)
