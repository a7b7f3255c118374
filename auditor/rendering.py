"""Word files rendered in processes of their own (AUDITOR_REPORT_PROCESSES), off the serving process.

Rendering a report (python-docx, docxtpl, charts, photos) keeps a core busy for a second or more and holds Python's
GIL while it does: in the serving process, every save waiting behind it waits too (bench/bench_load.py measured a
save p99 of 2-3 s with four report downloaders, 0.7 s without). So a download only checks who may have the file, in
its request as before, and hands the rest to a process pool whose processes run at a lower CPU priority: the saves
of the serving process come first on a busy machine.

What crosses to a report process is a `ReportJob`: which report of which record, in which language. Never a session
or a row: the process opens its own engine from the settings and reads the record itself. The downloader's identity
does not cross either, because a report does not depend on who downloads it: it never carries confidential evidence or
photos, whoever asks (reports/context.py reads them with no actor); whether the downloader may have it at all was
decided by the request's access check before the job is made.

With AUDITOR_REPORT_PROCESSES=0 a report is rendered in the request's thread with the request's session (tests do
this: their data lives in a transaction that another process cannot see).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from auditor.config import Settings
from auditor.db import finish, make_engine, reading, unit_of_work
from auditor.errors import Busy, NotFound
from auditor.i18n import N_

log = logging.getLogger("auditor")

# How much lower a report process runs than the server (os.nice: 0 is normal, 19 the lowest).
REPORT_NICENESS = 10
REVIEW_MINUTES = "review_minutes"
BUSY_MESSAGE = N_("The report could not be written just now. Try again in a moment.")


@dataclass(frozen=True)
class ReportJob:
    """One Word file to render: `kind` is a report kind of an audit (vocabulary.REPORT_KINDS) or REVIEW_MINUTES of a
    management review; `record_id` that audit's or review's id; `lang` the language asked for (None: the record's
    own default)."""

    kind: str
    record_id: int
    lang: str | None


def render_job(job: ReportJob, session: Session, settings: Settings) -> tuple[str, bytes]:
    """(file name, .docx bytes) of `job`, read with `session`: the same function in a report process and in the
    request's thread."""
    from auditor.models import Audit, ManagementReview
    from auditor.reports.context import ReportSettings
    from auditor.reports.review_report import review_report_file
    from auditor.services.reports import render_report

    if job.kind == REVIEW_MINUTES:
        review = session.get(ManagementReview, job.record_id)
        if review is None:
            raise NotFound(N_("No management review with this id."))
        return review_report_file(session=session, review=review, lang=job.lang or settings.default_language)
    audit = session.get(Audit, job.record_id)
    if audit is None:
        raise NotFound(N_("No audit with this id."))
    return render_report(
        session=session,
        audit=audit,
        kind=job.kind,
        policy=settings.deadline_policy,
        lang=job.lang,
        settings=ReportSettings.of(settings),
    )


class ReportRenderer:
    """The report processes of one server process (`settings.report_processes`). How many downloads reach them at
    once, and how many may wait for their turn, middleware.Admission decides. The processes start with the first
    report and end with the app (`shutdown`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processes = settings.report_processes
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def render(self, job: ReportJob, session: Session) -> tuple[str, bytes]:
        """(file name, .docx bytes) of `job`. A plain (blocking) call, made in a request's thread after its access
        check. Out of process, the request's reading is over: its unit of work ends before the wait, so no database
        connection is held while a report process works."""
        if not self.processes:
            return render_job(job, session, self.settings)
        finish(session)
        try:
            return self._submit(job).result()
        except BrokenProcessPool as error:  # a report process died (killed, out of memory): start afresh next time
            log.error("a report process died while rendering %s %s", job.kind, job.record_id)
            self._discard_executor()
            raise Busy(BUSY_MESSAGE) from error

    def start(self) -> None:
        """Start the report processes without waiting for them (the app's lifespan begins)."""
        if self.processes:
            with self._lock:
                executor = self._executor_locked()
                for _ in range(self.processes):
                    executor.submit(_ready)

    def _submit(self, job: ReportJob) -> Future[tuple[str, bytes]]:
        with self._lock:
            return self._executor_locked().submit(_render_in_report_process, job)

    def _executor_locked(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                # spawn: a fresh interpreter, not a fork of a server process with threads and open connections
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_report_process,
                initargs=(self.settings,),
            )
        return self._executor

    def _discard_executor(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def children(self) -> list[int]:
        """Process ids of the report processes running now."""
        with self._lock:
            executor = self._executor
        return sorted(getattr(executor, "_processes", None) or {}) if executor is not None else []

    def shutdown(self) -> None:
        """End the report processes (the app's lifespan ends): a report being rendered is finished, none is started."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


# In a report process


_settings: Settings | None = None
_engine: Engine | None = None


def _start_report_process(settings: Settings) -> None:
    """A report process's start: a lower CPU priority, logging as the server's, its own engine (one connection: a
    report process renders one report at a time)."""
    global _settings, _engine
    from auditor.logs import configure_logging

    os.nice(REPORT_NICENESS)
    configure_logging(settings)
    _settings = settings
    _engine = reading(make_engine(settings.database_url, pool_size=1, max_overflow=0))


def _ready() -> None:
    """Nothing: a job that makes the pool start a process."""


def _render_in_report_process(job: ReportJob) -> tuple[str, bytes]:
    assert _engine is not None and _settings is not None, "started by _start_report_process"
    with unit_of_work(_engine) as session:
        return render_job(job, session, _settings)
