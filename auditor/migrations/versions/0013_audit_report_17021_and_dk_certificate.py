"""The audit report of ISO/IEC 17021-1 9.4.8 and the Danish recognised certificate per production unit

The organisation has an address; the audit has the certificate, the next audit, accompanying persons, the other
9.4.8 facts, the team's statements, the stage 1 readiness, the audit days and whether items not audited are listed;
a plan line says whether it was remote; each audited site (production unit) has its own hours on the material work
environment and conclusion on significant problems, moved there from the audit (an audit with more than one site
keeps them on its first site, where the lead auditor can divide them; an audit without sites had no production unit
to keep them for); a carried-over case gets its on-site
verification (casefollowup). The recommendation "once the corrective actions are accepted" becomes the one for major
nonconformities if the audit raised one, else the one for minor nonconformities.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 08:30:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

AUDIT_TEXTS = ("significant_changes", "programme_issues", "unresolved_issues", "marks_control")


def upgrade() -> None:
    # Plain ALTER TABLE throughout: a batch would copy a table, and on SQLite dropping the old copy is refused while
    # other tables' rows refer to it.
    op.add_column(
        "organisation",
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False, server_default=""),
    )
    op.add_column("planentry", sa.Column("remote", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("auditsite", sa.Column("material_hours", sa.Float(), nullable=True))
    op.add_column("auditsite", sa.Column("significant_problems", sa.Text(), nullable=False, server_default=""))
    for column in (
        sa.Column("md5_days", sa.Float(), nullable=True),
        sa.Column("actual_days", sa.Float(), nullable=True),
        sa.Column("psychosocial_hours", sa.Float(), nullable=True),
        sa.Column("certificate_number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False, server_default=""),
        sa.Column("certificate_expiry", sa.Date(), nullable=True),
        sa.Column("next_audit_date", sa.Date(), nullable=True),
        sa.Column("accompanying", sa.JSON(), nullable=False, server_default="[]"),
        *(sa.Column(name, sa.Text(), nullable=False, server_default="") for name in AUDIT_TEXTS),
        sa.Column("combination", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="single"),
        sa.Column("statements", sa.JSON(), nullable=False, server_default="{}"),
        sa.Column("stage1_readiness", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False, server_default=""),
        sa.Column("list_not_audited", sa.Boolean(), nullable=False, server_default=sa.false()),
    ):
        op.add_column("audit", column)
    op.create_table(
        "casefollowup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Text(), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"]),
        sa.ForeignKeyConstraint(["verified_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id", "case_id"),
    )
    op.create_index("ix_casefollowup_audit_id", "casefollowup", ["audit_id"], unique=False)

    connection = op.get_bind()
    audit = sa.table(
        "audit",
        sa.column("id", sa.Integer),
        sa.column("material_hours", sa.Float),
        sa.column("significant_problems", sa.Text),
        sa.column("recommendation", sa.String),
    )
    audit_site = sa.table(
        "auditsite",
        sa.column("audit_id", sa.Integer),
        sa.column("site_id", sa.Integer),
        sa.column("material_hours", sa.Float),
        sa.column("significant_problems", sa.Text),
    )
    finding = sa.table("finding", sa.column("audit_id", sa.Integer), sa.column("kind", sa.String))
    rows = connection.execute(
        sa.select(audit.c.id, audit.c.material_hours, audit.c.significant_problems).where(
            sa.or_(audit.c.material_hours.is_not(None), audit.c.significant_problems != "")
        )
    ).all()
    for audit_id, hours, problems in rows:
        first = connection.execute(
            sa.select(sa.func.min(audit_site.c.site_id)).where(audit_site.c.audit_id == audit_id)
        ).scalar()
        if first is not None:
            connection.execute(
                audit_site.update()
                .where(audit_site.c.audit_id == audit_id, audit_site.c.site_id == first)
                .values(material_hours=hours, significant_problems=problems or "")
            )
    has_major = (
        sa.select(finding.c.audit_id).where(finding.c.audit_id == audit.c.id, finding.c.kind == "major_nc").exists()
    )
    connection.execute(
        audit.update()
        .where(audit.c.recommendation == "certify_after_actions")
        .values(recommendation=sa.case((has_major, "certify_after_major_verified"), else_="certify_after_minor_plans"))
    )
    op.drop_column("audit", "significant_problems")
    op.drop_column("audit", "material_hours")


def downgrade() -> None:
    op.add_column("audit", sa.Column("material_hours", sa.Float(), nullable=True))
    op.add_column("audit", sa.Column("significant_problems", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    connection.execute(
        sa.text(
            "UPDATE audit SET recommendation = 'certify_after_actions' "
            "WHERE recommendation IN ('certify_after_minor_plans', 'certify_after_major_verified')"
        )
    )
    connection.execute(
        sa.text(
            "UPDATE audit SET material_hours = (SELECT SUM(s.material_hours) FROM auditsite s WHERE s.audit_id = audit.id)"
        )
    )
    op.drop_index("ix_casefollowup_audit_id", table_name="casefollowup")
    op.drop_table("casefollowup")
    for name in (
        "list_not_audited",
        "stage1_readiness",
        "statements",
        "combination",
        *AUDIT_TEXTS,
        "accompanying",
        "next_audit_date",
        "certificate_expiry",
        "certificate_number",
        "psychosocial_hours",
        "actual_days",
        "md5_days",
    ):
        op.drop_column("audit", name)
    op.drop_column("auditsite", "significant_problems")
    op.drop_column("auditsite", "material_hours")
    op.drop_column("planentry", "remote")
    op.drop_column("organisation", "address")
