"""Findings name their own sites; a case records ISO 45001 10.2's investigation, extent, APV review, new hazards,
system changes and communication to workers, and a correction that does not apply

`finding.site_ids`: the sites / production units a finding concerns. A finding of an audit with exactly one site
concerns that site; a finding of an audit with several sites names none ("not stated" in the report and the
management review): nobody said which, and guessing would put it on every site again.

Findings' tags are kept as they are and count as confirmed. They were copied from the item, but the form showed them
ticked and the auditor could untick them, so some were chosen; the migration cannot tell a chosen tag from a copied one,
and the audit reports and management reviews already issued counted them. A person corrects a finding's tags on its
page, with the change in the trail; new findings take no tag unless a person ticks it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 08:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TEXTS = ("participation_note", "extent", "apv_reference", "new_hazards", "system_changes", "communication")


def upgrade() -> None:
    # Plain ADD COLUMNs (every column has a constant default or none): a batch would rebuild "case" on SQLite, which
    # the foreign keys of its actions and attachments refuse.
    op.add_column("finding", sa.Column("site_ids", sa.JSON(), nullable=False, server_default="[]"))
    connection = op.get_bind()
    audit_site = sa.table("auditsite", sa.column("audit_id", sa.Integer), sa.column("site_id", sa.Integer))
    finding = sa.table("finding", sa.column("audit_id", sa.Integer), sa.column("site_ids", sa.JSON))
    only_site = (
        sa.select(audit_site.c.audit_id, sa.func.min(audit_site.c.site_id))
        .group_by(audit_site.c.audit_id)
        .having(sa.func.count() == 1)
    )
    for audit_id, site_id in connection.execute(only_site).all():
        connection.execute(finding.update().where(finding.c.audit_id == audit_id).values(site_ids=[site_id]))

    op.add_column(
        "case", sa.Column("correction_not_applicable", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("case", sa.Column("investigation_participants", sa.JSON(), nullable=False, server_default="[]"))
    for name in TEXTS:
        op.add_column("case", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    op.add_column("case", sa.Column("apv_reviewed", sa.Boolean(), nullable=True))
    op.add_column("case", sa.Column("new_hazards_assessed", sa.Boolean(), nullable=True))
    op.add_column("case", sa.Column("communicated_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch_op:
        for name in ("communicated_on", "new_hazards_assessed", "apv_reviewed", *reversed(TEXTS)):
            batch_op.drop_column(name)
        batch_op.drop_column("investigation_participants")
        batch_op.drop_column("correction_not_applicable")
    with op.batch_alter_table("finding") as batch_op:
        batch_op.drop_column("site_ids")
