"""The e-mail reminders' delivery log, for installation admins (choosing one's own reminders is on the account page)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from auditor.deps import CurrentUser, PageDep, SessionDep
from auditor.services import access, reminders
from auditor.templating import render

router = APIRouter()


@router.get("/reminders")
def list_reminders(request: Request, session: SessionDep, user: CurrentUser, page: PageDep):
    """The reminders, failed ones first, then the newest, with the error and the number of attempts; a page at a
    time."""
    access.require_reminder_reader(user)
    return render(
        request,
        "reminders/list.html",
        {
            "reminders": reminders.recent(session=session, page=page),
            "failed": reminders.failed_count(session=session),
            "max_attempts": reminders.MAX_ATTEMPTS,
        },
    )
