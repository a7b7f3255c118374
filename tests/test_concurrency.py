"""Many tablets at once, against one real worker: a burst of simultaneous requests finishes with no 5xx and the
worker keeps answering `/healthz` throughout. Before the handlers and dependencies left the event loop, 16
simultaneous saves froze the worker (every request waited for a database connection that only the blocked loop could
give back) and SQLite answered 500 "database is locked" to concurrent writers.

Runs on SQLite and, with AUDITOR_TEST_DATABASE_URL, on PostgreSQL (a database of its own: the server commits)."""

from __future__ import annotations

import inspect
import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from browser_support import LiveServer
from sqlalchemy import Engine

from auditor.app import create_app
from auditor.config import Settings
from auditor.db import make_engine, unit_of_work, upgrade
from tests.conftest import seed_audit

BURST = 32
CHECKLIST = "iso45003-clauses"  # the audit seed_audit plans
HEALTH_LIMIT_S = 2.0  # a probe that waits longer than this means the worker is not answering


@dataclass
class World:
    url: str
    engine: Engine
    token: str
    audit_id: int
    item_ids: list[str]


@pytest.fixture(scope="module")
def world(live_database_url, tmp_path_factory, library):
    url = live_database_url("concurrency")
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        audit, _, token = seed_audit(session, library)
    # A small pool and few threads, as an operator might set them, so the burst is larger than both: requests must
    # queue, not freeze (before requests queued on the event loop, SQLite's lock holder waited for a thread that its
    # waiters held, until the busy timeout ran out).
    settings = Settings(
        database_url=url, data_dir=tmp_path_factory.mktemp("burst"), db_pool_size=4, db_max_overflow=4, worker_threads=8
    )
    server = LiveServer(create_app(settings, engine=settings.make_engine())).start()
    # The worker as it runs once started: its report process has imported the app and rendered a file (a new
    # process's start-up is seconds of CPU that a burst right after start-up would share).
    warm_up = urllib.request.Request(
        f"{server.url}/api/v1/audits/{audit.id}/checklist.docx", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(warm_up, timeout=120) as reply:
        assert reply.status == 200
    try:
        yield World(server.url, engine, token, audit.id, [item.id for item in library.get(CHECKLIST).checklist.items()])
    finally:
        server.stop()
        engine.dispose()


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    health_waits: list[float] = field(default_factory=list)

    @property
    def server_errors(self) -> list[int]:
        return [status for status in self.statuses if status >= 500]


def call(world: World, method: str, path: str, body: dict | None = None, timeout: float = 120) -> tuple[int, bytes]:
    request = urllib.request.Request(
        world.url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {world.token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def burst(world: World, requests: list[tuple[str, str, dict | None]]) -> Outcome:
    """Send every request at the same moment (one thread each) while probing /healthz every 100 ms."""
    outcome = Outcome()
    start = threading.Barrier(len(requests))
    finished = threading.Event()

    def probe() -> None:
        while not finished.is_set():
            began = time.monotonic()
            try:
                status, _ = call(world, "GET", "/healthz", timeout=30)
            except OSError:
                status = 599
            outcome.health_waits.append(time.monotonic() - began if status == 200 else float("inf"))
            time.sleep(0.1)

    def send(request: tuple[str, str, dict | None]) -> int:
        start.wait()
        try:
            return call(world, *request)[0]
        except OSError:  # a reset or a time-out counts as a server failure
            return 599

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        with ThreadPoolExecutor(max_workers=len(requests)) as pool:
            outcome.statuses = list(pool.map(send, requests))
    finally:
        finished.set()
        prober.join()
    return outcome


def test_simultaneous_saves_all_land_and_the_worker_keeps_answering(world):
    items = world.item_ids[:BURST]
    outcome = burst(
        world,
        [
            (
                "PUT",
                f"/api/v1/audits/{world.audit_id}/responses/{quote(item, safe='')}",
                {"verdict": "conform", "note": f"Burst note {n}", "version": 0},
            )
            for n, item in enumerate(items)
        ],
    )
    assert outcome.server_errors == []
    assert outcome.statuses == [200] * BURST
    assert max(outcome.health_waits) < HEALTH_LIMIT_S
    stored = json.loads(call(world, "GET", f"/api/v1/audits/{world.audit_id}/responses")[1])
    notes = {answer["item_id"]: answer["note"] for answer in stored}
    assert all(notes[item] == f"Burst note {n}" for n, item in enumerate(items))


def test_simultaneous_saves_of_one_item_conflict_cleanly(world):
    """Writers racing for the same row: one wins, the others get the 409 that offers both versions, none a 5xx."""
    item = quote(world.item_ids[-1], safe="")
    outcome = burst(
        world,
        [
            ("PUT", f"/api/v1/audits/{world.audit_id}/responses/{item}", {"note": f"Tablet {n}", "version": 0})
            for n in range(BURST)
        ],
    )
    assert outcome.server_errors == []
    assert sorted(outcome.statuses) == [200] + [409] * (BURST - 1)


def test_simultaneous_report_downloads_all_finish_and_the_worker_keeps_answering(world):
    outcome = burst(
        world,
        [
            ("GET", f"/api/v1/audits/{world.audit_id}/{name}", None)
            for name in ["checklist.docx", "report.docx"] * (BURST // 2)
        ],
    )
    assert outcome.server_errors == []
    assert set(outcome.statuses) == {200}
    assert max(outcome.health_waits) < HEALTH_LIMIT_S


def test_no_route_or_dependency_runs_blocking_work_on_the_event_loop(app):
    """FastAPI runs `def` handlers and dependencies in its thread pool and `async def` ones on the event loop, where one
    database call stalls every request of the worker. Only these are async: they read the request body, which is
    waiting, not work."""
    from fastapi.dependencies.models import Dependant
    from fastapi.routing import APIRoute, iter_route_contexts

    from auditor.deps import get_signed_in_csrf, get_submitted_csrf
    from auditor.routes.web.forms import get_form

    allowed = {get_submitted_csrf, get_signed_in_csrf, get_form}

    def coroutines(dependant: Dependant):
        if dependant.call is not None and inspect.iscoroutinefunction(dependant.call):
            yield dependant.call
        for sub in dependant.dependencies:
            yield from coroutines(sub)

    # FastAPI 0.165 keeps included routers nested: app.routes alone holds no APIRoute, so walk the route contexts.
    routes = [
        context.original_route
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
    ]
    assert len(routes) > 100
    found = {
        f"{call.__module__}.{call.__qualname__}"
        for route in routes
        for call in coroutines(route.dependant)
        if call not in allowed
    }
    assert found == set()


def test_a_save_takes_one_thread_hop(world, library, tmp_path):
    """Each plain `def` dependency and handler runs in a thread, and on a busy machine the hop there and back costs
    more than a query. An answer's save, the request tablets send most, makes one: its handler opens the unit of work,
    loads the user, the audit and what the user may do with it, saves and commits (deps.conduct_work). It made seven
    (the settings, the session's opening and closing, the user, the audit, the handler, and FastAPI validating the
    returned model again), then five, four, and three (the loading as a generator dependency, the handler, the
    dependency's end with the commit)."""
    from unittest import mock

    from anyio import to_thread
    from fastapi.testclient import TestClient

    settings = Settings(database_url=world.engine.url.render_as_string(hide_password=False), data_dir=tmp_path)
    app = create_app(settings, engine=world.engine, library=library)
    item = quote(world.item_ids[-1], safe="")
    path = f"/api/v1/audits/{world.audit_id}/responses/{item}"
    hops: list[str] = []
    run_sync = to_thread.run_sync

    async def counted(func, *args, **options):
        hops.append(getattr(func, "__qualname__", repr(func)))
        return await run_sync(func, *args, **options)

    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as client:
        version = client.get(path).json()["version"]
        with mock.patch("anyio.to_thread.run_sync", counted):
            saved = client.put(path, json={"verdict": "conform", "note": "Counted", "version": version})
    assert saved.status_code == 200 and saved.json()["version"] == version + 1
    assert len(hops) == 1, hops


def test_a_save_asks_the_database_five_questions(world, library, tmp_path):
    """Each statement costs more in SQLAlchemy than in the database, so a save asks only what it needs: the token's
    owner, the audit together with everything the user may do with it (access.load: one statement, not a load and
    then a check), the stored answer, the write, and the trail. SQLite's BEGIN IMMEDIATE comes before them. It asked
    seven before the audit and its permissions came in one statement, and six before the audit carried its
    checklists' key (Audit.checklists_key: the parsed checklists come from the process's cache, not from a question
    which they are). Of the audit's forty-odd columns it reads the few a save uses (responses.AUDIT_COLUMNS), none of
    its report's."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    settings = Settings(database_url=world.engine.url.render_as_string(hide_password=False), data_dir=tmp_path)
    app = create_app(settings, engine=world.engine, library=library)
    item = quote(world.item_ids[-2], safe="")
    path = f"/api/v1/audits/{world.audit_id}/responses/{item}"
    asked: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        asked.append(statement)

    with TestClient(app, headers={"Authorization": f"Bearer {world.token}"}) as client:
        version = client.get(path).json()["version"]
        client.put(path, json={"note": "Warm", "version": version})  # the token's last use is stamped once a minute
        event.listen(world.engine, "before_cursor_execute", count)
        try:
            saved = client.put(path, json={"verdict": "conform", "note": "Counted", "version": version + 1})
        finally:
            event.remove(world.engine, "before_cursor_execute", count)
    assert saved.status_code == 200, saved.text
    questions = [statement.split(None, 1)[0].upper() for statement in asked if not statement.startswith("BEGIN")]
    assert questions == ["SELECT", "SELECT", "SELECT", "UPDATE", "INSERT"], asked
    [the_audit] = [statement for statement in asked if "FROM audit " in statement.replace("\n", " ")]
    assert "audit.audit_type" in the_audit and "audit.summary" not in the_audit, the_audit


def test_a_request_that_gets_no_connection_in_time_is_told_to_retry(database_url, tmp_path, library):
    """With every connection of the pool taken, a request waits the pool's timeout and then gets 503 with
    Retry-After (the tablet sends it again), never a freeze and never a 500."""
    from fastapi.testclient import TestClient

    settings = Settings(  # no report process: it would start at start-up, and no report is asked for
        database_url=database_url,
        data_dir=tmp_path,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout=0.5,
        report_processes=0,
    )
    engine = settings.make_engine()
    app = create_app(settings, engine=engine, library=library)
    try:
        with (
            TestClient(app, raise_server_exceptions=False, headers={"Accept-Language": "en"}) as client,
            engine.connect(),
        ):  # the only connection, held
            api = client.get("/api/v1/audits", headers={"Authorization": "Bearer not-checked-yet"})
            page = client.get("/login")
        assert (api.status_code, api.headers.get("Retry-After")) == (503, "5")
        assert "busy" in api.json()["detail"]
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    finally:
        engine.dispose()
