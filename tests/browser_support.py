"""Helpers for the browser tests: the real app in a real uvicorn server on a free port, a switchable delay
in front of it (to hold a save "in flight" on purpose), and a tiny JSON client for checking what the server
stored. Standard library only, so nothing here depends on which HTTP client the test extras carry."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip without Debian's Chromium, except on CI, where a missing browser must fail the run."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run on CI: {message}", pytrace=False)
    pytest.skip(message)


# Playwright's `expect` waits this long by default, in every browser test. One value for all: the setting is global
# to the process, and modules setting their own made each test's timeout depend on which module was imported last.
expect.set_options(timeout=15_000)

# How long a tap or click is given to show its effect before the helper below asks the page whether it arrived.
PRESS_GRACE_MS = 3_000


def press(target, effect: Callable[[float | None], None], *, tap: bool = True, tries: int = 3) -> None:
    """Tap (or click) `target` and wait for `effect(timeout)`, an `expect(...)` of what the press does.

    On CI, rarely (about one run in ten; never in 480 taps under load here), a tap or click on the conduct page has
    had no effect at all: a verdict not shown after 15 s, a dialog not opened, while the page's own handler shows a
    tapped verdict at once. So `target` counts the clicks it receives: when the effect has not shown after a few
    seconds and `target` received no click, the press was lost on the way or landed elsewhere (a card's layout
    settling as it scrolls in: the cards render lazily, `content-visibility: auto`) and is made again, as a user
    whose tap did not take taps again, with a warning in the test report. Only presses whose repeat is harmless (a
    verdict, opening a dialog) go through here. A press `target` did receive is never repeated: the effect then gets
    the usual timeout and fails as it would have."""
    target.evaluate(
        "el => { if (el.pressed === undefined) el.addEventListener('click', () => { el.pressed += 1; }); el.pressed = 0; }"
    )
    for attempt in range(1, tries + 1):
        target.tap() if tap else target.click()
        if attempt == tries:
            break
        try:
            effect(PRESS_GRACE_MS)
            return
        except AssertionError:
            if target.evaluate("el => el.pressed"):  # the page has it: no second press
                break
            warnings.warn(f"{target} received no click from a press: pressed again", stacklevel=2)
    effect(None)


class Delay:
    """ASGI wrapper: holds requests whose method and path match for `seconds` before the app sees them.
    Off (0 s) unless a test turns it on; the app itself is untouched."""

    def __init__(self, app) -> None:
        self.app = app
        self.seconds = 0.0
        self.method = "PUT"
        self.path = re.compile(r"^/api/v1/audits/\d+/responses/[^/]+$")

    async def __call__(self, scope, receive, send):
        if (
            self.seconds
            and scope["type"] == "http"
            and scope["method"] == self.method
            and self.path.match(scope["path"])
        ):
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


class LiveServer:
    """uvicorn serving `app` from a background thread on a free port of 127.0.0.1 (or on `port`: the same server
    started again after a stop)."""

    def __init__(self, app, port: int = 0) -> None:
        self.delay = Delay(app)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))  # 0: the OS picks a free port; uvicorn serves on this very socket
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.delay, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, name="uvicorn-live", daemon=True
        )

    def start(self, timeout: float = 15.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise RuntimeError("the live server stopped during start-up (see the captured log)")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the live server did not answer /healthz within {timeout} s")

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.sock.close()


class Api:
    """The JSON API as a test uses it to see (and, for conflicts, change) what the server stored."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def get(self, path: str):
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def put(self, path: str, body: dict):
        status, reply = self.request("PUT", path, body)
        assert status == 200, (path, status, reply)
        return reply
