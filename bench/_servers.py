"""Servers for the HTTP benchmarks: free ports on 127.0.0.1, the commands that start the app and the floor, and a
group of processes that is always ended (on a normal exit, Ctrl-C or an exception)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import text

from auditor.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the benchmarks never talk to any other address


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def app_command(port: int, workers: int) -> list[str]:
    """How a server of the app is started: `auditor serve`, as operators run it."""
    return [
        str(Path(sys.executable).parent / "auditor"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def floor_command(port: int, workers: int) -> list[str]:
    """The floor (bench/floor_app.py), with the same worker layout and the same TCP_NODELAY socket as the app."""
    return [sys.executable, "-m", "bench.floor_app", "--port", str(port), "--workers", str(workers)]


def create_floor_table(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        key = "INTEGER PRIMARY KEY AUTOINCREMENT" if url.startswith("sqlite") else "SERIAL PRIMARY KEY"
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS bench_floor (id {key}, item_id VARCHAR(100) NOT NULL, note TEXT NOT NULL)"
            )
        )
    engine.dispose()


class Servers:
    """Started server processes, each in its own process group (a uvicorn master and its workers), all ended on exit."""

    def __init__(self, logdir: Path, env: dict[str, str]):
        self.logdir = logdir
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.processes: list[subprocess.Popen] = []

    def start(self, command: list[str], name: str, ready_path: str = "/healthz", timeout: float = 60) -> int:
        """Start a server and wait until it answers; returns its process id."""
        port = int(command[command.index("--port") + 1])
        with open(self.logdir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.processes.append(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.logdir / (name + '.log')}")
            try:
                if httpx.get(f"http://{HOST}:{port}{ready_path}", timeout=2).status_code < 500:
                    return process.pid
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer within {timeout:.0f} s; see {self.logdir / (name + '.log')}")

    def kill(self, pid: int) -> None:
        """SIGKILL a server and its workers at once, as a machine that dies."""
        _signal_group(pid, signal.SIGKILL)

    def stop_all(self) -> None:
        for process in self.processes:
            _signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait()
            _signal_group(process.pid, signal.SIGKILL)  # workers a killed master left behind
        self.processes.clear()

    def __enter__(self) -> Servers:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop_all()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)  # start_new_session made the server's pid its process group id
