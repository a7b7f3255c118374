"""Benchmark of the Word reports. Prints figures; it checks no budget, it reports.

    python bench/bench_reports.py                            # SQLite in a temporary folder
    python bench/bench_reports.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_reports

What it measures, in-process through the real ASGI app (routing, database, rendering; no network):
- the audit report of a 110-item audit with every item answered, 20 findings and 20 photos (budget 0.8 s),
  and of a 1,020-item audit with the same (budget 2 s); the nonconformity report and the blank checklist too;
- memory: how much the process's peak resident memory grows while rendering the 110-item report with 20 and
  with 60 photos, next to the size of the file written. Photos are read one at a time into the document being
  written, so the peak should grow by about the photos' own size in the file, not by a multiple of it.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import func
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.app import create_app, settle_memory  # noqa: E402
from auditor.checklists import load_library  # noqa: E402
from auditor.config import Settings  # noqa: E402
from auditor.db import make_engine, unit_of_work  # noqa: E402
from auditor.models import Audit, Photo, User  # noqa: E402
from auditor.paths import CHECKLISTS_DIR  # noqa: E402
from auditor.schemas import AuditIn, EvidenceIn, FindingIn, OrganisationIn, ResponseIn, SiteIn  # noqa: E402
from auditor.services import accounts, audits, evidence, findings, organisations, photos, responses  # noqa: E402
from auditor.services.reports import render_report  # noqa: E402
from bench._database import fresh_database  # noqa: E402
from bench.bench import synthetic_checklist  # noqa: E402

KINDS = {
    "audit_report": "report.docx",
    "nonconformity_report": "nonconformity-report.docx",
    "checklist": "checklist.docx",
}
FINDING_KINDS = ["minor_nc"] * 8 + ["major_nc"] * 2 + ["observation"] * 5 + ["ofi"] * 3 + ["good_practice"] * 2


def tablet_photo(seed: int) -> bytes:
    """A 2,400 x 1,800 JPEG with shapes and grain, about the weight of a tablet camera's photo; each seed differs."""
    rng = random.Random(seed)
    image = Image.new("RGB", (2400, 1800), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(2400), rng.randrange(1800)
        draw.rectangle(
            (x, y, x + rng.randrange(50, 700), y + rng.randrange(50, 500)),
            fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)),
        )
    image = Image.blend(image, Image.effect_noise((2400, 1800), 40).convert("RGB"), 0.15).filter(ImageFilter.SMOOTH)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def report_memory(url: str, audit_id: int) -> tuple[float, int]:
    """In a fresh interpreter: (growth of peak resident memory while writing the audit report, in MiB; file size).
    Linux: the peak is reset through /proc/self/clear_refs and read from VmHWM, so lxml's and Pillow's C
    allocations count too. A blank checklist is written first, so imports and caches are not counted."""

    def status(field: str) -> int:
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field))
        return int(line.split()[1])

    engine = make_engine(url)
    policy = Settings().deadline_policy
    with Session(engine) as session:
        audit = session.get(Audit, audit_id)
        render_report(session=session, audit=audit, kind="checklist", policy=policy, lang="da")
        Path("/proc/self/clear_refs").write_text("5")
        before = status("VmRSS:")
        _, content = render_report(session=session, audit=audit, kind="audit_report", policy=policy, lang="da")
        return (status("VmHWM:") - before) / 1024, len(content)


def fill(session: Session, actor: User, audit: Audit, item_ids: list[str], photo_count: int, first_seed: int) -> None:
    """Every item answered with a note and a piece of evidence, 20 findings, `photo_count` photos (half on items, half on findings)."""
    verdicts = ["conform"] * 8 + ["observation", "minor_nc"]
    for index, item_id in enumerate(item_ids):
        responses.save_response(
            session=session,
            actor=actor,
            audit=audit,
            item_id=item_id,
            data=ResponseIn(
                verdict=verdicts[index % len(verdicts)],
                note=f"Punkt {index}: dokumenteret i APV 2026 og bekræftet ved interview med to medarbejdere.",
                version=0,
            ),
        )
        evidence.add_evidence(
            session=session,
            actor=actor,
            audit=audit,
            item_id=item_id,
            data=EvidenceIn(
                method="interview_group",
                summary="Medarbejdere beskriver arbejdsgangen som i proceduren.",
                interviewee_role="employees",
                interviewee_count=3,
            ),
        )
    raised = [
        findings.create_finding(
            session=session,
            actor=actor,
            audit=audit,
            data=FindingIn(
                item_id=item_ids[index * 5 % len(item_ids)],
                kind=kind,
                requirement="Kravet i punkt 6.1.2.",
                statement=f"Fund {index}: kortlægningen dækker ikke alle grupper.",
                evidence="APV 2026 afsnit 2; gruppeinterview.",
            ),
        )
        for index, kind in enumerate(FINDING_KINDS)
    ]
    for index in range(photo_count):
        target = (
            {"finding_id": raised[index % len(raised)].id}
            if index % 2
            else {"item_id": item_ids[index * 3 % len(item_ids)]}
        )
        photos.add_photo(
            session=session,
            actor=actor,
            audit=audit,
            content=tablet_photo(first_seed + index),
            caption=f"Foto {index}",
            max_bytes=50 * 1024 * 1024,
            **target,
        )


def timed(call, repeat: int) -> list[float]:
    """Time in the app per call, in ms, as its Server-Timing header reports it."""
    return [float(call().headers["Server-Timing"].split("dur=")[1]) for _ in range(repeat)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url, prefix="auditor-bench-reports-")
    checklist_dir = workdir / "checklists"
    checklist_dir.mkdir()
    for size in (110, 1020):
        (checklist_dir / f"bench-{size}.yaml").write_text(
            yaml.safe_dump(synthetic_checklist(size), allow_unicode=True), encoding="utf-8"
        )
    engine = make_engine(url)
    library = load_library([CHECKLISTS_DIR, checklist_dir])
    settings = Settings(database_url=url, data_dir=workdir)
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
            session=session,
            actor=admin,
            data=OrganisationIn(name="Bench A/S", sites=[SiteIn(name="Lager, Aarhus", p_number="1012345678")]),
        )

        def audit_of(size: int, photo_count: int, first_seed: int) -> Audit:
            audit = audits.create_audit(
                session=session,
                actor=admin,
                library=library,
                data=AuditIn(
                    title=f"Bench {size} ({photo_count} photos)",
                    audit_type="surveillance",
                    organisation_id=organisation.id,
                    start_date=date(2026, 1, 1),
                    end_date=date(2026, 1, 2),
                    checklists=[f"bench-{size}"],
                ),
            )
            fill(
                session,
                admin,
                audit,
                [item.id for item in library.get(f"bench-{size}").checklist.items()],
                photo_count,
                first_seed,
            )
            return audit

        small, large, many_photos = audit_of(110, 20, 0), audit_of(1020, 20, 100), audit_of(110, 60, 200)
        stored_size = session.exec(select(func.avg(Photo.size))).one()
    print(
        f"loaded 3 audits in {time.perf_counter() - started:.1f} s (tablet photos of {len(tablet_photo(0)) / 1024:.0f} KiB, stored at "
        f"{stored_size / 1024:.0f} KiB after downscaling)\n"
    )

    app = create_app(settings, engine=engine, library=library)
    settle_memory()
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        for audit, label, budget in ((small, "110 items", 800), (large, "1,020 items", 2000)):
            for kind, path in KINDS.items():

                def call(audit=audit, path=path):
                    response = client.get(f"/api/v1/audits/{audit.id}/{path}", params={"lang": "da"})
                    assert response.status_code == 200, response.text
                    return response

                size_kib = len(call().content) / 1024  # also the warm-up
                times = sorted(timed(call, args.repeat))
                note = (
                    f"budget {budget} ms: {'ok' if statistics.median(times) < budget else 'OVER BUDGET'}"
                    if kind == "audit_report"
                    else ""
                )
                print(
                    f"{kind:<21} {label:<12} median {statistics.median(times):7.1f} ms  max {times[-1]:7.1f} ms  file {size_kib:7.0f} KiB  {note}"
                )

    print()
    with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
        for audit, count in ((small, 20), (many_photos, 60)):
            growth, size = pool.apply(report_memory, (url, audit.id))
            print(
                f"memory, 110 items with {count} photos: peak resident memory +{growth:5.1f} MiB while writing a {size / 2**20:5.1f} MiB file"
            )
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
