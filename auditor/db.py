"""Engine, sessions and schema migrations."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from filelock import FileLock
from sqlalchemy import Connection, Engine, Executable, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, create_engine

from auditor.paths import MIGRATIONS_DIR

log = logging.getLogger("auditor")

# The PostgreSQL advisory lock that serialises migrations across every process and machine of an installation.
MIGRATION_LOCK_KEY = zlib.crc32(b"auditor schema migrations")


# Connection pool defaults (settings AUDITOR_DB_POOL_SIZE, _MAX_OVERFLOW, _POOL_TIMEOUT). Requests wait for a
# connection in FastAPI's thread pool, never on the event loop, so a full pool makes them queue; one that waits
# longer than the timeout gets 503 with Retry-After (routes/errors.py), never a freeze.
POOL_SIZE = 10
MAX_OVERFLOW = 10
POOL_TIMEOUT_S = 10.0
SQLITE_BUSY_TIMEOUT_MS = 20_000


def make_engine(
    url: str, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW, pool_timeout: float = POOL_TIMEOUT_S
) -> Engine:
    pool = {"pool_size": pool_size, "max_overflow": max_overflow, "pool_timeout": pool_timeout}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy emit BEGIN itself
            # (the recipe in SQLAlchemy's SQLite dialect documentation).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # A writer holds the lock for its whole request, so under a burst the queue can be long: wait as long as
            # a request waits for a pooled connection and more, then 503 (routes/errors.py).
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection):
            # A deferred transaction that reads and then writes cannot wait for the write lock: in WAL mode it fails
            # at once with "database is locked", whatever the busy timeout (SQLite's documentation on transactions).
            # So a transaction takes the write lock when it begins, and the busy timeout queues writers; only
            # connections marked read-only (requests that change nothing, see `reading`) begin deferred, so
            # readers never wait for writers.
            mode = "DEFERRED" if connection.get_execution_options().get(READ_ONLY) else "IMMEDIATE"
            connection.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # PostgreSQL's JIT compiler starts on a statement's estimated cost; the follow-up board's deadline subqueries look
    # costly over many cases but run in milliseconds, and compiling them took seconds (bench/bench_follow_up.py).
    connect_args = {"options": "-c jit=off"} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)


READ_ONLY = "auditor_read_only"


def is_busy(error: Exception) -> bool:
    """SQLite's write lock did not come free within the busy timeout (the request did nothing and may be retried)."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def reading(engine: Engine) -> Engine:
    """The same engine and pool, for work that only reads: on SQLite its transactions begin deferred, so they never
    queue behind a writer. A write in such a transaction is allowed but may fail under contention: keep those to
    best-effort bookkeeping (see `bookkeeping`)."""
    return engine.execution_options(**{READ_ONLY: True})


# One transaction per request, CLI command or demo step (the unit of work). Services add and flush (when they need
# ids) and never commit; whoever opened the session commits once at the end, or rolls everything back: a crash
# halfway through a step leaves nothing half done.


@contextmanager
def transaction(session: Session, *, before_rollback: Callable[[], object] | None = None) -> Iterator[Session]:
    """The unit of work on `session`: commits once when the block ends, rolls back if it raises (and raises again).
    The rollback expires every row the session holds; `before_rollback` may copy what is still to be shown."""
    try:
        yield session
        finish(session)
    except BaseException:
        abandon(session, before_rollback=before_rollback)
        raise


def finish(session: Session) -> None:
    """The end of a unit of work that succeeded: its bookkeeping, then one commit."""
    _run_bookkeeping(session)
    session.commit()


def abandon(session: Session, *, before_rollback: Callable[[], object] | None = None) -> None:
    """The end of a unit of work that failed: a rollback (after `before_rollback`, which may copy what is still to
    be shown)."""
    if before_rollback is not None:
        before_rollback()
    session.rollback()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A new session whose work is one transaction (`transaction`): for the CLI, the demo and scripts. Give it
    `reading(engine)` for work that only reads, so it never holds SQLite's write lock."""
    with Session(engine, expire_on_commit=False) as session, transaction(session):
        yield session


_BOOKKEEPING = "auditor_bookkeeping"


def bookkeeping(session: Session, statement: Executable) -> None:
    """Run `statement` when the session's work commits: best-effort bookkeeping (a session's expiry pushed on, a
    token's last use). Kept to the end so a request that only reads never holds a write lock while it works; if such a
    request finds SQLite's write lock taken then, the bookkeeping is skipped (the next request does it)."""
    session.info.setdefault(_BOOKKEEPING, []).append(statement)


def _run_bookkeeping(session: Session) -> None:
    statements = session.info.pop(_BOOKKEEPING, [])
    if not statements:
        return
    try:
        for statement in statements:
            session.execute(statement)
    except OperationalError as error:
        if not (is_busy(error) and session.get_bind().get_execution_options().get(READ_ONLY)):
            raise
        session.rollback()  # the request only read: nothing is lost but the bookkeeping


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema up to date, one process at a time: any number of processes may start at once."""
    engine = make_engine(url)
    try:
        with _sqlite_file_lock(url), engine.begin() as connection:
            _advisory_lock(connection)
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """On a SQLite file, a lock file beside it, held while migrating."""
    path = url.split("///", 1)[-1] if url.startswith("sqlite") else ""
    if not path or path == ":memory:":
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{path}.migrate.lock")
    try:
        lock.acquire(timeout=0)
    except TimeoutError:
        log.info("another process is migrating the database; waiting for it")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _advisory_lock(connection: Connection) -> None:
    """On PostgreSQL, a transaction-level advisory lock on the migrating connection: released when the migration
    commits, after which the next process sees the new revision and has nothing left to do."""
    if connection.dialect.name != "postgresql":
        return
    if not connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}).scalar():
        log.info("another process is migrating the database; waiting for it")
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


@cache
def head_revision() -> str:
    """The newest migration in the code (read once: Alembic parses every migration file to find it)."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("auditor/migrations/versions holds no migration")
    return head


def schema_state(engine: Engine) -> tuple[str | None, str]:
    """(the database's revision or None if fresh, the newest revision in the code)."""
    with reading(engine).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head_revision()


def schema_problem(engine: Engine) -> str | None:
    """Why this database cannot serve this code, in a few words for an operator; None when the schema is current."""
    current, head = schema_state(engine)
    if current == head:
        return None
    if current is None:
        return "the database has no schema yet"
    return f"the database schema is at revision {current}, this code needs {head}"
