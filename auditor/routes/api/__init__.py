"""The JSON API under /api/v1: a thin door onto the same services the HTML pages use."""

from fastapi import APIRouter

from auditor.routes.api import (
    audits,
    cases,
    checklists,
    findings,
    history,
    offline,
    organisations,
    photos,
    programmes,
    reports,
    responses,
    reviews,
    session,
)
from auditor.routes.api.refusals import EVERY_OPERATION

router = APIRouter()
# Routers are matched in this order, one after the other: the answers' routes, which tablets call most, come first.
for module in (
    responses,
    checklists,
    organisations,
    audits,
    photos,
    findings,
    reports,
    history,
    cases,
    reviews,
    programmes,
    offline,
    session,
):
    router.include_router(module.router, prefix="/api/v1", responses=EVERY_OPERATION)
