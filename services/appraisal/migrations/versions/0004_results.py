"""appraisal schema: peer requests, reviews, results and their changes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_requests",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("reviewer_id", sa.String(length=36), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id", "employee_id", "reviewer_id"),
    )
    op.create_table(
        "reviews",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("reviewer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id", "employee_id", "reviewer_id"),
    )
    op.create_table(
        "results",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("grade", sa.String(length=16), nullable=False),
        sa.Column("grade_source", sa.String(length=32), nullable=False),
        sa.Column("computed_grade", sa.String(length=16), nullable=False),
        sa.Column("finalized", sa.Boolean(), nullable=False),
        sa.Column("agreement", sa.String(length=16), nullable=True),
        sa.Column("agreement_comment", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id", "employee_id"),
    )
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.create_index(
            "ix_results_tenant_cycle_unit", ["tenant_id", "cycle_id", "unit_id"], unique=False
        )
        batch_op.create_index(
            "ix_results_tenant_cycle_finalized_employee",
            ["tenant_id", "cycle_id", "finalized", "employee_id"],
            unique=False,
        )
    op.create_table(
        "result_changes",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("old_grade", sa.String(length=16), nullable=False),
        sa.Column("new_grade", sa.String(length=16), nullable=False),
        sa.Column("old_score", sa.Double(), nullable=False),
        sa.Column("new_score", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("result_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_result_changes_tenant_cycle_employee",
            ["tenant_id", "cycle_id", "employee_id", "seq"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("result_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_result_changes_tenant_cycle_employee")
    op.drop_table("result_changes")
    with op.batch_alter_table("results", schema=None) as batch_op:
        batch_op.drop_index("ix_results_tenant_cycle_finalized_employee")
        batch_op.drop_index("ix_results_tenant_cycle_unit")
    op.drop_table("results")
    op.drop_table("reviews")
    op.drop_table("peer_requests")
