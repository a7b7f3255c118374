"""Shared fixtures. The schema is built by the real Alembic migrations, on SQLite by default or on the
PostgreSQL database named by AUDITOR_TEST_DATABASE_URL; each test runs inside a transaction that is
rolled back, so tests never see each other's data. Under pytest-xdist (`make test` runs `-n auto`) every worker
has databases of its own: `<database>_gw0`, ... on PostgreSQL, its own temporary directory on SQLite.

A test that asks for no database fixture (DATABASE_FIXTURES, directly or through another fixture) cannot behave
differently on PostgreSQL: it is marked `database_independent` at collection, and `make test-postgres` leaves it out
(`make test-sqlite` runs it). Every test that reaches the suite's database runs on both, unless its module marks
itself `database_independent` and says why (tests/test_report_render.py: what LibreOffice makes of a report)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from auditor import vocabulary as v
from auditor.app import create_app
from auditor.checklists import Library, load_library
from auditor.config import Settings
from auditor.db import make_engine, upgrade
from auditor.deps import get_session
from auditor.models import Audit, AuditorCompetence, Organisation, User
from auditor.paths import CHECKLISTS_DIR
from auditor.schemas import AuditIn, OrganisationIn, SiteIn
from auditor.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, _sign
from auditor.services import accounts, audits, organisations

TEST_DATABASE_URL = os.environ.get("AUDITOR_TEST_DATABASE_URL", "")


# Every way to the suite's database: engine, session, settings, app, client and every module's world lead to one.
DATABASE_FIXTURES = frozenset({"database_url", "migrated_database_url", "fresh_database", "live_database_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database_independent)


def _recreate_postgres_database(url: str, template: str | None = None) -> None:
    """The database of `url` made anew: empty, or a copy of the database `template` names (on the same server)."""
    import psycopg

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{target.database}"{copy}')


def _postgres_url(suffix: str) -> str:
    url = make_url(TEST_DATABASE_URL)
    return url.set(database=f"{url.database}{suffix}").render_as_string(hide_password=False)


def _worker_suffix() -> str:
    """`_gw0`, `_gw1`, ... under pytest-xdist (each worker its own databases), empty in a single process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"_{worker}" if worker else ""


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = _postgres_url(_worker_suffix())
        _recreate_postgres_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"  # tmp_path_factory is per worker already


def new_database_url(name: str, directory: Path) -> str:
    """An empty database of the suite's kind for a test whose data must really be committed (a live server, several
    apps or processes, an upgrade, a backup): `<test database>[_<worker>]_<name>` on PostgreSQL, made anew; a file
    on SQLite."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = _postgres_url(f"{_worker_suffix()}_{name}")
        _recreate_postgres_database(url)
        return url
    return f"sqlite:///{directory / f'{name}.db'}"


@pytest.fixture
def fresh_database(tmp_path):
    """new_database_url for one test."""
    return lambda name: new_database_url(name, tmp_path)


@pytest.fixture(scope="session")
def migrated_database_url(tmp_path_factory) -> str:
    """A database migrated to the newest revision once per worker, never used itself: fresh_database_url copies it."""
    url = new_database_url("migrated", tmp_path_factory.mktemp("migrated"))
    upgrade(url)  # its engine disposed: no connection left open (PostgreSQL copies a template nobody is connected to)
    return url


@pytest.fixture
def fresh_database_url(migrated_database_url, tmp_path) -> str:
    """A migrated database of the test's own whose commits stay, for tests of several apps sharing one database: a copy
    of migrated_database_url (migrating from scratch for each test would take seconds)."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = _postgres_url(f"{_worker_suffix()}_fresh")
        _recreate_postgres_database(url, template=migrated_database_url)
        return url
    copy = tmp_path / "fresh.db"
    shutil.copyfile(make_url(migrated_database_url).database, copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="session")
def live_database_url(tmp_path_factory):
    """new_database_url for a module's or the session's fixtures (a live server)."""
    return lambda name: new_database_url(name, tmp_path_factory.mktemp(name))


@pytest.fixture(scope="session")
def engine(database_url) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def library() -> Library:
    library = load_library([CHECKLISTS_DIR])
    assert not library.errors, library.errors
    return library


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction that the test rolls back."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def module_connection(engine) -> Iterator[Connection]:
    """One connection whose transaction lasts a module's tests and is rolled back after its last: a module whose tests
    all share a world that costs seconds to build (tests/test_reports.py: the demo) builds it once on this connection
    and overrides `session` with savepoint_session(module_connection)."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        transaction.rollback()
        connection.close()


def savepoint_session(connection: Connection) -> Iterator[Session]:
    """The `session` of a test on a module's shared world: the test's work, commits included, stays inside a savepoint
    of the module's transaction that is rolled back after the test, so no test sees another's writes."""
    savepoint = connection.begin_nested()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        savepoint.rollback()


def selects_of(engine: Engine, client: TestClient, path: str) -> int:
    """How many SELECTs a GET of `path` makes the engine run (not the test's own savepoints), after checking it is 200:
    a page that reads a list in a fixed number of queries asks as many for few rows as for many."""
    statements: list[str] = []

    def remember(_connection, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return sum(statement.startswith("SELECT") for statement in statements)


def seed_audit(session: Session, library: Library) -> tuple[Audit, User, str]:
    """In an empty database: an admin, a lead auditor and an audit of the ISO 45003 checklist they lead;
    (the audit, the lead auditor, an API token of the admin)."""
    admin, _ = accounts.create_user(
        session=session, actor=None, email="admin@test.example", name="Admin", role="admin", password=PASSWORD
    )
    lead, _ = accounts.create_user(
        session=session, actor=None, email="lead@test.example", name="Lead", role="lead_auditor", password=PASSWORD
    )
    _, token = accounts.create_token(session=session, user=admin, name="test")
    organisation = organisations.create_organisation(
        session=session, actor=None, data=OrganisationIn(name="Nordlys Logistik A/S", sites=[SiteIn(name="Aarhus")])
    )
    audit = audits.create_audit(
        session=session,
        actor=admin,
        library=library,
        data=AuditIn(
            title="Overvågningsaudit 2026",
            audit_type="surveillance",
            organisation_id=organisation.id,
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 2),
            lead_auditor_id=lead.id,
            checklists=["iso45003-clauses"],
        ),
    )
    return audit, lead, token


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Reports rendered in the request's thread (report_processes=0): a test's data lives in a transaction that a
    report process could not see (tests/test_reports.py renders in a real one, on a database of its own)."""
    return Settings(database_url=database_url, data_dir=tmp_path, report_processes=0)


def request_session(session: Session):
    """A get_session for the app that serves the test's session. What the test wrote before the request is committed
    first (a savepoint released), as an earlier request's work would be; the request's unit of work (deps.
    request_transaction) then commits or rolls back only its own work."""

    def get_test_session(request: Request) -> Session:  # get_session's signature: deps.conduct_work calls it
        session.commit()
        return session

    return get_test_session


@pytest.fixture(scope="session")
def _apps() -> dict[tuple, FastAPI]:
    """The apps `app` made in this worker, by what they were made with."""
    return {}


@pytest.fixture
def app(settings, engine, session, library, _apps):
    """The app on the test's session. Tests with the same settings (but for their own data folder, which nothing reads
    once the database is given) share one app: FastAPI builds each route's dependencies once per app, at its first
    request, and that was most of the work of a request in a test. A test changes the app only through
    `dependency_overrides`, set afresh here; one that would change it otherwise (a route added) makes its own."""
    key = (id(engine), id(library), settings.model_dump_json(exclude={"data_dir"}))
    if key not in _apps:
        _apps[key] = create_app(settings, engine=engine, library=library)
    app = _apps[key]
    app.state.settings = settings
    app.dependency_overrides = {get_session: request_session(session)}
    return app


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """argon2id at its lowest cost: tests create many users, and a real hash takes ~50 ms on purpose. The hash an
    unknown e-mail is checked against is made cheap too (a log-in with an unknown e-mail costs what a wrong password
    does, and argon2 checks a hash at the cost it was made with)."""
    original, original_dummy = accounts.password_hash, accounts._DUMMY_HASH
    accounts.password_hash = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    accounts._DUMMY_HASH = accounts.password_hash.hash("not a real password")
    yield
    accounts.password_hash, accounts._DUMMY_HASH = original, original_dummy


PASSWORD = "a long enough password"
CSRF_VALUE = "test-csrf-value"


@pytest.fixture
def make_user(session):
    counter = iter(range(1, 10_000))

    def make(
        role: str = "admin", organisation: Organisation | None = None, email: str | None = None, name: str | None = None
    ) -> User:
        n = next(counter)
        user, _ = accounts.create_user(
            session=session,
            actor=None,
            email=email or f"{role}{n}@test.example",
            name=name or f"{role.title()} {n}",
            role=role,
            organisation_id=organisation.id if organisation else None,
            password=PASSWORD,
        )
        return user

    return make


@pytest.fixture
def admin(make_user) -> User:
    """An installation admin: sees and does everything."""
    return make_user("admin", email="admin@test.example", name="Admin")


@pytest.fixture
def lead(make_user) -> User:
    return make_user("lead_auditor", email="lead@test.example", name="Lead Auditor")


@pytest.fixture
def login(app, session, settings):
    """A client logged in as `user` (a real session), sending the CSRF token like the pages do."""
    clients = []

    def log_in_as(user: User, *, csrf: bool = True, language: str = "en") -> TestClient:
        client = TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": language})
        token = accounts.log_in(
            session=session, email=user.email, password=PASSWORD, address="test", lifetime=settings.session_lifetime
        ).token
        client.cookies.set(SESSION_COOKIE, token)
        client.cookies.set(CSRF_COOKIE, CSRF_VALUE)
        if csrf:
            client.headers[CSRF_HEADER] = _sign(settings.secret_key, CSRF_VALUE)
        clients.append(client)
        return client

    yield log_in_as
    for client in clients:
        client.close()


@pytest.fixture
def client(login, admin) -> TestClient:
    """A client logged in as an installation admin, asking for English (Danish is the default; tests/test_i18n.py)."""
    return login(admin)


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"}) as client:
        yield client


# Factories: small, explicit, overridable.


@pytest.fixture
def make_organisation(session):
    def make(
        name: str = "Nordlys Logistik A/S", cvr: str | None = "12345678", sites: tuple[str, ...] = ("Aarhus lager",)
    ) -> Organisation:
        return organisations.create_organisation(
            session=session, actor=None, data=OrganisationIn(name=name, cvr=cvr, sites=[SiteIn(name=s) for s in sites])
        )

    return make


@pytest.fixture
def make_audit(session, library, make_organisation, admin, lead):
    """An audit planned by the admin, with `lead` as its lead auditor (override `lead_auditor_id`, `team_ids`)."""

    def make(organisation: Organisation | None = None, actor: User | None = None, **overrides) -> Audit:
        organisation = organisation or make_organisation()
        values = {
            "title": "Overvågningsaudit 2026",
            "audit_type": "surveillance",
            "organisation_id": organisation.id,
            "start_date": date(2026, 12, 1),
            "end_date": date(2026, 12, 2),
            "lead_auditor_id": lead.id,
            "checklists": ["iso45003-clauses"],
            "report_language": "da",
        }
        values.update(overrides)
        return audits.create_audit(session=session, actor=actor or admin, data=AuditIn(**values), library=library)

    return make


@pytest.fixture
def bek1407_trained(session):
    """Puts a passed BEK 1407 course on an auditor's record: the lead of an audit for a Danish recognised certificate
    needs one (services/staffing.py)."""

    def give(user: User) -> User:
        session.add(AuditorCompetence(user_id=user.id, bek1407=v.Bek1407Basis.COURSE, bek1407_date=date(2024, 1, 1)))
        session.flush()
        return user

    return give


@pytest.fixture
def first_item_id(library) -> str:
    return next(library.get("iso45003-clauses").checklist.items()).id


def item_ids(library: Library, checklist_id: str = "iso45003-clauses") -> list[str]:
    return [item.id for item in library.get(checklist_id).checklist.items()]


@pytest.fixture
def write_checklist(tmp_path):
    """Write a checklist file from YAML text; returns its path."""

    def write(text: str, name: str = "custom.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
