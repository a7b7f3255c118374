"""BEK 1406 tags: violence outside working hours is a factor of its own; a corrective action says whether it is
collective or individual

Findings and cases raised on the screening's question on violence outside working hours took the item's tag
`violence`; they now carry `violence_outside_hours`, so the management review counts them under that factor.
(The new tag `general_s5`, BEK 1406 § 5's other influences, needs no data: nothing carried it before.)
`caseaction.scope` (collective or individual) is empty for the actions planned before it: nobody said.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 05:40:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ITEM = "screening.bek.violence.outside-hours"


def _retag(old: str, new: str | None, *, only_item: bool) -> None:
    """Replace the BEK 1406 tag `old` by `new` (or drop it, if `new` is None) on findings and cases."""
    connection = op.get_bind()
    for name in ("finding", "case"):
        table = sa.table(name, sa.column("id", sa.Integer), sa.column("item_id", sa.String), sa.column("tags", sa.JSON))
        query = sa.select(table.c.id, table.c.tags)
        if only_item:
            query = query.where(table.c.item_id == ITEM)
        for row_id, tags in connection.execute(query).all():
            factors = (tags or {}).get("bek1406") or []
            if old not in factors:
                continue
            replaced = [new if factor == old else factor for factor in factors]
            retagged = list(dict.fromkeys(factor for factor in replaced if factor is not None))
            connection.execute(table.update().where(table.c.id == row_id).values(tags={**tags, "bek1406": retagged}))


def upgrade() -> None:
    _retag("violence", "violence_outside_hours", only_item=True)
    with op.batch_alter_table("caseaction") as batch_op:
        batch_op.add_column(sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("caseaction") as batch_op:
        batch_op.drop_column("scope")
    _retag("violence_outside_hours", "violence", only_item=False)
    _retag("general_s5", None, only_item=False)
