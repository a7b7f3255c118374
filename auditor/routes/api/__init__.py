"""The JSON API under /api/v1: a thin door onto the same services the HTML pages use."""

from fastapi import APIRouter

from auditor import __version__
from auditor.routes.api import audits, cases, photos, checklists, findings, history, organisations, reports, responses, reviews
from auditor.schemas import HealthOut

router = APIRouter()


@router.get("/healthz", tags=["health"])
def health_check() -> HealthOut:
    """Liveness check for load balancers and the Docker health check."""
    return HealthOut(status="ok", version=__version__)


for module in (checklists, organisations, audits, responses, photos, findings, reports, history, cases, reviews):
    router.include_router(module.router, prefix="/api/v1")
