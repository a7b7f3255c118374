"""Back-to-back requests on one kept-alive connection: `auditor serve` with 1 and 2 workers, and uvicorn's own
`--workers 2` for comparison (its shared socket lacks TCP_NODELAY, so each request waits ~40 ms for a delayed ACK).

    .venv/bin/python bench/keep_alive.py [--requests 200]

Uses a temporary SQLite database; prints the median and p95 milliseconds per /healthz request.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start(command: list[str], env: dict[str, str], url_pattern: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found: list[str] = []

    def read() -> None:
        for line in process.stdout:
            match = re.search(url_pattern, line)
            if match and not found:
                found.append(match.group(1))

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if found:
            try:
                connection = http.client.HTTPConnection(found[0].removeprefix("http://"), timeout=5)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return process, found[0]
            except OSError:
                pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


def keep_alive_loop(url: str, requests: int) -> list[float]:
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=10)
    times = []
    for _ in range(requests + 10):
        started = time.perf_counter()
        connection.request("GET", "/healthz")
        reply = connection.getresponse()
        reply.read()
        assert reply.status == 200
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return times[10:]  # the first few warm the worker up


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITOR_")}
        env.update(AUDITOR_DATA_DIR=data_dir, AUDITOR_LOG_LEVEL="warning")
        subprocess.run(
            [sys.executable, "-m", "auditor", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        env["AUDITOR_LOG_LEVEL"] = "info"  # the serve line names the port
        port = free_port()
        runs = [
            (
                "auditor serve, 1 worker",
                [sys.executable, "-m", "auditor", "serve", "--port", "0", "--workers", "1"],
                r"serving (http://\S+) with",
            ),
            (
                "auditor serve, 2 workers",
                [sys.executable, "-m", "auditor", "serve", "--port", "0", "--workers", "2"],
                r"serving (http://\S+) with",
            ),
            (
                "uvicorn --workers 2 (its own socket)",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "auditor.app:create_server_app",
                    "--workers",
                    "2",
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
                r"Uvicorn running on (http://\S+)",
            ),
        ]
        print(f"{args.requests} GET /healthz on one kept-alive connection, ms per request")
        print(f"{'server':<40} {'median':>7} {'p95':>7}")
        for name, command, pattern in runs:
            process, url = start(command, env, pattern)
            try:
                times = keep_alive_loop(url, args.requests)
            finally:
                stop(process)
            print(f"{name:<40} {statistics.median(times):7.1f} {statistics.quantiles(times, n=20)[18]:7.1f}")


if __name__ == "__main__":
    main()
