"""Choosing the interface language."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from auditor.i18n import LANGUAGE_COOKIE, LOCALES

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


@router.get("/language/{locale}")
def choose_language(locale: str, next: str = "/"):
    """Remember the chosen language in a cookie and go back to the page the user was on."""
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    response = RedirectResponse(target, status_code=303)
    if locale in LOCALES:
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=ONE_YEAR, samesite="lax", httponly=True)
    return response
