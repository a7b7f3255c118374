"""Your calendar: the month in the app, and the feed a calendar program subscribes to (made on the account page)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from auditor.deps import CurrentUser, PageDep, SessionDep
from auditor.errors import NotFound
from auditor.i18n import N_, get_locale
from auditor.services import calendar
from auditor.services.calendar import TIME_ZONE
from auditor.templating import render

router = APIRouter()
ICALENDAR = "text/calendar; charset=utf-8"


@router.get("/calendar")
def show_calendar(request: Request, session: SessionDep, user: CurrentUser, month: str | None = None):
    """A month of your audits, their opening and closing meetings and your actions' due dates."""
    today = datetime.now(TIME_ZONE).date()
    first = calendar.parse_month(month, today=today)
    shown = calendar.month(session=session, user=user, first=first, today=today, language=get_locale())
    return render(request, "calendar/month.html", {"month": shown})


@router.get("/calendar/{day}")
def show_calendar_day(request: Request, session: SessionDep, user: CurrentUser, day: date, page: PageDep):
    """One day of your calendar, every entry a page at a time (the month shows the first few of each day)."""
    found = calendar.day_entries(session=session, user=user, day=day, page=page, language=get_locale())
    return render(request, "calendar/day.html", {"day": day, "entries": found, "month": day.strftime("%Y-%m")})


@router.get("/calendar/feeds/{token}.ics")
def read_feed(token: str, request: Request, session: SessionDep):
    """A personal calendar feed (iCalendar), read without a login by the calendar program that holds its address."""
    found = calendar.feed_owner(session=session, token=token)
    if found is None:
        raise NotFound(N_("This calendar feed does not exist or was revoked."))
    feed, user = found
    body = calendar.feed(
        session=session, user=user, language=feed.language, base_url=str(request.base_url), now=datetime.now(UTC)
    )
    return Response(
        body,
        media_type=ICALENDAR,
        headers={"Cache-Control": "private, no-cache", "Content-Disposition": 'inline; filename="auditor.ics"'},
    )
