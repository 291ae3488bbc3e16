"""Use cases of readings and metric values (G3): record a message of readings, list metric values.

Recording is the hot path (partner systems stream readings continuously), so one message is one
transaction with a fixed number of statements whatever its size: validate everything, insert the
readings that are new, add them to their periods' input totals, recompute the touched metric values
from all of their periods' totals, and pass the changed values on to key results and alert rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.chassis.context import ROLE_ADMIN, ROLE_PARTNER, Principal
from services.chassis.directory.access import is_tenant_wide_hr, may_manage_employee
from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit
from services.chassis.errors import FieldViolation, InvalidArgument, NotFound, PermissionDenied
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.metrics import Metric
from services.goals.domain.periods import InputTotal, PeriodKind, parse_period_key
from services.goals.domain.readings import (
    MAX_READINGS_PER_MESSAGE,
    Bucket,
    MetricValue,
    MetricValuesChanged,
    Reading,
    ScopeKind,
    distinct_by_source,
    period_totals,
    reading_problems,
    value_of_bucket,
)
from services.goals.service_layer.alerts import evaluate_alerts
from services.goals.service_layer.key_results import refresh_bound_key_results
from services.goals.service_layer.ports import GoalsUnitOfWork, MetricValueQuery, UnitOfWorkFactory

# Events stay small enough for any consumer to take in one go.
MAX_VALUES_PER_EVENT = 500
_VIOLATIONS_IN_MESSAGE = 3


@dataclass(frozen=True)
class RecordOutcome:
    accepted: int
    duplicates: int  # readings whose (source, source_id) was recorded before, or earlier in the message


async def record_readings(
    uows: UnitOfWorkFactory, principal: Principal, readings: Sequence[Reading]
) -> RecordOutcome:
    """Applies one message of readings; one bad reading rejects the message and changes nothing."""
    _require_sender(principal)
    if len(readings) > MAX_READINGS_PER_MESSAGE:
        description = f"has {len(readings)} readings; the limit is {MAX_READINGS_PER_MESSAGE} a message"
        raise InvalidArgument(f"readings {description}", [FieldViolation("readings", description)])
    if not readings:
        return RecordOutcome(accepted=0, duplicates=0)
    now = utc_now()
    async with uows(principal.tenant_id) as uow:
        known = await _Known.of(uow, readings)
        _refuse(_violations(readings, known, now))
        fresh = await uow.readings.add_new(distinct_by_source(readings))
        if fresh:
            values = await _recompute(uow, known.metrics, fresh, now)
            for start in range(0, len(values), MAX_VALUES_PER_EVENT):
                changed = MetricValuesChanged(tuple(values[start : start + MAX_VALUES_PER_EVENT]))
                uow.emit(principal.tenant_id, changed)
            await refresh_bound_key_results(uow, values)
            await evaluate_alerts(uow, values, known.employees, known.units, now)
            await uow.commit()
        return RecordOutcome(accepted=len(fresh), duplicates=len(readings) - len(fresh))


def _require_sender(principal: Principal) -> None:
    if not (principal.has_role(ROLE_PARTNER) or is_tenant_wide_hr(principal)):
        raise PermissionDenied("only a partner system, an admin or HR for the whole tenant may send readings")


@dataclass(frozen=True)
class _Known:
    """What the message names that exists, and the units its employees sit in: looked up once per
    message, never per reading."""

    metrics: dict[str, Metric]
    employees: dict[str, DirectoryEmployee]
    units: dict[str, DirectoryUnit]

    @classmethod
    async def of(cls, uow: GoalsUnitOfWork, readings: Sequence[Reading]) -> _Known:
        codes = _searchable({r.metric_code for r in readings})
        employee_ids = _searchable({r.scope_id for r in readings if r.scope_kind is ScopeKind.EMPLOYEE})
        unit_ids = _searchable({r.scope_id for r in readings if r.scope_kind is ScopeKind.UNIT})
        metrics = await uow.metrics.get_many(codes) if codes else {}
        employees = await uow.directory.employees(employee_ids) if employee_ids else {}
        # The employees' own units too: rules on every employee of a unit need where each one sits.
        unit_ids |= {employee.unit_id for employee in employees.values()}
        units = await uow.directory.units(unit_ids) if unit_ids else {}
        return cls(metrics=metrics, employees=employees, units=units)


def _searchable(keys: set[str]) -> set[str]:
    # Empty keys and keys with a NUL character (which PostgreSQL cannot take) name nothing: validation
    # reports them without asking the database.
    return {key for key in keys if key and "\x00" not in key}


def _violations(readings: Sequence[Reading], known: _Known, now: datetime) -> list[FieldViolation]:
    violations = []
    inputs_of = {code: {i.name for i in metric.inputs} for code, metric in known.metrics.items()}
    employees, units = known.employees, known.units
    for index, reading in enumerate(readings):
        inputs = inputs_of.get(reading.metric_code)
        # Nearly every reading is fine: the cheapest checks settle it before any problem is described.
        if (
            inputs is not None
            and reading.input in inputs
            and reading.scope_id in (employees if reading.scope_kind is ScopeKind.EMPLOYEE else units)
            and not reading_problems(reading, now)
        ):
            continue
        own_problems = reading_problems(reading, now)
        scope_problem = _directory_problem(reading, known)
        problems = dict(own_problems)
        for field, problem in (_catalog_problem(reading, inputs), ("scope_id", scope_problem)):
            if problem is not None:
                problems.setdefault(field, problem)
        violations += [
            FieldViolation(f"readings[{index}].{field}", description)
            for field, description in problems.items()
        ]
    return violations


def _catalog_problem(reading: Reading, inputs: set[str] | None) -> tuple[str, str | None]:
    if inputs is None:
        return "metric_code", f'no metric "{reading.metric_code}"'
    if reading.input and reading.input not in inputs:
        names = ", ".join(sorted(inputs))
        return "input", f'"{reading.input}" is not an input of {reading.metric_code} ({names})'
    return "input", None


def _directory_problem(reading: Reading, known: _Known) -> str | None:
    if reading.scope_kind is ScopeKind.EMPLOYEE and reading.scope_id not in known.employees:
        return f'no employee "{reading.scope_id}"'
    if reading.scope_kind is ScopeKind.UNIT and reading.scope_id not in known.units:
        return f'no unit "{reading.scope_id}"'
    return None


def _refuse(violations: list[FieldViolation]) -> None:
    if not violations:
        return
    shown = "; ".join(f"{v.field} {v.description}" for v in violations[:_VIOLATIONS_IN_MESSAGE])
    more = len(violations) - _VIOLATIONS_IN_MESSAGE
    summary = f"{shown}; and {more} more problems" if more > 0 else shown
    raise InvalidArgument(f"nothing was recorded: {summary}", violations)


async def _recompute(
    uow: GoalsUnitOfWork, metrics: dict[str, Metric], fresh: Sequence[Reading], now: datetime
) -> list[MetricValue]:
    """The new values of every (metric, scope, period) the new readings touched, stored."""
    totals = period_totals(fresh)
    buckets = sorted({key.bucket for key in totals}, key=Bucket.order)
    await uow.readings.lock_buckets(buckets, now)
    inputs: dict[Bucket, dict[str, InputTotal]] = {bucket: {} for bucket in buckets}
    for key, total in (await uow.readings.add_to_totals(totals)).items():
        inputs[key.bucket][key.input] = total
    formulas = {code: (metric.parsed_formula(), metric.aggregations()) for code, metric in metrics.items()}
    # Only a bucket some of whose inputs had no reading in this batch needs the others read back.
    incomplete = [
        bucket for bucket in buckets if not formulas[bucket.metric_code][1].keys() <= inputs[bucket].keys()
    ]
    if incomplete:
        inputs.update(await uow.readings.totals_of(incomplete))
    values = []
    for bucket in buckets:
        formula, aggregations = formulas[bucket.metric_code]
        values.append(value_of_bucket(uow.tenant_id, bucket, formula, aggregations, inputs[bucket], now))
    await uow.readings.save_values(values)
    return values


async def list_metric_values(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    metric_code: str,
    period_kind: PeriodKind | None,
    scope_kind: ScopeKind | None,
    scope_id: str,
    from_period_key: str,
    to_period_key: str,
    page: PageRequest,
) -> tuple[list[MetricValue], str]:
    query = _value_query(metric_code, period_kind, scope_kind, scope_id, from_period_key, to_period_key)
    async with uows(principal.tenant_id) as uow:
        if await uow.metrics.get(metric_code) is None:
            raise NotFound(f"no metric {metric_code}")
        await _require_value_reader(uow, principal, query.scope)
        after = _value_key_after(page.after)
        values = await uow.readings.page_values(query, after, page.size)
    return values, page.next_token(values, _value_key)


def _value_query(
    metric_code: str,
    period_kind: PeriodKind | None,
    scope_kind: ScopeKind | None,
    scope_id: str,
    from_period_key: str,
    to_period_key: str,
) -> MetricValueQuery:
    violations = []
    if not metric_code:
        violations.append(FieldViolation("metric_code", "is required"))
    if period_kind is None:
        violations.append(FieldViolation("period", "is required: day, week, month, quarter or year"))
    if (scope_kind is None) != (not scope_id):
        violations.append(FieldViolation("scope_kind", "and scope_id go together: both or neither"))
    bounds = {"from_period_key": from_period_key, "to_period_key": to_period_key}
    for field, key in bounds.items():
        if key and period_kind is not None:
            try:
                parse_period_key(period_kind, key)
            except ValueError as error:
                violations.append(FieldViolation(field, str(error)))
    if violations:
        raise InvalidArgument("; ".join(f"{v.field} {v.description}" for v in violations), violations)
    assert period_kind is not None
    return MetricValueQuery(
        metric_code=metric_code,
        period_kind=period_kind,
        scope=(scope_kind, scope_id) if scope_kind is not None else None,
        from_period_key=from_period_key or None,
        to_period_key=to_period_key or None,
    )


async def _require_value_reader(
    uow: GoalsUnitOfWork, principal: Principal, scope: tuple[ScopeKind, str] | None
) -> None:
    """Anyone reads a unit's values; an employee's: they, who manages them, admins and partners; every
    scope at once: admins, HR for the whole tenant and partners."""
    if scope is None:
        if not (principal.has_role(ROLE_PARTNER) or is_tenant_wide_hr(principal)):
            raise PermissionDenied("listing every scope's values is for admins, HR and partner systems")
        return
    kind, scope_id = scope
    if kind is ScopeKind.UNIT:
        if await uow.directory.unit(scope_id) is None:
            raise NotFound(f"no unit {scope_id}")
        return
    if await uow.directory.employee(scope_id) is None:
        raise NotFound(f"no employee {scope_id}")
    if principal.subject == scope_id or principal.has_role(ROLE_PARTNER, ROLE_ADMIN):
        return
    if not await may_manage_employee(uow.directory, principal, scope_id):  # type: ignore[arg-type]
        raise PermissionDenied(f"you may not see the values of employee {scope_id}")


def _value_key(value: MetricValue) -> str:
    return "\n".join((value.scope_kind.value, value.scope_id, value.period.key))


def _value_key_after(after: str | None) -> tuple[str, str, str] | None:
    if after is None:
        return None
    parts = after.split("\n")
    if len(parts) != 3:
        raise InvalidArgument(
            "page_token is not a page token this service made",
            [FieldViolation("page_token", "is not a page token this service made")],
        )
    return parts[0], parts[1], parts[2]
