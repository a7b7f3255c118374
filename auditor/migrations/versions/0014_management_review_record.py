"""The management review's record (ISO 45001 9.3): meeting date, participants, monitoring and measurement per
period (d2), the authorities' decisions (d3), approval and the communication to workers and their representatives

Reviews made before have none of it: empty lists and no dates, so they read as drafts not yet approved.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 09:00:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

LISTS = ("participants", "monitoring", "compliance")


def upgrade() -> None:
    with op.batch_alter_table("managementreview") as batch:
        batch.add_column(sa.Column("meeting_date", sa.Date(), nullable=True))
        for name in LISTS:
            batch.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("approved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("approved_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("communicated_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("communication", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("managementreview") as batch:
        for name in (
            "communication",
            "communicated_on",
            "approved_on",
            "approved_by",
            *reversed(LISTS),
            "meeting_date",
        ):
            batch.drop_column(name)
