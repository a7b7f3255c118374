"""Benchmarks for the numbers the README quotes. Prints figures; it checks no budget, it reports.

    python bench/bench.py                                  # SQLite in a temporary folder
    python bench/bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench

What it measures, in-process through the real ASGI app (routing, validation, database; no network):
- saving one answer (PUT .../responses/{item}) with 1,000 audits of 150 answers in the database,
  in a 110-item and a 1,020-item audit: the time must not grow with the audit's size;
- rendering the conduct page of a 1,020-item audit;
- exporting the demo audit's Word report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.app import create_app, settle_memory  # noqa: E402
from auditor.checklists import load_library  # noqa: E402
from auditor.config import Settings  # noqa: E402
from auditor.db import make_engine, unit_of_work  # noqa: E402
from auditor.demo import create_demo  # noqa: E402
from auditor.models import Audit, AuditChecklist, Response, utcnow  # noqa: E402
from auditor.paths import CHECKLISTS_DIR  # noqa: E402
from auditor.schemas import AuditIn, OrganisationIn  # noqa: E402
from auditor.services import accounts, audits, organisations  # noqa: E402
from auditor.services.checklists import checklists_key, snapshot_for  # noqa: E402
from bench._database import fresh_database  # noqa: E402


def synthetic_checklist(size: int) -> dict:
    """A checklist of `size` items in sections of 10, shaped like the real ones."""
    sections = []
    for s in range(0, size, 10):
        items = [
            {
                "id": f"bench{size}.s{s // 10}.i{i}",
                "code": f"{s // 10 + 1}.{i + 1}",
                "clauses": ["45003:6.1.2", "45001:6.1.2"],
                "question": {
                    "da": f"Hvordan er punkt {s + i} vurderet og fulgt op i praksis?",
                    "en": f"How is point {s + i} assessed and followed up in practice?",
                },
                "guidance": {"da": "Se efter dokumentation og interview.", "en": "Look for documents and interviews."},
                "tags": {"bek1406": ["workload"], "actors": ["employees"], "prevention": "primary"},
            }
            for i in range(min(10, size - s))
        ]
        sections.append(
            {
                "code": str(s // 10 + 1),
                "title": {"da": f"Afsnit {s // 10 + 1}", "en": f"Section {s // 10 + 1}"},
                "items": items,
            }
        )
    text = {"da": "Benchmark", "en": "Benchmark"}
    return {
        "format": 1,
        "id": f"bench-{size}",
        "version": "1",
        "title": text,
        "description": text,
        "source": text,
        "attribution": text,
        "sections": sections,
    }


def timed(call, repeat: int) -> tuple[list[float], list[float]]:
    """(time in the app as its Server-Timing header reports, time seen by the in-process client) per call, in ms."""
    server, client = [], []
    for index in range(repeat):
        start = time.perf_counter()
        response = call(index)
        client.append((time.perf_counter() - start) * 1000)
        server.append(float(response.headers["Server-Timing"].split("dur=")[1]))
    return server, client


def describe(name: str, measured: tuple[list[float], list[float]], budget_ms: float) -> None:
    server, client = (sorted(times) for times in measured)
    median = statistics.median(server)
    p95 = server[max(int(len(server) * 0.95) - 1, 0)]
    verdict = "ok" if median < budget_ms else "OVER BUDGET"
    print(
        f"{name:<40} server median {median:6.1f} ms  p95 {p95:6.1f} ms | with client {statistics.median(client):6.1f} ms"
        f"  (n={len(server)}, budget {budget_ms:g} ms: {verdict})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--audits", type=int, default=1000)
    parser.add_argument("--answers", type=int, default=150)
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url, prefix="auditor-bench-")
    checklist_dir = workdir / "checklists"
    checklist_dir.mkdir()
    for size in (args.answers, 110, 1020):
        (checklist_dir / f"bench-{size}.yaml").write_text(
            yaml.safe_dump(synthetic_checklist(size), allow_unicode=True), encoding="utf-8"
        )
    engine = make_engine(url)
    library = load_library([CHECKLISTS_DIR, checklist_dir])
    assert not library.errors, library.errors
    print(f"database: {engine.url.render_as_string(hide_password=True)}")

    started = time.perf_counter()
    with unit_of_work(engine) as session:
        admin, _ = accounts.create_user(
            session=session,
            actor=None,
            email="bench@bench.example",
            name="Bench",
            role="admin",
            password="bench password 123",
        )
        _, token = accounts.create_token(session=session, user=admin, name="bench")
        organisation = organisations.create_organisation(
            session=session, actor=admin, data=OrganisationIn(name="Bench A/S")
        )
        snapshot = snapshot_for(session=session, loaded=library.get(f"bench-{args.answers}"))
        item_ids = [item.id for item in library.get(f"bench-{args.answers}").checklist.items()]
        now = utcnow()
        for first in range(0, args.audits, 100):
            batch = range(first, min(first + 100, args.audits))
            audit_ids = (
                session.execute(
                    insert(Audit).returning(Audit.id),
                    [
                        {
                            "title": f"Audit {n}",
                            "audit_type": "surveillance",
                            "organisation_id": organisation.id,
                            "start_date": date(2026, 1, 1),
                            "end_date": date(2026, 1, 2),
                            "team": [],
                            "item_total": len(item_ids),
                            "checklists_key": checklists_key([snapshot]),
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in batch
                    ],
                )
                .scalars()
                .all()
            )
            session.execute(
                insert(AuditChecklist), [{"audit_id": a, "snapshot_id": snapshot.id, "position": 0} for a in audit_ids]
            )
            session.execute(
                insert(Response),
                [
                    {
                        "audit_id": a,
                        "item_id": i,
                        "verdict": "conform",
                        "note": "Set og bekræftet ved interview.",
                        "version": 1,
                        "updated_at": now,
                    }
                    for a in audit_ids
                    for i in item_ids
                ],
            )
        session.commit()

        def plan(size: int) -> Audit:
            return audits.create_audit(
                session=session,
                actor=admin,
                library=library,
                data=AuditIn(
                    title=f"Bench {size}",
                    audit_type="surveillance",
                    organisation_id=organisation.id,
                    start_date=date(2026, 1, 1),
                    end_date=date(2026, 1, 2),
                    checklists=[f"bench-{size}"],
                ),
            )

        small, large = plan(110), plan(1020)
        demo = create_demo(session=session, library=library).audit
    print(f"loaded {args.audits} audits x {args.answers} answers in {time.perf_counter() - started:.1f} s\n")

    # No fixed library: the app publishes the same files at start-up and serves them from the database, as in production.
    app = create_app(Settings(database_url=url, data_dir=workdir, checklists_dir=checklist_dir), engine=engine)
    settle_memory()  # as `auditor serve` does
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        for audit, size in ((small, 110), (large, 1020)):
            ids = [item.id for item in library.get(f"bench-{size}").checklist.items()]
            versions: dict[str, int] = {}

            def save(index: int, audit=audit, ids=ids, versions=versions):
                item_id = ids[(index * 7) % len(ids)]
                response = client.put(
                    f"/api/v1/audits/{audit.id}/responses/{item_id}",
                    json={"verdict": "conform", "note": f"Note {index}", "version": versions.get(item_id, 0)},
                )
                assert response.status_code == 200, response.text
                versions[item_id] = response.json()["version"]
                return response

            timed(save, 20)  # warm up
            describe(f"save one answer, {size}-item audit", timed(save, args.saves), 15)

        # Half the large audit answered, so the page carries notes and states.
        for item in list(library.get("bench-1020").checklist.items())[:510]:
            client.put(
                f"/api/v1/audits/{large.id}/responses/{item.id}",
                json={"verdict": "conform", "note": "Bekræftet.", "version": 0},
            )

        def conduct(_: int):
            response = client.get(f"/audits/{large.id}/conduct")
            assert response.status_code == 200
            return response

        timed(conduct, 3)
        describe("conduct page, 1,020-item audit", timed(conduct, 20), 150)
        page_kib = len(client.get(f"/audits/{large.id}/conduct").content) / 1024

        def planning(_: int):
            response = client.get("/audits/new")
            assert response.status_code == 200
            return response

        timed(planning, 3)
        describe("planning page (the published library)", timed(planning, 20), 150)

        def report(_: int):
            response = client.get(f"/api/v1/audits/{demo.id}/report.docx")
            assert response.status_code == 200
            return response

        timed(report, 1)
        describe("Word report of the demo audit", timed(report, 10), 1000)
    print(f"\nconduct page size, 1,020 items: {page_kib:.0f} KiB (before compression)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
