"""Personal calendar feeds (a secret address that Outlook or Google Calendar subscribes to) and e-mail reminders
(each recorded once before it is sent, the kinds a user turned off, and the language of a user's e-mails)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 08:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendarfeed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("created_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", auditor.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("calendarfeed") as batch_op:
        batch_op.create_index(batch_op.f("ix_calendarfeed_user_id"), ["user_id"], unique=False)
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", auditor.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", auditor.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_state"), ["state"], unique=False)
    op.create_table(
        "reminderoptout",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "kind"),
    )
    with op.batch_alter_table("user") as batch_op:
        batch_op.add_column(
            sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False, server_default="da")
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch_op:
        batch_op.drop_column("language")
    op.drop_table("reminderoptout")
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_state"))
        batch_op.drop_index(batch_op.f("ix_reminder_user_id"))
    op.drop_table("reminder")
    with op.batch_alter_table("calendarfeed") as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendarfeed_user_id"))
    op.drop_table("calendarfeed")
