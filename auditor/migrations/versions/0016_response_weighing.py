"""An answer carries Arbejdstilsynet's weighing frame part by part (occurrence, prevention, aggravating factors,
signs of health effects, conclusion) on the items a checklist marks with `weighing: true`

Answers saved before have none (NULL): their weighing, if any, is in the note.

Revision ID: 0016
Revises: 0014
Create Date: 2026-11-27 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("response") as batch_op:
        batch_op.add_column(sa.Column("weighing", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("response") as batch_op:
        batch_op.drop_column("weighing")
