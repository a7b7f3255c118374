"""finding and case counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 02:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    findingcounter = op.create_table(
        "findingcounter",
        sa.Column("audit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    casecounter = op.create_table(
        "casecounter",
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    # Start every counter at today's highest number.
    finding = sa.table("finding", sa.column("audit_id"), sa.column("number"))
    case = sa.table("case", sa.column("organisation_id"), sa.column("number"))
    op.execute(
        findingcounter.insert().from_select(
            ["audit_id", "last_number"],
            sa.select(finding.c.audit_id, sa.func.max(finding.c.number)).group_by(finding.c.audit_id),
        )
    )
    op.execute(
        casecounter.insert().from_select(
            ["organisation_id", "last_number"],
            sa.select(case.c.organisation_id, sa.func.max(case.c.number)).group_by(case.c.organisation_id),
        )
    )


def downgrade() -> None:
    op.drop_table("casecounter")
    op.drop_table("findingcounter")
