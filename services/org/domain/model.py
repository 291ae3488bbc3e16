"""The org's things: units, positions, employees, role grants and the responsibility matrix (O1-O5).

Trees are kept as materialized paths ("/root-id/child-id/self-id/"): a subtree is a path prefix,
so "all reports of X" is one index range scan and "the manager chain of Y" is read off Y's path.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class EmploymentStatus(enum.Enum):
    ACTIVE = "active"
    TERMINATED = "terminated"


class Role(enum.Enum):
    HR = "hr"
    ADMIN = "admin"


class SubjectKind(enum.Enum):
    METRIC = "metric"
    GOAL = "goal"


@dataclass
class Unit:
    id: str
    tenant_id: str
    code: str
    name: str
    parent_id: str | None
    path: str
    head_employee_id: str | None = None
    version: int = 1
    updated_at: datetime | None = None


@dataclass
class Position:
    id: str
    tenant_id: str
    code: str
    title: str
    unit_id: str
    job_description: str = ""
    responsibilities: tuple[str, ...] = ()
    assessor_position_id: str | None = None
    version: int = 1
    updated_at: datetime | None = None


@dataclass
class Employee:
    id: str
    tenant_id: str
    employee_number: str
    display_name: str
    email: str
    unit_id: str
    hire_date: date
    path: str
    position_id: str | None = None
    manager_id: str | None = None
    status: EmploymentStatus = EmploymentStatus.ACTIVE
    termination_date: date | None = None
    version: int = 1
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is EmploymentStatus.ACTIVE


@dataclass
class RoleGrant:
    id: str
    tenant_id: str
    employee_id: str
    role: Role
    unit_ids: tuple[str, ...] = ()
    created_at: datetime | None = None


@dataclass
class Responsibility:
    tenant_id: str
    subject_id: str
    subject_kind: SubjectKind
    owner_position_id: str
    data_provider_unit_id: str | None = None
    assessor_position_id: str | None = None
    version: int = 1


@dataclass(frozen=True)
class UnitsChanged:
    units: tuple[Unit, ...] = ()
    deleted_unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PositionsChanged:
    positions: tuple[Position, ...] = ()
    deleted_position_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class EmployeesChanged:
    employees: tuple[Employee, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RoleGrantsChanged:
    granted: tuple[RoleGrant, ...] = ()
    revoked_grant_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponsibilitiesChanged:
    responsibilities: tuple[Responsibility, ...] = ()
    deleted_subject_ids: tuple[str, ...] = ()
