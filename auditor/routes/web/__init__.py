"""The HTML pages: a thin door onto the same services the JSON API uses."""

from fastapi import APIRouter

from auditor.routes.web import audits, conduct, findings, language, organisations

router = APIRouter(include_in_schema=False)
for module in (audits, conduct, findings, organisations, language):
    router.include_router(module.router)
