"""Each person's calendar: the audits they take part in (an organisation's people: their organisation's audits),
those audits' opening and closing meetings, the due dates of the corrective actions they own, and the days the audit
programme's windows open and close for the audits still to hold (services/programmes.py: of the organisations whose
audits they take part in). Shown as a month in the app and served as an iCalendar feed that Outlook or Google
Calendar subscribes to.

The feed's address is a secret (a random token, stored as a hash, revocable), read by calendar programs without a
login, and kept by them on someone else's servers: it carries dates, audit titles and case references, never a
note, an action's description or anything confidential. Meetings are at their local time in Europe/Copenhagen.
"""

from __future__ import annotations

import calendar as month_grid
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_date
from icalendar import Calendar, Event
from sqlalchemy import or_
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import NotFound
from auditor.i18n import N_, REPORT_TIME_ZONE, translate
from auditor.models import Audit, AuditMember, CalendarFeed, Case, CaseAction, Organisation, PlanEntry, User
from auditor.services import access, programmes, trail
from auditor.services.accounts import hash_token
from auditor.services.cases import case_reference

TIME_ZONE = REPORT_TIME_ZONE
FEED_PAST = timedelta(days=92)  # how far back and ahead a feed reaches: a calendar program shows what it is given
FEED_AHEAD = timedelta(days=400)
MEETINGS = (v.PlanKind.OPENING_MEETING, v.PlanKind.CLOSING_MEETING)
MEETING_LENGTH = timedelta(hours=1)  # a meeting planned without an end time
FEED_PREFIX = "cal_"


@dataclass(frozen=True)
class Entry:
    """One thing in someone's calendar: whole days (`starts` and `ends` are dates, `ends` the day after) or a meeting
    (aware datetimes)."""

    uid: str  # the same in every feed and every fetch, so a calendar program updates the event instead of adding one
    kind: str  # audit, meeting, action, window
    title: str
    starts: date | datetime
    ends: date | datetime
    path: str  # the page in the app

    @property
    def day(self) -> date:
        return self.starts.astimezone(TIME_ZONE).date() if isinstance(self.starts, datetime) else self.starts

    @property
    def time(self) -> str:
        """The meeting's local start time ("09:00"); empty for whole days."""
        return self.starts.astimezone(TIME_ZONE).strftime("%H:%M") if isinstance(self.starts, datetime) else ""


def _their_audits(user: User):
    """The audits in the user's calendar: those they may see and take part in (on the team, or of their own
    organisation), not every audit an installation admin may open."""
    on_team = Audit.id.in_(select(AuditMember.audit_id).where(AuditMember.user_id == user.id))
    involved = on_team if user.organisation_id is None else or_(on_team, Audit.organisation_id == user.organisation_id)
    return select(Audit).where(access.where(user, Audit), involved)


def entries(*, session: Session, user: User, first: date, last: date, language: str) -> list[Entry]:
    """The user's calendar from `first` to `last` (both included), in time order, titles in `language`."""
    found: list[Entry] = []
    audit_label, action_label = translate(N_("Audit"), language), translate(N_("Corrective action due"), language)
    audits = {
        audit.id: audit
        for audit in session.exec(_their_audits(user).where(Audit.start_date <= last, Audit.end_date >= first))
    }
    for audit in audits.values():
        found.append(
            Entry(
                uid=f"audit-{audit.id}@auditor",
                kind="audit",
                title=f"{audit_label}: {audit.title}",
                starts=audit.start_date,
                ends=audit.end_date + timedelta(days=1),
                path=f"/audits/{audit.id}",
            )
        )
    meetings = session.exec(
        select(PlanEntry, Audit)
        .join(Audit, Audit.id == PlanEntry.audit_id)
        .where(
            PlanEntry.audit_id.in_(_their_audits(user).with_only_columns(Audit.id)),
            PlanEntry.kind.in_(MEETINGS),
            PlanEntry.day >= first,
            PlanEntry.day <= last,
        )
    )
    for entry, audit in meetings:
        starts = datetime.combine(entry.day, entry.start_time, tzinfo=TIME_ZONE)
        ends = datetime.combine(entry.day, entry.end_time, tzinfo=TIME_ZONE) if entry.end_time else None
        found.append(
            Entry(
                uid=f"plan-{entry.id}@auditor",
                kind="meeting",
                title=f"{translate(v.PLAN_KINDS[entry.kind].label, language)}: {audit.title}",
                starts=starts,
                ends=ends if ends and ends > starts else starts + MEETING_LENGTH,
                path=f"/audits/{audit.id}#plan",
            )
        )
    actions = session.exec(
        select(CaseAction, Case, Organisation)
        .join(Case, Case.id == CaseAction.case_id)
        .join(Organisation, Organisation.id == Case.organisation_id)
        .where(
            CaseAction.owner_id == user.id,
            CaseAction.status == v.ActionStatus.OPEN,
            CaseAction.due_date >= first,
            CaseAction.due_date <= last,
            access.where(user, Case),
        )
    )
    for action, case, organisation in actions:
        found.append(
            Entry(
                uid=f"action-{action.id}@auditor",
                kind="action",
                title=f"{action_label}: {case_reference(case, language)} · {organisation.name}",
                starts=action.due_date,
                ends=action.due_date + timedelta(days=1),
                path=f"/cases/{case.id}",
            )
        )
    found += _windows(session=session, user=user, first=first, last=last, language=language)
    return sorted(found, key=lambda entry: (entry.day, entry.time, entry.kind, entry.title))


WINDOW_OPENS, WINDOW_CLOSES = N_("Audit window opens"), N_("Audit window closes")


def _windows(*, session: Session, user: User, first: date, last: date, language: str) -> list[Entry]:
    """The days the programme's windows open and close, from `first` to `last`, for the audits not held yet, of the
    organisations whose audits the user takes part in (their own organisation's, for its people)."""
    theirs = _their_audits(user).with_only_columns(Audit.organisation_id)
    organisations = session.exec(
        select(Organisation)
        .where(Organisation.id.in_(theirs), access.where(user, Organisation))
        .order_by(Organisation.id)
    )
    today = datetime.now(TIME_ZONE).date()
    found = []
    for organisation in organisations:
        for entry in programmes.cycle(session=session, organisation=organisation, today=today, coverage=False).audits:
            window = entry.window
            if window.opens is None or window.closes is None:
                continue
            if entry.audit is not None and entry.audit.status != v.AuditStatus.PLANNED:
                continue  # held or under way: the window is done with
            kind = translate(v.AUDIT_TYPES[window.audit_type].label, language)
            for label, day, end in ((WINDOW_OPENS, window.opens, "opens"), (WINDOW_CLOSES, window.closes, "closes")):
                if first <= day <= last:
                    found.append(
                        Entry(
                            uid=f"window-{organisation.id}-{window.slot}-{window.closes:%Y%m%d}-{end}@auditor",
                            kind="window",
                            title=f"{translate(label, language)}: {kind} · {organisation.name}",
                            starts=day,
                            ends=day + timedelta(days=1),
                            path=f"/organisations/{organisation.id}/programme",
                        )
                    )
    return found


# The month in the app


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    entries: list[Entry]


@dataclass(frozen=True)
class Month:
    first: date
    title: str  # "november 2026"
    weekdays: list[str]  # Monday first
    weeks: list[list[Day]]
    previous: str  # "2026-10", for the link
    next: str
    this_month: str

    @property
    def count(self) -> int:
        return sum(len(day.entries) for week in self.weeks for day in week if day.in_month)


def parse_month(text: str | None, *, today: date) -> date:
    """The first day of a month given as "2026-11" (this month when empty or not a month)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1) if 1900 <= year <= 2999 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def month(*, session: Session, user: User, first: date, today: date, language: str) -> Month:
    """The weeks (Monday first) of the month that begins on `first`, with the user's calendar on each day."""
    weeks = month_grid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    found = entries(session=session, user=user, first=weeks[0][0], last=weeks[-1][-1], language=language)
    by_day: dict[date, list[Entry]] = {}
    for entry in found:
        # an audit over several days is shown on each of them
        last = entry.ends - timedelta(days=1) if entry.kind == "audit" else entry.day
        day = entry.day
        while day <= last:
            by_day.setdefault(day, []).append(entry)
            day += timedelta(days=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    return Month(
        first=first,
        title=format_date(first, "LLLL y", locale=language),
        weekdays=[format_date(day, "EEE", locale=language) for day in weeks[0]],
        weeks=[
            [Day(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week] for week in weeks
        ],
        previous=previous.strftime("%Y-%m"),
        next=following.strftime("%Y-%m"),
        this_month=today.strftime("%Y-%m"),
    )


# The feed


def ics(found: list[Entry], *, base_url: str, name: str, now: datetime) -> bytes:
    """The entries as an iCalendar file (RFC 5545), with the Europe/Copenhagen time zone the meetings use."""
    feed = Calendar()
    feed.add("prodid", "-//auditor//calendar feed//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", TIME_ZONE.key)
    for entry in found:
        event = Event()
        event.add("uid", entry.uid)
        event.add("dtstamp", now)
        event.add("summary", entry.title)
        event.add("dtstart", entry.starts)
        event.add("dtend", entry.ends)
        event.add("url", base_url.rstrip("/") + entry.path)
        if entry.kind != "meeting":
            event.add("transp", "TRANSPARENT")  # whole days do not make you look busy all day
        feed.add_component(event)
    feed.add_missing_timezones()
    return feed.to_ical()


def feed(*, session: Session, user: User, language: str, base_url: str, now: datetime) -> bytes:
    """The user's feed from three months back to a year ahead."""
    today = now.astimezone(TIME_ZONE).date()
    found = entries(session=session, user=user, first=today - FEED_PAST, last=today + FEED_AHEAD, language=language)
    return ics(found, base_url=base_url, name=f"auditor · {user.name}", now=now)


def list_feeds(*, session: Session, user: User) -> list[CalendarFeed]:
    return list(session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id)))


def create_feed(*, session: Session, user: User, language: str) -> tuple[CalendarFeed, str]:
    """A new feed address for the user; its token is returned once and stored only as a hash."""
    token = FEED_PREFIX + secrets.token_urlsafe(32)
    row = CalendarFeed(
        user_id=user.id,
        prefix=token[:12],
        token_hash=hash_token(token),
        language=v.Language(language) if language in v.LANGUAGES else v.Language.DA,
    )
    session.add(row)
    session.flush()
    trail.record(
        session=session, actor=user, action="create_feed", entity="user", entity_id=user.id, after={"feed": row.prefix}
    )
    return row, token


def revoke_feed(*, session: Session, actor: User, feed_id: int) -> None:
    """Stop a feed: its address answers "not found" from now on. Only its owner revokes it."""
    row = session.get(CalendarFeed, feed_id)
    if row is None or row.user_id != actor.id:
        raise NotFound(N_("No calendar feed with this id."))
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
        trail.record(
            session=session,
            actor=actor,
            action="revoke_feed",
            entity="user",
            entity_id=actor.id,
            before={"feed": row.prefix},
        )
    session.flush()


def feed_owner(*, session: Session, token: str) -> tuple[CalendarFeed, User] | None:
    """The feed with this token and its owner, if the feed is not revoked and the owner may still log in. (Reading a
    feed writes nothing: calendar programs poll it often, and a GET reads without queueing behind writers.)"""
    found = session.exec(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None), User.is_active)
    ).first()
    return (found[0], found[1]) if found else None
