"""The directory's tables, in the database of each service that keeps the directory.

Paths compare byte by byte (collation "C" on PostgreSQL, SQLite's default BINARY), so a unit's
subtree is the range of paths it prefixes and an index range scan finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table

ID = String(36)
TENANT = String(64)
PATH = String(2000).with_variant(String(2000, collation="C"), "postgresql")


@dataclass(frozen=True)
class DirectoryTables:
    units: Table
    employees: Table

    @classmethod
    def define(cls, metadata: MetaData, prefix: str = "directory_") -> DirectoryTables:
        units = Table(
            f"{prefix}units",
            metadata,
            Column("tenant_id", TENANT, primary_key=True),
            Column("id", ID, primary_key=True),
            Column("code", String(64), nullable=False),
            Column("name", String(200), nullable=False),
            Column("parent_id", ID),
            Column("head_employee_id", ID),
            Column("version", Integer, nullable=False),
            # "/root/child/self/", kept by the projection; "/self/" while the parent has not arrived.
            Column("path", PATH, nullable=False),
            # org deletes a unit for good: the row stays, marked, so a replayed older event cannot revive it.
            Column("deleted", Boolean, nullable=False),
            Index(f"ix_{prefix}units_tenant_path", "tenant_id", "path"),
            Index(f"ix_{prefix}units_tenant_parent", "tenant_id", "parent_id"),
            Index(f"ix_{prefix}units_tenant_head", "tenant_id", "head_employee_id"),
        )
        employees = Table(
            f"{prefix}employees",
            metadata,
            Column("tenant_id", TENANT, primary_key=True),
            Column("id", ID, primary_key=True),
            Column("employee_number", String(64), nullable=False),
            Column("display_name", String(200), nullable=False),
            Column("unit_id", ID, nullable=False),
            Column("position_id", ID),
            Column("manager_id", ID),
            Column("active", Boolean, nullable=False),
            Column("version", Integer, nullable=False),
            Index(f"ix_{prefix}employees_tenant_manager", "tenant_id", "manager_id"),
            Index(f"ix_{prefix}employees_tenant_unit", "tenant_id", "unit_id"),
        )
        return cls(units=units, employees=employees)
