"""The published checklist library: the one library every process on every machine serves.

Publishing stores each checklist's validated content as a ChecklistSnapshot (content-addressed, as audits freeze
them) and adds a LibraryRevision row naming the snapshot of every checklist id. Each process serves the newest
revision: it reads the newest revision id per request (a primary-key read) and parses the checklists again only
when that id changed.

The rule that keeps machines with different files from flip-flopping (README, "Checklists on several machines"):
the library only moves forward. At start-up a process adds checklist ids not yet published and replaces a
checklist only with a higher `version`; it never removes one and never replaces one with different content of the
same version. `auditor checklists reload` publishes the operator's files as they are: it adds, replaces (same or
higher version) and removes, and refuses the whole reload if a file holds an older version than the published one.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from auditor.checklists import Library, LoadedChecklist, load_library
from auditor.db import unit_of_work
from auditor.models import ChecklistSnapshot, LibraryRevision
from auditor.services.checklists import parse_snapshot, snapshot_for

log = logging.getLogger("auditor")


class OlderVersion(Exception):
    """A reload would replace a published checklist with an older version of it."""


@dataclass
class Outcome:
    """What a publish did: the new revision (None if nothing changed), one line per change, and the files
    that start-up did not publish (and why)."""

    revision_id: int | None = None
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def version_key(version: str) -> tuple:
    """Order versions as people write them: '1.10' after '1.9', '2027-1' after '2026-12'."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.findall(r"\d+|[^\d.\-_ ]+", version)
    )


def published_revision_id(*, session: Session) -> int | None:
    """The newest revision's id, or None before the first publish."""
    return session.exec(select(LibraryRevision.id).order_by(col(LibraryRevision.id).desc()).limit(1)).first()


def published_library_ready(*, session: Session) -> bool:
    """True once a library has been published (for the readiness check)."""
    return published_revision_id(session=session) is not None


def published_library(*, session: Session) -> Library:
    """The newest published library, parsed once per revision and process."""
    newest = session.exec(
        select(LibraryRevision.id, LibraryRevision.published_at).order_by(col(LibraryRevision.id).desc()).limit(1)
    ).first()
    if newest is None:
        return Library()
    revision_id, published_at = newest
    revision = (revision_id, published_at)  # with its time, so a database made anew does not pass for the one cached
    database = str(session.get_bind().engine.url)
    cached = _cache.get(database)
    if cached is None or cached[0] != revision:
        with _cache_lock:
            cached = _cache.get(database)
            if cached is None or cached[0] != revision:
                cached = _cache[database] = (revision, _load_revision(session, revision_id))
    return cached[1]


# Per database: ((revision id, published at), its parsed library). A revision never changes, so its library stays true.
_cache: dict[str, tuple[tuple, Library]] = {}
_cache_lock = threading.Lock()


def _load_revision(session: Session, revision_id: int) -> Library:
    revision = session.get_one(LibraryRevision, revision_id)
    snapshots = {
        s.id: s
        for s in session.exec(
            select(ChecklistSnapshot).where(col(ChecklistSnapshot.id).in_([e["snapshot_id"] for e in revision.entries]))
        )
    }
    library = Library()
    for entry in revision.entries:
        snapshot = snapshots[entry["snapshot_id"]]
        library.checklists[snapshot.checklist_id] = LoadedChecklist(
            parse_snapshot(snapshot), Path(entry["source"]), snapshot.sha256
        )
    return library


def publish_library(*, session: Session, files: Library, reload: bool, published_by: str) -> Outcome:
    """Publish the valid checklists of `files` by the rule above (`reload`: the operator's command, else start-up).
    Raises OlderVersion when a reload would go back to an older version. Flushes; the caller commits."""
    revision_id = published_revision_id(session=session)
    published = published_library(session=session)
    outcome = Outcome()
    chosen: dict[str, LoadedChecklist] = {} if reload else dict(published.checklists)
    for loaded in files:
        current = published.get(loaded.id)
        version = loaded.checklist.version
        if current is None:
            outcome.changes.append(f"{loaded.id}: added (version {version})")
        elif current.sha256 == loaded.sha256:
            loaded = current
        elif version_key(version) < version_key(current.checklist.version):
            if reload:
                raise OlderVersion(
                    f"{loaded.path}: checklist {loaded.id!r} has version {version}, older than the published version "
                    f"{current.checklist.version}; give the file a higher version to publish it"
                )
            outcome.kept.append(
                f"{loaded.path}: version {version} is older than the published version {current.checklist.version}"
            )
            continue
        elif version_key(version) == version_key(current.checklist.version) and not reload:
            outcome.kept.append(
                f"{loaded.path}: differs from the published version {version} of {loaded.id!r} without a higher "
                f"version; publish it with `auditor checklists reload`"
            )
            continue
        elif version == current.checklist.version:
            outcome.changes.append(f"{loaded.id}: content changed (version {version})")
        else:
            outcome.changes.append(f"{loaded.id}: version {current.checklist.version} -> {version}")
        chosen[loaded.id] = loaded
    outcome.changes.extend(
        f"{checklist_id}: removed (was version {published.checklists[checklist_id].checklist.version})"
        for checklist_id in sorted(published.checklists.keys() - chosen.keys())
    )
    if not outcome.changes and revision_id is not None:
        return outcome
    entries = [
        {"snapshot_id": snapshot_for(session=session, loaded=loaded).id, "source": str(loaded.path)}
        for loaded in sorted(chosen.values(), key=lambda c: c.id)
    ]
    revision = LibraryRevision(previous_id=revision_id or 0, entries=entries, published_by=published_by)
    session.add(revision)
    session.flush()
    outcome.revision_id = revision.id
    return outcome


def publish(*, engine: Engine, files: Library, reload: bool, command: str) -> Outcome:
    """Publish in a transaction of its own. If another process published at the same moment, the unique
    `previous_id` (or SQLite's write lock) refuses this one; decide again on top of theirs."""
    published_by = f"{command} on {socket.gethostname()}"[:200]
    for attempt in (1, 2, 3):
        try:
            with unit_of_work(engine) as session:
                return publish_library(session=session, files=files, reload=reload, published_by=published_by)
        except (IntegrityError, OperationalError):
            if attempt == 3:
                raise
    raise AssertionError("not reached: the third attempt returns or raises")


def publish_at_start(*, engine: Engine, paths: list[Path]) -> Outcome:
    """Start-up: publish this machine's checklist files by the start-up rule, logging what it did and did not."""
    files = load_library(paths)
    for problem in files.errors:
        log.error("checklist not loaded: %s", problem)
    outcome = publish(engine=engine, files=files, reload=False, command="start-up")
    for change in outcome.changes:
        log.info("checklist library: %s", change)
    for note in outcome.kept:
        log.warning("checklist file not published: %s", note)
    return outcome
