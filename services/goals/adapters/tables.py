"""The goals database. Every row carries its tenant; every index that serves a query starts with it.

Paths compare byte by byte (collation "C" on PostgreSQL, SQLite's default BINARY), so a subtree is
a prefix range that an index range scan finds.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from services.chassis.directory.tables import DirectoryTables
from services.chassis.tables import ChassisTables

metadata = MetaData()
chassis = ChassisTables.define(metadata)
directory = DirectoryTables.define(metadata)

ID = String(36)
TENANT = String(64)
PATH = String(2000).with_variant(String(2000, collation="C"), "postgresql")

# --- objectives and key results (G1, G6)

# Objectives and key results share one tree per strategy: `path` lists the node ids from the root down
# to the row itself, and `weighted_sum`/`weight_sum` are the node's progress.Rollup of its contributors.
objectives = Table(
    "objectives",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("unit_id", ID),
    Column("owner_employee_id", ID),
    Column("parent_objective_id", ID),
    Column("parent_key_result_id", ID),
    Column("weight", Double, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("path", PATH, nullable=False),
    Column("weighted_sum", Double, nullable=False),
    Column("weight_sum", Double, nullable=False),
    Column("progress", Double, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_objectives_tenant_path", "tenant_id", "path"),
    Index("ix_objectives_tenant_parent_objective", "tenant_id", "parent_objective_id"),
    Index("ix_objectives_tenant_parent_key_result", "tenant_id", "parent_key_result_id"),
    Index("ix_objectives_tenant_unit", "tenant_id", "unit_id"),
    Index("ix_objectives_tenant_owner", "tenant_id", "owner_employee_id"),
)

key_results = Table(
    "key_results",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("objective_id", ID, nullable=False),
    Column("title", String(200), nullable=False),
    Column("start_value", Double, nullable=False),
    Column("target_value", Double, nullable=False),
    Column("current_value", Double),
    Column("unit", String(32), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("weight", Double, nullable=False),
    Column("measure", String(32), nullable=False),
    # The metric binding, all four set or none.
    Column("metric_code", String(64).with_variant(String(64, collation="C"), "postgresql")),
    Column("scope_kind", String(16)),
    Column("scope_id", ID),
    Column("period_kind", String(8)),
    Column("metric_period_start", Date),
    Column("path", PATH, nullable=False),
    Column("weighted_sum", Double, nullable=False),
    Column("weight_sum", Double, nullable=False),
    Column("progress", Double, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_key_results_tenant_objective", "tenant_id", "objective_id", "created_at"),
    Index("ix_key_results_tenant_path", "tenant_id", "path"),
    Index("ix_key_results_tenant_metric", "tenant_id", "metric_code", "scope_kind", "scope_id"),
)

# Every value a key result took, typed in or from a metric; `seq` orders them, newest highest.
key_result_values = Table(
    "key_result_values",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("key_result_id", ID, nullable=False),
    Column("value", Double, nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("note", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Index("ix_key_result_values_tenant_key_result", "tenant_id", "key_result_id", "seq"),
)

# --- metric catalog (G2)

# Codes order byte by byte on both databases, so catalog pages come in the same order everywhere.
METRIC_CODE = String(64).with_variant(String(64, collation="C"), "postgresql")

metrics = Table(
    "metrics",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("code", METRIC_CODE, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("formula", String(500), nullable=False),
    # [{"name": ..., "description": ..., "aggregation": "sum"}, ...] in the formula's declared order.
    Column("inputs", JSON, nullable=False),
    Column("data_source", String(200), nullable=False),
    Column("owner_position_id", ID),
    Column("category", String(64), nullable=False),
    Column("template", String(32)),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_metrics_tenant_category", "tenant_id", "category", "code"),
)

# --- readings, metric values and alerts (G3, G4)

SCOPE_KIND = String(16)
PERIOD_KIND = String(8)
# Values page by scope, then period: byte order on both databases, so pages come in the same order.
SCOPE_ID = String(36).with_variant(String(36, collation="C"), "postgresql")
PERIOD_KEY = String(10).with_variant(String(10, collation="C"), "postgresql")

# One row per reading ever accepted; the key is the sender's own id, so a resend is a no-op.
readings = Table(
    "readings",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("source", String(200), primary_key=True),
    Column("source_id", String(200), primary_key=True),
    Column("metric_code", METRIC_CODE, nullable=False),
    Column("input", String(64), nullable=False),
    Column("scope_kind", SCOPE_KIND, nullable=False),
    Column("scope_id", ID, nullable=False),
    Column("value", Double, nullable=False),
    Column("measure_time", DateTime(timezone=True), nullable=False),
)

# What each period keeps of an input's readings (periods.InputTotal), added to atomically.
reading_totals = Table(
    "reading_totals",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("metric_code", METRIC_CODE, primary_key=True),
    Column("period_kind", PERIOD_KIND, primary_key=True),
    Column("scope_kind", SCOPE_KIND, primary_key=True),
    Column("scope_id", SCOPE_ID, primary_key=True),
    Column("period_key", PERIOD_KEY, primary_key=True),
    Column("input", String(64), primary_key=True),
    Column("total", Double, nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("minimum", Double, nullable=False),
    Column("maximum", Double, nullable=False),
    Column("last_value", Double, nullable=False),
    Column("last_time", DateTime(timezone=True), nullable=False),
)

# The key orders a metric's values by scope, then period: a period key sorts in time within its kind.
metric_values = Table(
    "metric_values",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("metric_code", METRIC_CODE, primary_key=True),
    Column("period_kind", PERIOD_KIND, primary_key=True),
    Column("scope_kind", SCOPE_KIND, primary_key=True),
    Column("scope_id", SCOPE_ID, primary_key=True),
    Column("period_key", PERIOD_KEY, primary_key=True),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("value", Double),
    Column("reason", Text, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("reading_count", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

alert_rules = Table(
    "alert_rules",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("metric_code", METRIC_CODE, nullable=False),
    Column("scope", String(32), nullable=False),
    Column("scope_id", ID, nullable=False),
    Column("comparison", String(8), nullable=False),
    Column("threshold", Double, nullable=False),
    Column("period_kind", PERIOD_KIND, nullable=False),
    Column("notify_employee_id", ID),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_alert_rules_tenant_metric", "tenant_id", "metric_code", "id"),
)

# A rule's alerting.Watch over one subject (an employee or a unit).
alert_watches = Table(
    "alert_watches",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("rule_id", ID, primary_key=True),
    Column("subject_id", ID, primary_key=True),
    Column("open", Boolean, nullable=False),
    Column("period_start", Date),
    Column("open_alert_id", ID),
)

alerts = Table(
    "alerts",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("rule_id", ID, nullable=False),
    Column("rule_name", String(200), nullable=False),
    Column("metric_code", METRIC_CODE, nullable=False),
    Column("scope_kind", SCOPE_KIND, nullable=False),
    Column("scope_id", ID, nullable=False),
    Column("recipient_employee_id", ID),
    Column("state", String(8), nullable=False),
    Column("comparison", String(8), nullable=False),
    Column("threshold", Double, nullable=False),
    Column("period_kind", PERIOD_KIND, nullable=False),
    Column("period_key", PERIOD_KEY, nullable=False),
    Column("value", Double, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("cleared_value", Double),
    Column("cleared_at", DateTime(timezone=True)),
    # Newest first, for everyone, for one recipient, for one rule.
    Index("ix_alerts_tenant_raised", "tenant_id", "raised_at", "id"),
    Index("ix_alerts_tenant_recipient_raised", "tenant_id", "recipient_employee_id", "raised_at", "id"),
    Index("ix_alerts_tenant_rule_raised", "tenant_id", "rule_id", "raised_at", "id"),
)

# --- check-ins (G5)

check_ins = Table(
    "check_ins",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("employee_id", ID, nullable=False),
    Column("manager_id", String(200), nullable=False),
    Column("held_on", Date, nullable=False),
    Column("progress", Text, nullable=False),
    Column("problems", Text, nullable=False),
    Column("support_needed", Text, nullable=False),
    Column("next_steps", Text, nullable=False),
    Column("objective_ids", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The employee's log newest first, and their latest check-in (max held_on per employee).
    Index("ix_check_ins_tenant_employee_held", "tenant_id", "employee_id", "held_on", "created_at"),
)

check_in_cadences = Table(
    "check_in_cadences",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("unit_id", ID, primary_key=True),
    Column("cadence", String(16), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
