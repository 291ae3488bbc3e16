"""rewards schema: eligibility rules, improvement plans and courses (R2-R4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "code"),
    )
    op.create_table(
        "eligibility_rules",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "pip_check_ins",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pip_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("met_goal_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("pip_check_ins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pip_check_ins_tenant_pip", ["tenant_id", "pip_id", "created_at"], unique=False
        )
    op.create_table(
        "pips",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("manager_id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("goals", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("escalation", sa.String(length=16), nullable=False),
        sa.Column("extensions", sa.Integer(), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("pips", schema=None) as batch_op:
        batch_op.create_index("ix_pips_status_deadline", ["status", "deadline"], unique=False)
        batch_op.create_index("ix_pips_tenant_employee", ["tenant_id", "employee_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pips", schema=None) as batch_op:
        batch_op.drop_index("ix_pips_tenant_employee")
        batch_op.drop_index("ix_pips_status_deadline")
    op.drop_table("pips")
    with op.batch_alter_table("pip_check_ins", schema=None) as batch_op:
        batch_op.drop_index("ix_pip_check_ins_tenant_pip")
    op.drop_table("pip_check_ins")
    op.drop_table("eligibility_rules")
    op.drop_table("courses")
