"""The audit carries its checklists' key (their snapshots' content hashes, in order), so that a save finds the audit's
parsed checklists without asking the database which they are

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-28 01:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checklists_key", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    chosen = connection.execute(
        sa.text(
            "SELECT auditchecklist.audit_id, checklistsnapshot.sha256 FROM auditchecklist"
            " JOIN checklistsnapshot ON checklistsnapshot.id = auditchecklist.snapshot_id"
            " ORDER BY auditchecklist.audit_id, auditchecklist.position"
        )
    ).all()
    keys: dict[int, list[str]] = {}
    for audit_id, sha256 in chosen:
        keys.setdefault(audit_id, []).append(sha256)
    if keys:
        connection.execute(
            sa.text("UPDATE audit SET checklists_key = :key WHERE id = :id"),
            [{"id": audit_id, "key": ",".join(hashes)} for audit_id, hashes in keys.items()],
        )


def downgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_column("checklists_key")
