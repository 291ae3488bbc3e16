"""Changes to one goal tree that arrive at the same moment: none is lost, and the trees stay trees."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from tests.integration.goals.objectives_helpers import (
    align,
    create_key_result,
    create_objective,
    get_objective,
    progress_of,
    record,
)
from tests.support.goals import GoalsHarness
from tests.support.org import new_tenant


async def test_values_recorded_at_once_on_one_tree_all_reach_the_root(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    strategy = await create_objective(goals, admin, "Strategy")
    children = [
        await create_objective(goals, admin, f"Part {n}", parent_objective_id=strategy.id) for n in range(4)
    ]
    key_results = [
        await create_key_result(goals, admin, child.id, f"Measure {n}", 0, 10)
        for child in children
        for n in range(2)
    ]

    await asyncio.gather(*(record(goals, admin, kr.id, 5 + n % 2 * 5) for n, kr in enumerate(key_results)))

    for child in children:
        assert await progress_of(goals, admin, child.id) == pytest.approx(0.75)
    assert await progress_of(goals, admin, strategy.id) == pytest.approx(0.75)


async def test_two_crossing_alignments_at_once_cannot_make_a_cycle(goals: GoalsHarness) -> None:
    admin = goals.admin(new_tenant())
    first = await create_objective(goals, admin, "First")
    second = await create_objective(goals, admin, "Second")

    outcomes = await asyncio.gather(
        align(goals, admin, first.id, parent_objective_id=second.id),
        align(goals, admin, second.id, parent_objective_id=first.id),
        return_exceptions=True,
    )

    refused = [outcome for outcome in outcomes if isinstance(outcome, grpc.aio.AioRpcError)]
    assert [error.code() for error in refused] == [grpc.StatusCode.INVALID_ARGUMENT]
    parents = [
        (await get_objective(goals, admin, o.id)).objective.parent_objective_id for o in (first, second)
    ]
    assert sorted(parents) in (["", second.id], ["", first.id])
