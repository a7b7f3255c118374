"""Run as operators run it: several processes on one database, health and readiness, logs, metrics, a proxy in
front. The server tests start real `auditor serve` processes on free ports."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # importing the app takes seconds on a busy 2-core machine; several workers start at once


@pytest.fixture
def empty_database_url(fresh_database) -> str:
    """A database with nothing in it: PostgreSQL when the tests run on it, else a SQLite file."""
    return fresh_database("operations")


def auditor_env(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a server or command; no report process unless `report_processes` is given (one is a spawned
    interpreter per worker, seconds of CPU, and only the shutdown test asks for reports' processes)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDITOR_", "PROMETHEUS_"))}
    env.update({"AUDITOR_DATABASE_URL": database_url, "AUDITOR_DATA_DIR": str(data_dir), "AUDITOR_LOG_FORMAT": "json"})
    env["AUDITOR_REPORT_PROCESSES"] = "0"
    env.update({f"AUDITOR_{name.upper()}": value for name, value in settings.items()})
    return env


class Server:
    """`auditor serve --port 0` in a subprocess; its log lines collected as they come."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.lines: list[str] = []
        self.url: str | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "auditor", "serve", "--port", "0", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
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
        results = list(
            pool.map(
                lambda _: subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300),
                range(2),
            )
        )
    for result in results:
        assert result.returncode == 0, result.stderr
        assert "database schema is up to date" in result.stdout


def test_serve_refuses_an_outdated_schema_and_upgrades_it_when_told(tmp_path, servers):
    from auditor.db import upgrade

    url = f"sqlite:///{tmp_path / 'auditor.db'}"
    upgrade(url, "0004")
    env = auditor_env(url, tmp_path)
    refused = subprocess.run(
        [sys.executable, "-m", "auditor", "serve", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 1
    message = json.loads(refused.stderr.strip().splitlines()[-1])
    assert (
        message["level"] == "ERROR"
        and "schema is at revision 0004" in message["message"]
        and "auditor serve --upgrade" in message["message"]
    )
    servers.append(Server(env, "--upgrade"))
    servers[0].wait_ready()


def test_uvicorn_started_directly_on_an_outdated_schema_exits_with_a_clear_line(tmp_path):
    env = auditor_env(f"sqlite:///{tmp_path / 'auditor.db'}", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "--factory", "auditor.app:create_server_app", "--port", "0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "auditor cannot start: the database has no schema yet. Run `auditor db upgrade`" in result.stderr


def test_readiness_needs_the_current_schema_but_liveness_needs_no_database(tmp_path, library):
    from fastapi.testclient import TestClient

    from auditor.app import create_app
    from auditor.config import Settings

    def probe(url: str) -> tuple:
        app = create_app(Settings(database_url=url, data_dir=tmp_path), library=library)
        client = TestClient(app)  # without start-up, which would refuse these databases
        try:
            return client.get("/healthz").status_code, client.get("/readyz")
        finally:
            app.state.engine.dispose()

    alive, ready = probe(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert alive == 200 and ready.status_code == 503
    assert ready.json() == {"status": "not ready", "reason": "the database has no schema yet"}
    alive, ready = probe("postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here")
    assert alive == 200 and ready.status_code == 503
    assert ready.json()["reason"].startswith("the database does not answer")


def test_ready_when_the_schema_is_current(anonymous):
    reply = anonymous.get("/readyz")
    assert reply.status_code == 200 and reply.json()["status"] == "ready"


def test_the_request_id_is_taken_when_well_formed_and_made_otherwise(anonymous):
    assert anonymous.get("/healthz", headers={"X-Request-ID": "lb-1234.abc"}).headers["X-Request-ID"] == "lb-1234.abc"
    for forged in ("<script>", "x" * 500, ""):
        made = anonymous.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)


def test_an_unexpected_error_is_logged_once_with_its_request_id_and_the_page_carries_it(
    settings, engine, library, caplog
):
    from fastapi.testclient import TestClient

    from auditor.app import create_app
    from auditor.logs import RequestIdFilter

    def explode():
        raise RuntimeError("kaboom")

    app = create_app(settings, engine=engine, library=library)  # its own: a route is added (tests share `app`)
    app.add_api_route("/explode", explode)
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    anonymous = TestClient(app, raise_server_exceptions=False)
    reply = anonymous.get("/explode", headers={"X-Request-ID": "req-42"})
    assert reply.status_code == 500 and "Traceback" not in reply.text
    assert reply.headers["X-Request-ID"] == "req-42" and reply.headers["X-Content-Type-Options"] == "nosniff"
    errors = [r for r in caplog.records if r.exc_info]
    assert len(errors) == 1 and errors[0].request_id == "req-42" and "kaboom" in str(errors[0].exc_info[1])
    access = [r for r in caplog.records if r.name == "auditor.access"]
    assert [(r.status, r.request_id, r.path) for r in access] == [(500, "req-42", "/explode")]


def test_small_replies_are_not_compressed_and_large_pages_are(client, make_audit):
    audit = make_audit()
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 200 and "content-encoding" not in small.headers
    page = client.get(f"/audits/{audit.id}/conduct", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"


def test_metrics_count_requests_by_route_template_for_allowed_addresses_only(app, client, make_audit):
    from fastapi.testclient import TestClient

    audit = make_audit()
    monitor = TestClient(app, client=("127.0.0.1", 40000))
    outsider = TestClient(app, client=("10.1.2.3", 40000))
    line = re.compile(
        r'^auditor_http_requests_total\{method="GET",route="/api/v1/audits/\{audit_id\}",status="2xx"\} (\S+)$', re.M
    )

    def counted() -> float:
        reply = monitor.get("/metrics")
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
        found = line.search(reply.text)
        return float(found.group(1)) if found else 0.0

    before = counted()
    for _ in range(3):
        assert client.get(f"/api/v1/audits/{audit.id}").status_code == 200
    text = monitor.get("/metrics").text
    assert counted() == before + 3
    assert f'/api/v1/audits/{audit.id}"' not in text  # never the raw path
    assert (
        'auditor_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/audits/{audit_id}",status="2xx"}'
        in text
    )
    assert re.search(r"^auditor_db_pool_connections_in_use \d", text, re.M)
    refused = outsider.get("/metrics")
    assert refused.status_code == 403 and "auditor_http_requests" not in refused.text


def test_thelistening_socket_hands_tcp_nodelay_to_every_connection():
    from auditor.cli import listening_socket

    listener = listening_socket("127.0.0.1", 0)
    listener.listen()
    with listener, socket.create_connection(listener.getsockname()) as _client:
        accepted, _ = listener.accept()
        with accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def counted_health_checks(server: Server, wait_s: float = 3.0) -> float:
    """/healthz requests counted in /metrics, all workers together. A worker counts a request once its answer is sent,
    so the scrape may come a moment before the last count: wait for it to settle."""
    deadline = time.monotonic() + wait_s
    while True:
        status, body, _ = get(f"{server.url}/metrics")
        assert status == 200
        counted = re.search(
            r'^auditor_http_requests_total\{method="GET",route="/healthz",status="2xx"\} (\S+)$', body.decode(), re.M
        )
        value = float(counted.group(1)) if counted else 0.0
        if value >= 20 or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def access_lines(server: Server, request_ids: list[str], wait_s: float = 10.0) -> dict[str, dict]:
    """The server's access log lines by request id, once those of `request_ids` have come through the pipe (a line is
    written after its answer is sent), or all there are after `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        access = {r["request_id"]: r for r in server.records() if r["logger"] == "auditor.access"}
        if set(request_ids) <= access.keys() or time.monotonic() > deadline:
            return access
        time.sleep(0.05)


def test_several_workers_behind_an_untrusted_proxy_address_log_json_and_count_every_request(tmp_path, servers):
    """Two workers: /metrics adds up both workers' counts; a forged X-Forwarded-For from an address that is not a
    configured proxy changes nothing; every log line is a JSON object, the access line with the request id."""
    from auditor.db import upgrade

    url = f"sqlite:///{tmp_path / 'auditor.db'}"
    upgrade(url)
    guarded = Server(auditor_env(url, tmp_path, forwarded_allow_ips="10.9.9.9"), "--workers", "2")
    trusting = Server(auditor_env(url, tmp_path))  # the default trusts a proxy on this machine
    servers.extend([guarded, trusting])
    for server in servers:
        server.wait_ready()
    forged = {"X-Forwarded-For": "203.0.113.7"}
    for number in range(20):  # a new connection each: the kernel hands them to both workers
        assert get(f"{guarded.url}/healthz", {**forged, "X-Request-ID": f"probe-{number}"})[0] == 200
    assert get(f"{trusting.url}/healthz", {**forged, "X-Request-ID": "via-proxy"})[0] == 200
    assert counted_health_checks(guarded) == 20
    access = access_lines(guarded, [f"probe-{number}" for number in range(20)])
    line = access["probe-7"]
    assert (
        line["client"] == "127.0.0.1"
        and line["method"] == "GET"
        and line["path"] == "/healthz"
        and line["status"] == 200
    )
    assert {"timestamp", "level", "message", "duration_ms"} <= line.keys()
    access_lines(trusting, ["via-proxy"])
    assert [r["client"] for r in trusting.records() if r.get("request_id") == "via-proxy"] == ["203.0.113.7"]


def test_sigterm_lets_a_request_in_flight_finish_and_stops_within_the_graceful_timeout(tmp_path, servers):
    from auditor.db import upgrade

    url = f"sqlite:///{tmp_path / 'auditor.db'}"
    upgrade(url)
    server = Server(auditor_env(url, tmp_path, graceful_timeout="6", report_processes="1"))  # a server as it runs
    servers.append(server)
    server.wait_ready()
    get(f"{server.url}/login")  # the first page compiles templates: the request in flight should not wait for that
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    body = b"email=a%40b.example&password=wrong"
    head = f"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    finishing, stalled = socket.create_connection((host, int(port))), socket.create_connection((host, int(port)))
    with finishing, stalled:
        finishing.sendall(head)
        stalled.sendall(head)  # its body never comes
        time.sleep(1)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        finishing.sendall(body)
        finishing.settimeout(10)
        assert finishing.recv(100).startswith(b"HTTP/1.1 ")
        started = time.monotonic()
        assert server.process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it is done
        assert time.monotonic() - started < 15  # the stalled request was given up after 6 s, not waited for


def test_the_compose_file_runs_the_app_upgraded_with_workers_beside_a_healthy_postgresql():
    """Docker cannot run here; the compose file is at least valid YAML that says what README says."""
    import yaml

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert (
        app["command"][:6] == ["auditor", "serve", "--upgrade", "--workers", "2", "--host"]
        and "0.0.0.0" in app["command"]
    )
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(app["healthcheck"]["test"]) and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["environment"]["AUDITOR_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert int(app["environment"]["AUDITOR_GRACEFUL_TIMEOUT"]) < int(app["stop_grace_period"].removesuffix("s"))


def test_a_connection_taken_before_the_pool_was_watched_does_not_count_down(tmp_path):
    """The in-use gauge counts a connection's return only if it counted its checkout: a connection held when the
    engine began to be watched once drove the gauge to -1 (seen in CI on PostgreSQL)."""
    from prometheus_client import REGISTRY
    from sqlalchemy import create_engine

    from auditor import metrics

    engine = create_engine(f"sqlite:///{tmp_path / 'watched.db'}")
    held = engine.connect()
    metrics.watch_pool(engine)
    before = REGISTRY.get_sample_value("auditor_db_pool_connections_in_use")
    held.close()
    with engine.connect():
        assert REGISTRY.get_sample_value("auditor_db_pool_connections_in_use") == before + 1
    assert REGISTRY.get_sample_value("auditor_db_pool_connections_in_use") == before
    engine.dispose()


def test_only_word_files_and_template_checks_take_turns_in_the_report_queue(settings):
    """The report queue is for the work that renders a Word file: a download, or an uploaded template's check. The
    report templates' list is a page like any other and must not wait (or get 503) behind a queue of reports."""
    from auditor.middleware import Admission

    admission = Admission(settings)
    assert admission.queue("GET", "/api/v1/audits/1/report.docx") is admission.reports
    assert admission.queue("POST", "/report-templates") is admission.reports
    assert admission.queue("POST", "/api/v1/report-templates") is admission.reports
    assert admission.queue("GET", "/report-templates") is admission.others
    assert admission.queue("GET", "/api/v1/report-templates") is admission.others
