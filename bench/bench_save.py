"""One save of an answer over HTTP, against the floor. Prints figures; it checks no budget.

    python bench/bench_save.py                 # SQLite in a temporary folder
    python bench/bench_save.py --profile       # and a pyinstrument profile of the saves (in-process, same app)
    python bench/bench_save.py --edits         # every save measured changes an answer saved before (an UPDATE)

Two servers on 127.0.0.1, one uvicorn process each, on one SQLite database in WAL mode: the app, and the floor
(bench/floor_app.py: the same body validated, one INSERT). A client on one kept-alive connection sends sequential
saves of a 1,020-item audit as a team member's tablet does (PUT .../responses/{item} with verdict, note, the
version it is based on and the outbox's client id for the change, with an API token), and as many to the floor, in alternating rounds; it prints the median,
p95 and minimum of each, the CPU time each server used per request (read from /proc: a busy machine stretches the
wall clock, not that) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
import uuid
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.db import make_engine, unit_of_work  # noqa: E402
from bench._database import fresh_database  # noqa: E402
from bench._servers import HOST, Servers, app_command, create_floor_table, floor_command, free_port  # noqa: E402
from bench._world import make_team, plan_audit, server_env, synthetic_library  # noqa: E402

SIZE = 1020
WARM_UP = 30  # saves to each server before the measured ones


def load(url: str, checklist_dir: Path) -> tuple[int, list[str], str]:
    """A lead auditor, an auditor on the team and their 1,020-item audit: (audit id, item ids, the auditor's token)."""
    library = synthetic_library(checklist_dir, SIZE)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        team = make_team(session)
        audit_id = plan_audit(session=session, library=library, team=team, title="Bench", checklist=f"bench-{SIZE}").id
    engine.dispose()
    return audit_id, [item.id for item in library.get(f"bench-{SIZE}").checklist.items()], team.token


class Saver:
    """Sequential saves through one client, each based on the version the previous save of that item returned."""

    def __init__(self, client, path: str, item_ids: list[str]):
        self.client, self.path, self.item_ids = client, path, item_ids
        self.versions: dict[str, int] = {}
        self.count = 0

    def save(self) -> float:
        item_id = self.item_ids[(self.count * 7) % len(self.item_ids)]
        body = {
            "verdict": "conform",
            "note": f"Set og bekræftet ved interview ({self.count}).",
            "version": self.versions.get(item_id, 0),
            "client_id": str(uuid.uuid4()),  # the outbox's id for the change (its receipt makes a repeat harmless)
        }
        self.count += 1
        start = time.perf_counter()
        response = self.client.put(f"{self.path}/{item_id}", json=body)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"save failed: {response.status_code} {response.text[:300]}")
        self.versions[item_id] = response.json()["version"]
        return elapsed


def cpu_ms(pid: int) -> float:
    """CPU time (user and system) a process has used, in ms: unlike the wall clock, other work on the machine does
    not inflate it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def describe(name: str, times: list[float], cpu: float) -> tuple[float, float]:
    """Print the figures of one server; returns (median ms, server CPU ms per request)."""
    times = sorted(times)
    median, per_request = statistics.median(times), cpu / len(times)
    print(
        f"{name:<36} median {median:6.2f} ms  p95 {times[int(len(times) * 0.95) - 1]:6.2f} ms  min {times[0]:6.2f} ms"
        f"  server CPU {per_request:5.2f} ms/request  (n={len(times)})"
    )
    return median, per_request


def profile(url: str, workdir: Path, token: str, saver: Saver, saves: int) -> None:
    """More of the same saves in-process through the real app, under pyinstrument. The ASGI app runs on this
    thread and its thread-pool calls run inline, so the profile sees every frame of a save."""
    import asyncio
    from unittest import mock

    from pyinstrument import Profiler

    from auditor.app import create_app
    from auditor.config import Settings

    async def inline(func, *args, **_options):
        return func(*args)

    async def run() -> None:
        app = create_app(Settings(database_url=url, data_dir=workdir, checklists_dir=workdir / "checklists"))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers={"Authorization": f"Bearer {token}"}
        ) as client:

            async def put(path, json):
                return await client.put(path, json=json)

            for number in range(20 + saves):
                if number == 20:
                    profiler.start()
                item_id = saver.item_ids[(saver.count * 7) % len(saver.item_ids)]
                body = {
                    "verdict": "conform",
                    "note": f"Profiled ({saver.count}).",
                    "version": saver.versions.get(item_id, 0),
                    "client_id": str(uuid.uuid4()),
                }
                saver.count += 1
                response = await put(f"{saver.path}/{item_id}", body)
                assert response.status_code == 200, response.text
                saver.versions[item_id] = response.json()["version"]
            profiler.stop()

    profiler = Profiler(interval=0.0002, async_mode="disabled")
    with mock.patch("anyio.to_thread.run_sync", inline):
        asyncio.run(run())
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=300, help="saves to each server (default 300)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds the saves are split into")
    parser.add_argument("--profile", action="store_true", help="also profile the saves with pyinstrument")
    parser.add_argument(
        "--edits", action="store_true", help="save 30 items over and over: after the warm-up, each save is a change"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a plain kill ends the servers too

    url, workdir = fresh_database(None, prefix="auditor-bench-save-")
    (workdir / "checklists").mkdir()
    audit_id, item_ids, token = load(url, workdir / "checklists")
    create_floor_table(url)
    print(f"database: {url}")

    with Servers(workdir, server_env(url, workdir)) as servers:
        app_port, floor_port = free_port(), free_port()
        app_pid = servers.start(app_command(app_port, workers=1), "app")
        floor_pid = servers.start(floor_command(floor_port, workers=1), "floor", ready_path="/openapi.json")
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=f"http://{HOST}:{app_port}", headers=headers) as app_client,
            httpx.Client(base_url=f"http://{HOST}:{floor_port}", headers=headers) as floor_client,
        ):
            items = item_ids[:WARM_UP] if args.edits else item_ids  # --edits: the warm-up answers each of the 30
            app = Saver(app_client, f"/api/v1/audits/{audit_id}/responses", items)
            floor = Saver(floor_client, "/floor", items)
            for _ in range(WARM_UP):  # warm up: connections, caches, the token's last-used stamp
                app.save()
                floor.save()
            app_times: list[float] = []
            floor_times: list[float] = []
            app_cpu = floor_cpu = 0.0
            per_round = max(args.saves // args.rounds, 1)
            for _ in range(args.rounds):  # alternate, so a busy moment on the machine hits both alike
                before = cpu_ms(app_pid)
                app_times += [app.save() for _ in range(per_round)]
                app_cpu += cpu_ms(app_pid) - before
                before = cpu_ms(floor_pid)
                floor_times += [floor.save() for _ in range(per_round)]
                floor_cpu += cpu_ms(floor_pid) - before
    saves = "changes of 30 answers" if args.edits else "saves"
    print(f"sequential {saves} over HTTP with keep-alive, one uvicorn process each, SQLite (WAL), {SIZE}-item audit:")
    app_median, app_cpu = describe("save an answer (PUT .../responses)", app_times, app_cpu)
    floor_median, floor_cpu = describe("floor (validate, one INSERT)", floor_times, floor_cpu)
    print(
        f"ratio to the floor: {app_median / floor_median:.1f}x in the median, {app_cpu / floor_cpu:.1f}x in server CPU per request"
    )
    if args.profile:
        profile(url, workdir, token, app, args.saves)
    return 0


if __name__ == "__main__":
    sys.exit(main())
