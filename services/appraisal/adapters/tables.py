"""The appraisal database. Every row carries its tenant; every index that serves a query starts with it."""

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

# --- grade scales, templates, cycles and their members (A1, A2)

# One row per tenant that has set its scale; a tenant without one uses DEFAULT_GRADE_SCALE.
grade_scales = Table(
    "grade_scales",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("grades", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

templates = Table(
    "templates",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("items", JSON, nullable=False),
    Column("position_ids", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The positions and units a template is the default of ("position" or "unit"), so that finding an
# employee's default template is an index lookup rather than a scan of every template.
template_defaults = Table(
    "template_defaults",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("target_kind", String(16), primary_key=True),
    Column("target_id", ID, primary_key=True),
    Column("template_id", ID, primary_key=True),
    Index("ix_template_defaults_tenant_template", "tenant_id", "template_id"),
)

cycles = Table(
    "cycles",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("phase", String(32), nullable=False),
    Column("deadlines", JSON, nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("position_ids", JSON, nullable=False),
    Column("metric_grading", JSON),
    Column("quotas", JSON, nullable=False),
    Column("appeal_window_days", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_cycles_tenant_phase", "tenant_id", "phase"),
)

# Who a cycle covers, as the directory described them when indicator setting began.
cycle_members = Table(
    "cycle_members",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("unit_id", ID, nullable=False),
    Column("position_id", ID),
    Column("manager_id", ID),
    Index("ix_cycle_members_tenant_cycle_unit", "tenant_id", "cycle_id", "unit_id"),
)

# --- scorecards (A3)

# One per cycle member once proposed. Items, findings and returns travel as JSON: they are read and
# written with their scorecard, never queried on their own.
scorecards = Table(
    "scorecards",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("template_id", ID),
    Column("items", JSON, nullable=False),
    Column("findings", JSON, nullable=False),
    Column("proposed_by", String(64), nullable=False),
    Column("reviewed_by", String(64), nullable=False),
    Column("returns", JSON, nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_scorecards_tenant_cycle_status", "tenant_id", "cycle_id", "status"),
)

# --- reviews, results and their changes (A4-A6)

# The peers asked to review a cycle member; a peer review is accepted only from one of them.
peer_requests = Table(
    "peer_requests",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("reviewer_id", ID, primary_key=True),
    Column("requested_by", ID, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

# One review per reviewer of a member: resubmitting replaces it. `ratings` lists {item_id, rating, comment}.
reviews = Table(
    "reviews",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("reviewer_id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("ratings", JSON, nullable=False),
    Column("comment", Text, nullable=False),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

# A member's score and grade; `items` keeps every item's inputs and score, so the score can be computed again.
results = Table(
    "results",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("unit_id", ID, nullable=False),
    Column("score", Double, nullable=False),
    Column("items", JSON, nullable=False),
    Column("grade", String(16), nullable=False),
    Column("grade_source", String(32), nullable=False),
    Column("computed_grade", String(16), nullable=False),
    Column("finalized", Boolean, nullable=False),
    Column("agreement", String(16)),
    Column("agreement_comment", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_results_tenant_cycle_unit", "tenant_id", "cycle_id", "unit_id"),
    # The finalization worker's next batch: the results of a cycle not finalized yet, by employee.
    Index("ix_results_tenant_cycle_finalized_employee", "tenant_id", "cycle_id", "finalized", "employee_id"),
)

# The audit of every grade or score change (X2), append-only; `seq` orders each result's changes.
result_changes = Table(
    "result_changes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("cycle_id", ID, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("changed_by", String(64), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("source", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("old_grade", String(16), nullable=False),
    Column("new_grade", String(16), nullable=False),
    Column("old_score", Double, nullable=False),
    Column("new_score", Double, nullable=False),
    Index("ix_result_changes_tenant_cycle_employee", "tenant_id", "cycle_id", "employee_id", "seq"),
)

# --- finalization, appeals, cases (A7-A9)

# One per finalized cycle: its progress through the background worker.
finalizations = Table(
    "finalizations",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("employees", Integer, nullable=False),
    Column("finalized", Integer, nullable=False),
    Column("started_by", String(100), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("done_at", DateTime(timezone=True)),
    # The worker looks for running finalizations across every tenant, so this index starts with the state.
    Index("ix_finalizations_state", "state"),
)

# Item scores of finalized results summed per cycle, unit and item title as each batch is finalized, so
# the distribution finds a subtree's weakest items without reading every result's items.
finalized_item_scores = Table(
    "finalized_item_scores",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("unit_id", ID, primary_key=True),
    Column("title", String(200), primary_key=True),
    Column("score_sum", Double, nullable=False),
    Column("scores", Integer, nullable=False),
)

appeals = Table(
    "appeals",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("cycle_id", ID, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("reason", String(4000), nullable=False),
    # The manager's manager; empty when the appeal goes to HR.
    Column("handler_employee_id", ID),
    Column("state", String(16), nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decision_reason", String(4000), nullable=False),
    Column("old_grade", String(16), nullable=False),
    Column("new_grade", String(16), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Index("ix_appeals_tenant_filed", "tenant_id", "filed_at", "id"),
    Index("ix_appeals_tenant_cycle_employee", "tenant_id", "cycle_id", "employee_id"),
    Index("ix_appeals_tenant_handler", "tenant_id", "handler_employee_id"),
)

cases = Table(
    "cases",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("cycle_id", ID, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("title", String(200), nullable=False),
    Column("text", String(10000), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("drafted_by", String(100), nullable=False),
    Column("drafted_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Index("ix_cases_tenant_drafted", "tenant_id", "drafted_at", "id"),
    Index("ix_cases_tenant_employee", "tenant_id", "employee_id"),
)

# A case's tags one per row, so "cases carrying every one of these tags" is an index lookup.
case_tags = Table(
    "case_tags",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("case_id", ID, primary_key=True),
    Column("tag", String(40), primary_key=True),
    Index("ix_case_tags_tenant_tag", "tenant_id", "tag", "case_id"),
)

# --- what appraisal keeps of goals' events: metric values, key results, objectives, metrics

# The rows below are goals' published state, replaced only by newer state; deleted ids and codes stay as
# tombstones, so an event that arrives late (a retried one) cannot bring them back.
METRIC_CODE = String(64)

# Only the month, quarter and year values: a cycle spans no goals day or week.
goals_metric_values = Table(
    "goals_metric_values",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("metric_code", METRIC_CODE, primary_key=True),
    Column("period_kind", String(8), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("scope_kind", String(16), primary_key=True),
    Column("scope_id", ID, primary_key=True),
    Column("period_end", Date, nullable=False),
    Column("value", Double),  # NULL: goals has no value for the period (division by zero, input missing)
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

goals_key_results = Table(
    "goals_key_results",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("objective_id", ID, nullable=False),
    Column("current_value", Double),
    Column("start_value", Double, nullable=False),
    Column("target_value", Double, nullable=False),
    Column("direction", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False),
)

goals_objectives = Table(
    "goals_objectives",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("level", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("deleted", Boolean, nullable=False),
)

# A deleted code can be created again (its version starting over), so the time of the change orders
# a metric's states, not its version.
goals_metrics = Table(
    "goals_metrics",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("code", METRIC_CODE, primary_key=True),
    Column("formula", String(500), nullable=False),
    Column("data_source", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted", Boolean, nullable=False),
)
