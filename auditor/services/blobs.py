"""Files kept in the database: photos with their thumbnails and originals, case attachments and the certification
body's logo.

A blob is named by the SHA-256 of its bytes and stored once however many records use it. It is written in the
transaction of the record that uses it and deleted with the last record that uses it, so any process on any machine
serves any file, a failed upload leaves nothing behind, and a database backup is the whole backup.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete, exists, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from auditor.models import Blob, BodyLogo, CaseAttachment, Photo

# Every column that names a blob: a blob none of them names is deleted.
USES = (Photo.sha256, Photo.thumbnail_sha256, Photo.original_sha256, CaseAttachment.sha256, BodyLogo.sha256)


def keep(*, session: Session, content: bytes) -> str:
    """Store `content` unless the same bytes are stored already; their SHA-256 (the caller commits)."""
    digest = hashlib.sha256(content).hexdigest()
    # INSERT ... ON CONFLICT DO NOTHING: two uploads of the same file at the same moment both succeed.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Blob)
        .values(sha256=digest, size=len(content), content=content)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    return digest


def read(*, session: Session, sha256: str) -> bytes | None:
    """The bytes of one blob, or None if there is none. Read as a column, so the session does not hold on to them."""
    return session.exec(select(Blob.content).where(Blob.sha256 == sha256)).first()


def stored(*, session: Session, digests: Iterable[str]) -> set[str]:
    """Which of `digests` have a blob (without reading any bytes)."""
    wanted = set(digests)
    return set(session.exec(select(Blob.sha256).where(Blob.sha256.in_(wanted)))) if wanted else set()


def release(*, session: Session, digests: Iterable[str | None]) -> None:
    """Delete the blobs among `digests` that no record uses any more; call it after deleting (and flushing) the records."""
    candidates = {digest for digest in digests if digest}
    if candidates:
        session.flush()
        used = or_(*(exists().where(column == Blob.sha256) for column in USES))
        session.execute(delete(Blob).where(Blob.sha256.in_(candidates), ~used))
