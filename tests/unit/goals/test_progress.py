"""Key-result progress, goal status, and the incremental roll-up checked against recomputation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.goals.domain.progress import (
    Direction,
    GoalStatus,
    Rollup,
    RollupNode,
    direction_problem,
    measured_progress,
    propagate,
    status_of,
)

FAST = settings(max_examples=150, deadline=None)
HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER


@pytest.mark.parametrize(
    ("start", "target", "current", "direction", "expected"),
    [
        (0.0, 15.0, 10.0, HIGHER, 2 / 3),  # G1: overseas sales share, target 15%, now 10%
        (15.0, 5.0, 10.0, LOWER, 0.5),  # defect rate from 15% towards 5%, now 10%
        (15.0, 5.0, 5.0, LOWER, 1.0),
        (15.0, 5.0, 3.0, LOWER, 1.0),  # beyond the target counts as reached
        (15.0, 5.0, 18.0, LOWER, 0.0),  # worse than the start is no progress
        (0.0, 3.0, -1.0, HIGHER, 0.0),
        (0.0, 3.0, 4.5, HIGHER, 1.0),
        (0.0, 3.0, None, HIGHER, 0.0),  # no value yet
        (5.0, 5.0, 5.0, HIGHER, 1.0),  # hold the line: start equals target
        (5.0, 5.0, 4.0, HIGHER, 0.0),
        (5.0, 5.0, 4.0, LOWER, 1.0),
        (5.0, 5.0, 6.0, LOWER, 0.0),
        (-1e308, 1e308, 1e308, HIGHER, 1.0),
        (1e308, -1e308, -1e308, LOWER, 1.0),
    ],
)
def test_key_result_progress_is_the_distance_covered_from_start_to_target(
    start: float, target: float, current: float | None, direction: Direction, expected: float
) -> None:
    assert measured_progress(start, target, current, direction) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("start", "target", "direction", "problem"),
    [
        (10.0, 5.0, HIGHER, "target_value must be above start_value for a higher-is-better key result"),
        (5.0, 10.0, LOWER, "target_value must be below start_value for a lower-is-better key result"),
        (0.0, 15.0, HIGHER, None),
        (15.0, 5.0, LOWER, None),
        (5.0, 5.0, HIGHER, None),
        (5.0, 5.0, LOWER, None),
    ],
)
def test_a_target_must_lie_in_the_better_direction_from_the_start(
    start: float, target: float, direction: Direction, problem: str | None
) -> None:
    assert direction_problem(start, target, direction) == problem


# Ten days from start to end, so the expected pace on 6 January is one half.
PERIOD_START, PERIOD_END = date(2026, 1, 1), date(2026, 1, 11)


@pytest.mark.parametrize(
    ("progress", "today", "status"),
    [
        (0.45, date(2026, 1, 6), GoalStatus.ON_TRACK),
        (0.40, date(2026, 1, 6), GoalStatus.ON_TRACK),  # exactly 10 points behind is not more than 10
        (0.39, date(2026, 1, 6), GoalStatus.AT_RISK),
        (0.25, date(2026, 1, 6), GoalStatus.AT_RISK),
        (0.24, date(2026, 1, 6), GoalStatus.OFF_TRACK),
        (0.0, date(2025, 12, 1), GoalStatus.ON_TRACK),  # not started: nothing expected yet
        (0.0, PERIOD_START, GoalStatus.ON_TRACK),
        (0.8, PERIOD_END, GoalStatus.AT_RISK),  # the last day expects everything
        (0.7, PERIOD_END, GoalStatus.OFF_TRACK),
        (1.0, date(2026, 1, 2), GoalStatus.DONE),
        (1.0 - 1e-12, date(2026, 1, 2), GoalStatus.DONE),
        (1.0, date(2026, 2, 1), GoalStatus.DONE),  # done stays done after the period
        (0.99, date(2026, 1, 12), GoalStatus.EXPIRED),
    ],
)
def test_status_compares_progress_with_the_time_elapsed_in_the_period(
    progress: float, today: date, status: GoalStatus
) -> None:
    assert status_of(progress, PERIOD_START, PERIOD_END, today) is status


def test_a_one_day_goal_expects_everything_on_its_day() -> None:
    day = date(2026, 3, 1)

    assert status_of(0.95, day, day, day) is GoalStatus.ON_TRACK
    assert status_of(0.5, day, day, day) is GoalStatus.OFF_TRACK


def test_a_rollup_is_the_weighted_progress_of_its_contributors() -> None:
    rollup = Rollup().changed(0, 0, 2.0, 0.5).changed(0, 0, 1.0, 1.0)
    assert rollup.progress == pytest.approx(2 / 3)

    assert rollup.changed(1.0, 1.0, 1.0, 0.0).progress == pytest.approx(1 / 3)
    assert rollup.changed(2.0, 0.5, 0.0, 0.0).progress == 1.0
    assert Rollup().progress == 0.0
    assert Rollup().changed(0, 0, 0.0, 1.0).progress == 0.0  # only weightless contributors


def test_removing_every_contributor_leaves_no_rounding_residue() -> None:
    rollup = Rollup().changed(0, 0, 0.1, 0.3).changed(0, 0, 0.2, 0.7)

    emptied = rollup.changed(0.1, 0.3, 0, 0).changed(0.2, 0.7, 0, 0)

    assert emptied == Rollup()
    assert emptied.changed(0, 0, 0.5, 0.25).progress == 0.25


def test_a_key_result_update_reaches_the_strategy_through_a_key_result_measured_by_aligned_objectives() -> (
    None
):
    # Strategy "become the technology leader", with three key results of weight 1: R&D ships 1 of 3
    # products (1/3), defect rate 15% -> 5% now at 10% (1/2), and "new products 30% of revenue",
    # measured by sales' aligned objective, whose one key result is overseas share 0 -> 15%, now 10%.
    overseas_share = measured_progress(0, 15, 10, HIGHER)
    sales_objective = RollupNode("sales", 1.0, Rollup(overseas_share, 1.0), aggregates=True)
    new_products_share = RollupNode("new-products", 1.0, Rollup(overseas_share, 1.0), aggregates=True)
    strategy = RollupNode("strategy", 1.0, Rollup(1 / 3 + 1 / 2 + overseas_share, 3.0), aggregates=True)
    assert strategy.rollup.progress == pytest.approx(0.5)

    reached = measured_progress(0, 15, 15, HIGHER)
    changed = propagate([sales_objective, new_products_share, strategy], 1.0, overseas_share, 1.0, reached)

    assert [node.id for node in changed] == ["sales", "new-products", "strategy"]
    assert [node.rollup.progress for node in changed] == pytest.approx([1.0, 1.0, (1 / 3 + 1 / 2 + 1) / 3])


def test_an_objective_aligned_to_a_key_result_measured_by_value_does_not_move_it() -> None:
    measured_key_result = RollupNode("defect-rate", 1.0, Rollup(), aggregates=False)
    strategy = RollupNode("strategy", 1.0, Rollup(0.5, 1.0), aggregates=True)

    assert propagate([measured_key_result, strategy], 1.0, 0.2, 1.0, 0.9) == []


def test_propagation_stops_where_progress_stays_the_same() -> None:
    parent = RollupNode("parent", 1.0, Rollup(1.0, 2.0), aggregates=True)
    grandparent = RollupNode("grandparent", 1.0, Rollup(0.5, 1.0), aggregates=True)

    # A new contributor at the parent's own pace changes its sums but not its progress.
    changed = propagate([parent, grandparent], 0.0, 0.0, 2.0, 0.5)
    assert changed == [RollupNode("parent", 1.0, Rollup(2.0, 4.0), aggregates=True)]

    # A weightless contributor changes nothing at all.
    assert propagate([parent, grandparent], 0.0, 0.3, 0.0, 0.9) == []


@dataclass
class Goal:
    parent: int | None
    weight: float
    is_key_result: bool
    aggregates: bool  # objectives always; key results when measured by their aligned objectives
    measured: float = 0.0  # the progress of a key result measured by value
    rollup: Rollup = field(default_factory=Rollup)


class Forest:
    """Goals kept as the service keeps them: each aggregating goal stores its Rollup, updated by propagate."""

    def __init__(self) -> None:
        self.goals: dict[int, Goal] = {}

    def progress(self, goal_id: int) -> float:
        goal = self.goals[goal_id]
        return goal.rollup.progress if goal.aggregates else goal.measured

    def contributors(self, goal_id: int) -> list[int]:
        return [other for other, goal in self.goals.items() if goal.parent == goal_id]

    def ancestors(self, goal_id: int) -> list[RollupNode]:
        nodes = []
        parent = self.goals[goal_id].parent
        while parent is not None:
            goal = self.goals[parent]
            nodes.append(RollupNode(str(parent), goal.weight, goal.rollup, goal.aggregates))
            parent = goal.parent
        return nodes

    def subtree(self, goal_id: int) -> set[int]:
        below = {goal_id}
        for contributor in self.contributors(goal_id):
            below |= self.subtree(contributor)
        return below

    def recomputed(self, goal_id: int) -> float:
        """The goal's progress computed from scratch, from the measured key results up."""
        goal = self.goals[goal_id]
        if not goal.aggregates:
            return goal.measured
        contributors = self.contributors(goal_id)
        total = sum(self.goals[c].weight for c in contributors)
        if total == 0:
            return 0.0
        return min(sum(self.goals[c].weight * self.recomputed(c) for c in contributors) / total, 1.0)

    def recompute_all(self) -> None:
        for goal_id, goal in self.goals.items():
            if not goal.aggregates:
                continue
            contributors = self.contributors(goal_id)
            goal.rollup = Rollup(
                sum(self.goals[c].weight * self.recomputed(c) for c in contributors),
                sum(self.goals[c].weight for c in contributors),
            )

    def changed(
        self, goal_id: int, old_weight: float, old_progress: float, new_weight: float, new_progress: float
    ) -> None:
        ancestors = self.ancestors(goal_id)
        updated = propagate(ancestors, old_weight, old_progress, new_weight, new_progress)
        assert [node.id for node in updated] == [node.id for node in ancestors[: len(updated)]]
        for node in updated:
            self.goals[int(node.id)].rollup = node.rollup

    def new_id(self) -> int:
        return max(self.goals, default=-1) + 1

    def add(self, goal: Goal) -> None:
        goal_id = self.new_id()
        self.goals[goal_id] = goal
        self.changed(goal_id, 0.0, 0.0, goal.weight, self.progress(goal_id))

    def measure(self, goal_id: int, progress: float) -> None:
        before = self.progress(goal_id)
        self.goals[goal_id].measured = progress
        self.changed(goal_id, self.goals[goal_id].weight, before, self.goals[goal_id].weight, progress)

    def reweigh(self, goal_id: int, weight: float) -> None:
        before = self.goals[goal_id].weight
        self.goals[goal_id].weight = weight
        self.changed(goal_id, before, self.progress(goal_id), weight, self.progress(goal_id))

    def remove(self, goal_id: int) -> None:
        self.changed(goal_id, self.goals[goal_id].weight, self.progress(goal_id), 0.0, 0.0)
        del self.goals[goal_id]

    def realign(self, goal_id: int, parent: int | None) -> None:
        weight, progress = self.goals[goal_id].weight, self.progress(goal_id)
        self.changed(goal_id, weight, progress, 0.0, 0.0)
        self.goals[goal_id].parent = parent
        self.changed(goal_id, 0.0, 0.0, weight, progress)


# Weights with two decimals up to 100, as people set shares; exact zeros are common on purpose.
weights = st.just(0.0) | st.just(1.0) | st.decimals(0, 100, places=2).map(float)
progresses = st.floats(0.0, 1.0)


def drawn_goal(data: st.DataObject, forest: Forest) -> Goal:
    objectives = [goal_id for goal_id, goal in forest.goals.items() if not goal.is_key_result]
    if objectives and data.draw(st.booleans()):
        aggregates = data.draw(st.booleans())
        measured = 0.0 if aggregates else data.draw(progresses)
        return Goal(data.draw(st.sampled_from(objectives)), data.draw(weights), True, aggregates, measured)
    # One parent in the list is "none", so most objectives align somewhere and trees grow deep.
    parent = data.draw(st.sampled_from([None, *sorted(forest.goals)]))
    return Goal(parent, data.draw(weights), is_key_result=False, aggregates=True)


def update(data: st.DataObject, forest: Forest) -> None:
    goal_ids = sorted(forest.goals)
    action = data.draw(st.sampled_from(["add", "measure", "reweigh", "remove", "realign"]))
    if action == "add" or not goal_ids:
        forest.add(drawn_goal(data, forest))
    elif action == "measure":
        measured = [goal_id for goal_id in goal_ids if not forest.goals[goal_id].aggregates]
        if measured:
            forest.measure(data.draw(st.sampled_from(measured)), data.draw(progresses))
    elif action == "reweigh":
        forest.reweigh(data.draw(st.sampled_from(goal_ids)), data.draw(weights))
    elif action == "remove":
        forest.remove(data.draw(st.sampled_from([g for g in goal_ids if not forest.contributors(g)])))
    else:
        objectives = [goal_id for goal_id in goal_ids if not forest.goals[goal_id].is_key_result]
        if objectives:
            objective = data.draw(st.sampled_from(objectives))
            outside = sorted(set(goal_ids) - forest.subtree(objective))
            forest.realign(objective, data.draw(st.sampled_from([None, *outside])))


@FAST
@given(st.integers(1, 20), st.integers(0, 30), st.data())
def test_incremental_rollup_equals_recomputation_after_any_sequence_of_updates(
    size: int, updates: int, data: st.DataObject
) -> None:
    forest = Forest()
    for _ in range(size):
        forest.goals[forest.new_id()] = drawn_goal(data, forest)
    forest.recompute_all()

    for _ in range(updates):
        update(data, forest)

        for goal_id in forest.goals:
            assert forest.progress(goal_id) == pytest.approx(forest.recomputed(goal_id), abs=1e-9)
