"""Objectives and key results (G1): the goal trees that carry the strategy down to people.

A tree mixes both kinds of node: a key result's parent is its objective; an objective's parent is the
objective or key result it is aligned to (anyone's: a unit's, a person's), or nothing for a root.
Every node keeps the ids from its root down to itself as a materialized path ("/root/kr/child/self/"),
so its ancestors are read off the path and its subtree is every path it prefixes. Every node also
keeps the Rollup of its contributors, so a change reaches the root in as many steps as the tree is deep.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from services.goals.domain.periods import PeriodKind
from services.goals.domain.progress import (
    Direction,
    GoalStatus,
    Rollup,
    RollupNode,
    measured_progress,
    status_of,
)
from services.goals.domain.readings import ScopeKind

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_UNIT = 32
MAX_NOTE = 2000
# The path column's length: with 36-character ids a tree may be 54 nodes deep.
MAX_PATH = 2000
SEPARATOR = "/"


class ObjectiveLevel(enum.Enum):
    TENANT = "tenant"
    UNIT = "unit"
    TEAM = "team"
    EMPLOYEE = "employee"


class Measure(enum.Enum):
    MANUAL = "manual"
    METRIC = "metric"
    ALIGNED_OBJECTIVES = "aligned_objectives"


@dataclass(frozen=True)
class MetricBinding:
    """Which metric values feed a key result: the metric at one employee or unit, per period of a kind."""

    metric_code: str
    scope_kind: ScopeKind
    scope_id: str
    period_kind: PeriodKind


@dataclass
class Objective:
    id: str
    tenant_id: str
    title: str
    description: str
    level: ObjectiveLevel
    unit_id: str | None
    owner_employee_id: str | None
    parent_objective_id: str | None
    parent_key_result_id: str | None
    weight: float
    period_start: date
    period_end: date
    path: str
    rollup: Rollup = field(default_factory=Rollup)
    version: int = 1
    updated_at: datetime | None = None

    @property
    def progress(self) -> float:
        return self.rollup.progress

    def status(self, today: date) -> GoalStatus:
        return status_of(self.progress, self.period_start, self.period_end, today)

    def rollup_node(self) -> RollupNode:
        return RollupNode(self.id, self.weight, self.rollup, aggregates=True)


@dataclass
class KeyResult:
    id: str
    tenant_id: str
    objective_id: str
    title: str
    start_value: float
    target_value: float
    unit: str
    direction: Direction
    weight: float
    measure: Measure
    path: str
    metric: MetricBinding | None = None
    current_value: float | None = None
    # Of the objectives aligned to it; kept only while it is measured by them.
    rollup: Rollup = field(default_factory=Rollup)
    # The start of the latest metric period it took a value from: older periods' values do not move it.
    metric_period_start: date | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def aggregates(self) -> bool:
        return self.measure is Measure.ALIGNED_OBJECTIVES

    @property
    def progress(self) -> float:
        if self.aggregates:
            return self.rollup.progress
        return measured_progress(self.start_value, self.target_value, self.current_value, self.direction)

    def rollup_node(self) -> RollupNode:
        return RollupNode(self.id, self.weight, self.rollup, aggregates=self.aggregates)


@dataclass(frozen=True)
class KeyResultValue:
    key_result_id: str
    value: float
    # The employee who typed it, or "metric:<code>" for a value from data.
    recorded_by: str
    note: str
    recorded_at: datetime
    # Its place in the history, newest highest; given by storage.
    sequence: int = 0


@dataclass(frozen=True)
class ObjectiveVisibility:
    """Which objectives a caller may read: everyone's, or besides the tenant's, units' and teams'
    objectives, the employee objectives of the viewer, of everyone reporting to them (directly or
    not) and of the employees sitting in `unit_ids`."""

    everyone: bool = False
    viewer_id: str | None = None
    unit_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ObjectiveFilter:
    """Objectives a list or a strategy view asks for; every given condition must hold."""

    visibility: ObjectiveVisibility
    level: ObjectiveLevel | None = None
    unit_id: str | None = None
    owner_employee_id: str | None = None
    parent_objective_id: str | None = None
    parent_key_result_id: str | None = None
    # Owned inside these units: unit and team objectives of them, employee objectives of their employees.
    owned_in_unit_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ObjectivesChanged:
    """The new state of every objective a change touched, ancestors whose progress moved included."""

    objectives: tuple[Objective, ...] = ()
    deleted_objective_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyResultsChanged:
    key_results: tuple[KeyResult, ...] = ()
    deleted_key_result_ids: tuple[str, ...] = ()


def path_of(parent_path: str | None, node_id: str) -> str:
    return f"{parent_path or SEPARATOR}{node_id}{SEPARATOR}"


def ancestor_ids(path: str) -> list[str]:
    """The ids above the node, nearest first."""
    return list(reversed(path.strip(SEPARATOR).split(SEPARATOR)[:-1]))


def root_id(path: str) -> str:
    return path.strip(SEPARATOR).split(SEPARATOR)[0]


def is_within(path: str, ancestor_path: str) -> bool:
    """True when `path` is `ancestor_path` itself or lies below it."""
    return path.startswith(ancestor_path)


def subtree_upper_bound(path: str) -> str:
    """The smallest string greater than every string starting with `path` (which ends in "/")."""
    return path[:-1] + chr(ord(SEPARATOR) + 1)


def text_problem(value: str, limit: int, *, required: bool) -> str | None:
    if required and not value.strip():
        return "is required"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    return None


def number_problem(value: float) -> str | None:
    return None if math.isfinite(value) else "must be a finite number"


# Roll-ups keep running sums; weights within a bounded range keep their rounding far below what shows.
MAX_WEIGHT = 1000.0


def weight_problem(value: float) -> str | None:
    if not math.isfinite(value):
        return "must be a finite number"
    if value < 0:
        return "must not be negative"
    return f"must be at most {MAX_WEIGHT:g}" if value > MAX_WEIGHT else None


def parse_date(value: str) -> date | None:
    """A YYYY-MM-DD date, or None when the text is not one."""
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def date_problem(value: str) -> str | None:
    return None if parse_date(value) else "must be a date as YYYY-MM-DD"


def period_problems(start: str, end: str, prefix: str) -> dict[str, str | None]:
    problems = {f"{prefix}period_start": date_problem(start), f"{prefix}period_end": date_problem(end)}
    start_day, end_day = parse_date(start), parse_date(end)
    if start_day and end_day and end_day < start_day:
        problems[f"{prefix}period_end"] = "must not be before period_start"
    return problems


def level_problems(
    level: ObjectiveLevel | None, unit_id: str, owner_employee_id: str, prefix: str
) -> dict[str, str | None]:
    """What the level asks of the unit and the owner: a unit for a unit or team objective, an owner and
    no unit for an employee objective, no unit for the tenant's strategy."""
    if level is None:
        return {f"{prefix}level": "is required"}
    unit_field, owner_field = f"{prefix}unit_id", f"{prefix}owner_employee_id"
    if level is ObjectiveLevel.TENANT:
        return {unit_field: "must be empty for a tenant objective" if unit_id else None}
    if level is ObjectiveLevel.EMPLOYEE:
        return {
            unit_field: "must be empty for an employee objective" if unit_id else None,
            owner_field: None if owner_employee_id else "is required for an employee objective",
        }
    return {unit_field: None if unit_id else f"is required for a {level.value} objective"}


def parents_problem(parent_objective_id: str, parent_key_result_id: str) -> str | None:
    if parent_objective_id and parent_key_result_id:
        return "give at most one of parent_objective_id and parent_key_result_id"
    return None


def alignment_problem(objective: Objective, parent_path: str) -> str | None:
    if is_within(parent_path, objective.path):
        return "would make a cycle: it is the objective itself or lies below it"
    return None


def depth_problem(deepest_path_length: int) -> str | None:
    if deepest_path_length > MAX_PATH:
        return f"would make the goal tree more than {MAX_PATH // 37} levels deep"
    return None
