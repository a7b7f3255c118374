"""report details and report templates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:42:19.480604
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import auditor.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporttemplate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("audit_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", auditor.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reporttemplate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporttemplate_organisation_id"), ["organisation_id"], unique=False)

    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("report_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="1")
        )
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("conclusion", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("recommendation", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("plan_deviations", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "auditee_representative",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("dk_certificate", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("bek1407_auditor_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("material_hours", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("significant_problems", sa.Text(), nullable=False, server_default=""))
        batch_op.create_foreign_key("fk_audit_bek1407_auditor_id_user", "user", ["bek1407_auditor_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_constraint("fk_audit_bek1407_auditor_id_user", type_="foreignkey")
        batch_op.drop_column("significant_problems")
        batch_op.drop_column("material_hours")
        batch_op.drop_column("bek1407_auditor_id")
        batch_op.drop_column("dk_certificate")
        batch_op.drop_column("auditee_representative")
        batch_op.drop_column("plan_deviations")
        batch_op.drop_column("recommendation")
        batch_op.drop_column("conclusion")
        batch_op.drop_column("summary")
        batch_op.drop_column("report_version")

    with op.batch_alter_table("reporttemplate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporttemplate_organisation_id"))

    op.drop_table("reporttemplate")
