"""E-mail reminders against a real SMTP server (aiosmtpd): the right people, their language, once each, none of a
kind turned off, retried after the server was down, and once even when two runs go at once."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from auditor.config import Settings
from auditor.db import make_engine, unit_of_work
from auditor.models import Case, CaseAction, Reminder, ReminderOptOut, User
from auditor.schemas import AuditIn, DecisionIn, OrganisationIn, SiteIn
from auditor.services import accounts, audits, cases, organisations, programmes, reminders
from auditor.vocabulary import REMINDER_KINDS
from tests.conftest import PASSWORD

DUE = date(2027, 3, 15)  # a Monday


def at(day: date) -> datetime:
    """Seven in the morning in Copenhagen on `day`, when a daily timer runs."""
    return datetime.combine(day, time(6, 0), tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """What the SMTP server received: (recipient, subject, body) per e-mail."""

    mails: list[tuple[str, str, str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        mail = message_from_bytes(envelope.content, policy=policy.default)
        for recipient in envelope.rcpt_tos:
            self.mails.append((recipient, str(mail["Subject"]).strip(), mail.get_content()))  # a long one is folded
        return "250 OK"

    def to(self, email: str) -> list[str]:
        return [subject for recipient, subject, _ in self.mails if recipient == email]


@pytest.fixture
def smtp():
    """A real SMTP server on a free port; `start()` it (a test may keep it down first)."""

    class Server:
        inbox = Inbox()
        port = free_port()
        controller: Controller | None = None

        def start(self):
            self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    server = Server()
    yield server
    if server.controller:
        server.controller.stop()


@dataclass
class World:
    engine: object
    settings: Settings
    organisation_id: int
    lead: User
    auditor: User
    quality_manager: User
    owner: User
    case_id: int


@pytest.fixture
def world(fresh_database_url, library, smtp, tmp_path):
    """Committed data on a database of the test's own: an audit two weeks before DUE (and one day), a case of the
    organisation with an action due on DUE."""
    engine = make_engine(fresh_database_url)
    settings = Settings(
        database_url=fresh_database_url,
        data_dir=tmp_path,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_timeout=5,
        public_url="https://auditor.example",
    )
    with unit_of_work(engine) as session:
        organisation = organisations.create_organisation(
            session=session,
            actor=None,
            data=OrganisationIn(name="Nordlys Logistik A/S", sites=[SiteIn(name="Aarhus lager")]),
        )

        def person(role: str, email: str, language: str, member: bool) -> User:
            user, _ = accounts.create_user(
                session=session,
                actor=None,
                email=email,
                name=email.split("@")[0].title(),
                role=role,
                organisation_id=organisation.id if member else None,
                password=PASSWORD,
            )
            user.language = language
            session.add(user)
            return user

        lead = person("lead_auditor", "lead@test.example", "en", False)
        auditor = person("auditor", "auditor@test.example", "da", False)
        quality_manager = person("quality_manager", "kvalitet@nordlys.example", "da", True)
        owner = person("viewer", "ejer@nordlys.example", "da", True)
        audits.create_audit(
            session=session,
            actor=lead,
            library=library,
            data=AuditIn(
                title="Overvågningsaudit 2027",
                audit_type="surveillance",
                organisation_id=organisation.id,
                start_date=DUE,
                end_date=DUE + timedelta(days=1),
                lead_auditor_id=lead.id,
                team_ids=[auditor.id],
                checklists=["iso45003-clauses"],
            ),
        )
        case = cases.open_case(
            session=session,
            actor=None,
            organisation_id=organisation.id,
            statement="Arbejdstiden planlægges ikke",
            grade="minor_nc",
            source="audit",
        )
        case.opened_at = at(DUE - timedelta(days=20))  # its plan is due 10 days after DUE (the default policy)
        session.add(case)
        session.add(
            CaseAction(
                case_id=case.id,
                description="Ny vagtplan for natholdet",
                owner_id=owner.id,
                due_date=DUE,
                prevention_level="primary",
                scope="collective",
            )
        )
    yield World(engine, settings, organisation.id, lead, auditor, quality_manager, owner, case.id)
    engine.dispose()


def run(world: World, day: date) -> reminders.RunResult:
    return reminders.run(engine=world.engine, settings=world.settings, now=at(day))


def test_an_action_owner_is_reminded_14_and_3_days_before_and_on_the_day_once_each(world, smtp):
    smtp.start()
    for day in (
        DUE - timedelta(days=14),
        DUE - timedelta(days=14),
        DUE - timedelta(days=5),
        DUE - timedelta(days=3),
        DUE,
    ):
        run(world, day)
        run(world, day)  # a second run the same day (another machine's timer) sends nothing more
    assert smtp.inbox.to("ejer@nordlys.example") == [
        "Frist for korrigerende handling om 14 dage: NC-0001",
        "Frist for korrigerende handling om 3 dage: NC-0001",
        "Frist for korrigerende handling i dag: NC-0001",
    ]
    body = next(body for recipient, _, body in smtp.inbox.mails if recipient == "ejer@nordlys.example")
    assert "15. marts 2027" in body and f"https://auditor.example/cases/{world.case_id}" in body
    assert "vagtplan" not in body  # the action's description stays in the app


def test_the_audit_team_is_reminded_two_weeks_before_each_in_their_own_language(world, smtp):
    smtp.start()
    result = run(world, DUE - timedelta(days=14))
    assert result.failed == 0
    assert smtp.inbox.to("lead@test.example") == ["Audit in two weeks: Overvågningsaudit 2027"]
    assert smtp.inbox.to("auditor@test.example") == ["Audit om to uger: Overvågningsaudit 2027"]
    lead_body = next(body for recipient, _, body in smtp.inbox.mails if recipient == "lead@test.example")
    assert "15 March 2027" in lead_body
    assert smtp.inbox.to("kvalitet@nordlys.example") == []  # not on the team, and nothing of the case is due


def test_the_quality_manager_hears_of_the_plan_deadline_and_of_overdue_cases_weekly(world, smtp):
    smtp.start()
    with unit_of_work(world.engine) as session:
        opened = session.exec(select(Case).where(Case.id == world.case_id)).one().opened_at
    plan_due = opened.date() + timedelta(days=30)  # the default policy: a minor NC's plan in 30 days
    run(world, plan_due - timedelta(days=3))
    plan = [s for s in smtp.inbox.to("kvalitet@nordlys.example") if s.startswith("Sag")]
    assert plan == ["Sag NC-0001: korrektion eller handlingsplan forfalder om 3 dage"]
    late = plan_due + timedelta(days=1)
    run(world, late)
    run(world, late + timedelta(days=1))  # the same ISO week, unless late is a Sunday
    weekly = [s for s in smtp.inbox.to("kvalitet@nordlys.example") if s.startswith("Forfaldne")]
    same_week = late.isocalendar()[1] == (late + timedelta(days=1)).isocalendar()[1]
    assert weekly == ["Forfaldne sager denne uge: 1"] * (1 if same_week else 2)


def test_a_kind_turned_off_is_not_sent(world, smtp):
    smtp.start()
    with unit_of_work(world.engine) as session:
        session.add(ReminderOptOut(user_id=world.owner.id, kind="action_due"))
    run(world, DUE)
    assert smtp.inbox.to("ejer@nordlys.example") == []


def test_a_failure_is_recorded_and_retried_when_the_server_is_back(world, smtp):
    failed = run(world, DUE - timedelta(days=14))  # nothing listens on the port yet
    assert failed.failed == 3 and failed.sent == 0  # the lead, the auditor, the owner
    with unit_of_work(world.engine) as session:
        rows = list(session.exec(select(Reminder)))
        assert {row.state for row in rows} == {"failed"} and all("Connection" in row.last_error for row in rows)
    smtp.start()
    retried = run(world, DUE - timedelta(days=13))  # the next day's run: nothing new, the failed ones again
    assert (retried.queued, retried.sent, retried.failed) == (0, 3, 0)
    assert sorted(recipient for recipient, _, _ in smtp.inbox.mails) == [
        "auditor@test.example",
        "ejer@nordlys.example",
        "lead@test.example",
    ]


def test_two_runs_at_once_send_each_reminder_once(world, smtp):
    smtp.start()
    start = threading.Barrier(4)
    results: list[reminders.RunResult] = []

    def one_run() -> None:
        start.wait()
        results.append(run(world, DUE - timedelta(days=14)))

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and sum(result.sent for result in results) == 3
    assert sorted(recipient for recipient, _, _ in smtp.inbox.mails) == [
        "auditor@test.example",
        "ejer@nordlys.example",
        "lead@test.example",
    ]


def test_without_an_smtp_server_configured_a_run_refuses(world):
    with pytest.raises(reminders.NotConfigured):
        reminders.run(engine=world.engine, settings=world.settings.model_copy(update={"smtp_host": ""}))


# The pages: choosing one's reminders, and the delivery log for installation admins


def test_the_account_page_turns_kinds_off_and_sets_the_language(session, login, lead):
    client = login(lead)
    page = client.post("/account/reminders", data={"kinds": ["audit_soon", "overdue_weekly"], "language": "en"})
    assert page.status_code == 200 and "Your reminder choices are saved." in page.text
    off = {row.kind for row in session.exec(select(ReminderOptOut).where(ReminderOptOut.user_id == lead.id))}
    assert off == {"action_due", "plan_due", "window_opens", "window_closes", "decision_waiting"}
    session.refresh(lead)
    assert lead.language == "en"
    client.post("/account/reminders", data={"kinds": list(REMINDER_KINDS.values)})
    assert session.exec(select(ReminderOptOut).where(ReminderOptOut.user_id == lead.id)).all() == []


def test_the_account_page_shows_the_reminder_choices_in_its_content_once(login, lead):
    page = login(lead).get("/account").text
    head, main = page.split('<main id="main"')
    assert "<title>Your account · auditor</title>" in head
    assert main.count('action="/account/reminders"') == 1 and main.count('id="calendar"') == 1


def test_failed_reminders_are_shown_to_installation_admins_only(session, client, login, make_user, make_organisation):
    session.add(
        Reminder(
            key="action_due:1:1:2027-03-15:0",
            kind="action_due",
            user_id=make_user("auditor").id,
            recipient="ejer@nordlys.example",
            subject="Frist for korrigerende handling i dag: NC-0001",
            body="...",
            state="failed",
            attempts=2,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        )
    )
    session.flush()
    page = client.get("/reminders")
    assert page.status_code == 200
    assert (
        "1 reminder failed" in page.text and "Connection refused" in page.text and "ejer@nordlys.example" in page.text
    )
    organisation_admin = make_user("admin", organisation=make_organisation(name="Fremmed A/S"))
    assert login(organisation_admin).get("/reminders").status_code == 403
    assert login(make_user("lead_auditor")).get("/reminders").status_code == 403


def test_the_command_runs_them_and_says_what_happened(world, smtp, monkeypatch, capsys):
    from auditor.cli import main

    monkeypatch.setenv("AUDITOR_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("AUDITOR_SMTP_HOST", "")
    assert main(["reminders", "run"]) == 1
    assert "AUDITOR_SMTP_HOST is not set" in capsys.readouterr().err
    monkeypatch.setenv("AUDITOR_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("AUDITOR_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("AUDITOR_SMTP_SECURITY", "none")
    smtp.start()
    assert main(["reminders", "run"]) == 0  # today: nothing of the world is due, nothing failed
    assert "reminders queued 0, sent 0, failed 0" in capsys.readouterr().out


def stage2_reported(world: World, library, *, decided_on: date | None = None) -> int:
    """A stage 2 audit of the world's organisation led by its lead, in reporting; granted on `decided_on` by a
    provider admin (Danish) when given. Returns its id."""
    with unit_of_work(world.engine) as session:
        admin, _ = accounts.create_user(
            session=session,
            actor=None,
            email="certificering@test.example",
            name="Certification manager",
            role="admin",
            password=PASSWORD,
        )
        lead = session.get(User, world.lead.id)
        audit = audits.create_audit(
            session=session,
            actor=lead,
            library=library,
            data=AuditIn(
                title="Stage 2 2026",
                audit_type="stage2",
                organisation_id=world.organisation_id,
                start_date=date(2026, 5, 4),
                end_date=date(2026, 5, 5),
                lead_auditor_id=lead.id,
                team_ids=[world.auditor.id],
                checklists=["iso45003-clauses"],
            ),
        )
        for status in ("in_progress", "reporting"):
            audits.change_status(session=session, actor=lead, audit=audit, status=status)
        if decided_on is not None:
            programmes.decide(
                session=session,
                actor=admin,
                audit=audit,
                data=DecisionIn(
                    outcome="grant",
                    decided_on=decided_on,
                    reasons="Criteria met",
                    review="Report checked",
                    certificate_number="DK-1",
                ),
                today=decided_on,
            )
        return audit.id


def test_planners_hear_when_a_programme_window_opens_and_closes_unplanned(world, smtp, library):
    smtp.start()
    stage2_reported(world, library, decided_on=date(2026, 6, 1))
    # the world's surveillance audit (DUE) fills the first window; the second opens 1 March 2028, closes 31 May 2028
    for day in (date(2028, 2, 29), date(2028, 3, 1), date(2028, 3, 1), date(2028, 5, 16), date(2028, 5, 17)):
        run(world, day)
    window = [s for s in smtp.inbox.to("lead@test.example") if "window" in s]
    assert window == [
        "The window for the surveillance audit of Nordlys Logistik A/S opens today",
        "The window for the surveillance audit of Nordlys Logistik A/S closes in two weeks",
    ]
    body = next(body for _, subject, body in smtp.inbox.mails if subject == window[0])
    assert "1 March 2028 to 31 May 2028" in body and f"/organisations/{world.organisation_id}/programme" in body
    assert smtp.inbox.to("auditor@test.example") == []  # on the last audit's team, but not its lead
    assert not [s for s in smtp.inbox.to("kvalitet@nordlys.example") if "vindue" in s.lower()]


def test_a_window_reminder_turned_off_is_not_sent(world, smtp, library):
    smtp.start()
    stage2_reported(world, library, decided_on=date(2026, 6, 1))
    with unit_of_work(world.engine) as session:
        session.add(ReminderOptOut(user_id=world.lead.id, kind="window_opens"))
    run(world, date(2028, 3, 1))
    assert smtp.inbox.to("lead@test.example") == []


def test_those_who_may_decide_hear_of_a_decision_waiting_weekly_and_the_team_does_not(world, smtp, library):
    smtp.start()
    audit_id = stage2_reported(world, library)
    run(world, DUE)  # a Monday
    run(world, DUE + timedelta(days=1))  # the same week: nothing more
    assert smtp.inbox.to("certificering@test.example") == ["Certificeringsafgørelser venter: 1"]
    body = next(body for recipient, _, body in smtp.inbox.mails if recipient == "certificering@test.example")
    assert f"https://auditor.example/audits/{audit_id}/decision" in body and "Stage 2 2026" in body
    assert not [s for s in smtp.inbox.to("lead@test.example") if "decision" in s]  # the lead was on its team
    run(world, DUE + timedelta(days=7))
    assert smtp.inbox.to("certificering@test.example") == ["Certificeringsafgørelser venter: 1"] * 2
