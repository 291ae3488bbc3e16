"""appraisal schema: finalizations, finalized item scores, appeals, cases and their tags

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finalizations",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("finalized", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id"),
    )
    op.create_index("ix_finalizations_state", "finalizations", ["state"], unique=False)
    op.create_table(
        "finalized_item_scores",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("score_sum", sa.Double(), nullable=False),
        sa.Column("scores", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "cycle_id", "unit_id", "title"),
    )
    op.create_table(
        "appeals",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("handler_employee_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decision_reason", sa.String(length=4000), nullable=False),
        sa.Column("old_grade", sa.String(length=16), nullable=False),
        sa.Column("new_grade", sa.String(length=16), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index("ix_appeals_tenant_filed", "appeals", ["tenant_id", "filed_at", "id"], unique=False)
    op.create_index(
        "ix_appeals_tenant_cycle_employee", "appeals", ["tenant_id", "cycle_id", "employee_id"], unique=False
    )
    op.create_index(
        "ix_appeals_tenant_handler", "appeals", ["tenant_id", "handler_employee_id"], unique=False
    )
    op.create_table(
        "cases",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("employee_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.String(length=10000), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", sa.String(length=100), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    op.create_index("ix_cases_tenant_drafted", "cases", ["tenant_id", "drafted_at", "id"], unique=False)
    op.create_index("ix_cases_tenant_employee", "cases", ["tenant_id", "employee_id"], unique=False)
    op.create_table(
        "case_tags",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "case_id", "tag"),
    )
    op.create_index("ix_case_tags_tenant_tag", "case_tags", ["tenant_id", "tag", "case_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_tags_tenant_tag", table_name="case_tags")
    op.drop_table("case_tags")
    op.drop_index("ix_cases_tenant_employee", table_name="cases")
    op.drop_index("ix_cases_tenant_drafted", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_appeals_tenant_handler", table_name="appeals")
    op.drop_index("ix_appeals_tenant_cycle_employee", table_name="appeals")
    op.drop_index("ix_appeals_tenant_filed", table_name="appeals")
    op.drop_table("appeals")
    op.drop_table("finalized_item_scores")
    op.drop_index("ix_finalizations_state", table_name="finalizations")
    op.drop_table("finalizations")
