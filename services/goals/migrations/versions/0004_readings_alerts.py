"""goals schema: readings, metric values per period, alert rules and alerts

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

ID = sa.String(length=36)
TENANT = sa.String(length=64)
METRIC_CODE = sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql")
SCOPE_KIND = sa.String(length=16)
PERIOD_KIND = sa.String(length=8)
SCOPE_ID = sa.String(length=36).with_variant(sa.String(length=36, collation="C"), "postgresql")
PERIOD_KEY = sa.String(length=10).with_variant(sa.String(length=10, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "readings",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.Column("metric_code", METRIC_CODE, nullable=False),
        sa.Column("input", sa.String(length=64), nullable=False),
        sa.Column("scope_kind", SCOPE_KIND, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("measure_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "source", "source_id"),
    )
    op.create_table(
        "reading_totals",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("metric_code", METRIC_CODE, nullable=False),
        sa.Column("period_kind", PERIOD_KIND, nullable=False),
        sa.Column("scope_kind", SCOPE_KIND, nullable=False),
        sa.Column("scope_id", SCOPE_ID, nullable=False),
        sa.Column("period_key", PERIOD_KEY, nullable=False),
        sa.Column("input", sa.String(length=64), nullable=False),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("minimum", sa.Double(), nullable=False),
        sa.Column("maximum", sa.Double(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=False),
        sa.Column("last_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "metric_code", "period_kind", "scope_kind", "scope_id", "period_key", "input"
        ),
    )
    op.create_table(
        "metric_values",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("metric_code", METRIC_CODE, nullable=False),
        sa.Column("period_kind", PERIOD_KIND, nullable=False),
        sa.Column("scope_kind", SCOPE_KIND, nullable=False),
        sa.Column("scope_id", SCOPE_ID, nullable=False),
        sa.Column("period_key", PERIOD_KEY, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("reading_count", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "metric_code", "period_kind", "scope_kind", "scope_id", "period_key"
        ),
    )
    op.create_table(
        "alert_rules",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("metric_code", METRIC_CODE, nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("comparison", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("period_kind", PERIOD_KIND, nullable=False),
        sa.Column("notify_employee_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_rules_tenant_metric", ["tenant_id", "metric_code", "id"], unique=False
        )

    op.create_table(
        "alert_watches",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("open_alert_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "rule_id", "subject_id"),
    )
    op.create_table(
        "alerts",
        sa.Column("tenant_id", TENANT, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("metric_code", METRIC_CODE, nullable=False),
        sa.Column("scope_kind", SCOPE_KIND, nullable=False),
        sa.Column("scope_id", ID, nullable=False),
        sa.Column("recipient_employee_id", ID, nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("comparison", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("period_kind", PERIOD_KIND, nullable=False),
        sa.Column("period_key", PERIOD_KEY, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_value", sa.Double(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_tenant_raised", ["tenant_id", "raised_at", "id"], unique=False)
        batch_op.create_index(
            "ix_alerts_tenant_recipient_raised",
            ["tenant_id", "recipient_employee_id", "raised_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_alerts_tenant_rule_raised", ["tenant_id", "rule_id", "raised_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_tenant_rule_raised")
        batch_op.drop_index("ix_alerts_tenant_recipient_raised")
        batch_op.drop_index("ix_alerts_tenant_raised")
    op.drop_table("alerts")
    op.drop_table("alert_watches")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_rules_tenant_metric")
    op.drop_table("alert_rules")
    op.drop_table("metric_values")
    op.drop_table("reading_totals")
    op.drop_table("readings")
