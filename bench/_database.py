"""A throwaway database for a benchmark: a SQLite file in a temporary folder, or the PostgreSQL database named
(dropped and created anew), with the schema from the migrations."""

from __future__ import annotations

import tempfile
from pathlib import Path

from auditor.db import upgrade


def fresh_database(url: str | None, prefix: str) -> tuple[str, Path]:
    """(database URL, a working folder) ready for loading."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    if url.startswith("postgresql"):
        from tests.conftest import _recreate_postgres_database

        _recreate_postgres_database(url)
    upgrade(url)
    return url, workdir
