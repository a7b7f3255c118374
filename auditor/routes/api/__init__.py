"""The JSON API under /api/v1: a thin door onto the same services the HTML pages use."""

from fastapi import APIRouter

from auditor.routes.api import (
    audit_time,
    auditors,
    audits,
    cases,
    checklists,
    declarations,
    findings,
    history,
    offline,
    organisations,
    photos,
    programmes,
    reports,
    responses,
    reviews,
    sampling,
    session,
)
from auditor.routes.api.refusals import EVERY_OPERATION

PREFIX = "/api/v1"
router = APIRouter()
# Routers are matched in this order, one after the other, after the answers' saves (responses.declare_saves), which
# tablets call most: the answers' other routes come first.
for module in (
    responses,
    checklists,
    organisations,
    audits,
    audit_time,
    sampling,
    photos,
    findings,
    reports,
    history,
    cases,
    reviews,
    programmes,
    auditors,
    declarations,
    offline,
    session,
):
    router.include_router(module.router, prefix=PREFIX, responses=EVERY_OPERATION)
