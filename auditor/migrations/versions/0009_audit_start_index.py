"""an index of audits by organisation and start date, for the follow-up board's next-audit deadlines

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 03:35:00.000000
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_org_start", "audit", ["organisation_id", "start_date"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_org_start", table_name="audit")
