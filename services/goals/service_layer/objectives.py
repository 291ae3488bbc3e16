"""Use cases on objectives (G1): create, read, list, update, align under another parent, delete.

Every change to a tree takes the tree's lock before it reads what it changes, then rolls the change
up through the ancestors its path names: the cost follows the depth of the tree, never its size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from services.chassis.context import Principal
from services.chassis.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    check_fields,
)
from services.chassis.field_mask import checked_paths
from services.chassis.paging import PageRequest
from services.chassis.timestamps import utc_now
from services.goals.domain.objectives import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    KeyResult,
    Objective,
    ObjectiveFilter,
    ObjectiveLevel,
    alignment_problem,
    date_problem,
    depth_problem,
    level_problems,
    parents_problem,
    path_of,
    period_problems,
    text_problem,
    weight_problem,
)
from services.goals.service_layer.goal_access import (
    may_read,
    objective_visibility,
    readable_objective,
    require_objective_writer,
    require_writer,
)
from services.goals.service_layer.goal_trees import (
    GoalTree,
    check_still_in,
    check_version,
    lock_trees,
    locked_objective,
    new_id,
)
from services.goals.service_layer.ports import GoalsUnitOfWork, UnitOfWorkFactory

UPDATABLE_OBJECTIVE_FIELDS = (
    "title",
    "description",
    "owner_employee_id",
    "weight",
    "period_start",
    "period_end",
)
# proto3 cannot tell a weight of 0 from no weight at all: a new node sent with 0 gets the default.
DEFAULT_WEIGHT = 1.0


async def create_objective(
    uows: UnitOfWorkFactory, principal: Principal, *, values: dict[str, Any], request_id: str
) -> Objective:
    """`values`: title, description, level (None when unknown), unit_id, owner_employee_id,
    parent_objective_id, parent_key_result_id, weight, period_start, period_end."""
    check_fields(
        {
            "objective.title": text_problem(values["title"], MAX_TITLE, required=True),
            "objective.description": text_problem(values["description"], MAX_DESCRIPTION, required=False),
            **level_problems(values["level"], values["unit_id"], values["owner_employee_id"], "objective."),
            "objective.parent_key_result_id": parents_problem(
                values["parent_objective_id"], values["parent_key_result_id"]
            ),
            "objective.weight": weight_problem(values["weight"]),
            **period_problems(values["period_start"], values["period_end"], "objective."),
        }
    )
    level: ObjectiveLevel = values["level"]
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "CreateObjective", request_id)) is not None:
            return await _objective(uow, prior)
        parent_fields = ("objective.parent_objective_id", "objective.parent_key_result_id")
        parent_ids = (values["parent_objective_id"], values["parent_key_result_id"])
        parent = await _locked_parent(uow, principal, parent_ids, parent_fields)
        await _check_people(uow, level, values["unit_id"], values["owner_employee_id"])
        await require_writer(
            uow, principal, level, values["unit_id"] or None, values["owner_employee_id"] or None
        )
        objective_id = new_id()
        path = path_of(parent.path if parent else None, objective_id)
        parent_field = parent_fields[0] if values["parent_objective_id"] else parent_fields[1]
        check_fields({parent_field: depth_problem(len(path))})
        at = utc_now()
        objective = Objective(
            id=objective_id,
            tenant_id=principal.tenant_id,
            title=values["title"],
            description=values["description"],
            level=level,
            unit_id=values["unit_id"] or None,
            owner_employee_id=values["owner_employee_id"] or None,
            parent_objective_id=values["parent_objective_id"] or None,
            parent_key_result_id=values["parent_key_result_id"] or None,
            weight=values["weight"] or DEFAULT_WEIGHT,
            period_start=date.fromisoformat(values["period_start"]),
            period_end=date.fromisoformat(values["period_end"]),
            path=path,
            updated_at=at,
        )
        tree = GoalTree(uow, at)
        tree.add(objective)
        await tree.contribution_changed(path, (0.0, 0.0), (objective.weight, objective.progress))
        await tree.write()
        tree.announce()
        await uow.remember(principal, "CreateObjective", request_id, objective.id)
        await uow.commit()
        return objective


async def get_objective(
    uows: UnitOfWorkFactory, principal: Principal, objective_id: str
) -> tuple[Objective, list[KeyResult]]:
    """The objective the caller may read, with its key results in the order they were created."""
    async with uows(principal.tenant_id) as uow:
        objective = await readable_objective(uow, principal, objective_id)
        return objective, await uow.key_results.of_objective(objective.id)


async def list_objectives(
    uows: UnitOfWorkFactory, principal: Principal, *, filters: dict[str, Any], page: PageRequest
) -> tuple[list[Objective], str]:
    """`filters`: level (None for any), unit_id, owner_employee_id, parent_objective_id,
    parent_key_result_id; empty text for any. Objectives come in tree order."""
    async with uows(principal.tenant_id) as uow:
        wanted = ObjectiveFilter(
            visibility=await objective_visibility(uow, principal),
            level=filters["level"],
            unit_id=filters["unit_id"] or None,
            owner_employee_id=filters["owner_employee_id"] or None,
            parent_objective_id=filters["parent_objective_id"] or None,
            parent_key_result_id=filters["parent_key_result_id"] or None,
        )
        objectives = await uow.objectives.matching(wanted, page.after, page.size)
        return objectives, page.next_token(objectives, lambda objective: objective.path)


async def update_objective(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    objective_id: str,
    values: dict[str, Any],
    mask: list[str],
    expected_version: int,
    request_id: str,
) -> Objective:
    """`values` as for create_objective; only the fields the mask names change."""
    paths = checked_paths(mask, UPDATABLE_OBJECTIVE_FIELDS)
    checks: dict[str, Callable[[Any], str | None]] = {
        "title": lambda text: text_problem(text, MAX_TITLE, required=True),
        "description": lambda text: text_problem(text, MAX_DESCRIPTION, required=False),
        "weight": weight_problem,
        "period_start": date_problem,
        "period_end": date_problem,
    }
    check_fields(
        {f"objective.{name}": check(values[name]) for name, check in checks.items() if name in paths}
    )
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "UpdateObjective", request_id)) is not None:
            return await _objective(uow, prior)
        objective = await locked_objective(uow, principal, objective_id)
        await require_objective_writer(uow, principal, objective)
        check_version("objective", objective.id, objective.version, expected_version)
        updated = _updated(objective, values, paths)
        if updated.owner_employee_id != objective.owner_employee_id:
            await _check_people(uow, updated.level, "", updated.owner_employee_id or "")
            await require_objective_writer(uow, principal, updated)
        if updated != objective:
            tree = GoalTree(uow, utc_now())
            updated = tree.change(updated)
            if updated.weight != objective.weight:
                await tree.contribution_changed(
                    objective.path, (objective.weight, objective.progress), (updated.weight, updated.progress)
                )
            await tree.write()
            tree.announce()
        await uow.remember(principal, "UpdateObjective", request_id, objective.id)
        await uow.commit()
        return updated


async def align_objective(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    objective_id: str,
    parent_objective_id: str,
    parent_key_result_id: str,
    request_id: str,
) -> Objective:
    """Moves the objective, with everything aligned below it, under a new parent (or makes it a root)."""
    check_fields({"parent_key_result_id": parents_problem(parent_objective_id, parent_key_result_id)})
    parent_fields = ("parent_objective_id", "parent_key_result_id")
    parent_ids = (parent_objective_id, parent_key_result_id)
    parent_field = parent_fields[0] if parent_objective_id else parent_fields[1]
    async with uows(principal.tenant_id) as uow:
        if (prior := await uow.recall(principal, "AlignObjective", request_id)) is not None:
            return await _objective(uow, prior)
        objective = await readable_objective(uow, principal, objective_id)
        parent = await _parent(uow, principal, parent_ids, parent_fields)
        roots = await lock_trees(uow, [objective.path, *([parent.path] if parent else [])])
        objective = await readable_objective(uow, principal, objective_id)
        parent = await _parent(uow, principal, parent_ids, parent_fields)
        check_still_in(roots, [objective, *([parent] if parent else [])])
        await require_objective_writer(uow, principal, objective)
        if parent is not None:
            check_fields({parent_field: alignment_problem(objective, parent.path)})
        moved = replace(
            objective,
            parent_objective_id=parent_objective_id or None,
            parent_key_result_id=parent_key_result_id or None,
            path=path_of(parent.path if parent else None, objective.id),
        )
        if moved.path != objective.path:
            deepest = max(
                await uow.objectives.deepest_path_length(objective.path),
                await uow.key_results.deepest_path_length(objective.path),
            )
            check_fields({parent_field: depth_problem(deepest - len(objective.path) + len(moved.path))})
            await uow.objectives.move_subtree(objective.path, moved.path)
            await uow.key_results.move_subtree(objective.path, moved.path)
            tree = GoalTree(uow, utc_now())
            moved = tree.change(moved)
            contribution = (objective.weight, objective.progress)
            await tree.contribution_changed(objective.path, contribution, (0.0, 0.0))
            await tree.contribution_changed(moved.path, (0.0, 0.0), contribution)
            await tree.write()
            tree.announce()
        else:
            moved = objective
        await uow.remember(principal, "AlignObjective", request_id, objective.id)
        await uow.commit()
        return moved


async def delete_objective(
    uows: UnitOfWorkFactory, principal: Principal, *, objective_id: str, request_id: str
) -> None:
    """Deletes the objective, its key results and their value history; refused while objectives are
    aligned to it or to one of its key results."""
    async with uows(principal.tenant_id) as uow:
        if await uow.recall(principal, "DeleteObjective", request_id) is not None:
            return
        objective = await locked_objective(uow, principal, objective_id)
        await require_objective_writer(uow, principal, objective)
        key_results = await uow.key_results.of_objective(objective.id)
        aligned = await uow.objectives.aligned_to([objective.id, *(kr.id for kr in key_results)])
        if aligned:
            raise FailedPrecondition(
                f"objective {objective.id} cannot be deleted while objectives are aligned to it or to its "
                f"key results: {', '.join(a.id for a in aligned)}; align them elsewhere or delete them first",
                [
                    FieldViolation(f"objectives/{a.id}", "is aligned to it or to one of its key results")
                    for a in aligned
                ],
            )
        await uow.key_results.remove_many([kr.id for kr in key_results])
        await uow.objectives.remove(objective.id)
        tree = GoalTree(uow, utc_now())
        tree.delete_objective(objective.id)
        tree.delete_key_results(kr.id for kr in key_results)
        await tree.contribution_changed(objective.path, (objective.weight, objective.progress), (0.0, 0.0))
        await tree.write()
        tree.announce()
        await uow.remember(principal, "DeleteObjective", request_id, objective.id)
        await uow.commit()


async def _objective(uow: GoalsUnitOfWork, objective_id: str) -> Objective:
    objective = await uow.objectives.get(objective_id)
    if objective is None:
        raise NotFound(f"no objective {objective_id}")
    return objective


async def _locked_parent(
    uow: GoalsUnitOfWork, principal: Principal, ids: tuple[str, str], fields: tuple[str, str]
) -> Objective | KeyResult | None:
    """The parent named in a request, read again once its tree is locked."""
    parent = await _parent(uow, principal, ids, fields)
    if parent is None:
        return None
    roots = await lock_trees(uow, [parent.path])
    parent = await _parent(uow, principal, ids, fields)
    check_still_in(roots, [parent] if parent else [])
    return parent


async def _parent(
    uow: GoalsUnitOfWork, principal: Principal, ids: tuple[str, str], fields: tuple[str, str]
) -> Objective | KeyResult | None:
    """The objective or key result named as a parent in a request; one the caller may not read is as
    unknown as one that does not exist."""
    objective_id, key_result_id = ids
    if objective_id:
        objective = await uow.objectives.get(objective_id)
        if objective is None or not await may_read(uow, principal, objective):
            raise InvalidArgument(
                f"no objective {objective_id}", [FieldViolation(fields[0], "no such objective")]
            )
        return objective
    if key_result_id:
        key_result = await uow.key_results.get(key_result_id)
        owner = await uow.objectives.get(key_result.objective_id) if key_result else None
        if key_result is None or owner is None or not await may_read(uow, principal, owner):
            raise InvalidArgument(
                f"no key result {key_result_id}", [FieldViolation(fields[1], "no such key result")]
            )
        return key_result
    return None


async def _check_people(
    uow: GoalsUnitOfWork, level: ObjectiveLevel, unit_id: str, owner_employee_id: str
) -> None:
    """The unit and the owner an objective names exist in the directory; an owner is still employed."""
    problems: dict[str, str | None] = {}
    if unit_id and await uow.directory.unit(unit_id) is None:
        problems["objective.unit_id"] = "no such unit"
    if owner_employee_id:
        owner = await uow.directory.employee(owner_employee_id)
        if owner is None:
            problems["objective.owner_employee_id"] = "no such employee"
        elif not owner.active:
            problems["objective.owner_employee_id"] = "is not an active employee"
    elif level is ObjectiveLevel.EMPLOYEE:
        problems["objective.owner_employee_id"] = "is required for an employee objective"
    check_fields(problems)


def _updated(objective: Objective, values: dict[str, Any], paths: set[str]) -> Objective:
    changes: dict[str, Any] = {}
    for name in ("title", "description", "weight"):
        if name in paths:
            changes[name] = values[name]
    if "owner_employee_id" in paths:
        changes["owner_employee_id"] = values["owner_employee_id"] or None
    for name in ("period_start", "period_end"):
        if name in paths:
            changes[name] = date.fromisoformat(values[name])
    updated = replace(objective, **changes)
    if updated.period_end < updated.period_start:
        check_fields({"objective.period_end": "must not be before period_start"})
    return updated
