"""client-made ids on what a tablet creates, and who created or last saved it (field mode)

Evidence, findings and photos get `client_id` (the UUID the tablet's outbox made; unique, so a create sent twice
is stored once) and, where they lacked it, `created_by_id`; answers get `updated_by_id`. All nullable: rows from
before keep None.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 05:14:33.267459
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _client_id() -> sa.Column:
    return sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)


def upgrade() -> None:
    for table in ("evidence", "finding"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
            batch_op.add_column(_client_id())
            batch_op.create_index(batch_op.f(f"ix_{table}_client_id"), ["client_id"], unique=True)
            batch_op.create_foreign_key(f"fk_{table}_created_by_id_user", "user", ["created_by_id"], ["id"])

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(_client_id())
        batch_op.create_index(batch_op.f("ix_photo_client_id"), ["client_id"], unique=True)

    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_response_updated_by_id_user", "user", ["updated_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("response", schema=None) as batch_op:
        batch_op.drop_constraint("fk_response_updated_by_id_user", type_="foreignkey")
        batch_op.drop_column("updated_by_id")

    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_photo_client_id"))
        batch_op.drop_column("client_id")

    for table in ("finding", "evidence"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_created_by_id_user", type_="foreignkey")
            batch_op.drop_index(batch_op.f(f"ix_{table}_client_id"))
            batch_op.drop_column("client_id")
            batch_op.drop_column("created_by_id")
