"""E-mail reminders, each sent once, whatever the number of processes and machines that run them.

What is reminded (vocabulary.REMINDER_KINDS), in the recipient's language (`User.language`), unless they turned
that kind off (`ReminderOptOut`):
- an audit starts in two weeks: to its team;
- a corrective action is due in 14 days, in 3 days, today: to its owner;
- a case's correction or action plan is due in 14 days, in 3 days, today: to the quality managers who manage the
  case (CASE_MANAGER_ROLES; which cases each manages, access.py);
- the organisation has overdue cases: to those quality managers, once a week;
- an audit of an organisation's programme (services/programmes.py) that nobody has planned yet: on the day its window
  opens, and two weeks before it closes unless the audit is planned within it: to the lead auditor of the audit that
  fills it, or else of the organisation's last audit, and the organisation's own planners;
- certification audits waiting for their decision: to those who may decide (access.py), once a week.

A run (`auditor reminders run` from cron or a systemd timer, or each server process every hour when
AUDITOR_REMINDERS_IN_SERVER is set):
1. finds what is due today and queues each occasion as a Reminder row whose unique key names it (the kind, the
   record, the recipient and the date it is for): an occasion queued already, by this or another process, is not
   queued again (the database's unique key decides, on SQLite and PostgreSQL alike);
2. claims the queued and failed reminders one at a time with an UPDATE that only one run can win (claimed_at is
   set only where it is empty or older than the lease), sends each and records it as sent, or as failed with the
   error. A failure is tried again at the next run, up to MAX_ATTEMPTS, and shown to installation admins on
   /reminders; the run's exit code says that something failed.
"Sent" means handed to the SMTP server. A process that dies between sending and recording it sends it again after
the lease: at least once, never silently lost.

E-mails carry dates, titles and case references and a link; never a note, a finding's text or an action's
description (they leave the installation for mail servers).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import Engine, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditor import vocabulary as v
from auditor.config import Settings
from auditor.db import unit_of_work
from auditor.i18n import N_, REPORT_TIME_ZONE, format_day, translate
from auditor.models import (
    Audit,
    AuditMember,
    Case,
    CaseAction,
    CertificationDecision,
    Organisation,
    Reminder,
    ReminderOptOut,
    User,
)
from auditor.paging import Page, PageRequest, page_of
from auditor.services import access, audits, cases, programmes

LEASE = timedelta(minutes=10)  # a claim older than this was a run that died: another run may take the reminder
MAX_ATTEMPTS = 5
DAYS_BEFORE = (14, 3, 0)  # action and plan deadlines
AUDIT_NOTICE = timedelta(days=14)
WINDOW_CLOSING = timedelta(days=14)
CASE_MANAGER_ROLES = (v.Role.QUALITY_MANAGER,)  # who is asked; access.py decides which cases each may manage

Send = Callable[[EmailMessage], None]
log = logging.getLogger("auditor")


class NotConfigured(Exception):
    """No SMTP server is set: nothing can be sent."""


@dataclass(frozen=True)
class Due:
    """An occasion to remind someone of, with the e-mail it gets."""

    key: str
    kind: str
    user: User
    subject: str
    body: str


@dataclass(frozen=True)
class RunResult:
    queued: int
    sent: int
    failed: int


def _when(days: int, language: str) -> str:
    if days == 0:
        return translate(N_("today"), language)
    return translate(N_("in %(days)d days"), language) % {"days": days}


def _turned_off(session: Session) -> set[tuple[int, str]]:
    return {(row.user_id, row.kind) for row in session.exec(select(ReminderOptOut))}


def _audits_soon(session: Session, today: date, base_url: str) -> Iterable[Due]:
    start = today + AUDIT_NOTICE
    rows = session.exec(
        select(Audit, Organisation, User)
        .join(Organisation, Organisation.id == Audit.organisation_id)
        .join(AuditMember, AuditMember.audit_id == Audit.id)
        .join(User, User.id == AuditMember.user_id)
        .where(Audit.start_date == start, User.is_active)
    )
    for audit, organisation, user in rows:
        lang = user.language
        yield Due(
            key=f"audit_soon:{audit.id}:{user.id}:{audit.start_date}",
            kind=v.ReminderKind.AUDIT_SOON,
            user=user,
            subject=translate(N_("Audit in two weeks: %(title)s"), lang) % {"title": audit.title},
            body=translate(N_("The audit %(title)s of %(organisation)s starts on %(date)s.\n\nThe plan: %(url)s"), lang)
            % {
                "title": audit.title,
                "organisation": organisation.name,
                "date": format_day(audit.start_date, lang),
                "url": f"{base_url}/audits/{audit.id}",
            },
        )


def _actions_due(session: Session, today: date, base_url: str) -> Iterable[Due]:
    days_by_date = {today + timedelta(days=days): days for days in DAYS_BEFORE}
    rows = session.exec(
        select(CaseAction, Case, Organisation, User)
        .join(Case, Case.id == CaseAction.case_id)
        .join(Organisation, Organisation.id == Case.organisation_id)
        .join(User, User.id == CaseAction.owner_id)
        .where(
            CaseAction.status == v.ActionStatus.OPEN,
            CaseAction.due_date.in_(list(days_by_date)),
            Case.status != v.CaseStatus.CLOSED,
            User.is_active,
        )
    )
    for action, case, organisation, user in rows:
        lang, days = user.language, days_by_date[action.due_date]
        reference = cases.case_reference(case, lang)
        yield Due(
            key=f"action_due:{action.id}:{user.id}:{action.due_date}:{days}",
            kind=v.ReminderKind.ACTION_DUE,
            user=user,
            subject=translate(N_("Corrective action due %(when)s: %(reference)s"), lang)
            % {"when": _when(days, lang), "reference": reference},
            body=translate(
                N_(
                    "A corrective action you own in case %(reference)s (%(organisation)s) is due on %(date)s.\n\n%(url)s"
                ),
                lang,
            )
            % {
                "reference": reference,
                "organisation": organisation.name,
                "date": format_day(action.due_date, lang),
                "url": f"{base_url}/cases/{case.id}",
            },
        )


def _managers(session: Session) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.is_active, User.organisation_id.is_not(None), User.role.in_(CASE_MANAGER_ROLES))
        )
    )


def _plans_due(session: Session, today: date, base_url: str, policy: dict, managers: list[User]) -> Iterable[Due]:
    days_by_date = {today + timedelta(days=days): days for days in DAYS_BEFORE}
    due = cases.due_date(policy)
    before_plan = (v.CaseStatus.RAISED, v.CaseStatus.CORRECTED, v.CaseStatus.CAUSE_FOUND)
    for user in managers:
        rows = session.exec(
            select(Case, due.label("due"))
            .where(access.where(user, Case, access.Can.MANAGE), Case.status.in_(before_plan))
            .where(due.in_(list(days_by_date)))
        )
        for case, deadline in rows:
            lang, days = user.language, days_by_date[deadline]
            reference = cases.case_reference(case, lang)
            yield Due(
                key=f"plan_due:{case.id}:{user.id}:{deadline}:{days}",
                kind=v.ReminderKind.PLAN_DUE,
                user=user,
                subject=translate(N_("Case %(reference)s: correction or action plan due %(when)s"), lang)
                % {"reference": reference, "when": _when(days, lang)},
                body=translate(N_("The next deadline of case %(reference)s is %(date)s.\n\n%(url)s"), lang)
                % {"reference": reference, "date": format_day(deadline, lang), "url": f"{base_url}/cases/{case.id}"},
            )


def _overdue_weekly(session: Session, today: date, base_url: str, policy: dict, managers: list[User]) -> Iterable[Due]:
    year, week, _ = today.isocalendar()
    overdue = cases.is_overdue(cases.due_date(policy), today)
    for user in managers:
        references = [
            cases.case_reference(case, user.language)
            for case in session.exec(
                select(Case).where(access.where(user, Case, access.Can.MANAGE), overdue).order_by(Case.number)
            )
        ]
        if not references:
            continue
        lang = user.language
        yield Due(
            key=f"overdue_weekly:{user.id}:{year}-W{week:02d}",
            kind=v.ReminderKind.OVERDUE_WEEKLY,
            user=user,
            subject=translate(N_("Overdue cases this week: %(count)d"), lang) % {"count": len(references)},
            body=translate(N_("These cases are overdue: %(references)s.\n\nThe follow-up board: %(url)s"), lang)
            % {"references": ", ".join(references), "url": f"{base_url}/cases?overdue=yes"},
        )


def _planners(session: Session, organisation: Organisation, audit: Audit | None) -> list[User]:
    """Who hears of a programme's window: the lead of the audit that fills it, or else of the organisation's last
    audit, and the organisation's own admins and lead auditors (who may plan its audits, access.py)."""
    leading = (
        audit
        or session.exec(
            select(Audit)
            .where(Audit.organisation_id == organisation.id)
            .order_by(Audit.start_date.desc(), Audit.id.desc())
        ).first()
    )
    team = audits.audit_team(session=session, audit=leading) if leading else []
    leads = [user for user, role in team if role == v.TeamRole.LEAD and user.is_active]
    own = session.exec(
        select(User)
        .where(User.is_active, User.organisation_id == organisation.id, User.role.in_(access.PLANNER_ROLES))
        .order_by(User.id)
    )
    return list({user.id: user for user in [*leads, *own]}.values())


def _windows(session: Session, today: date, base_url: str) -> Iterable[Due]:
    for organisation in programmes.with_programmes(session=session):
        for entry in programmes.cycle(session=session, organisation=organisation, today=today).audits:
            window, audit = entry.window, entry.audit
            if window.opens == today and audit is None:
                kind, subject, text = (
                    v.ReminderKind.WINDOW_OPENS,
                    N_("The window for the %(type)s of %(organisation)s opens today"),
                    N_(
                        "The window for the %(type)s of %(organisation)s is %(opens)s to %(closes)s.\n\nPlan it from the audit programme: %(url)s"
                    ),
                )
            elif window.closes == today + WINDOW_CLOSING and (audit is None or audit.start_date > window.closes):
                kind, subject, text = (
                    v.ReminderKind.WINDOW_CLOSES,
                    N_("The window for the %(type)s of %(organisation)s closes in two weeks"),
                    N_(
                        "The window for the %(type)s of %(organisation)s closes on %(closes)s, and the audit is not planned within it.\n\nThe audit programme: %(url)s"
                    ),
                )
            else:
                continue
            for user in _planners(session, organisation, audit):
                lang = user.language
                values = {
                    "type": translate(v.AUDIT_TYPES[window.audit_type].label, lang).lower(),
                    "organisation": organisation.name,
                    "opens": format_day(window.opens, lang),
                    "closes": format_day(window.closes, lang),
                    "url": f"{base_url}/organisations/{organisation.id}/programme",
                }
                yield Due(
                    key=f"{kind}:{organisation.id}:{window.slot}:{user.id}:{window.closes}",
                    kind=kind,
                    user=user,
                    subject=translate(subject, lang) % values,
                    body=translate(text, lang) % values,
                )


def _decisions_waiting(session: Session, today: date, base_url: str) -> Iterable[Due]:
    year, week, _ = today.isocalendar()
    deciders = session.exec(
        select(User)
        .where(User.is_active, User.organisation_id.is_(None), User.role.in_(access.PLANNER_ROLES))
        .order_by(User.id)
    )
    waiting = Audit.id.not_in(select(CertificationDecision.audit_id))
    for user in deciders:
        found = list(
            session.exec(
                select(Audit)
                .where(access.where(user, Audit, access.Can.DECIDE), Audit.status == v.AuditStatus.REPORTING, waiting)
                .order_by(Audit.end_date, Audit.id)
            )
        )
        if not found:
            continue
        lang = user.language
        lines = "\n".join(f"- {audit.title}: {base_url}/audits/{audit.id}/decision" for audit in found)
        yield Due(
            key=f"decision_waiting:{user.id}:{year}-W{week:02d}",
            kind=v.ReminderKind.DECISION_WAITING,
            user=user,
            subject=translate(N_("Certification decisions waiting: %(count)d"), lang) % {"count": len(found)},
            body=translate(
                N_("These certification audits wait for their technical review and decision:\n\n%(audits)s"), lang
            )
            % {"audits": lines},
        )


def due(*, session: Session, today: date, policy: dict, base_url: str) -> list[Due]:
    """Everything to remind of today, without the kinds each recipient turned off."""
    base_url = base_url.rstrip("/")
    managers = _managers(session)
    found = [
        *_audits_soon(session, today, base_url),
        *_actions_due(session, today, base_url),
        *_plans_due(session, today, base_url, policy, managers),
        *_overdue_weekly(session, today, base_url, policy, managers),
        *_windows(session, today, base_url),
        *_decisions_waiting(session, today, base_url),
    ]
    off = _turned_off(session)
    return [item for item in found if (item.user.id, item.kind) not in off]


def queue(*, engine: Engine, found: list[Due], now: datetime) -> int:
    """Record each occasion not recorded yet, one transaction each (another process may be queueing the same)."""
    with unit_of_work(engine) as session:
        known = set(session.exec(select(Reminder.key).where(Reminder.key.in_([item.key for item in found]))))
    queued = 0
    for item in found:
        if item.key in known:
            continue
        try:
            with unit_of_work(engine) as session:
                session.add(
                    Reminder(
                        key=item.key,
                        kind=item.kind,
                        user_id=item.user.id,
                        recipient=item.user.email,
                        subject=item.subject[:300],
                        body=item.body,
                        created_at=now,
                    )
                )
            queued += 1
        except IntegrityError:  # another process queued it a moment ago
            pass
    return queued


def _claim(engine: Engine, reminder_id: int, now: datetime) -> bool:
    """Take one reminder for this run: True for exactly one of the runs that try at once."""
    with unit_of_work(engine) as session:
        taken = session.execute(
            update(Reminder)
            .where(
                Reminder.id == reminder_id,
                Reminder.state != v.ReminderState.SENT,
                or_(Reminder.claimed_at.is_(None), Reminder.claimed_at < now - LEASE),
            )
            .values(claimed_at=now)
        )
        return taken.rowcount == 1  # type: ignore[attr-defined]


def _record(engine: Engine, reminder_id: int, *, now: datetime, error: str | None) -> None:
    with unit_of_work(engine) as session:
        reminder = session.get(Reminder, reminder_id)
        assert reminder is not None
        reminder.attempts += 1
        reminder.claimed_at = None
        if error is None:
            reminder.state, reminder.sent_at, reminder.last_error = v.ReminderState.SENT, now, ""
        else:
            reminder.state, reminder.last_error = v.ReminderState.FAILED, error[:500]
        session.add(reminder)


def message(reminder: Reminder, *, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, reminder.recipient, reminder.subject
    mail["Message-ID"] = make_msgid(idstring=f"reminder-{reminder.id}")
    mail.set_content(reminder.body)
    return mail


def deliver(*, engine: Engine, send: Send, sender: str, now: datetime) -> tuple[int, int]:
    """Send every queued reminder and retry the failed ones this run can claim: (sent, failed)."""
    with unit_of_work(engine) as session:
        waiting = list(
            session.exec(
                select(Reminder.id)
                .where(Reminder.state != v.ReminderState.SENT, Reminder.attempts < MAX_ATTEMPTS)
                .order_by(Reminder.id)
            )
        )
    sent = failed = 0
    for reminder_id in waiting:
        if not _claim(engine, reminder_id, now):
            continue  # another run has it
        with unit_of_work(engine) as session:
            reminder = session.get(Reminder, reminder_id)
            assert reminder is not None
            mail = message(reminder, sender=sender)
        try:
            send(mail)
        except (OSError, smtplib.SMTPException) as error:
            _record(engine, reminder_id, now=now, error=f"{type(error).__name__}: {error}")
            failed += 1
        else:
            _record(engine, reminder_id, now=now, error=None)
            sent += 1
    return sent, failed


def smtp_sender(settings: Settings) -> Send:
    """Send one e-mail through the configured SMTP server (a connection per e-mail: reminders are few)."""
    if not settings.smtp_host:
        raise NotConfigured("AUDITOR_SMTP_HOST is not set: no reminder can be sent.")

    def connect() -> smtplib.SMTP:
        context = ssl.create_default_context()
        if settings.smtp_security == "tls":
            return smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout, context=context
            )
        server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
        if settings.smtp_security == "starttls":
            try:
                server.starttls(context=context)
            except BaseException:
                server.close()
                raise
        return server

    def send(mail: EmailMessage) -> None:
        with connect() as server:
            if settings.smtp_username:
                server.login(settings.smtp_username, settings.smtp_password)
            server.send_message(mail)

    return send


def run(*, engine: Engine, settings: Settings, now: datetime | None = None, send: Send | None = None) -> RunResult:
    """One run: queue what is due today (Europe/Copenhagen), then send what is queued or failed before."""
    send = send or smtp_sender(settings)
    now = now or datetime.now(UTC)
    today = now.astimezone(REPORT_TIME_ZONE).date()
    with unit_of_work(engine) as session:
        found = due(session=session, today=today, policy=settings.deadline_policy, base_url=settings.public_url)
    queued = queue(engine=engine, found=found, now=now)
    sent, failed = deliver(engine=engine, send=send, sender=settings.smtp_from, now=now)
    return RunResult(queued, sent, failed)


def start_in_server(*, engine: Engine, settings: Settings) -> Callable[[], None]:
    """Run the reminders in a background thread of this server process, at start and then every
    AUDITOR_REMINDERS_EVERY_MINUTES; returns the function that stops it. Every process may do this: each occasion is
    queued once and each reminder claimed by one run."""
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.is_set():
            try:
                result = run(engine=engine, settings=settings)
                if result.failed:
                    log.warning("reminders: %d sent, %d failed (see /reminders)", result.sent, result.failed)
            except Exception:  # a database or configuration problem: logged, tried again at the next round
                log.exception("reminders: the run failed")
            stopped.wait(settings.reminders_every_minutes * 60)

    thread = threading.Thread(target=loop, name="auditor-reminders", daemon=True)
    thread.start()

    def stop() -> None:
        stopped.set()
        thread.join(timeout=settings.smtp_timeout + 5)

    return stop


# What users and admins see


def turned_off(*, session: Session, user: User) -> set[str]:
    return {kind for user_id, kind in _turned_off(session) if user_id == user.id}


def choose(*, session: Session, user: User, wanted: set[str], language: str) -> None:
    """Keep the kinds in `wanted` on and turn every other kind off; e-mails in `language`."""
    for kind in v.REMINDER_KINDS.values:
        row = session.get(ReminderOptOut, (user.id, kind))
        if kind in wanted and row is not None:
            session.delete(row)
        elif kind not in wanted and row is None:
            session.add(ReminderOptOut(user_id=user.id, kind=kind))
    if language in v.LANGUAGES:
        user.language = v.Language(language)
        session.add(user)
    session.flush()


def recent(*, session: Session, page: PageRequest | None = None) -> Page[Reminder]:
    """The reminders, failed ones first, then the newest (for installation admins: /reminders); one page of them, or
    all without `page`."""
    failed_first = (Reminder.state != v.ReminderState.FAILED).label("ok")
    return page_of(session, select(Reminder).order_by(failed_first, Reminder.id.desc()), page)


def failed_count(*, session: Session) -> int:
    """How many reminders failed (on every page of the log)."""
    return session.exec(
        select(func.count()).select_from(Reminder).where(Reminder.state == v.ReminderState.FAILED)
    ).one()
