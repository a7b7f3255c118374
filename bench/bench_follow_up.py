"""Benchmark of the follow-up board and the management review's compilation. Prints figures; it checks no budget.

    python bench/bench_follow_up.py                                  # SQLite in a temporary folder
    python bench/bench_follow_up.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/auditor_bench_follow_up

Loads (bulk inserts) 10,000 audits with their sites and findings and 50,000 corrective-action cases (some with
actions) for 20 organisations over ten years, then times, as medians of 10 runs (budget 300 ms each):
the follow-up board's first page (50 cases) for one organisation's quality manager and for an installation admin
who sees every case, and services.reviews.compile_inputs for one organisation and one year. The Word minutes of that review
are timed too, for information.

The machine may be shared: beside the wall time each figure gives the CPU time spent on it (this process, plus the
PostgreSQL server process that ran its statements, read from /proc), and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor import vocabulary as v  # noqa: E402
from auditor.config import Settings  # noqa: E402
from auditor.db import make_engine, unit_of_work  # noqa: E402
from auditor.models import (  # noqa: E402
    Audit,
    AuditSite,
    Case,
    CaseAction,
    Finding,
    ManagementReview,
    Organisation,
    Site,
    User,
    utcnow,
)
from auditor.paging import DEFAULT_LIMIT, PageRequest  # noqa: E402
from auditor.reports.review_report import build_review_report_context, render_review_report  # noqa: E402
from auditor.services import accounts, cases, reviews  # noqa: E402
from bench._database import fresh_database  # noqa: E402

FIRST_DAY = date(2016, 1, 1)
DAYS = 365 * 10
CLAUSES = [
    "45003:4.1.2",
    "45003:5.4",
    "45003:6.1.2",
    "45003:6.1.2.1",
    "45003:7.2",
    "45003:8.1.2",
    "45003:9.1",
    "45003:10.2",
    "45001:9.3",
]
KINDS = ["major_nc", "minor_nc", "minor_nc", "observation", "ofi", "ofi", "good_practice"]
OPEN_STATUSES = [s for s in v.CASE_STATUSES.values if s != "closed"]


def load(
    session: Session, organisations: int, audits_total: int, cases_total: int, findings_per_audit: int
) -> tuple[int, User]:
    """Bulk-insert the data set; returns the id of the organisation to time, and an admin."""
    rng = random.Random(45003)
    now = utcnow()
    org_ids = (
        session.execute(
            insert(Organisation).returning(Organisation.id),
            [{"name": f"Organisation {n}", "cvr": None, "created_at": now} for n in range(organisations)],
        )
        .scalars()
        .all()
    )
    sites = {
        org: session.execute(
            insert(Site).returning(Site.id),
            [{"organisation_id": org, "name": f"Site {n}", "address": ""} for n in range(3)],
        )
        .scalars()
        .all()
        for org in org_ids
    }
    admin = User(email="bench@bench.example", name="Bench", password_hash="x", role="admin")
    session.add(admin)
    session.flush()

    audits_by_org: dict[int, list[int]] = {org: [] for org in org_ids}
    for first in range(0, audits_total, 1000):
        rows = []
        for n in range(first, min(first + 1000, audits_total)):
            start = FIRST_DAY + timedelta(days=rng.randrange(DAYS))
            rows.append(
                {
                    "title": f"Audit {n}",
                    "audit_type": rng.choice(["internal", "surveillance"]),
                    "organisation_id": org_ids[n % organisations],
                    "scope": "",
                    "objectives": "",
                    "criteria": "",
                    "start_date": start,
                    "end_date": start + timedelta(days=1),
                    "report_language": "da",
                    "status": "closed",
                    "item_total": 92,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        ids = session.execute(insert(Audit).returning(Audit.id, Audit.organisation_id), rows).all()
        session.execute(
            insert(AuditSite),
            [{"audit_id": a, "site_id": s} for a, org in ids for s in rng.sample(sites[org], rng.choice((1, 1, 2)))],
        )
        session.execute(
            insert(Finding),
            [
                {
                    "audit_id": a,
                    "number": k + 1,
                    "kind": rng.choice(KINDS),
                    "clauses": rng.sample(CLAUSES, 2),
                    "requirement": "",
                    "statement": "Fund",
                    "evidence": "",
                    "tags": {
                        "bek1406": rng.sample(list(v.BEK1406_FACTORS.values), rng.choice((0, 1, 2))),
                        "hazards": rng.sample(list(v.HAZARD_FACTORS.values), rng.choice((0, 1, 2))),
                        "actors": [],
                    },
                    "created_at": now,
                    "updated_at": now,
                }
                for a, _ in ids
                for k in range(findings_per_audit)
            ],
        )
        for a, org in ids:
            audits_by_org[org].append(a)

    numbers = dict.fromkeys(org_ids, 0)
    owner_ids = {}
    for org in org_ids:
        owner = User(
            email=f"owner{org}@bench.example", name="Owner", password_hash="x", role="action_owner", organisation_id=org
        )
        session.add(owner)
        session.flush()
        owner_ids[org] = owner.id
    for first in range(0, cases_total, 5000):
        rows = []
        for n in range(first, min(first + 5000, cases_total)):
            org = org_ids[n % organisations]
            numbers[org] += 1
            opened = datetime.combine(
                FIRST_DAY + timedelta(days=rng.randrange(DAYS)), datetime.min.time(), UTC
            ) + timedelta(hours=rng.randrange(24))
            closed = opened + timedelta(days=rng.randrange(5, 400)) if rng.random() < 0.8 else None
            closed = closed if closed and closed < now else None
            verified = (
                (closed - timedelta(days=2)).date()
                if closed
                else (opened + timedelta(days=60)).date()
                if rng.random() < 0.1
                else None
            )
            rows.append(
                {
                    "organisation_id": org,
                    "number": numbers[org],
                    "source": rng.choice(["audit", "audit", "audit", "incident", "complaint"]),
                    "audit_id": rng.choice(audits_by_org[org]),
                    "grade": rng.choice(KINDS[:5]),
                    "clauses": rng.sample(CLAUSES, 1),
                    "requirement": "",
                    "statement": f"Sag {n}",
                    "evidence": "",
                    "tags": {},
                    "status": "closed" if closed else rng.choice(OPEN_STATUSES),
                    "opened_at": opened,
                    "closed_at": closed,
                    "verified_on": verified,
                    "verification_result": ("effective" if closed else "ineffective") if verified else None,
                    "correction": "",
                    "root_cause": "",
                    "plan_return_reason": "",
                    "verification_method": "",
                    "individual_measures_only": False,
                    "updated_at": now,
                }
            )
        ids = session.execute(
            insert(Case).returning(Case.id, Case.organisation_id, Case.status, Case.opened_at), rows
        ).all()
        actions = [
            {
                "case_id": c,
                "description": "Handling",
                "owner_id": owner_ids[org],
                "due_date": (opened + timedelta(days=45)).date(),
                "prevention_level": "primary",
                "scope": "collective",
                "status": "open",
                "implementation_note": "",
                "created_at": now,
            }
            for c, org, status, opened in ids
            if status in {"plan_submitted", "plan_accepted", "cause_found"}
        ]
        if actions:
            session.execute(insert(CaseAction), actions)
    session.execute(
        insert(ManagementReview),
        [
            {
                "organisation_id": org,
                "period_start": date(year, 1, 1),
                "period_end": date(year, 12, 31),
                "inputs": {},
                "manual": {},
                "created_at": now,
                "updated_at": now,
            }
            for org in org_ids
            for year in range(2016, 2025)
        ],
    )
    session.commit()
    return org_ids[0], admin


def load_average() -> str:
    return "load average " + ", ".join(f"{n:.2f}" for n in os.getloadavg())


def cpu_clock(session: Session):
    """A function returning the CPU seconds used so far by this process and by the database server process serving
    `session` (PostgreSQL on this machine; SQLite runs inside this process)."""
    stat = None
    if session.get_bind().dialect.name == "postgresql":
        backend = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        stat = Path(f"/proc/{backend}/stat")
        if not stat.exists():  # a server on another machine: its CPU time is not ours to read
            stat = None
    ticks = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        seconds = time.process_time()
        if stat is not None:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / ticks  # utime and stime
        return seconds

    return clock


def timed_runs(call, runs: int, clock) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms) of `runs` calls after one warm-up, each sorted."""
    call()
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), clock()
        call()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((clock() - cpu) * 1000)
    return sorted(walls), sorted(cpus)


def figures(walls: list[float], cpus: list[float]) -> str:
    median = statistics.median(walls)
    return (
        f"median {median:.1f} ms, min {walls[0]:.1f} ms, max {walls[-1]:.1f} ms, CPU median {statistics.median(cpus):.1f} ms "
        f"(n={len(walls)}, budget 300 ms: {'ok' if median < 300 else 'OVER BUDGET'}"
        f"{'' if median < 300 or statistics.median(cpus) >= 300 else ', within it in CPU time'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--organisations", type=int, default=20)
    parser.add_argument("--audits", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--findings-per-audit", type=int, default=4)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    url, workdir = fresh_database(args.database_url, prefix="auditor-bench-reviews-")
    engine = make_engine(url)
    print(f"database: {engine.url.render_as_string(hide_password=True)}, {os.cpu_count()} cores, {load_average()}")
    policy = Settings(database_url=url, data_dir=workdir).deadline_policy

    started = time.perf_counter()
    with unit_of_work(engine) as session:
        organisation_id, admin = load(session, args.organisations, args.audits, args.cases, args.findings_per_audit)
    with engine.connect() as connection:  # fresh planner statistics, as autovacuum would have them in production
        connection.execute(text("ANALYZE"))
        connection.commit()
    print(
        f"loaded {args.organisations} organisations, {args.audits:,} audits ({args.audits * args.findings_per_audit:,} findings), "
        f"{args.cases:,} cases in {time.perf_counter() - started:.1f} s\n"
    )

    period = (date(args.year, 1, 1), date(args.year, 12, 31))
    with unit_of_work(engine) as session:
        clock = cpu_clock(session)

        def compile_once() -> dict:
            inputs = reviews.compile_inputs(
                session=session,
                organisation_id=organisation_id,
                period_start=period[0],
                period_end=period[1],
                policy=policy,
            )
            session.expunge_all()  # every run loads afresh, as a request would
            return inputs

        inputs = compile_once()
        print(f"compile_inputs, one organisation, {args.year}: {figures(*timed_runs(compile_once, args.runs, clock))}")
        results, compiled = inputs["audit_results"], inputs["cases"]
        print(
            f"  covered: {results['audit_count']} audits, {results['findings']} findings, {compiled['open']} open cases "
            f"({compiled['overdue']} overdue), {compiled['closed_in_period']} closed in the period"
        )

        quality_manager, _ = accounts.create_user(
            session=session,
            actor=None,
            email="qm@bench.example",
            name="QM",
            role="quality_manager",
            organisation_id=organisation_id,
            password="bench password 123",
        )
        for who, actor in (
            ("the organisation's quality manager", quality_manager),
            ("an installation admin (every organisation)", admin),
        ):

            def board_once(actor=actor) -> int:
                found = cases.board(session=session, actor=actor, policy=policy, page=PageRequest())
                session.expunge_all()
                return found.page.total

            shown = board_once()
            print(
                f"follow-up board for {who}, first page of {DEFAULT_LIMIT} of {shown:,} cases: "
                f"{figures(*timed_runs(board_once, args.runs, clock))}"
            )

        review = reviews.create_review(
            session=session,
            actor=admin,
            organisation_id=organisation_id,
            period_start=period[0],
            period_end=period[1],
            policy=policy,
        )
        times = []
        for _ in range(5):
            start = time.perf_counter()
            render_review_report(build_review_report_context(session=session, review=review, lang="da"))
            times.append((time.perf_counter() - start) * 1000)
        print(
            f"Word minutes of that review (context and rendering, four charts): median {statistics.median(times):.0f} ms (n=5)"
        )
    print(load_average())
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
