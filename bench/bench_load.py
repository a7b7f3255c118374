"""Many tablets at once: the app under a field day's load, on two servers, one of them killed halfway. Prints figures.

    python bench/bench_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_load
    python bench/bench_load.py --sqlite            # one server on a SQLite file, for comparison
    python bench/bench_load.py --seconds 15        # shorter runs

The database named is dropped and created anew, and dropped again at the end. On it, a demo-like world: the demo
audit (with its findings and a case), and audits in progress, each with a team of four auditors who each have their
own API token. Every server runs 2 worker processes on 127.0.0.1 (`_servers.app_command`). For `--seconds` each:

0. warm-up: the same load as steady (below) for `--warm-up` seconds right after the servers start, while each
   worker starts its report process and meets its first requests; printed, but kept out of the steady figures.
1. steady: 40 simulated auditors each save an answer (verdict and note, with the version it is based on, as
   static/conduct.js does) every 0.5 s, 4 clients download the demo audit's Word report and 2 load the follow-up
   board, one after another, and 2 auditors of one team raise a finding every 0.5 s each (numbers must not collide). Requests go round-robin over the servers; on a connection error a request is sent again
   to the other server, as a load balancer would.
2. failover: the same load, and halfway one server (its master and workers) gets SIGKILL.
3. floor: the same 40 auditors against bench/floor_app.py (one INSERT per save) with the same server layout.

For each it prints requests and errors by kind, save latency p50/p95/p99, saves per second, report and board
latency and the peak number of PostgreSQL connections to the database. Afterwards it checks that every save that
got a 2xx is in the database: in the audit trail with its note, and the answer at least at that version, and that the
findings raised got distinct numbers. It exits with 1 if any acknowledged save is missing or a number is taken twice.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import make_url
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.checklists import load_library  # noqa: E402
from auditor.db import make_engine, unit_of_work  # noqa: E402
from auditor.demo import create_demo  # noqa: E402
from auditor.models import AuditEvent, Finding, Response  # noqa: E402
from auditor.paths import CHECKLISTS_DIR  # noqa: E402
from auditor.schemas import AuditIn  # noqa: E402
from auditor.services import accounts, audits  # noqa: E402
from bench._database import fresh_database  # noqa: E402
from bench._servers import HOST, Servers, app_command, create_floor_table, floor_command, free_port  # noqa: E402

AUDITORS = 40
TEAM = 4  # a lead auditor and three auditors per audit
SAVE_INTERVAL = 0.5
REPORT_CLIENTS = 4
BOARD_CLIENTS = 2
FINDING_CLIENTS = 2  # two auditors of one team raising findings at once: their numbers must never collide
WORKERS = 2
TIMEOUT = 10.0  # seconds before a request counts as timed out
WINDOW = 10.0  # seconds: the save p99 is also printed for each such window of a phase
CHECKLISTS = ["iso45003-clauses", "at-external-audit"]


@dataclass
class Auditor:
    """One simulated tablet: its token, its audit and the items it answers, and what the servers acknowledged."""

    token: str
    audit_id: int
    item_ids: list[str]
    versions: dict[str, int] = field(default_factory=dict)
    acknowledged: list[tuple[str, str, int]] = field(default_factory=list)  # (item, note, version) of every 2xx save
    sent: int = 0


@dataclass
class World:
    auditors: list[Auditor]
    admin_token: str
    report_path: str


@dataclass
class Figures:
    """What one phase saw."""

    requests: Counter = field(default_factory=Counter)  # by kind of request
    errors: Counter = field(default_factory=Counter)  # by (kind of request, kind of error)
    failovers: int = 0
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # ms of successful requests
    saves_at: list[tuple[float, float]] = field(default_factory=list)  # (monotonic start, ms) of successful saves
    peak_connections: int | None = None


def build_world(url: str) -> World:
    """The demo audit, an installation admin, and AUDITORS / TEAM audits in progress with their teams' tokens."""
    library = load_library([CHECKLISTS_DIR])
    engine = make_engine(url)
    password = "bench password 123"  # one hash per user costs ~0.1 s: fine for 40 users
    with unit_of_work(engine) as session:
        demo = create_demo(session=session, library=library).audit
        admin, _ = accounts.create_user(
            session=session, actor=None, email="admin@bench.example", name="Admin", role="admin", password=password
        )
        _, admin_token = accounts.create_token(session=session, user=admin, name="bench")
        auditors = []
        for number in range(AUDITORS // TEAM):
            team = [
                accounts.create_user(
                    session=session,
                    actor=None,
                    email=f"auditor{number}.{k}@bench.example",
                    name=f"Auditor {number}.{k}",
                    role="lead_auditor" if k == 0 else "auditor",
                    password=password,
                )[0]
                for k in range(TEAM)
            ]
            audit = audits.create_audit(
                session=session,
                actor=team[0],
                library=library,
                data=AuditIn(
                    title=f"Bench {number}",
                    audit_type="surveillance",
                    organisation_id=demo.organisation_id,
                    start_date=date.today(),
                    end_date=date.today(),
                    lead_auditor_id=team[0].id,
                    team_ids=[u.id for u in team[1:]],
                    checklists=CHECKLISTS,
                ),
            )
            items = [item.id for name in CHECKLISTS for item in library.get(name).checklist.items()]
            for k, user in enumerate(team):  # the team shares out the items, as a team on site does
                auditors.append(
                    Auditor(
                        accounts.create_token(session=session, user=user, name="tablet")[1], audit.id, items[k::TEAM]
                    )
                )
        report_path = f"/api/v1/audits/{demo.id}/report.docx"
    engine.dispose()
    return World(auditors, admin_token, report_path)


class Balancer:
    """Round-robin over the servers; a request that meets a connection error is sent once more, to the next server."""

    def __init__(self, ports: list[int], figures: Figures):
        limits = httpx.Limits(
            max_connections=AUDITORS + REPORT_CLIENTS + BOARD_CLIENTS, max_keepalive_connections=AUDITORS + 10
        )
        self.clients = [
            httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=TIMEOUT, limits=limits) for port in ports
        ]
        self.figures = figures
        self.turn = 0

    async def request(self, kind: str, method: str, path: str, token: str, **options) -> httpx.Response | None:
        """The response, or None after a timeout or connection errors on every server (counted in the figures)."""
        self.figures.requests[kind] += 1
        self.turn += 1
        first, start = self.turn, time.perf_counter()
        for attempt in range(len(self.clients)):
            client = self.clients[(first + attempt) % len(self.clients)]
            try:
                response = await client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **options)
            except httpx.TimeoutException:
                self.figures.errors[kind, "timeout"] += 1
                return None
            except httpx.TransportError as error:  # refused, reset or closed mid-answer: a dead server
                failure = type(error).__name__
                if attempt + 1 < len(self.clients):
                    self.figures.failovers += 1
                continue
            if response.status_code >= 500:
                self.figures.errors[kind, "5xx"] += 1
            elif response.status_code >= 300:
                self.figures.errors[kind, f"other ({response.status_code})"] += 1
            else:
                self.figures.latency[kind].append((time.perf_counter() - start) * 1000)
                if kind == "save":
                    self.figures.saves_at.append((start, self.figures.latency[kind][-1]))
            return response
        self.figures.errors[kind, f"connection ({failure})"] += 1
        return None

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()


async def tablet(balancer: Balancer, auditor: Auditor, path: str, stop_at: float) -> None:
    """Save one answer every SAVE_INTERVAL, going round the auditor's items."""
    due = time.monotonic()
    while due < stop_at:
        item_id = auditor.item_ids[auditor.sent % len(auditor.item_ids)]
        note = f"{auditor.token[-8:]} {auditor.sent}: set og bekræftet ved interview."
        auditor.sent += 1
        based_on = auditor.versions.get(item_id, 0)
        response = await balancer.request(
            "save",
            "PUT",
            path.format(audit_id=auditor.audit_id, item_id=item_id),
            auditor.token,
            # With the id the tablet's outbox makes for the change: sent again after a lost reply, it answers as the first time.
            json={"verdict": "conform", "note": note, "version": based_on, "client_id": str(uuid.uuid4())},
        )
        if response is not None and response.status_code == 200:
            version = response.json()["version"]
            auditor.versions[item_id] = version
            auditor.acknowledged.append((item_id, note, version))
        elif response is not None and response.status_code == 409:  # a save that timed out landed after all
            auditor.versions[item_id] = response.json()["current"]["version"]
        due = max(
            due + SAVE_INTERVAL, time.monotonic() - SAVE_INTERVAL
        )  # catch up after a slow answer, never in a burst
        await asyncio.sleep(max(due - time.monotonic(), 0))


async def reader(balancer: Balancer, kind: str, path: str, token: str, stop_at: float) -> None:
    """Load `path` again and again, as people waiting for it do."""
    while time.monotonic() < stop_at:
        response = await balancer.request(kind, "GET", path, token)
        if response is None:
            await asyncio.sleep(0.5)


async def finder(balancer: Balancer, auditor: Auditor, stop_at: float) -> None:
    """Raise an observation on the auditor's audit every SAVE_INTERVAL."""
    path = f"/api/v1/audits/{auditor.audit_id}/findings"
    while time.monotonic() < stop_at:
        await balancer.request(
            "finding",
            "POST",
            path,
            auditor.token,
            json={"kind": "observation", "statement": "Vikarer kender ikke APV'en."},
        )
        await asyncio.sleep(SAVE_INTERVAL)


async def watch_connections(url: str | None, figures: Figures, stop_at: float) -> None:
    """The peak number of connections to the database (PostgreSQL's pg_stat_activity), polled 4 times a second."""
    if url is None:
        return
    import psycopg

    target = make_url(url)
    dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
    figures.peak_connections = 0
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        while time.monotonic() < stop_at:
            cursor = await connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (target.database,),
            )
            figures.peak_connections = max(figures.peak_connections, (await cursor.fetchone())[0])
            await asyncio.sleep(0.25)


async def run_phase(
    ports: list[int], world: World, seconds: float, *, floor: bool, pg_url: str | None, kill_halfway=None
) -> Figures:
    figures = Figures()
    balancer = Balancer(ports, figures)
    stop_at = time.monotonic() + seconds
    save_path = "/floor/{item_id}" if floor else "/api/v1/audits/{audit_id}/responses/{item_id}"
    tasks = [tablet(balancer, auditor, save_path, stop_at) for auditor in world.auditors]
    if not floor:
        tasks += [
            reader(balancer, "report", world.report_path, world.admin_token, stop_at) for _ in range(REPORT_CLIENTS)
        ]
        tasks += [reader(balancer, "board", "/cases", world.admin_token, stop_at) for _ in range(BOARD_CLIENTS)]
        tasks += [finder(balancer, auditor, stop_at) for auditor in world.auditors[:FINDING_CLIENTS]]  # one team
    tasks.append(watch_connections(pg_url, figures, stop_at))

    async def kill_later() -> None:
        await asyncio.sleep(seconds / 2)
        kill_halfway()

    if kill_halfway is not None:
        tasks.append(kill_later())
    try:
        await asyncio.gather(*tasks)
    finally:
        await balancer.close()
    return figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * share), len(ordered) - 1)]


def report(title: str, figures: Figures, seconds: float) -> float:
    """Print a phase's figures; returns its saves per second."""
    print(f"\n{title}")
    for kind, count in sorted(figures.requests.items()):
        errors = {error: n for (k, error), n in sorted(figures.errors.items()) if k == kind}
        shown = ", ".join(f"{error} {n}" for error, n in errors.items()) or "none"
        print(f"  {kind:<7} {count:6d} requests, errors: {shown}")
    if figures.failovers:
        print(f"  sent again to the other server after a connection error: {figures.failovers}")
    saves = figures.latency["save"]
    rate = len(saves) / seconds
    if saves:
        print(
            f"  save    p50 {percentile(saves, 0.5):7.1f} ms  p95 {percentile(saves, 0.95):7.1f} ms  p99 {percentile(saves, 0.99):7.1f} ms"
            f"  max {max(saves):7.1f} ms; {rate:.1f} saves/s acknowledged (offered {AUDITORS / SAVE_INTERVAL:.0f}/s)"
        )
    if len(saves) > 100:
        began = min(at for at, _ in figures.saves_at)
        windows = defaultdict(list)
        for at, ms in figures.saves_at:
            windows[int((at - began) // WINDOW)].append(ms)
        shown = "  ".join(
            f"{n * WINDOW:g}-{(n + 1) * WINDOW:g} s {percentile(w, 0.99):.0f}" for n, w in sorted(windows.items())
        )
        print(f"  save    p99 by {WINDOW:g} s window (ms): {shown}")
    for kind in ("report", "board"):
        times = figures.latency.get(kind)
        if times:
            print(
                f"  {kind:<7} p50 {statistics.median(times):7.1f} ms  p95 {percentile(times, 0.95):7.1f} ms  max {max(times):7.1f} ms (n={len(times)})"
            )
    if figures.peak_connections is not None:
        print(f"  peak PostgreSQL connections to the database: {figures.peak_connections}")
    return rate


def missing_saves(url: str, world: World) -> list[tuple[int, str, str, int]]:
    """Acknowledged saves the database does not hold: not in the audit trail with their note and version, or an
    answer now older than the version acknowledged."""
    engine = make_engine(url)
    audit_ids = {auditor.audit_id for auditor in world.auditors}
    with Session(engine) as session:
        trail = {
            (event.audit_id, event.entity_id, (event.after or {}).get("note"), (event.after or {}).get("version"))
            for event in session.exec(
                select(AuditEvent).where(AuditEvent.entity == "response", AuditEvent.audit_id.in_(audit_ids))
            )
        }
        stored = {
            (r.audit_id, r.item_id): r.version
            for r in session.exec(select(Response).where(Response.audit_id.in_(audit_ids)))
        }
    engine.dispose()
    missing = []
    for auditor in world.auditors:
        for item_id, note, version in auditor.acknowledged:
            if (auditor.audit_id, item_id, note, version) not in trail or stored.get(
                (auditor.audit_id, item_id), 0
            ) < version:
                missing.append((auditor.audit_id, item_id, note, version))
    return missing


def finding_numbers(url: str, audit_id: int) -> tuple[int, list[int]]:
    """How many findings the audit holds, and their numbers."""
    engine = make_engine(url)
    with Session(engine) as session:
        numbers = list(session.exec(select(Finding.number).where(Finding.audit_id == audit_id)))
    engine.dispose()
    return len(numbers), numbers


def drop_database(url: str) -> None:
    import psycopg

    target = make_url(url)
    admin = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_load",
        help="a PostgreSQL database to drop, create and drop again (default: %(default)s)",
    )
    parser.add_argument(
        "--sqlite", action="store_true", help="one server on a SQLite file in a temporary folder instead"
    )
    parser.add_argument("--seconds", type=float, default=60, help="length of each phase (default 60)")
    parser.add_argument(
        "--warm-up", type=float, default=15, help="seconds of load before the steady phase, shown apart (default 15)"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a plain kill ends the servers too

    if not args.sqlite and make_url(args.database_url).host not in {HOST, "localhost"}:
        parser.error("the benchmark only talks to 127.0.0.1")
    url, workdir = fresh_database(None if args.sqlite else args.database_url, prefix="auditor-bench-load-")
    pg_url = None if args.sqlite else url
    try:
        started = time.perf_counter()
        world = build_world(url)
        create_floor_table(url)
        servers_count = 1 if args.sqlite else 2
        print(
            f"database: {make_url(url).render_as_string(hide_password=True)}; built {len(world.auditors)} auditors on "
            f"{len(world.auditors) // TEAM} audits in {time.perf_counter() - started:.1f} s"
        )
        print(
            f"{servers_count} server(s) x {WORKERS} workers on {HOST}; {AUDITORS} auditors saving every {SAVE_INTERVAL} s, "
            f"{REPORT_CLIENTS} downloading Word reports, {BOARD_CLIENTS} loading the follow-up board; {args.seconds:g} s per phase; "
            f"server logs in {workdir}"
        )
        env = {"AUDITOR_DATABASE_URL": url, "AUDITOR_DATA_DIR": str(workdir), "AUDITOR_LOG_LEVEL": "warning"}
        with Servers(workdir, env) as servers:
            ports = [free_port() for _ in range(servers_count)]
            pids = [servers.start(app_command(port, WORKERS), f"app-{n}") for n, port in enumerate(ports)]
            if args.warm_up:
                warm_up = asyncio.run(run_phase(ports, world, args.warm_up, floor=False, pg_url=pg_url))
                report("0. warm-up: the servers just started", warm_up, args.warm_up)
            steady = asyncio.run(run_phase(ports, world, args.seconds, floor=False, pg_url=pg_url))
            app_rate = report("1. steady load", steady, args.seconds)
            if servers_count > 1:
                failover = asyncio.run(
                    run_phase(
                        ports,
                        world,
                        args.seconds,
                        floor=False,
                        pg_url=pg_url,
                        kill_halfway=lambda: servers.kill(pids[0]),
                    )
                )
                report(
                    f"2. one of the two servers killed (SIGKILL) after {args.seconds / 2:g} s", failover, args.seconds
                )
            servers.stop_all()
            floor_ports = [free_port() for _ in range(servers_count)]
            for n, port in enumerate(floor_ports):
                servers.start(floor_command(port, WORKERS), f"floor-{n}", ready_path="/openapi.json")
            floor_world = World(
                [Auditor(a.token, a.audit_id, a.item_ids) for a in world.auditors], world.admin_token, world.report_path
            )
            floor = asyncio.run(run_phase(floor_ports, floor_world, args.seconds, floor=True, pg_url=pg_url))
            floor_rate = report("3. floor: the same savers against one INSERT per save", floor, args.seconds)
        if floor_rate:
            print(
                f"\nsaves per second under steady load: {app_rate:.1f} against the floor's {floor_rate:.1f} ({app_rate / floor_rate:.0%})"
            )
        missing = missing_saves(url, world)
        acknowledged = sum(len(a.acknowledged) for a in world.auditors)
        print(f"acknowledged saves missing from the database: {len(missing)} of {acknowledged}")
        for audit_id, item_id, note, version in missing[:10]:
            print(f"  audit {audit_id}, item {item_id}, version {version}: {note!r}")
        raised, numbers = finding_numbers(url, world.auditors[0].audit_id)
        twice = len(numbers) - len(set(numbers))
        print(
            f"findings raised at once by {FINDING_CLIENTS} auditors: {raised}, numbered {min(numbers, default=0)}..{max(numbers, default=0)}, "
            f"numbers taken twice: {twice}"
        )
        return 1 if missing or twice else 0
    finally:
        if pg_url:
            drop_database(pg_url)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers and the database are gone already
        sys.exit(130)
