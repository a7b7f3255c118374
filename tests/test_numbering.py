"""Finding and case numbers never collide: many people raising one at the same moment, each in their own
transaction on a real database (SQLite in WAL mode, or PostgreSQL when AUDITOR_TEST_DATABASE_URL names one)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from auditor.db import make_engine, unit_of_work, upgrade
from auditor.models import Audit, Case, CaseCounter, Finding, FindingCounter, User
from auditor.schemas import FindingIn
from auditor.services import cases, findings
from tests.conftest import seed_audit
from tests.test_migrations import insert_row, seed_old_audit

AT_ONCE = 16


@pytest.fixture
def shared_engine(live_database_url) -> Iterator[Engine]:
    """An engine on a database of its own whose commits are real, so that threads see each other's work."""
    url = live_database_url("numbering")
    upgrade(url)
    engine = make_engine(url, pool_size=AT_ONCE)
    yield engine
    engine.dispose()


def _populate(engine: Engine, library) -> dict:
    """An organisation, its admin, a lead auditor and an audit, committed; their ids."""
    with unit_of_work(engine) as session:
        audit, lead, _ = seed_audit(session, library)
        admin = session.scalars(select(User).where(User.role == "admin")).one()
    return {
        "engine": engine,
        "organisation_id": audit.organisation_id,
        "admin_id": admin.id,
        "lead_id": lead.id,
        "audit_id": audit.id,
    }


@pytest.fixture
def world(shared_engine, library) -> dict:
    return _populate(shared_engine, library)


def _all_at_once(engine: Engine, work: Callable[[Session, int], None]) -> list[BaseException]:
    """Run `work` in AT_ONCE threads, each with its own session, released together; the errors they raised."""
    start, errors = threading.Barrier(AT_ONCE), []

    def run(n: int) -> None:
        with unit_of_work(engine) as session:
            start.wait()
            try:
                work(session, n)
            except BaseException as error:  # the test reports every failure
                errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_findings_raised_at_once_get_distinct_consecutive_numbers(world):
    def raise_finding(session: Session, n: int) -> None:
        lead, audit = session.get(User, world["lead_id"]), session.get(Audit, world["audit_id"])
        findings.create_finding(
            session=session, actor=lead, audit=audit, data=FindingIn(kind="minor_nc", statement=f"Finding {n}")
        )

    assert _all_at_once(world["engine"], raise_finding) == []
    with Session(world["engine"]) as session:
        assert sorted(session.scalars(select(Finding.number).where(Finding.audit_id == world["audit_id"]))) == list(
            range(1, AT_ONCE + 1)
        )
        # each nonconformity opened its case in the same transaction, numbered the same way
        assert sorted(
            session.scalars(select(Case.number).where(Case.organisation_id == world["organisation_id"]))
        ) == list(range(1, AT_ONCE + 1))


def test_cases_opened_at_once_get_distinct_consecutive_numbers(world):
    def open_case(session: Session, n: int) -> None:
        cases.open_case(
            session=session,
            actor=session.get(User, world["admin_id"]),
            organisation_id=world["organisation_id"],
            statement=f"Incident {n}",
            grade="observation",
            source="incident",
        )

    assert _all_at_once(world["engine"], open_case) == []
    with Session(world["engine"]) as session:
        assert sorted(
            session.scalars(select(Case.number).where(Case.organisation_id == world["organisation_id"]))
        ) == list(range(1, AT_ONCE + 1))


def test_the_migration_starts_the_counters_at_todays_highest_numbers(tmp_path, library):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0007")
    engine = make_engine(url)
    # rows as 0007 knew them, through its tables (the models have grown columns since)
    with engine.begin() as connection:
        audit_id, _, organisation_id, _ = seed_old_audit(connection, "iso45003.4.1.1.context-analysis")
        for number in (1, 7):
            insert_row(connection, "finding", audit_id=audit_id, number=number, kind="observation", statement="Before")
        insert_row(
            connection,
            "case",
            organisation_id=organisation_id,
            number=12,
            grade="observation",
            statement="Before",
            source="incident",
            status="raised",
        )
    upgrade(url)
    with Session(engine) as session:
        assert session.get(FindingCounter, audit_id).last_number == 7
        assert session.get(CaseCounter, organisation_id).last_number == 12
    engine.dispose()
