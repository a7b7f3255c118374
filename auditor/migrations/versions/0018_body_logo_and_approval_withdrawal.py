"""The certification body's logo as an upload (its image a blob), and the withdrawal of a management review's
approval (when and why)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 12:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bodylogo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("managementreview", sa.Column("withdrawn_on", sa.Date(), nullable=True))
    op.add_column("managementreview", sa.Column("withdrawal_reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("managementreview") as batch_op:
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_on")
    op.drop_table("bodylogo")
