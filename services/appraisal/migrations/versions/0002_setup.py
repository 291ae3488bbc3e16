"""appraisal schema: grade scales, templates, cycles and their members

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "grade_scales",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "templates",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("position_ids", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_table(
        "template_defaults",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "target_kind", "target_id", "template_id"),
    )
    with op.batch_alter_table("template_defaults", schema=None) as batch_op:
        batch_op.create_index(
            "ix_template_defaults_tenant_template", ["tenant_id", "template_id"], unique=False
        )
    op.create_table(
        "cycles",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("phase", sa.String(length=32), nullable=False),
        sa.Column("deadlines", sa.JSON(), nullable=False),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("position_ids", sa.JSON(), nullable=False),
        sa.Column("metric_grading", sa.JSON(), nullable=True),
        sa.Column("quotas", sa.JSON(), nullable=False),
        sa.Column("appeal_window_days", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.create_index("ix_cycles_tenant_phase", ["tenant_id", "phase"], unique=False)
    op.create_table(
        "cycle_members",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("position_id", sa.String(length=36), nullable=True),
        sa.Column("manager_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id", "employee_id"),
    )
    with op.batch_alter_table("cycle_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_cycle_members_tenant_cycle_unit", ["tenant_id", "cycle_id", "unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cycle_members", schema=None) as batch_op:
        batch_op.drop_index("ix_cycle_members_tenant_cycle_unit")
    op.drop_table("cycle_members")
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_index("ix_cycles_tenant_phase")
    op.drop_table("cycles")
    with op.batch_alter_table("template_defaults", schema=None) as batch_op:
        batch_op.drop_index("ix_template_defaults_tenant_template")
    op.drop_table("template_defaults")
    op.drop_table("templates")
    op.drop_table("grade_scales")
