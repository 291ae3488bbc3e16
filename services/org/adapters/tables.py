"""The org database. Every row carries its tenant; every index that serves a query starts with it.

Paths compare byte by byte (collation "C" on PostgreSQL, SQLite's default BINARY), so a
subtree is the range [path, path-with-last-"/"-bumped) and an index range scan finds it.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from services.chassis.tables import ChassisTables

metadata = MetaData()
chassis = ChassisTables.define(metadata)

ID = String(36)
TENANT = String(64)
PATH = String(2000).with_variant(String(2000, collation="C"), "postgresql")

units = Table(
    "units",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("parent_id", ID),
    Column("head_employee_id", ID),
    Column("path", PATH, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ux_units_tenant_code", "tenant_id", "code", unique=True),
    Index("ix_units_tenant_path", "tenant_id", "path"),
    Index("ix_units_tenant_parent", "tenant_id", "parent_id"),
)

positions = Table(
    "positions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("code", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("unit_id", ID, nullable=False),
    Column("job_description", Text, nullable=False),
    Column("responsibilities", JSON, nullable=False),
    Column("assessor_position_id", ID),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ux_positions_tenant_code", "tenant_id", "code", unique=True),
    Index("ix_positions_tenant_unit", "tenant_id", "unit_id"),
)

employees = Table(
    "employees",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("employee_number", String(64), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("email", String(200), nullable=False),
    # Lower-cased e-mail: addresses differing only in case are the same mailbox.
    Column("email_key", String(200), nullable=False),
    Column("unit_id", ID, nullable=False),
    Column("position_id", ID),
    Column("manager_id", ID),
    Column("hire_date", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("termination_date", Date),
    Column("path", PATH, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ux_employees_tenant_number", "tenant_id", "employee_number", unique=True),
    Index("ux_employees_tenant_email", "tenant_id", "email_key", unique=True),
    Index("ix_employees_tenant_path", "tenant_id", "path"),
    Index("ix_employees_tenant_manager", "tenant_id", "manager_id", "employee_number"),
    Index("ix_employees_tenant_unit", "tenant_id", "unit_id", "employee_number"),
)

role_grants = Table(
    "role_grants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("tenant_id", TENANT, nullable=False),
    Column("employee_id", ID, nullable=False),
    Column("role", String(16), nullable=False),
    Column("unit_ids", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_role_grants_tenant_employee", "tenant_id", "employee_id"),
)

responsibilities = Table(
    "responsibilities",
    metadata,
    Column("tenant_id", TENANT, primary_key=True),
    Column("subject_id", String(200), primary_key=True),
    Column("subject_kind", String(16), nullable=False),
    Column("owner_position_id", ID, nullable=False),
    Column("data_provider_unit_id", ID),
    Column("assessor_position_id", ID),
    Column("version", Integer, nullable=False),
    Index("ix_responsibilities_tenant_owner", "tenant_id", "owner_position_id", "subject_id"),
)
