"""The sampling plan's exceptions and its random part (IAF MD 1): a production unit that must be visited (not
sampled), and the draws that chose part of the sample at random, with their seeds

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE: a batch would copy the audit table, which other tables' rows refer to.
    op.add_column("audit", sa.Column("sample_draws", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column("auditsite", sa.Column("must_visit", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("auditsite", "must_visit")
    op.drop_column("audit", "sample_draws")
