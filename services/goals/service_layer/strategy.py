"""Strategy progress (G6): every goal tree the caller may read, with progress, status and what is at risk,
for the whole tenant or for what is owned inside one unit's subtree."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from services.chassis.context import Principal
from services.chassis.errors import NotFound
from services.goals.domain.objectives import KeyResult, Objective, ObjectiveFilter, ancestor_ids
from services.goals.domain.progress import GoalStatus
from services.goals.service_layer.goal_access import objective_visibility
from services.goals.service_layer.ports import UnitOfWorkFactory

# Worst first: what has failed or is failing, then what is slipping.
_RISK_RANK = {GoalStatus.OFF_TRACK: 0, GoalStatus.EXPIRED: 0, GoalStatus.AT_RISK: 1}


@dataclass(frozen=True)
class StrategyNode:
    objective: Objective
    status: GoalStatus
    key_results: tuple[KeyResult, ...]
    # The nearest objective above it among those returned; None at the top of a returned tree.
    rolls_up_to_objective_id: str | None
    depth: int


@dataclass(frozen=True)
class StrategyProgress:
    nodes: tuple[StrategyNode, ...]  # depth first, each objective before what rolls up into it
    at_risk_objective_ids: tuple[str, ...]
    status_counts: dict[GoalStatus, int]


async def strategy_progress(
    uows: UnitOfWorkFactory, principal: Principal, *, unit_id: str, today: date
) -> StrategyProgress:
    """One query for the objectives and one for their key results, however big the forest."""
    async with uows(principal.tenant_id) as uow:
        owned_in = None
        if unit_id:
            if await uow.directory.unit(unit_id) is None:
                raise NotFound(f"no unit {unit_id}")
            owned_in = tuple(await uow.directory.unit_subtree_ids(unit_id))
        wanted = ObjectiveFilter(
            visibility=await objective_visibility(uow, principal), owned_in_unit_ids=owned_in
        )
        objectives = await uow.objectives.matching(wanted)
        key_results = await uow.key_results.of_objectives_matching(wanted)
    return arrange(objectives, key_results, today)


def arrange(objectives: list[Objective], key_results: list[KeyResult], today: date) -> StrategyProgress:
    """The objectives (in tree order) as a forest: an objective whose ancestors were all left out is a
    root, one whose nearest objective above was left out rolls up into the next one that is there."""
    by_objective: dict[str, list[KeyResult]] = {}
    for key_result in key_results:
        by_objective.setdefault(key_result.objective_id, []).append(key_result)
    depths: dict[str, int] = {}
    nodes = []
    for objective in objectives:
        above = next((i for i in ancestor_ids(objective.path) if i in depths), None)
        depths[objective.id] = depths[above] + 1 if above is not None else 0
        nodes.append(
            StrategyNode(
                objective=objective,
                status=objective.status(today),
                key_results=tuple(by_objective.get(objective.id, ())),
                rolls_up_to_objective_id=above,
                depth=depths[objective.id],
            )
        )
    at_risk = sorted(
        (node for node in nodes if node.status in _RISK_RANK),
        key=lambda node: (_RISK_RANK[node.status], node.objective.progress, node.objective.id),
    )
    counts = Counter(node.status for node in nodes)
    return StrategyProgress(
        nodes=tuple(nodes),
        at_risk_objective_ids=tuple(node.objective.id for node in at_risk),
        status_counts={status: counts[status] for status in GoalStatus},
    )
