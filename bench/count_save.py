"""Instructions per answer save, the app against the floor, counted by valgrind (callgrind). Prints figures.

    python bench/count_save.py            # runs itself twice under valgrind: the app, then the floor (~2 min)
    python bench/count_save.py --edits    # the saves counted change answers saved before (an UPDATE, not an INSERT)

On a busy machine wall-clock and even CPU times drift with the neighbours; an instruction count does not. Each run
serves the saves of bench/bench_save.py in-process (the ASGI app called directly, its thread-pool calls made inline,
so no HTTP server and no thread hops are counted: bench_save.py shows those) and counts only the measured saves:
each an item's first answer, or with --edits a change of an answer saved during the warm-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAVES = 60
WARM_UP = 30


def count(target: str, edits: bool) -> float:
    """Instructions per save of `target` ("app" or "floor"), from a run of this script under callgrind."""
    with tempfile.TemporaryDirectory(prefix="auditor-count-save-") as folder:
        run = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={folder}/out",
                sys.executable,
                __file__,
                "--serve",
                target,
                *(["--edits"] if edits else []),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind run of the {target} failed:\n{run.stderr[-2000:]}")
    return int(found.group(1)) / SAVES


def serve(target: str, edits: bool) -> None:
    """Under valgrind: WARM_UP saves (each an item's first), then SAVES saves with instrumentation switched on: more
    first saves, or with `edits` changes of the warm-up's answers, each based on the version the last save made."""
    from bench._database import fresh_database
    from bench._servers import create_floor_table
    from bench.bench_save import load

    url, workdir = fresh_database(None, prefix="auditor-count-save-")
    (workdir / "checklists").mkdir()
    audit_id, item_ids, token = load(url, workdir / "checklists")
    os.environ.update(
        {
            "AUDITOR_DATABASE_URL": url,
            "AUDITOR_DATA_DIR": str(workdir),
            "AUDITOR_CHECKLISTS_DIR": str(workdir / "checklists"),
            "AUDITOR_REPORT_PROCESSES": "0",  # no report process started beside the saves counted
        }
    )
    if target == "floor":
        from bench.floor_app import create_app

        create_floor_table(url)
        app, path = create_app(), "/floor"
    else:
        from auditor.app import create_server_app

        app, path = create_server_app(), f"/api/v1/audits/{audit_id}/responses"

    async def call(item_id: str, body: dict) -> dict:
        raw = json.dumps(body).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "PUT",
            "scheme": "http",
            "path": f"{path}/{item_id}",
            "raw_path": f"{path}/{item_id}".encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"bench"),
                (b"authorization", f"Bearer {token}".encode()),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        messages = [{"type": "http.request", "body": raw, "more_body": False}]
        reply: dict = {"body": b""}

        async def receive() -> dict:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                reply["status"] = message["status"]
            elif message["type"] == "http.response.body":
                reply["body"] += message.get("body", b"")

        await app(scope, receive, send)
        if reply["status"] != 200:
            raise RuntimeError(f"save failed: {reply}")
        return json.loads(reply["body"])

    async def inline(func, *args, **_options):
        return func(*args)

    async def run() -> None:
        versions: dict[str, int] = {}
        for number in range(WARM_UP + SAVES):
            if number == WARM_UP:
                subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], check=True, capture_output=True)
            item_id = item_ids[((number % WARM_UP if edits else number) * 7) % len(item_ids)]
            body = {"verdict": "conform", "note": f"Counted ({number}).", "version": versions.get(item_id, 0)}
            saved = await call(item_id, body | {"client_id": str(uuid.uuid4())})  # as the tablet's outbox sends it
            versions[item_id] = saved["version"]
        subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], check=True, capture_output=True)

    with mock.patch("anyio.to_thread.run_sync", inline):
        asyncio.run(lifespan(app, run))


async def lifespan(app, work) -> None:
    """Start the app (its lifespan), do `work`, stop it."""
    events: asyncio.Queue = asyncio.Queue()
    started = asyncio.Event()
    await events.put({"type": "lifespan.startup"})

    async def send(message: dict) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"] == "lifespan.startup.failed":
            raise RuntimeError(message)

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, events.get, send))
    await started.wait()
    await work()
    await events.put({"type": "lifespan.shutdown"})
    await task


def main() -> int:
    edits = "--edits" in sys.argv
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], edits)
        return 0
    app, floor = count("app", edits), count("floor", edits)
    saves = "changes of saved answers" if edits else "first saves"
    print(f"instructions per save, in-process, SQLite (WAL), {SAVES} {saves} counted by callgrind:")
    print(f"save an answer (PUT .../responses)   {app / 1e6:6.2f} million")
    print(f"floor (validate, one INSERT)         {floor / 1e6:6.2f} million")
    print(f"ratio to the floor: {app / floor:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
