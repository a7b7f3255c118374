"""The e-mail reminders' delivery log, for installation admins (choosing one's own reminders is on the account page)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from auditor import vocabulary as v
from auditor.deps import CurrentUser, SessionDep
from auditor.services import access, reminders
from auditor.templating import render

router = APIRouter()


@router.get("/reminders")
def list_reminders(request: Request, session: SessionDep, user: CurrentUser):
    """The newest reminders, failed ones first, with the error and the number of attempts."""
    access.require_reminder_reader(user)
    rows = reminders.recent(session=session)
    return render(
        request,
        "reminders/list.html",
        {
            "reminders": rows,
            "failed": sum(row.state == v.ReminderState.FAILED for row in rows),
            "max_attempts": reminders.MAX_ATTEMPTS,
        },
    )
