"""Run as operators run it: several processes on one database, health and readiness, logs, metrics, a proxy in
front. The server tests start real `auditor serve` processes on free ports."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, _recreate_postgres_database

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # importing the app takes seconds on a busy 2-core machine; several workers start at once


@pytest.fixture
def empty_database_url(tmp_path) -> str:
    """A database with nothing in it: PostgreSQL when the tests run on it, else a SQLite file."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        url = make_url(TEST_DATABASE_URL)
        url = url.set(database=f"{url.database}_operations").render_as_string(hide_password=False)
        _recreate_postgres_database(url)
        return url
    return f"sqlite:///{tmp_path / 'auditor.db'}"


def auditor_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "PROMETHEUS_"))}
    env.update({"AUDITOR_DATABASE_URL": database_url, "AUDITOR_DATA_DIR": str(data_dir), "AUDITOR_LOG_FORMAT": "json"})
    env.update({f"AUDITOR_{name.upper()}": value for name, value in settings.items()})
    return env


class Server:
    """`auditor serve --port 0` in a subprocess; its log lines collected as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self.url: str | None = None
        self.process = subprocess.Popen([sys.executable, "-m", "auditor", "serve", "--port", "0", *args], env=env, cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            found = re.search(r"serving (http://\S+) with", line)
            if found:
                self.url = found.group(1)

    def log(self) -> str:
        return "\n".join(self.lines)

    def records(self) -> list[dict]:
        """The JSON log lines (every line must be one)."""
        return [json.loads(line) for line in self.lines]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited with {self.process.returncode}:\n{self.log()}"
            if self.url and get(self.url + "/readyz")[0] == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"not ready within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.reader.join(timeout=5)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as reply:
            return reply.status, reply.read(), dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)
    except OSError:
        return 0, b"", {}


@pytest.fixture
def servers():
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def test_two_servers_started_at_once_on_an_empty_database_both_come_up(empty_database_url, tmp_path, servers):
    env = auditor_env(empty_database_url, tmp_path)
    servers.extend([Server(env), Server(env)])
    for server in servers:
        server.wait_ready()
    for server in servers:
        assert "Traceback" not in server.log()


def test_two_upgrades_at_once_on_an_empty_database_both_succeed(empty_database_url, tmp_path):
    env = auditor_env(empty_database_url, tmp_path)
    command = [sys.executable, "-m", "auditor", "db", "upgrade"]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300), range(2)))
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "database schema is up to date" in result.stdout
