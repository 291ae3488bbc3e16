"""Use cases on key results (G1): create, update, delete, values typed in, values from metrics.

A key result measured by hand takes typed-in values; one bound to a metric takes the metric's value of
its latest period as readings arrive; one measured by its aligned objectives rolls them up. Every new
value is kept in the key result's history and rolls up to the strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import FailedPrecondition, FieldViolation, InvalidArgument, check_fields
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.objectives import (
    MAX_NOTE,
    MAX_TITLE,
    MAX_UNIT,
    KeyResult,
    KeyResultValue,
    Measure,
    MetricBinding,
    depth_problem,
    number_problem,
    path_of,
    text_problem,
    weight_problem,
)
from services.goals.domain.periods import PeriodKind, period_of
from services.goals.domain.progress import Direction, Rollup, direction_problem
from services.goals.domain.readings import MetricValue, ScopeKind
from services.goals.service_layer.goal_access import (
    readable_key_result,
    require_objective_writer,
)
from services.goals.service_layer.goal_trees import (
    GoalTree,
    check_still_in,
    check_version,
    lock_trees,
    locked_key_result,
    locked_objective,
    new_id,
    rollup_of,
)
from services.goals.service_layer.objectives import DEFAULT_WEIGHT
from services.goals.service_layer.ports import GoalsUnitOfWork, MetricValueQuery, UnitOfWorkFactory

UPDATABLE_KEY_RESULT_FIELDS = (
    "title",
    "start_value",
    "target_value",
    "unit",
    "direction",
    "weight",
    "measure",
    "metric",
)


# (metric code, scope kind, scope id, period kind): which metric values a binding takes.
BindingKey = tuple[str, ScopeKind, str, PeriodKind]


@dataclass(frozen=True)
class BindingDraft:
    """A metric binding as a request gave it; None where the request left an enum unspecified."""

    metric_code: str
    scope_kind: ScopeKind | None
    scope_id: str
    period_kind: PeriodKind | None


async def create_key_result(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> KeyResult:
    """`values`: objective_id, title, start_value, target_value, unit, direction (None when unknown),
    weight, measure (None when unknown), metric (a BindingDraft or None)."""
    check_fields(_problems(values))
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "CreateKeyResult", request_id)) is not None:
            key_result, _ = await readable_key_result(uow, principal, prior)
            return key_result
        objective = await locked_objective(uow, principal, values["objective_id"])
        await require_objective_writer(uow, principal, objective)
        binding = await _checked_binding(uow, values["metric"])
        key_result_id = new_id()
        path = path_of(objective.path, key_result_id)
        check_fields({"key_result.objective_id": depth_problem(len(path))})
        at = utc_now()
        key_result = KeyResult(
            id=key_result_id,
            tenant_id=principal.tenant_id,
            objective_id=objective.id,
            title=values["title"],
            start_value=values["start_value"],
            target_value=values["target_value"],
            unit=values["unit"],
            direction=values["direction"],
            weight=values["weight"] or DEFAULT_WEIGHT,
            measure=values["measure"],
            path=path,
            metric=binding,
            created_at=at,
            updated_at=at,
        )
        tree = GoalTree(uow, at)
        key_result = tree.add(await _with_latest_metric_value(uow, key_result))
        await tree.contribution_changed(path, (0.0, 0.0), (key_result.weight, key_result.progress))
        await tree.write()
        tree.announce()
        await uow.remember(principal, "CreateKeyResult", request_id, key_result.id)
        await uow.commit()
        return key_result


async def update_key_result(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    key_result_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> KeyResult:
    """`values` as for create_key_result; only the fields the mask names change. A weight of 0 here is 0."""
    paths = checked_paths(mask, UPDATABLE_KEY_RESULT_FIELDS)
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdateKeyResult", request_id)) is not None:
            key_result, _ = await readable_key_result(uow, principal, prior)
            return key_result
        key_result, objective = await locked_key_result(uow, principal, key_result_id)
        await require_objective_writer(uow, principal, objective)
        check_version("key result", key_result.id, key_result.version, expected_version)
        merged = {**_values_of(key_result), **{name: values[name] for name in paths}}
        if "measure" in paths and merged["measure"] is not Measure.METRIC and "metric" not in paths:
            merged["metric"] = None
        check_fields(_problems(merged))
        binding = key_result.metric
        if "metric" in paths or "measure" in paths:
            binding = await _checked_binding(uow, merged["metric"])
        updated = replace(
            key_result,
            title=merged["title"],
            start_value=merged["start_value"],
            target_value=merged["target_value"],
            unit=merged["unit"],
            direction=merged["direction"],
            weight=merged["weight"],
            measure=merged["measure"],
            metric=binding,
        )
        if binding != key_result.metric:
            updated = replace(updated, metric_period_start=None)
            if binding is not None:
                updated = await _with_latest_metric_value(uow, replace(updated, current_value=None))
        if updated.aggregates != key_result.aggregates:
            aligned = await uow.objectives.aligned_to([key_result.id]) if updated.aggregates else []
            updated = replace(updated, rollup=rollup_of(aligned) if aligned else Rollup())
        if updated != key_result:
            tree = GoalTree(uow, utc_now())
            updated = tree.change(updated)
            old, new = (key_result.weight, key_result.progress), (updated.weight, updated.progress)
            if old != new:
                await tree.contribution_changed(key_result.path, old, new)
            await tree.write()
            tree.announce()
        await uow.remember(principal, "UpdateKeyResult", request_id, key_result.id)
        await uow.commit()
        return updated


async def delete_key_result(
    uows: UnitOfWorkFactory, principal: Principal, *, key_result_id: str, request_id: str
) -> None:
    """Deletes the key result and its value history; refused while objectives are aligned to it."""
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "DeleteKeyResult", request_id) is not None:
            return
        key_result, objective = await locked_key_result(uow, principal, key_result_id)
        await require_objective_writer(uow, principal, objective)
        aligned = await uow.objectives.aligned_to([key_result.id])
        if aligned:
            raise FailedPrecondition(
                f"key result {key_result.id} cannot be deleted while objectives are aligned to it: "
                f"{', '.join(a.id for a in aligned)}; align them elsewhere or delete them first",
                [FieldViolation(f"objectives/{a.id}", "is aligned to the key result") for a in aligned],
            )
        await uow.key_results.remove_many([key_result.id])
        tree = GoalTree(uow, utc_now())
        tree.delete_key_results([key_result.id])
        await tree.contribution_changed(key_result.path, (key_result.weight, key_result.progress), (0.0, 0.0))
        await tree.write()
        tree.announce()
        await uow.remember(principal, "DeleteKeyResult", request_id, key_result.id)
        await uow.commit()


async def record_key_result_value(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    key_result_id: str,
    value: float,
    note: str,
    request_id: str,
) -> KeyResult:
    """Records a typed-in value of a manually measured key result in its history; progress rolls up."""
    check_fields({"value": number_problem(value), "note": text_problem(note, MAX_NOTE, required=False)})
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "RecordKeyResultValue", request_id)) is not None:
            key_result, _ = await readable_key_result(uow, principal, prior)
            return key_result
        key_result, objective = await locked_key_result(uow, principal, key_result_id)
        await require_objective_writer(uow, principal, objective)
        if key_result.measure is not Measure.MANUAL:
            how = "a metric" if key_result.measure is Measure.METRIC else "the objectives aligned to it"
            raise FailedPrecondition(
                f"key result {key_result.id} is measured by {how}; only a manually measured key result "
                "takes typed-in values",
                [FieldViolation("measure", "is not MEASURE_MANUAL")],
            )
        at = utc_now()
        tree = GoalTree(uow, at)
        updated = tree.change(replace(key_result, current_value=value))
        await tree.contribution_changed(
            key_result.path, (key_result.weight, key_result.progress), (updated.weight, updated.progress)
        )
        await uow.key_results.add_values([KeyResultValue(key_result.id, value, principal.subject, note, at)])
        await tree.write()
        tree.announce()
        await uow.remember(principal, "RecordKeyResultValue", request_id, key_result.id)
        await uow.commit()
        return updated


async def list_key_result_values(
    uows: UnitOfWorkFactory, principal: Principal, *, key_result_id: str, page: PageRequest
) -> tuple[list[KeyResultValue], str]:
    """The key result's values, newest first."""
    if page.after is not None and not page.after.isdigit():
        raise InvalidArgument(
            "page_token is not a page token of this call", [FieldViolation("page_token", "is not valid")]
        )
    async with uows(principal.tenant_id) as uow:
        key_result, _ = await readable_key_result(uow, principal, key_result_id)
        before = int(page.after) if page.after is not None else None
        values = await uow.key_results.values_page(key_result.id, before, page.size)
        return values, page.next_token(values, lambda value: str(value.sequence))


async def refresh_bound_key_results(uow: GoalsUnitOfWork, values: Sequence[MetricValue]) -> None:
    """Key results bound to these metric values take them, inside the caller's unit of work (the caller
    commits): each takes the value of the latest period it has seen, so a late reading of an older period
    does not move it back. Costs one indexed query when no key result is bound to the metrics."""
    latest: dict[BindingKey, MetricValue] = {}
    for value in values:
        if value.value is None:
            continue
        key = (value.metric_code, value.scope_kind, value.scope_id, value.period.kind)
        if key not in latest or value.period.start > latest[key].period.start:
            latest[key] = value
    if not latest:
        return
    candidates = await uow.key_results.bound_to_metrics(
        {key[0] for key in latest}, {key[2] for key in latest}
    )
    bound = [key_result for key_result in candidates if _takes(key_result, latest)]
    if not bound:
        return
    roots = await lock_trees(uow, [kr.path for kr in bound])
    reread = list((await uow.key_results.get_many(kr.id for kr in bound)).values())
    check_still_in(roots, reread)
    at = utc_now()
    tree = GoalTree(uow, at)
    tree.know(*reread)
    history = []
    for key_result in reread:
        key_result = tree.current(key_result)
        value = _taken(key_result, latest)
        if value is None or value.value is None:
            continue
        updated = replace(key_result, current_value=value.value, metric_period_start=value.period.start)
        if updated == key_result:
            continue
        updated = tree.change(updated)
        await tree.contribution_changed(
            key_result.path, (key_result.weight, key_result.progress), (updated.weight, updated.progress)
        )
        history.append(KeyResultValue(key_result.id, value.value, f"metric:{value.metric_code}", "", at))
    await uow.key_results.add_values(history)
    await tree.write()
    tree.announce()


def _taken(key_result: KeyResult, latest: dict[BindingKey, MetricValue]) -> MetricValue | None:
    """The value the key result takes from the batch: its binding's, unless older than what it has."""
    binding = key_result.metric
    if key_result.measure is not Measure.METRIC or binding is None:
        return None
    value = latest.get((binding.metric_code, binding.scope_kind, binding.scope_id, binding.period_kind))
    if value is None:
        return None
    if key_result.metric_period_start is not None and value.period.start < key_result.metric_period_start:
        return None
    return value


def _takes(key_result: KeyResult, latest: dict[BindingKey, MetricValue]) -> bool:
    return _taken(key_result, latest) is not None


async def _with_latest_metric_value(uow: GoalsUnitOfWork, key_result: KeyResult) -> KeyResult:
    """A key result newly bound to a metric starts from the metric's value for the current period, when
    readings have already given it one."""
    binding = key_result.metric
    if key_result.measure is not Measure.METRIC or binding is None:
        return key_result
    current = period_of(binding.period_kind, utc_now())
    query = MetricValueQuery(
        binding.metric_code,
        binding.period_kind,
        (binding.scope_kind, binding.scope_id),
        current.key,
        current.key,
    )
    found = await uow.readings.page_values(query, None, 1)
    if not found or found[0].value is None:
        return key_result
    value = found[0]
    await uow.key_results.add_values(
        [KeyResultValue(key_result.id, value.value, f"metric:{binding.metric_code}", "", utc_now())]
    )
    return replace(key_result, current_value=value.value, metric_period_start=value.period.start)


def _values_of(key_result: KeyResult) -> dict[str, Any]:
    binding = key_result.metric
    return {
        "title": key_result.title,
        "start_value": key_result.start_value,
        "target_value": key_result.target_value,
        "unit": key_result.unit,
        "direction": key_result.direction,
        "weight": key_result.weight,
        "measure": key_result.measure,
        "metric": BindingDraft(binding.metric_code, binding.scope_kind, binding.scope_id, binding.period_kind)
        if binding
        else None,
    }


def _problems(values: dict[str, Any]) -> dict[str, str | None]:
    direction: Direction | None = values["direction"]
    measure: Measure | None = values["measure"]
    draft: BindingDraft | None = values["metric"]
    problems: dict[str, str | None] = {
        "key_result.title": text_problem(values["title"], MAX_TITLE, required=True),
        "key_result.unit": text_problem(values["unit"], MAX_UNIT, required=False),
        "key_result.start_value": number_problem(values["start_value"]),
        "key_result.target_value": number_problem(values["target_value"]),
        "key_result.direction": None if direction else "is required",
        "key_result.weight": weight_problem(values["weight"]),
        "key_result.measure": None if measure else "is required",
    }
    if direction and not problems["key_result.start_value"] and not problems["key_result.target_value"]:
        problems["key_result.target_value"] = direction_problem(
            values["start_value"], values["target_value"], direction
        )
    if measure is Measure.METRIC and draft is None:
        problems["key_result.metric"] = "is required for a key result measured by a metric"
    elif measure is not None and measure is not Measure.METRIC and draft is not None:
        problems["key_result.metric"] = "is only for a key result measured by a metric"
    if draft is not None:
        problems.update(
            {
                "key_result.metric.metric_code": None if draft.metric_code else "is required",
                "key_result.metric.scope_kind": None if draft.scope_kind else "is required",
                "key_result.metric.scope_id": None if draft.scope_id else "is required",
                "key_result.metric.period": None if draft.period_kind else "is required",
            }
        )
    return problems


async def _checked_binding(uow: GoalsUnitOfWork, draft: BindingDraft | None) -> MetricBinding | None:
    """The binding, once its metric is in the catalog and its scope in the directory."""
    if draft is None:
        return None
    problems: dict[str, str | None] = {}
    if await uow.metrics.get(draft.metric_code) is None:
        problems["key_result.metric.metric_code"] = "no such metric"
    if draft.scope_kind is ScopeKind.EMPLOYEE and await uow.directory.employee(draft.scope_id) is None:
        problems["key_result.metric.scope_id"] = "no such employee"
    if draft.scope_kind is ScopeKind.UNIT and await uow.directory.unit(draft.scope_id) is None:
        problems["key_result.metric.scope_id"] = "no such unit"
    check_fields(problems)
    return MetricBinding(draft.metric_code, draft.scope_kind, draft.scope_id, draft.period_kind)  # type: ignore[arg-type]
