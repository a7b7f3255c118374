"""The JSON API under /api/v1: a thin door onto the same services the HTML pages use."""

from fastapi import APIRouter

from auditor.routes.api import audits, cases, photos, checklists, findings, history, organisations, reports, responses, reviews

router = APIRouter()
for module in (checklists, organisations, audits, responses, photos, findings, reports, history, cases, reviews):
    router.include_router(module.router, prefix="/api/v1")
