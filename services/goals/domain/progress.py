"""Progress of key results and objectives, their status, and the incremental roll-up (G1, G6).

An objective's progress is the weighted progress of its contributors: its key results and the
objectives aligned to it. A key result measured by its aligned objectives aggregates the same way.
Each aggregating node keeps the two sums its progress is made of (Rollup), so when one contributor
changes, each ancestor is updated in constant time and the whole update costs the depth of the tree.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

DONE_TOLERANCE = 1e-9
AT_RISK_GAP = 0.10
OFF_TRACK_GAP = 0.25
# Sums are updated by adding and subtracting floats, so contributors that are all removed can leave
# a rounding residue instead of 0; a total weight this small is treated as no weight at all.
NO_WEIGHT = 1e-9


class Direction(enum.Enum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class GoalStatus(enum.Enum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    DONE = "done"
    EXPIRED = "expired"


def measured_progress(start: float, target: float, current: float | None, direction: Direction) -> float:
    """How far `current` has come from `start` to `target`, 0..1; no value yet is 0."""
    if current is None:
        return 0.0
    # Halves keep the difference of any two finite values finite (15e307 - -15e307 would overflow).
    span = target / 2 - start / 2
    if span == 0:
        reached = current >= target if direction is Direction.HIGHER_IS_BETTER else current <= target
        return 1.0 if reached else 0.0
    return min(max((current / 2 - start / 2) / span, 0.0), 1.0)


def direction_problem(start: float, target: float, direction: Direction) -> str | None:
    if direction is Direction.HIGHER_IS_BETTER and target < start:
        return "target_value must be above start_value for a higher-is-better key result"
    if direction is Direction.LOWER_IS_BETTER and target > start:
        return "target_value must be below start_value for a lower-is-better key result"
    return None


def expected_pace(period_start: date, period_end: date, today: date) -> float:
    """The fraction of the period elapsed by `today`: 0 until it starts, 1 from its last day."""
    if today >= period_end:
        return 1.0
    if today <= period_start:
        return 0.0
    return (today - period_start).days / (period_end - period_start).days


def status_of(progress: float, period_start: date, period_end: date, today: date) -> GoalStatus:
    if progress >= 1.0 - DONE_TOLERANCE:
        return GoalStatus.DONE
    if today > period_end:
        return GoalStatus.EXPIRED
    behind = expected_pace(period_start, period_end, today) - progress
    # The tolerance keeps a gap of exactly 10 or 25 points on the kinder side despite rounding.
    if behind > OFF_TRACK_GAP + DONE_TOLERANCE:
        return GoalStatus.OFF_TRACK
    if behind > AT_RISK_GAP + DONE_TOLERANCE:
        return GoalStatus.AT_RISK
    return GoalStatus.ON_TRACK


@dataclass(frozen=True)
class Rollup:
    """The sum of weight * progress and the sum of weights over an aggregating node's contributors."""

    weighted_sum: float = 0.0
    weight_sum: float = 0.0

    @property
    def progress(self) -> float:
        if self.weight_sum <= NO_WEIGHT:
            return 0.0
        return min(max(self.weighted_sum / self.weight_sum, 0.0), 1.0)

    def changed(
        self, old_weight: float, old_progress: float, new_weight: float, new_progress: float
    ) -> Rollup:
        """After one contributor changed; a new one has old_weight 0, a removed one new_weight 0."""
        weight_sum = self.weight_sum - old_weight + new_weight
        if weight_sum <= NO_WEIGHT:
            return Rollup()
        weighted_sum = self.weighted_sum - old_weight * old_progress + new_weight * new_progress
        return Rollup(weighted_sum, weight_sum)


@dataclass(frozen=True)
class RollupNode:
    """An ancestor of a changed node, as the roll-up sees it.

    `aggregates` is False for a key result measured by value or by a metric: objectives aligned to it
    are there for traceability and do not move its progress, so a change stops there.
    """

    id: str
    weight: float
    rollup: Rollup
    aggregates: bool


def propagate(
    ancestors: Sequence[RollupNode],
    old_weight: float,
    old_progress: float,
    new_weight: float,
    new_progress: float,
) -> list[RollupNode]:
    """The ancestors (nearest first) whose rollup changed when one node's weight or progress did.

    `ancestors` are the changed node's parent, grandparent, ... up to the root. The walk stops at the
    first ancestor that does not aggregate, or whose rollup or progress stays the same.
    """
    changed = []
    for ancestor in ancestors:
        if not ancestor.aggregates:
            break
        rollup = ancestor.rollup.changed(old_weight, old_progress, new_weight, new_progress)
        if rollup == ancestor.rollup:
            break
        changed.append(replace(ancestor, rollup=rollup))
        old_progress, new_progress = ancestor.rollup.progress, rollup.progress
        if old_progress == new_progress:
            break
        old_weight = new_weight = ancestor.weight
    return changed
