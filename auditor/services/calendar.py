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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from icalendar import Calendar, Event
from sqlalchemy import Date, and_, func, literal, or_, union_all
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.errors import NotFound
from auditor.i18n import N_, REPORT_TIME_ZONE, translate
from auditor.models import Audit, AuditMember, CalendarFeed, Case, CaseAction, Organisation, PlanEntry, User
from auditor.paging import Page, PageRequest
from auditor.services import access, programmes, trail
from auditor.services.accounts import hash_token
from auditor.services.cases import case_reference

TIME_ZONE = REPORT_TIME_ZONE
FEED_PAST = timedelta(days=92)  # how far back and ahead a feed reaches: a calendar program shows what it is given
FEED_AHEAD = timedelta(days=400)
MEETINGS = (v.PlanKind.OPENING_MEETING, v.PlanKind.CLOSING_MEETING)
MEETING_LENGTH = timedelta(hours=1)  # a meeting planned without an end time
FEED_PREFIX = "cal_"
AUDIT_LABEL, ACTION_LABEL = N_("Audit"), N_("Corrective action due")


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


# What the calendar holds, kind by kind: the rows from `first` to `last` (both included), and each row as an entry.
# On a day, the whole-day entries come first (actions, audits, windows: by `Entry.kind`), then the meetings by time;
# each kind in the order of its ORDER.


def _audits_between(user: User, first: date, last: date):
    return _their_audits(user).where(Audit.start_date <= last, Audit.end_date >= first)


AUDIT_ORDER = (Audit.title, Audit.id)


def _audit_entry(audit: Audit, language: str) -> Entry:
    return Entry(
        uid=f"audit-{audit.id}@auditor",
        kind="audit",
        title=f"{translate(AUDIT_LABEL, language)}: {audit.title}",
        starts=audit.start_date,
        ends=audit.end_date + timedelta(days=1),
        path=f"/audits/{audit.id}",
    )


def _meetings_between(user: User, first: date, last: date):
    return (
        select(PlanEntry, Audit)
        .join(Audit, Audit.id == PlanEntry.audit_id)
        .where(
            PlanEntry.audit_id.in_(_their_audits(user).with_only_columns(Audit.id)),
            PlanEntry.kind.in_(MEETINGS),
            PlanEntry.day >= first,
            PlanEntry.day <= last,
        )
    )


MEETING_ORDER = (PlanEntry.start_time, Audit.title, PlanEntry.id)


def _meeting_entry(row: tuple[PlanEntry, Audit], language: str) -> Entry:
    entry, audit = row
    starts = datetime.combine(entry.day, entry.start_time, tzinfo=TIME_ZONE)
    ends = datetime.combine(entry.day, entry.end_time, tzinfo=TIME_ZONE) if entry.end_time else None
    return Entry(
        uid=f"plan-{entry.id}@auditor",
        kind="meeting",
        title=f"{translate(v.PLAN_KINDS[entry.kind].label, language)}: {audit.title}",
        starts=starts,
        ends=ends if ends and ends > starts else starts + MEETING_LENGTH,
        path=f"/audits/{audit.id}#plan",
    )


def _actions_between(user: User, first: date, last: date):
    return (
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


ACTION_ORDER = (Case.number, Organisation.name, CaseAction.id)


def _action_entry(row: tuple[CaseAction, Case, Organisation], language: str) -> Entry:
    action, case, organisation = row
    return Entry(
        uid=f"action-{action.id}@auditor",
        kind="action",
        title=f"{translate(ACTION_LABEL, language)}: {case_reference(case, language)} · {organisation.name}",
        starts=action.due_date,
        ends=action.due_date + timedelta(days=1),
        path=f"/cases/{case.id}",
    )


def entries(*, session: Session, user: User, first: date, last: date, language: str) -> list[Entry]:
    """The user's calendar from `first` to `last` (both included), in time order, titles in `language`: every
    entry, for the feed (whose window of dates bounds it: FEED_PAST, FEED_AHEAD)."""
    found = [_audit_entry(audit, language) for audit in session.exec(_audits_between(user, first, last))]
    found += [_meeting_entry(row, language) for row in session.exec(_meetings_between(user, first, last))]
    found += [_action_entry(row, language) for row in session.exec(_actions_between(user, first, last))]
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


# The month in the app, and a day's page

DAY_LIMIT = 3  # the entries a day of the month shows; all of them are on the day's page, a page at a time

PerDay = dict[date, tuple[list[Entry], int]]  # a day's first entries, and how many the day holds
Taker = Callable[[int, int], list[Entry]]  # (start, count) -> those of a day's entries


@dataclass(frozen=True)
class _Queried:
    """A kind of entry kept in the database, chosen and counted there: its rows from one day to another, the row's
    id, the column of its day (none: an audit, on each day from its start to its end), the order of a day's rows and
    the entry each row is."""

    between: Callable[[User, date, date], Select]
    key: Any
    day: Any
    order: tuple
    entry: Callable[[Any, str], Entry]

    def first_on_each_day(self, session: Session, user: User, days: list[date], language: str) -> PerDay:
        """The first DAY_LIMIT entries on each of `days` (in a row), and how many the day holds."""
        query = self.between(user, days[0], days[-1])
        day = self.day
        if day is None:  # an audit is on each of its days
            grid = union_all(*(select(literal(each, Date).label("day")) for each in days)).subquery("grid")
            day = grid.c.day
            query = query.join(grid, and_(Audit.start_date <= day, Audit.end_date >= day))
        ranked = query.with_only_columns(
            day.label("day"),
            self.key.label("id"),
            func.row_number().over(partition_by=day, order_by=self.order).label("place"),
            func.count().over(partition_by=day).label("on_day"),
            maintain_column_froms=True,
        ).subquery()
        chosen = session.execute(
            select(ranked.c.day, ranked.c.id, ranked.c.on_day)
            .where(ranked.c.place <= DAY_LIMIT)
            .order_by(ranked.c.day, ranked.c.place)
        ).all()
        rows = self.between(user, days[0], days[-1]).where(self.key.in_({row.id for row in chosen}))
        shown = {row[-1]: self.entry(tuple(row[:-1]), language) for row in session.execute(rows.add_columns(self.key))}
        found: PerDay = {}
        for each, key, on_day in chosen:
            found.setdefault(each, ([], on_day))[0].append(shown[key])
        return found

    def on(self, session: Session, user: User, day: date, language: str) -> tuple[int, Taker]:
        """How many entries `day` holds, and how to read some of them (only those, in the database)."""
        query = self.between(user, day, day)
        count = session.execute(query.with_only_columns(func.count(), maintain_column_froms=True)).scalar_one()

        def take(start: int, wanted: int) -> list[Entry]:
            rows = session.execute(query.order_by(*self.order).offset(start).limit(wanted))
            return [self.entry(tuple(row), language) for row in rows]

        return count, take


class _Windows:
    """The days the programme's windows open and close: worked out per organisation (services/programmes.py), not
    queried; by title on a day."""

    def by_day(self, session: Session, user: User, first: date, last: date, language: str) -> dict[date, list[Entry]]:
        found: dict[date, list[Entry]] = {}
        windows = _windows(session=session, user=user, first=first, last=last, language=language)
        for entry in sorted(windows, key=lambda entry: entry.title):
            found.setdefault(entry.day, []).append(entry)
        return found

    def first_on_each_day(self, session: Session, user: User, days: list[date], language: str) -> PerDay:
        found = self.by_day(session, user, days[0], days[-1], language)
        return {day: (entries[:DAY_LIMIT], len(entries)) for day, entries in found.items()}

    def on(self, session: Session, user: User, day: date, language: str) -> tuple[int, Taker]:
        entries = self.by_day(session, user, day, day, language).get(day, [])
        return len(entries), lambda start, wanted: entries[start : start + wanted]


# A day's order: the whole days by kind (as Entry.kind sorts them), then the meetings by time.
DAY_ORDER: tuple[_Queried | _Windows, ...] = (
    _Queried(_actions_between, CaseAction.id, CaseAction.due_date, ACTION_ORDER, _action_entry),
    _Queried(_audits_between, Audit.id, None, AUDIT_ORDER, lambda row, language: _audit_entry(row[0], language)),
    _Windows(),
    _Queried(_meetings_between, PlanEntry.id, PlanEntry.day, MEETING_ORDER, _meeting_entry),
)


@dataclass(frozen=True)
class Day:
    day: date
    in_month: bool
    is_today: bool
    entries: list[Entry]  # the first DAY_LIMIT
    total: int  # every entry of the day

    @property
    def more(self) -> int:
        """The entries not shown in the month: on the day's page."""
        return self.total - len(self.entries)


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
        return sum(day.total for week in self.weeks for day in week if day.in_month)


def parse_month(text: str | None, *, today: date) -> date:
    """The first day of a month given as "2026-11" (this month when empty or not a month)."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1) if 1900 <= year <= 2999 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def month(*, session: Session, user: User, first: date, today: date, language: str) -> Month:
    """The weeks (Monday first) of the month that begins on `first`, with the first DAY_LIMIT entries of the user's
    calendar on each day and how many the day holds."""
    weeks = month_grid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    days = [day for week in weeks for day in week]
    shown: dict[date, list[Entry]] = {day: [] for day in days}
    totals = dict.fromkeys(days, 0)
    for kind in DAY_ORDER:
        for day, (entries, on_day) in kind.first_on_each_day(session, user, days, language).items():
            shown[day] += entries[: DAY_LIMIT - len(shown[day])]
            totals[day] += on_day
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=31)).replace(day=1)
    return Month(
        first=first,
        title=format_date(first, "LLLL y", locale=language),
        weekdays=[format_date(day, "EEE", locale=language) for day in weeks[0]],
        weeks=[
            [Day(day, day.month == first.month, day == today, shown[day], totals[day]) for day in week]
            for week in weeks
        ],
        previous=previous.strftime("%Y-%m"),
        next=following.strftime("%Y-%m"),
        this_month=today.strftime("%Y-%m"),
    )


def day_entries(*, session: Session, user: User, day: date, page: PageRequest, language: str) -> Page[Entry]:
    """One page of the user's calendar on `day`, in the month's order: each kind counted, and only the page's rows
    read."""
    items: list[Entry] = []
    total = 0
    for kind in DAY_ORDER:
        count, take = kind.on(session, user, day, language)
        start = max(page.offset - total, 0)  # where the page begins in this kind's entries
        wanted = min(page.limit - len(items), count - start)
        if wanted > 0:
            items += take(start, wanted)
        total += count
    return Page(items, total, page.limit, page.offset)


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
