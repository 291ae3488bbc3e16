"""What the use cases need from storage, so they can run on fakes in unit tests.

Each area keeps its own protocol block below; the unit of work gathers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from services.chassis.directory.ports import DirectoryReader
from services.chassis.unit_of_work import UnitOfWork
from services.goals.domain.alert_rules import Alert, AlertRule, AlertState, SubjectWatch
from services.goals.domain.check_ins import CheckIn, CheckInCadence
from services.goals.domain.metrics import Metric
from services.goals.domain.objectives import KeyResult, KeyResultValue, Objective, ObjectiveFilter
from services.goals.domain.periods import InputTotal, PeriodKind
from services.goals.domain.readings import Bucket, InputKey, MetricValue, Reading, ScopeKind

# --- objectives and key results (G1, G6)


class Objectives(Protocol):
    """The tenant's objectives; lists come in tree order (by path)."""

    async def get(self, objective_id: str) -> Objective | None: ...
    async def get_many(self, objective_ids: Iterable[str]) -> dict[str, Objective]: ...
    async def add(self, objective: Objective) -> None: ...
    async def save_many(self, objectives: Sequence[Objective]) -> None: ...
    async def remove(self, objective_id: str) -> None: ...
    async def matching(
        self, wanted: ObjectiveFilter, after: str | None = None, limit: int | None = None
    ) -> list[Objective]: ...
    async def aligned_to(self, parent_ids: Iterable[str]) -> list[Objective]: ...
    async def deepest_path_length(self, path: str) -> int: ...
    async def move_subtree(self, old_path: str, new_path: str) -> None: ...


class KeyResults(Protocol):
    """The tenant's key results and the history of their values."""

    async def get(self, key_result_id: str) -> KeyResult | None: ...
    async def get_many(self, key_result_ids: Iterable[str]) -> dict[str, KeyResult]: ...
    async def add(self, key_result: KeyResult) -> None: ...
    async def save_many(self, key_results: Sequence[KeyResult]) -> None: ...
    async def remove_many(self, key_result_ids: Sequence[str]) -> None: ...
    async def of_objective(self, objective_id: str) -> list[KeyResult]: ...
    async def of_objectives_matching(self, wanted: ObjectiveFilter) -> list[KeyResult]: ...
    async def bound_to_metrics(
        self, metric_codes: Iterable[str], scope_ids: Iterable[str]
    ) -> list[KeyResult]: ...
    async def count_bound_to_metric(self, metric_code: str) -> int: ...
    async def deepest_path_length(self, path: str) -> int: ...
    async def move_subtree(self, old_path: str, new_path: str) -> None: ...
    async def add_values(self, values: Sequence[KeyResultValue]) -> None: ...
    async def values_page(
        self, key_result_id: str, before_sequence: int | None, limit: int
    ) -> list[KeyResultValue]: ...


# --- metric catalog (G2)


class Metrics(Protocol):
    """The tenant's metric catalog, by code."""

    async def get(self, code: str) -> Metric | None: ...
    async def get_many(self, codes: Iterable[str]) -> dict[str, Metric]: ...
    async def page(self, category: str | None, after: str | None, limit: int) -> list[Metric]: ...
    async def add_many(self, metrics: Sequence[Metric]) -> None: ...
    async def save(self, metric: Metric) -> None: ...
    async def remove(self, code: str) -> None: ...


# --- readings, metric values and alerts (G3, G4)


@dataclass(frozen=True)
class MetricValueQuery:
    """A metric's values for one period kind, at one scope or every scope, between period keys."""

    metric_code: str
    period_kind: PeriodKind
    scope: tuple[ScopeKind, str] | None = None
    from_period_key: str | None = None
    to_period_key: str | None = None


class Readings(Protocol):
    """Readings, per-period input totals and metric values. Writes come in batches: one statement for
    a whole message, never one per reading."""

    async def add_new(self, readings: Sequence[Reading]) -> list[Reading]:
        """Stores the readings whose (source, source_id) is new and returns them; the rest change nothing."""
        ...

    async def lock_buckets(self, buckets: Sequence[Bucket], now: datetime) -> None:
        """Holds the buckets' metric values until the transaction ends, so batches that touch the same
        bucket compute its value one after the other."""
        ...

    async def add_to_totals(self, totals: Mapping[InputKey, InputTotal]) -> dict[InputKey, InputTotal]:
        """Adds the totals to what the periods had (InputTotal.merge, atomically) and returns the sums."""
        ...

    async def totals_of(self, buckets: Iterable[Bucket]) -> dict[Bucket, dict[str, InputTotal]]: ...
    async def save_values(self, values: Sequence[MetricValue]) -> None: ...
    async def page_values(
        self, query: MetricValueQuery, after: tuple[str, str, str] | None, limit: int
    ) -> list[MetricValue]: ...


@dataclass(frozen=True)
class AlertFilter:
    state: AlertState | None = None
    recipient_employee_id: str | None = None
    rule_id: str | None = None


@dataclass(frozen=True)
class AlertVisibility:
    """The alerts a caller sees: all of them, or those addressed to or about `person_id` and (HR) those
    whose subject is in `unit_ids` (an employee sitting in one, or the unit itself)."""

    everything: bool = False
    person_id: str = ""
    unit_ids: tuple[str, ...] = ()


class Alerts(Protocol):
    """Alert rules, their watches over each subject, and the alerts raised."""

    async def count_rules_for_metric(self, metric_code: str) -> int: ...
    async def add_rule(self, rule: AlertRule) -> None: ...
    async def get_rule(self, rule_id: str) -> AlertRule | None: ...
    async def page_rules(self, metric_code: str | None, after: str | None, limit: int) -> list[AlertRule]: ...
    async def remove_rule(self, rule_id: str) -> None:
        """Removes the rule and its watches; its alerts stay, as history."""
        ...

    async def rules_for_metrics(self, metric_codes: Iterable[str]) -> list[AlertRule]: ...
    async def watches_for_update(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], SubjectWatch]:
        """The watches of these (rule id, subject id) pairs, new ones included, held until the
        transaction ends so that concurrent batches observe each subject one after the other."""
        ...

    async def save_watches(self, watches: Sequence[SubjectWatch]) -> None: ...
    async def add_alerts(self, alerts: Sequence[Alert]) -> None: ...
    async def save_alerts(self, alerts: Sequence[Alert]) -> None: ...
    async def get_alerts(self, alert_ids: Iterable[str]) -> dict[str, Alert]: ...
    async def open_alerts_of_rule(self, rule_id: str) -> list[Alert]: ...
    async def has_alerts_of_rule(self, rule_id: str) -> bool: ...
    async def page_alerts(
        self, where: AlertFilter, visibility: AlertVisibility, after: tuple[datetime, str] | None, limit: int
    ) -> list[Alert]: ...


# --- check-ins (G5)


class CheckIns(Protocol):
    async def get(self, check_in_id: str) -> CheckIn | None: ...
    async def add(self, check_in: CheckIn) -> None: ...
    async def log_page(self, employee_id: str, after: CheckIn | None, limit: int) -> list[CheckIn]: ...
    async def latest_held_on(self, employee_ids: Iterable[str]) -> dict[str, date]: ...
    async def cadence(self, unit_id: str) -> CheckInCadence | None: ...
    async def cadences(self) -> dict[str, CheckInCadence]: ...
    async def cadence_page(self, after: str | None, limit: int) -> list[CheckInCadence]: ...
    async def save_cadence(self, cadence: CheckInCadence) -> None: ...


class GoalsUnitOfWork(UnitOfWork, Protocol):
    tenant_id: str
    directory: DirectoryReader
    objectives: Objectives
    key_results: KeyResults
    metrics: Metrics
    readings: Readings
    alerts: Alerts
    check_ins: CheckIns


# A fresh unit of work for one tenant; every use case opens its own.
UnitOfWorkFactory = Callable[[str], GoalsUnitOfWork]
