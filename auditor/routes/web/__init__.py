"""The HTML pages: a thin door onto the same services the JSON API uses."""

from fastapi import APIRouter

from auditor.routes.web import (
    account,
    auditors,
    audits,
    auth,
    calendar,
    cases,
    conduct,
    field,
    findings,
    history,
    language,
    organisations,
    programmes,
    reminders,
    reports,
    reviews,
    users,
)

router = APIRouter(include_in_schema=False)
for module in (
    auth,
    account,
    users,
    auditors,
    audits,
    conduct,
    findings,
    history,
    cases,
    organisations,
    language,
    reviews,
    reports,
    field,
    calendar,
    reminders,
    programmes,
):
    router.include_router(module.router)
