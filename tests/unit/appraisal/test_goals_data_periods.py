"""A cycle reads goals' value for exactly its own period: an annual cycle goals' year, a quarterly one
its quarter, a monthly one its month; a half-year cycle, or dates that are no calendar period, none."""

from __future__ import annotations

from datetime import date

import pytest

from services.appraisal.domain.goals_data import GoalsPeriodKind, goals_period_kind


@pytest.mark.parametrize(
    ("cycle", "start", "end", "expected"),
    [
        ("annual", date(2025, 1, 1), date(2025, 12, 31), GoalsPeriodKind.YEAR),
        ("quarterly Q1", date(2025, 1, 1), date(2025, 3, 31), GoalsPeriodKind.QUARTER),
        ("quarterly Q4", date(2025, 10, 1), date(2025, 12, 31), GoalsPeriodKind.QUARTER),
        ("monthly", date(2025, 3, 1), date(2025, 3, 31), GoalsPeriodKind.MONTH),
        ("monthly, leap February", date(2024, 2, 1), date(2024, 2, 29), GoalsPeriodKind.MONTH),
        ("monthly, December", date(2025, 12, 1), date(2025, 12, 31), GoalsPeriodKind.MONTH),
    ],
)
def test_a_cycle_over_a_calendar_year_quarter_or_month_reads_that_goals_period(
    cycle: str, start: date, end: date, expected: GoalsPeriodKind
):
    assert goals_period_kind(start, end) is expected, cycle


@pytest.mark.parametrize(
    ("cycle", "start", "end"),
    [
        ("half year H1", date(2025, 1, 1), date(2025, 6, 30)),
        ("half year H2", date(2025, 7, 1), date(2025, 12, 31)),
        ("three months off the quarters", date(2025, 2, 1), date(2025, 4, 30)),
        ("a year from April", date(2025, 4, 1), date(2026, 3, 31)),
        ("a month that ends a day early", date(2025, 3, 1), date(2025, 3, 30)),
        ("a month that starts a day late", date(2025, 3, 2), date(2025, 3, 31)),
        ("two years", date(2025, 1, 1), date(2026, 12, 31)),
        ("end before start", date(2025, 3, 1), date(2025, 2, 28)),
    ],
)
def test_a_cycle_that_is_no_goals_period_has_no_metric_value(cycle: str, start: date, end: date):
    assert goals_period_kind(start, end) is None, cycle
