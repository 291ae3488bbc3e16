"""When a check-in is due and how overdue it is (G5), and what a recorded check-in must say."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.goals.domain.check_ins import (
    MAX_NOTE_LENGTH,
    Cadence,
    CheckInCadence,
    after_interval,
    cadence_for,
    check_in_violations,
    due_on,
    latest_date_anywhere,
    overdue_check_in,
)

TODAY = date(2026, 11, 23)
NOTES = {"progress": "Line 1 defect rate down to 4%", "problems": "", "support_needed": "", "next_steps": ""}


def cadence(kind: Cadence, started_on: date = date(2026, 1, 5), unit_id: str = "team") -> CheckInCadence:
    return CheckInCadence("tenant", unit_id, kind, started_on, datetime(2026, 1, 5, tzinfo=UTC))


@pytest.mark.parametrize(
    ("kind", "day", "due"),
    [
        (Cadence.WEEKLY, date(2026, 11, 13), date(2026, 11, 20)),
        (Cadence.BIWEEKLY, date(2026, 12, 25), date(2027, 1, 8)),
        (Cadence.MONTHLY, date(2026, 1, 31), date(2026, 2, 28)),
        (Cadence.MONTHLY, date(2028, 1, 31), date(2028, 2, 29)),
        (Cadence.MONTHLY, date(2026, 12, 15), date(2027, 1, 15)),
        (Cadence.QUARTERLY, date(2026, 11, 30), date(2027, 2, 28)),
        (Cadence.QUARTERLY, date(2026, 3, 31), date(2026, 6, 30)),
    ],
)
def test_the_next_check_in_is_one_interval_later_clamped_to_the_end_of_a_shorter_month(kind, day, due):
    assert after_interval(kind, day) == due


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.sampled_from([1, 3]))
def test_a_monthly_interval_moves_the_calendar_month_and_never_skips_one(day, months):
    kind = Cadence.MONTHLY if months == 1 else Cadence.QUARTERLY
    later = after_interval(kind, day)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)


def test_a_weekly_check_in_held_ten_days_ago_is_three_days_overdue():
    found = overdue_check_in("ann", "lead", cadence(Cadence.WEEKLY), TODAY - timedelta(days=10), TODAY)

    assert found is not None
    assert found.due_on == TODAY - timedelta(days=3)
    assert found.days_overdue == 3
    assert (found.employee_id, found.manager_id, found.cadence) == ("ann", "lead", Cadence.WEEKLY)


def test_a_check_in_due_today_is_not_overdue_yet():
    weekly = cadence(Cadence.WEEKLY)
    assert overdue_check_in("ann", "lead", weekly, TODAY - timedelta(days=7), TODAY) is None
    assert overdue_check_in("ann", "lead", weekly, TODAY - timedelta(days=8), TODAY) is not None


def test_without_any_check_in_the_first_is_due_one_interval_after_the_cadence_began():
    monthly = cadence(Cadence.MONTHLY, started_on=date(2026, 10, 1))

    assert due_on(monthly, None) == date(2026, 11, 1)
    found = overdue_check_in("ann", "lead", monthly, None, TODAY)
    assert found is not None
    assert (found.last_held_on, found.days_overdue) == (None, 22)
    assert overdue_check_in("ann", "lead", monthly, None, date(2026, 11, 1)) is None


def test_a_check_in_held_before_the_cadence_began_still_counts_as_the_last_one():
    weekly = cadence(Cadence.WEEKLY, started_on=TODAY - timedelta(days=2))

    assert due_on(weekly, TODAY - timedelta(days=30)) == TODAY - timedelta(days=23)


def test_a_unit_without_its_own_cadence_takes_the_nearest_ancestors():
    cadences = {
        "company": cadence(Cadence.QUARTERLY, unit_id="company"),
        "production": cadence(Cadence.MONTHLY, unit_id="production"),
    }

    assert cadence_for(["line1", "production", "company"], cadences) == cadences["production"]
    assert cadence_for(["quality", "company"], cadences) == cadences["company"]
    assert cadence_for(["production", "company"], cadences) == cadences["production"]
    assert cadence_for(["elsewhere"], cadences) is None


def test_the_latest_possible_meeting_day_is_today_in_the_time_zone_furthest_ahead():
    assert latest_date_anywhere(datetime(2026, 11, 23, 9, 59, tzinfo=UTC)) == date(2026, 11, 23)
    assert latest_date_anywhere(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)) == date(2026, 11, 24)


def violations(**changes):
    values = {"employee_id": "ann", "held_on": "2026-11-20", "notes": NOTES, "objective_ids": ()}
    values.update(changes)
    found = check_in_violations(latest=TODAY, **values)
    return {violation.field: violation.description for violation in found}


def test_a_check_in_that_says_something_about_a_past_meeting_is_fine():
    assert violations() == {}
    assert violations(held_on=TODAY.isoformat(), objective_ids=("o1", "o2")) == {}


def test_each_problem_of_a_check_in_is_named_at_once():
    found = violations(
        employee_id="",
        held_on="23/11/2026",
        notes={**NOTES, "problems": "x" * (MAX_NOTE_LENGTH + 1)},
        objective_ids=("o1", "", "o1"),
    )

    assert set(found) == {
        "check_in.employee_id",
        "check_in.held_on",
        "check_in.problems",
        "check_in.objective_ids[1]",
        "check_in.objective_ids[2]",
    }
    assert found["check_in.held_on"] == "must be a date as YYYY-MM-DD"
    assert found["check_in.objective_ids[2]"] == "names the same objective twice"


def test_a_check_in_must_be_held_already_and_say_something():
    assert violations(held_on="2026-11-24") == {
        "check_in.held_on": "is in the future: record a check-in once it has been held"
    }
    assert violations(held_on="") == {"check_in.held_on": "is required"}
    assert set(violations(notes=dict.fromkeys(NOTES, "  "))) == {"check_in"}


def test_a_check_in_names_at_most_twenty_objectives():
    assert violations(objective_ids=tuple(f"o{i}" for i in range(20))) == {}
    assert set(violations(objective_ids=tuple(f"o{i}" for i in range(21)))) == {"check_in.objective_ids"}
