"""goals schema: objectives, key results and their value history

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


def _path() -> sa.types.TypeEngine[str]:
    return sa.String(length=2000).with_variant(sa.String(length=2000, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "objectives",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("owner_employee_id", sa.String(length=36), nullable=True),
        sa.Column("parent_objective_id", sa.String(length=36), nullable=True),
        sa.Column("parent_key_result_id", sa.String(length=36), nullable=True),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("path", _path(), nullable=False),
        sa.Column("weighted_sum", sa.Double(), nullable=False),
        sa.Column("weight_sum", sa.Double(), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("objectives", schema=None) as batch_op:
        batch_op.create_index("ix_objectives_tenant_path", ["tenant_id", "path"], unique=False)
        batch_op.create_index(
            "ix_objectives_tenant_parent_objective", ["tenant_id", "parent_objective_id"], unique=False
        )
        batch_op.create_index(
            "ix_objectives_tenant_parent_key_result", ["tenant_id", "parent_key_result_id"], unique=False
        )
        batch_op.create_index("ix_objectives_tenant_unit", ["tenant_id", "unit_id"], unique=False)
        batch_op.create_index("ix_objectives_tenant_owner", ["tenant_id", "owner_employee_id"], unique=False)

    op.create_table(
        "key_results",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("objective_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("start_value", sa.Double(), nullable=False),
        sa.Column("target_value", sa.Double(), nullable=False),
        sa.Column("current_value", sa.Double(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column(
            "metric_code",
            sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"),
            nullable=True,
        ),
        sa.Column("scope_kind", sa.String(length=16), nullable=True),
        sa.Column("scope_id", sa.String(length=36), nullable=True),
        sa.Column("period_kind", sa.String(length=8), nullable=True),
        sa.Column("metric_period_start", sa.Date(), nullable=True),
        sa.Column("path", _path(), nullable=False),
        sa.Column("weighted_sum", sa.Double(), nullable=False),
        sa.Column("weight_sum", sa.Double(), nullable=False),
        sa.Column("progress", sa.Double(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("key_results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_key_results_tenant_objective", ["tenant_id", "objective_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_key_results_tenant_path", ["tenant_id", "path"], unique=False)
        batch_op.create_index(
            "ix_key_results_tenant_metric",
            ["tenant_id", "metric_code", "scope_kind", "scope_id"],
            unique=False,
        )

    op.create_table(
        "key_result_values",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("key_result_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("key_result_values", schema=None) as batch_op:
        batch_op.create_index(
            "ix_key_result_values_tenant_key_result", ["tenant_id", "key_result_id", "seq"], unique=False
        )


def downgrade() -> None:
    op.drop_table("key_result_values")
    op.drop_table("key_results")
    op.drop_table("objectives")
