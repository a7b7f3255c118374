"""A tablet back from a basement: its outbox of queued changes synced against a real server, and the offline copy of a
1,020-item audit fetched. Prints figures; it checks no budget, it reports (and exits non-zero if anything was lost
or stored twice).

    python bench/bench_sync.py                                        # SQLite in a temporary folder
    python bench/bench_sync.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_sync

One `auditor serve` process (`--workers` to change) on 127.0.0.1 and a 1,020-item audit. The outbox holds 200
changes, as a morning's work leaves them: answers (verdict and note, based on version 0), note edits on top of them
(based on the version the previous change returned), evidence entries, ten photos of a tablet camera's weight (nine
on items, one on a finding) and the finding itself, every create with a client-made id. It is sent the way the
outbox sends it: in order per item (a change waits for the one before it on its card), every card at once with at
most four requests on their way, the answers waiting at a moment together in one request
(`POST .../responses/batch`, up to 50), on kept-alive connections with an API token; `--per-change` sends as the
outbox did before, one request per change, four cards at a time. Then the whole outbox is sent again, as after lost replies: everything
must answer as the first time and nothing may be stored twice.

The offline copy (`GET /api/v1/audits/{id}/offline`) is fetched for another 1,020-item audit with every item
answered with a note and an evidence entry on every tenth item, no photos: its size as sent (gzip) and unpacked,
the median of 5 fetches, and one fetch that the ETag answers with 304.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.db import make_engine  # noqa: E402
from auditor.models import Evidence, Finding, Photo, Response, utcnow  # noqa: E402
from bench._database import fresh_database  # noqa: E402
from bench._servers import HOST, Servers, app_command, free_port  # noqa: E402
from bench._world import make_team, plan_audit, server_env, synthetic_library  # noqa: E402
from bench.bench_reports import tablet_photo  # noqa: E402
from bench.bench_save import cpu_ms  # noqa: E402

SIZE = 1020
PARALLEL_REQUESTS = 4  # the outbox has at most four requests on their way, each card's changes in order
BATCH = 50  # answers in one request (static/outbox.mjs)


@dataclass
class World:
    sync_audit: int
    copy_audit: int
    item_ids: list[str]
    token: str


def load(url: str, checklist_dir: Path) -> World:
    """A lead auditor, an auditor on the team with a token, and two 1,020-item audits: one to sync into, and one with
    every item answered for the offline copy."""
    library = synthetic_library(checklist_dir, SIZE)
    item_ids = [item.id for item in library.get(f"bench-{SIZE}").checklist.items()]
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        team = make_team(session)

        def plan(title: str) -> int:
            return plan_audit(session=session, library=library, team=team, title=title, checklist=f"bench-{SIZE}").id

        sync_audit, copy_audit = plan("Sync"), plan("Offline copy")
        now = utcnow()
        session.execute(
            insert(Response),
            [
                {
                    "audit_id": copy_audit,
                    "item_id": item_id,
                    "verdict": "conform",
                    "version": 1,
                    "updated_at": now,
                    "updated_by_id": team.auditor.id,
                    "note": f"Gennemgået på stedet: APV, trivselsmåling og referater fra AMO-møder; punkt {n} er fulgt op.",
                }
                for n, item_id in enumerate(item_ids)
            ],
        )
        session.execute(
            insert(Evidence),
            [
                {
                    "audit_id": copy_audit,
                    "item_id": item_id,
                    "method": "document",
                    "summary": "APV 2026 og handleplan",
                    "reference": "APV-2026.pdf",
                    "confidential": False,
                    "created_at": now,
                    "created_by_id": team.auditor.id,
                }
                for item_id in item_ids[::10]
            ],
        )
        session.commit()
    engine.dispose()
    return World(sync_audit, copy_audit, item_ids, team.token)


@dataclass
class Change:
    """One queued change of the outbox: a request, and for an answer the item whose version it builds on."""

    method: str
    path: str
    json: dict | None = None
    files: dict | None = None
    data: dict | None = None
    item_id: str | None = None  # an answer: its `version` is the one the card's previous change returned
    needs_finding: bool = False  # a photo on the finding raised earlier in the same card
    sent_version: int | None = None  # the version an answer was sent with the first time


@dataclass
class Card:
    changes: list[Change] = field(default_factory=list)


def outbox(world: World, total: int, photos: int) -> list[Card]:
    """`total` changes on cards: every card an answer, a note edit and an evidence entry; `photos - 1` cards a photo
    too; one card raises a finding with a photo. The count is made up with second note edits."""
    base = f"/api/v1/audits/{world.sync_audit}"
    cards: list[Card] = []
    photo_bytes = [tablet_photo(seed) for seed in range(photos)]
    finding_changes = 2
    per_card = 3
    card_count = (total - finding_changes - (photos - 1)) // per_card
    for n, item_id in enumerate(world.item_ids[:card_count]):
        card = Card(
            [
                Change(
                    "PUT",
                    f"{base}/responses/{item_id}",
                    {"verdict": "conform", "note": f"Set på lageret ({n})"},
                    item_id=item_id,
                ),
                Change(
                    "PUT",
                    f"{base}/responses/{item_id}",
                    {"note": f"Set på lageret ({n}); bekræftet ved interview med to medarbejdere"},
                    item_id=item_id,
                ),
                Change(
                    "POST",
                    f"{base}/responses/{item_id}/evidence",
                    {"method": "document", "summary": f"Referat {n}", "client_id": str(uuid.uuid4())},
                ),
            ]
        )
        if n < photos - 1:
            card.changes.append(
                Change(
                    "POST",
                    f"{base}/responses/{item_id}/photos",
                    files={"file": ("photo.jpg", photo_bytes[n], "image/jpeg")},
                    data={"caption": f"Foto {n}", "client_id": str(uuid.uuid4())},
                )
            )
        cards.append(card)
    finding_item = world.item_ids[card_count]
    cards.append(
        Card(
            [
                Change(
                    "POST",
                    f"{base}/findings",
                    {
                        "item_id": finding_item,
                        "kind": "minor_nc",
                        "statement": "Handleplanen mangler ansvarlige",
                        "client_id": str(uuid.uuid4()),
                    },
                ),
                Change(
                    "POST",
                    "",
                    files={"file": ("photo.jpg", photo_bytes[-1], "image/jpeg")},
                    data={"caption": "Opslagstavlen", "client_id": str(uuid.uuid4())},
                    needs_finding=True,
                ),
            ]
        )
    )
    made = sum(len(card.changes) for card in cards)
    for n, card in enumerate(cards[:-1]):  # second note edits, to make up the count
        if made >= total:
            break
        card.changes.insert(
            2,
            Change(
                "PUT",
                card.changes[0].path,
                {"note": f"Set på lageret ({n}); bekræftet ved interview og rundgang"},
                item_id=card.changes[0].item_id,
            ),
        )
        made += 1
    return cards


@dataclass
class Outcome:
    seconds: float
    statuses: list[int]
    bodies: list[dict]
    times: dict[str, list[float]]  # seconds per request, by kind of change
    batch_sizes: list[int]  # answers per batch, in the order sent

    def medians(self) -> str:
        return ", ".join(
            f"{kind} {statistics.median(times) * 1000:.0f} ms" for kind, times in sorted(self.times.items())
        )


def kind_of(change: Change) -> str:
    if change.item_id is not None:
        return "answer"
    if change.files:
        return "photo"
    return "finding" if change.path.endswith("/findings") else "evidence"


class AnswerBatches:
    """The outbox's answers: each card hands its answer in and waits for its result; the answers waiting go together
    in one request, one batch at a time (those handed in while one is on its way go in the next)."""

    def __init__(self, client: httpx.Client, path: str, turns: threading.Semaphore, times: dict[str, list[float]]):
        self.client, self.path, self.turns, self.times = client, path, turns, times
        self.lock = threading.Lock()
        self.waiting: list[tuple[dict, Future]] = []
        self.sending = False
        self.sizes: list[int] = []

    def send(self, change: dict) -> tuple[int, dict]:
        result: Future = Future()
        with self.lock:
            self.waiting.append((change, result))
            start, self.sending = not self.sending, True
        if start:
            threading.Thread(target=self.pump).start()
        return result.result()

    def pump(self) -> None:
        time.sleep(0.001)  # the other cards hand theirs in (the outbox waits a turn of the event loop)
        while True:
            with self.lock:
                batch, self.waiting = self.waiting[:BATCH], self.waiting[BATCH:]
                if not batch:
                    self.sending = False
                    return
            with self.turns:
                started = time.perf_counter()
                response = self.client.post(self.path, json={"changes": [change for change, _ in batch]})
                self.times.setdefault("answer batch", []).append(time.perf_counter() - started)
            self.sizes.append(len(batch))
            response.raise_for_status()
            for (_, result), reply in zip(batch, response.json()["results"], strict=True):
                result.set_result((reply["status"], reply["body"]))


def sync(
    client: httpx.Client, cards: list[Card], world: World, *, again: bool = False, per_change: bool = False
) -> Outcome:
    """Send the cards as the outbox does; answers carry the version the card's previous answer returned (0 at first).
    `again`: as a tablet that lost every reply of the last round would: each create once more, and each card's last
    answer on the version it was based on. The outbox sends every card at once, at most four requests on their way,
    the answers in batches; `per_change`: as it did before, four cards at a time, one request per change."""
    turns = threading.Semaphore(PARALLEL_REQUESTS)
    times: dict[str, list[float]] = {}
    batches = AnswerBatches(client, f"/api/v1/audits/{world.sync_audit}/responses/batch", turns, times)

    def send_card(card: Card) -> list[tuple[int, dict]]:
        version = 0
        finding_id = None
        replies = []
        last_answer = max((i for i, change in enumerate(card.changes) if change.item_id is not None), default=None)
        for index, change in enumerate(card.changes):
            body = dict(change.json) if change.json is not None else None
            if change.item_id is not None:
                if again and index != last_answer:
                    continue
                body["version"] = change.sent_version if again else version
                change.sent_version = body["version"]
            path = (
                f"/api/v1/audits/{world.sync_audit}/findings/{finding_id}/photos"
                if change.needs_finding
                else change.path
            )
            if change.item_id is not None and not per_change:
                status, reply = batches.send({"item_id": change.item_id, **body})
            else:
                with turns:
                    started = time.perf_counter()
                    response = client.request(change.method, path, json=body, files=change.files, data=change.data)
                    times.setdefault(kind_of(change), []).append(time.perf_counter() - started)
                status, reply = response.status_code, response.json() if response.content else {}
            replies.append((status, reply))
            if change.item_id is not None and status == 200:
                version = reply["version"]
            if path.endswith("/findings") and status == 201:
                finding_id = reply["id"]
        return replies

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=PARALLEL_REQUESTS if per_change else len(cards)) as pool:
        results = [reply for replies in pool.map(send_card, cards) for reply in replies]
    seconds = time.perf_counter() - started
    return Outcome(seconds, [status for status, _ in results], [body for _, body in results], times, batches.sizes)


def stored(url: str, audit_id: int) -> dict[str, int]:
    engine = make_engine(url)
    with Session(engine) as session:
        counts = {
            model.__tablename__: session.exec(
                select(func.count()).select_from(model).where(model.audit_id == audit_id)
            ).one()
            for model in (Response, Evidence, Finding, Photo)
        }
    engine.dispose()
    return counts


def offline_copy(client: httpx.Client, audit_id: int, fetches: int = 5) -> None:
    path = f"/api/v1/audits/{audit_id}/offline"
    times, sent, unpacked, etag = [], 0, 0, ""
    for _ in range(fetches):
        started = time.perf_counter()
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        times.append(time.perf_counter() - started)
        response.raise_for_status()
        sent, unpacked, etag = response.num_bytes_downloaded, len(response.content), response.headers["etag"]
    started = time.perf_counter()
    unchanged = client.get(path, headers={"If-None-Match": etag})
    not_modified = time.perf_counter() - started
    copy = response.json()
    print(
        f"offline copy of a {SIZE}-item audit ({len(copy['answers'])} answers with notes, {len(copy['evidence'])} evidence entries, no photos):"
    )
    print(
        f"  {unpacked / 1e6:.2f} MB unpacked, {sent / 1e6:.2f} MB sent (gzip); fetched in {statistics.median(times):.2f} s median "
        f"(min {min(times):.2f} s, n={fetches}); unchanged (If-None-Match): {unchanged.status_code} in {not_modified * 1000:.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="worker processes of the server (default 1)")
    parser.add_argument(
        "--per-change", action="store_true", help="one request per change, four cards at a time (the outbox before)"
    )
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url, prefix="auditor-bench-sync-")
    (workdir / "checklists").mkdir()
    world = load(url, workdir / "checklists")
    cards = outbox(world, args.changes, args.photos)
    changes = sum(len(card.changes) for card in cards)
    photo_count = sum(1 for card in cards for change in card.changes if change.files)
    print(
        f"database: {make_engine(url).url.render_as_string(hide_password=True)}; server: auditor serve --workers {args.workers}"
    )

    failed = False
    with Servers(workdir, server_env(url, workdir)) as servers:
        port = free_port()
        pid = servers.start(app_command(port, workers=args.workers), "app")
        limits = httpx.Limits(max_keepalive_connections=PARALLEL_REQUESTS, max_connections=PARALLEL_REQUESTS)
        with httpx.Client(
            base_url=f"http://{HOST}:{port}",
            headers={"Authorization": f"Bearer {world.token}"},
            timeout=60,
            limits=limits,
        ) as client:
            client.get("/api/v1/audits").raise_for_status()  # warm up: the connection, the token's last-used stamp
            cpu = cpu_ms(pid)
            first = sync(client, cards, world, per_change=args.per_change)
            cpu = cpu_ms(pid) - cpu
            after_first = stored(url, world.sync_audit)
            again = sync(client, cards, world, again=True, per_change=args.per_change)
            after_again = stored(url, world.sync_audit)
            print(
                f"sync of {changes} queued changes ({photo_count} photos) on {len(cards)} cards, in order per card, "
                + (
                    "one request per change, four cards at a time:"
                    if args.per_change
                    else f"every card at once, answers in batches of up to {BATCH}, at most {PARALLEL_REQUESTS} requests on their way:"
                )
            )
            print(
                f"  first time:  {first.seconds:.2f} s, {changes / first.seconds:.0f} changes/s; statuses {sorted(set(first.statuses))}"
            )
            print(f"  median per request (4 in flight): {first.medians()}")
            if first.batch_sizes:
                print(f"  answers per batch, in the order sent: {first.batch_sizes}")
            if args.workers == 1:  # a busy machine stretches the wall clock, not the server's CPU time
                print(f"  server CPU: {cpu / 1000:.2f} s")
            print(
                f"  sent again (every create and each card's last answer, as after lost replies): {len(again.statuses)} changes in "
                f"{again.seconds:.2f} s; statuses {sorted(set(again.statuses))}"
            )
            print(f"  stored: {after_first} after the first, {after_again} after sending it again")
            if any(status >= 300 for status in first.statuses + again.statuses) or after_first != after_again:
                print("  FAILED: a change was refused, or something was stored twice", file=sys.stderr)
                failed = True
            if [body["id"] for body in first.bodies if "id" in body] != [
                body["id"] for body in again.bodies if "id" in body
            ]:
                print(
                    "  FAILED: sent again, a create answered with another record than the first time", file=sys.stderr
                )
                failed = True
            offline_copy(client, world.copy_audit)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
