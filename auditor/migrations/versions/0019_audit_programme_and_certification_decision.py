"""The audit programme per organisation and the certification decision after a certification audit

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 12:10:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificationdecision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("review", sa.Text(), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("site_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["reviewed_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id"),
    )
    with op.batch_alter_table("certificationdecision") as batch_op:
        batch_op.create_index(batch_op.f("ix_certificationdecision_organisation_id"), ["organisation_id"], unique=False)
    op.create_table(
        "auditprogramme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("checklists", sa.JSON(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("cycle_start", sa.Date(), nullable=True),
        sa.Column("cycle_months", sa.Integer(), nullable=True),
        sa.Column("audits_per_cycle", sa.Integer(), nullable=True),
        sa.Column("updated_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id"),
    )


def downgrade() -> None:
    op.drop_table("auditprogramme")
    with op.batch_alter_table("certificationdecision") as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificationdecision_organisation_id"))
    op.drop_table("certificationdecision")
