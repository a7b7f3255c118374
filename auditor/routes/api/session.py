"""The signed-in session, as a tablet's outbox asks for it after signing in again."""

from __future__ import annotations

from fastapi import APIRouter, Request

from auditor.deps import CurrentUser
from auditor.schemas import SessionOut
from auditor.security import csrf_token

router = APIRouter(tags=["field mode"])


@router.get("/session")
def show_session(request: Request, user: CurrentUser) -> SessionOut:
    """Who is signed in and a CSRF token for changes made with the session cookie (401 when signed out). The outbox
    asks for it after a new sign-in, so the changes it kept are sent with a valid token."""
    return SessionOut(user_id=user.id, name=user.name, csrf_token=csrf_token(request))
