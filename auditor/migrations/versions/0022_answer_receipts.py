"""Answer receipts: a change of an answer sent with the id the tablet's outbox made for it is recorded with the version
it made, so that sent again (after a lost reply) it answers with that version, even after a newer change of the item

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-27 15:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answerreceipt",
        sa.Column("audit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("audit_id", "client_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("answerreceipt")
