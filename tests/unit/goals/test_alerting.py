"""Threshold alerts: raised once per breach, cleared on recovery, unmoved by late readings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.goals.domain.alerting import Comparison, Transition, Watch, breaches, observe

FAST = settings(max_examples=300, deadline=None)
FIRST_DAY = date(2026, 11, 2)


@pytest.mark.parametrize(
    ("comparison", "value", "expected"),
    [
        (Comparison.GREATER_THAN, 3.4, True),
        (Comparison.GREATER_THAN, 3.0, False),
        (Comparison.GREATER_OR_EQUAL, 3.0, True),
        (Comparison.GREATER_OR_EQUAL, 2.9, False),
        (Comparison.LESS_THAN, 2.9, True),
        (Comparison.LESS_THAN, 3.0, False),
        (Comparison.LESS_OR_EQUAL, 3.0, True),
        (Comparison.LESS_OR_EQUAL, 3.1, False),
    ],
)
def test_a_value_breaches_when_it_crosses_the_threshold_by_the_rules_comparison(
    comparison: Comparison, value: float, expected: bool
) -> None:
    assert breaches(comparison, 3.0, value) is expected


@pytest.mark.parametrize("comparison", list(Comparison))
def test_a_period_without_a_value_breaches_nothing(comparison: Comparison) -> None:
    assert breaches(comparison, 3.0, None) is False


def test_an_operators_daily_defect_rate_above_three_percent_alerts_once_per_breach() -> None:
    daily_rates = [2.5, 3.4, 3.8, 2.9, 3.1, None]
    watch = Watch()
    transitions = []

    for offset, rate in enumerate(daily_rates):
        watch, transition = observe(
            watch, FIRST_DAY + timedelta(days=offset), breaches(Comparison.GREATER_THAN, 3.0, rate)
        )
        transitions.append(transition)

    assert transitions == [
        Transition.NONE,
        Transition.RAISE,
        Transition.NONE,
        Transition.CLEAR,
        Transition.RAISE,
        Transition.CLEAR,  # a day without production has no rate: the breach is over
    ]
    assert watch == Watch(open=False, period_start=FIRST_DAY + timedelta(days=5))


def test_a_late_reading_for_an_older_period_moves_no_alert() -> None:
    today = FIRST_DAY + timedelta(days=3)
    open_today = Watch(open=True, period_start=today)

    assert observe(open_today, FIRST_DAY, breaching=False) == (open_today, Transition.NONE)
    assert observe(Watch(False, today), FIRST_DAY, breaching=True) == (Watch(False, today), Transition.NONE)


def test_a_new_value_for_the_current_period_can_clear_its_alert() -> None:
    open_today = Watch(open=True, period_start=FIRST_DAY)

    assert observe(open_today, FIRST_DAY, breaching=False) == (
        Watch(open=False, period_start=FIRST_DAY),
        Transition.CLEAR,
    )


# Each step: days after the previous period (0 = the same period again), breaching or not, and how
# many days before the latest period a late reading lands (None = no late reading after this step).
steps = st.lists(
    st.tuples(st.integers(0, 3), st.booleans(), st.none() | st.integers(1, 30)),
    min_size=1,
    max_size=40,
)


@FAST
@given(steps)
def test_alerts_are_raised_once_per_breach_and_cleared_in_turn_whatever_arrives_late(
    observations: list[tuple[int, bool, int | None]],
) -> None:
    watch = Watch()
    day = FIRST_DAY
    in_order: list[Transition] = []

    for gap, breaching, late_by in observations:
        day += timedelta(days=gap)
        watch, transition = observe(watch, day, breaching)
        in_order.append(transition)
        if late_by is not None:
            assert observe(watch, day - timedelta(days=late_by), not breaching) == (watch, Transition.NONE)

    breaching_runs = sum(
        1
        for index, (_, breaching, _) in enumerate(observations)
        if breaching and (index == 0 or not observations[index - 1][1])
    )
    moves = [transition for transition in in_order if transition is not Transition.NONE]
    assert moves.count(Transition.RAISE) == breaching_runs
    assert moves == [Transition.RAISE, Transition.CLEAR] * (len(moves) // 2) + [Transition.RAISE] * (
        len(moves) % 2
    )
    assert watch == Watch(open=observations[-1][1], period_start=day)
