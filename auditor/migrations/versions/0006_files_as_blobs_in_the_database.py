"""files as blobs in the database

Photos (with thumbnails and kept originals) and case attachments move from the data folder (AUDITOR_DATA_DIR,
read as the app reads it) into the new blob table. A file that is missing is logged and its record kept.
The files on disk are left where they are; once upgraded, the app no longer reads them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 02:50:00
"""

import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

from auditor.config import Settings

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("auditor")

blob = sa.table(
    "blob", sa.column("sha256", sa.String), sa.column("size", sa.Integer), sa.column("content", sa.LargeBinary)
)
photo = sa.table(
    "photo",
    sa.column("id", sa.Integer),
    sa.column("sha256", sa.String),
    sa.column("thumbnail_sha256", sa.String),
    sa.column("original_sha256", sa.String),
)
attachment = sa.table("caseattachment", sa.column("id", sa.Integer), sa.column("sha256", sa.String))


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    connection = op.get_bind()
    data_dir = Settings().data_dir
    photos, attachments = data_dir / "photos", data_dir / "attachments"
    for row in connection.execute(sa.select(photo.c.id, photo.c.sha256, photo.c.original_sha256)).all():
        _move(connection, photos / f"{row.sha256}.jpg", f"photo {row.id}", row.sha256)
        # The thumbnail is named after its photo on disk but stored under its own digest; without one the photo stands in.
        thumbnail = _move(connection, photos / f"{row.sha256}-thumb.jpg", f"thumbnail of photo {row.id}") or row.sha256
        connection.execute(photo.update().where(photo.c.id == row.id).values(thumbnail_sha256=thumbnail))
        if row.original_sha256:
            _move(
                connection,
                photos / "originals" / row.original_sha256,
                f"original of photo {row.id}",
                row.original_sha256,
            )
    for attached in connection.execute(sa.select(attachment.c.id, attachment.c.sha256)).all():
        _move(connection, attachments / attached.sha256, f"case attachment {attached.id}", attached.sha256)

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.alter_column(
            "thumbnail_sha256", existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        )


def _move(connection, path: Path, what: str, digest: str | None = None) -> str | None:
    """Store the file at `path` as a blob under `digest` (default: its SHA-256), one file in memory at a time;
    the digest, or None if the file is missing."""
    try:
        content = path.read_bytes()
    except OSError as error:
        log.warning("Upgrade 0006: the file of %s cannot be read (%s); the record is kept without it", what, error)
        return None
    digest = digest or hashlib.sha256(content).hexdigest()
    if connection.execute(sa.select(blob.c.sha256).where(blob.c.sha256 == digest)).first() is None:
        connection.execute(blob.insert().values(sha256=digest, size=len(content), content=content))
    return digest


def downgrade() -> None:
    """Write the blobs back to the data folder, as the code before this revision reads them."""
    connection = op.get_bind()
    data_dir = Settings().data_dir
    (data_dir / "photos" / "originals").mkdir(parents=True, exist_ok=True)
    (data_dir / "attachments").mkdir(parents=True, exist_ok=True)
    targets = [
        (row.sha256, data_dir / "photos" / f"{row.sha256}.jpg") for row in connection.execute(sa.select(photo.c.sha256))
    ]
    targets += [
        (row.thumbnail_sha256, data_dir / "photos" / f"{row.sha256}-thumb.jpg")
        for row in connection.execute(sa.select(photo.c.sha256, photo.c.thumbnail_sha256))
    ]
    targets += [
        (row.original_sha256, data_dir / "photos" / "originals" / row.original_sha256)
        for row in connection.execute(sa.select(photo.c.original_sha256).where(photo.c.original_sha256.is_not(None)))
    ]
    targets += [
        (row.sha256, data_dir / "attachments" / row.sha256)
        for row in connection.execute(sa.select(attachment.c.sha256))
    ]
    for digest, path in targets:
        content = connection.execute(sa.select(blob.c.content).where(blob.c.sha256 == digest)).scalar()
        if content is not None and not path.exists():
            path.write_bytes(content)

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_column("thumbnail_sha256")
    op.drop_table("blob")
