"""Auditors' competence records and impartiality declarations, checked when an audit's team is set; what an audit's
IAF MD 5 time is computed from (the effective number of personnel, the OH&S risk category, adjustments); the
sampling plan of its production units (IAF MD 1: the central function, and why each unit is visited)

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 12:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditorcompetence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("bek1407", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("bek1407_date", sa.Date(), nullable=True),
        sa.Column("technical_areas", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("updated_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "impartialitydeclaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_impartialitydeclaration_user_id", "impartialitydeclaration", ["user_id"], unique=False)
    op.create_index(
        "ix_impartialitydeclaration_organisation_id", "impartialitydeclaration", ["organisation_id"], unique=False
    )
    # Plain ALTER TABLE: a batch would copy the audit table, which other tables' rows refer to.
    for column in (
        sa.Column("personnel_full_time", sa.Integer(), nullable=True),
        sa.Column("personnel_part_time_fte", sa.Float(), nullable=True),
        sa.Column("personnel_temporary", sa.Float(), nullable=True),
        sa.Column("ohs_risk", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=""),
        sa.Column("time_adjustments", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column(
            "team_override_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=""
        ),
    ):
        op.add_column("audit", column)
    op.add_column("auditsite", sa.Column("central", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column(
        "auditsite",
        sa.Column("visit_reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_column("auditsite", "visit_reason")
    op.drop_column("auditsite", "central")
    for name in (
        "team_override_reason",
        "time_adjustments",
        "ohs_risk",
        "personnel_temporary",
        "personnel_part_time_fte",
        "personnel_full_time",
    ):
        op.drop_column("audit", name)
    op.drop_index("ix_impartialitydeclaration_organisation_id", table_name="impartialitydeclaration")
    op.drop_index("ix_impartialitydeclaration_user_id", table_name="impartialitydeclaration")
    op.drop_table("impartialitydeclaration")
    op.drop_table("auditorcompetence")
