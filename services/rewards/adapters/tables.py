"""The rewards database. Every row carries its tenant; every index that serves a query starts with it."""

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
    UniqueConstraint,
)

from services.chassis.directory.tables import DirectoryTables
from services.chassis.tables import ChassisTables

metadata = MetaData()
chassis = ChassisTables.define(metadata)
directory = DirectoryTables.define(metadata)

ID = String(36)
TENANT = String(64)
SEQ = BigInteger().with_variant(Integer, "sqlite")

# --- outcome policies, grades, decisions and actions (R1, R6)

# Every published version, never changed: the audit of the policy is its versions.
policy_versions = Table(
    "policy_versions",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("grades", JSON, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("note", Text, nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    Index("ix_policy_versions_tenant_effective", "tenant_id", "effective_from"),
)

# The grade history (R2) from appraisal's events: revision 0 is the finalized grade, each appeal adds one.
# `items` keeps the scorecard's item scores for training recommendations (R4).
grades = Table(
    "grades",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("cycle_id", ID, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("cycle_name", String(200), nullable=False),
    Column("cycle_kind", String(16), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("unit_id", ID, nullable=False),
    Column("position_id", ID, nullable=False),
    Column("grade", String(16), nullable=False),
    Column("score", Double, nullable=False),
    Column("items", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # The appeal behind a revision ("" for revision 0): a replayed GradeRevised finds its revision here.
    Column("appeal_id", String(64), nullable=False),
    UniqueConstraint("tenant_id", "cycle_id", "employee_id", "appeal_id", name="uq_grades_appeal"),
    Index("ix_grades_tenant_employee_period", "tenant_id", "employee_id", "period_end"),
)

# One per grade revision: what the policy decided for it.
decisions = Table(
    "decisions",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("cycle_id", ID, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("unit_id", ID, nullable=False),
    Column("grade", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "cycle_id", "employee_id", "revision", name="uq_decisions_grade_revision"),
    Index("ix_decisions_tenant_employee", "tenant_id", "employee_id"),
    Index("ix_decisions_tenant_status_cycle", "tenant_id", "status", "cycle_id"),
)

# The append-only ledger of decided actions (R6); `seq` orders it, the idempotency key is unique.
actions = Table(
    "actions",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("idempotency_key", String(255), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("cycle_id", ID, nullable=False),
    Column("origin", String(32), nullable=False),
    Column("origin_id", ID, nullable=False),
    Column("spec", JSON, nullable=False),
    Column("cancels_key", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_actions_tenant_key"),
    Index("ix_actions_tenant_cycle_employee", "tenant_id", "cycle_id", "employee_id"),
    Index("ix_actions_tenant_employee", "tenant_id", "employee_id"),
    Index("ix_actions_tenant_origin", "tenant_id", "origin_id"),
)

# --- promotion eligibility (R2), improvement plans (R3)

eligibility_rules = Table(
    "eligibility_rules",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("rules", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

pips = Table(
    "pips",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("employee_id", ID, nullable=False),
    Column("manager_id", ID, nullable=False),
    Column("cycle_id", ID, nullable=False),
    Column("reason", Text, nullable=False),
    Column("goals", JSON, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("escalation", String(16), nullable=False),
    Column("extensions", Integer, nullable=False),
    Column("outcome_note", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_pips_tenant_employee", "tenant_id", "employee_id"),
    # The scheduler's scan: active plans past their deadline, across tenants.
    Index("ix_pips_status_deadline", "status", "deadline"),
)

pip_check_ins = Table(
    "pip_check_ins",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("pip_id", ID, nullable=False),
    Column("author_id", String(64), nullable=False),
    Column("note", Text, nullable=False),
    Column("met_goal_ids", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_pip_check_ins_tenant_pip", "tenant_id", "pip_id", "created_at"),
)

# --- training (R4)

courses = Table(
    "courses",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("provider", String(200), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- points (R5, R6)

value_tags = Table(
    "value_tags",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("objective_id", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "code", name="uq_value_tags_tenant_code"),
)

claims = Table(
    "claims",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("employee_id", ID, nullable=False),
    Column("unit_id", ID, nullable=False),
    Column("tag_id", ID, nullable=False),
    Column("tag_code", String(64), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("value", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("decision_reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Index("ix_claims_tenant_employee", "tenant_id", "employee_id", "created_at"),
    Index("ix_claims_tenant_status", "tenant_id", "status", "created_at"),
    # Leaderboards and tag rarity: approved claims of a period, per unit.
    Index("ix_claims_tenant_status_decided", "tenant_id", "status", "decided_at"),
)

# A balance is the sum of its employee's ledger entries; a debit is a conditional update that cannot
# take it below zero, so racing redemptions cannot overspend.
point_balances = Table(
    "point_balances",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("employee_id", ID, primary_key=True),
    Column("balance", BigInteger, nullable=False),
    Column("earned", BigInteger, nullable=False),
    Column("spent", BigInteger, nullable=False),
)

# The append-only points ledger (R6).
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("id", ID, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("balance_after", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("reference_id", ID, nullable=False),
    Column("note", Text, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "id", name="uq_ledger_entries_tenant_id"),
    Index("ix_ledger_entries_tenant_employee_seq", "tenant_id", "employee_id", "seq"),
)

redemption_items = Table(
    "redemption_items",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("details", JSON, nullable=False),
    Column("budget_period", String(16), nullable=False),
    Column("budget", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Redemptions of an item per budget period; taken with a conditional update, like a balance.
redemption_budgets = Table(
    "redemption_budgets",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("item_id", ID, primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("used", Integer, nullable=False),
)

redemptions = Table(
    "redemptions",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("id", ID, primary_key=True),
    Column("employee_id", ID, nullable=False),
    Column("item_id", ID, nullable=False),
    Column("item_name", String(200), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("action_key", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_redemptions_tenant_employee", "tenant_id", "employee_id", "created_at"),
)
