"""Improvement plans (R3) as plain objects: every transition an active plan allows, every one a closed
plan refuses, and the HR alert an escalation raises."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.chassis.errors import FailedPrecondition, InvalidArgument
from services.rewards.domain.actions import ActionKind, ActionOrigin, HrAlertKind
from services.rewards.domain.pips import (
    Pip,
    PipCheckIn,
    PipGoal,
    PipStatus,
    escalation_action,
    goal_problems,
    text_problem,
)

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
LATER = NOW + timedelta(days=7)


def plan(*goals: PipGoal, escalation: HrAlertKind | None = HrAlertKind.EXIT_REVIEW) -> Pip:
    return Pip.open(
        employee_id="op-7",
        manager_id="lead",
        cycle_id="",
        reason="defect rate 4%",
        today=TODAY,
        now=NOW,
        escalation=escalation,
        goals=list(goals) or [PipGoal("g1", "defect rate below 3%"), PipGoal("g2", "training done")],
    )


def check_in(*met: str) -> PipCheckIn:
    return PipCheckIn("c1", "lead", "week 2", met, LATER)


def test_a_plan_opens_active_for_ninety_days_by_default():
    opened = plan()

    assert opened.status is PipStatus.ACTIVE
    assert opened.deadline == TODAY + timedelta(days=90)
    assert opened.version == 1


def test_a_check_in_marks_its_goals_met_and_is_kept():
    opened = plan()

    opened.check_in(check_in("g1"))

    assert [goal.met for goal in opened.goals] == [True, False]
    assert opened.check_ins == [check_in("g1")]
    assert (opened.version, opened.updated_at) == (2, LATER)


def test_a_check_in_naming_another_plans_goal_is_refused_and_changes_nothing():
    opened = plan()

    with pytest.raises(InvalidArgument) as refused:
        opened.check_in(check_in("g1", "elsewhere"))

    assert [violation.field for violation in refused.value.violations] == ["met_goal_ids[1]"]
    assert opened.check_ins == []
    assert not any(goal.met for goal in opened.goals)
    assert opened.version == 1


def test_completing_needs_every_goal_met():
    opened = plan()
    opened.check_in(check_in("g1"))

    with pytest.raises(FailedPrecondition) as refused:
        opened.complete(note="done", now=LATER)

    assert [violation.field for violation in refused.value.violations] == ["goal:g2"]
    assert opened.status is PipStatus.ACTIVE
    opened.check_in(check_in("g2"))
    opened.complete(note="goals reached", now=LATER)
    assert (opened.status, opened.outcome_note) == (PipStatus.COMPLETED, "goals reached")


def test_extending_moves_the_deadline_later_and_counts_the_extension():
    opened = plan()
    later = opened.deadline + timedelta(days=30)

    opened.extend(new_deadline=later, today=TODAY, note="one more month", now=LATER)

    assert (opened.deadline, opened.extensions, opened.status) == (later, 1, PipStatus.ACTIVE)


@pytest.mark.parametrize("days_after_deadline", [0, -1])
def test_an_extension_to_the_same_or_an_earlier_deadline_is_refused(days_after_deadline):
    opened = plan()

    with pytest.raises(InvalidArgument):
        opened.extend(
            new_deadline=opened.deadline + timedelta(days=days_after_deadline),
            today=TODAY,
            note="",
            now=LATER,
        )

    assert opened.extensions == 0


def test_an_overdue_plan_cannot_be_extended_to_a_day_already_past():
    opened = plan()
    long_after = opened.deadline + timedelta(days=20)

    with pytest.raises(InvalidArgument):
        opened.extend(new_deadline=opened.deadline + timedelta(days=10), today=long_after, note="", now=LATER)


def test_escalating_raises_the_plans_hr_alert_under_a_stable_key():
    opened = plan()

    opened.escalate(note="no improvement", now=LATER)
    alert = escalation_action("acme", opened, escalated_by="lead", now=LATER)

    assert opened.status is PipStatus.ESCALATED
    assert alert is not None
    assert alert.idempotency_key == f"acme/pip/{opened.id}/escalation"
    assert (alert.kind, alert.spec.hr_alert, alert.spec.label) == (
        ActionKind.HR_ALERT,
        HrAlertKind.EXIT_REVIEW,
        "no improvement",
    )
    assert (alert.origin, alert.origin_id, alert.employee_id) == (
        ActionOrigin.PIP_ESCALATION,
        opened.id,
        "op-7",
    )


def test_a_plan_without_an_alert_kind_raises_no_action_when_escalated():
    opened = plan(escalation=None)
    opened.escalate(note="", now=LATER)

    assert escalation_action("acme", opened, escalated_by="lead", now=LATER) is None


def completed() -> Pip:
    closed = plan(PipGoal("g1", "defect rate below 3%", met=True))
    closed.complete(note="", now=LATER)
    return closed


def escalated() -> Pip:
    closed = plan()
    closed.escalate(note="", now=LATER)
    return closed


CHANGES = {
    "revise": lambda pip: pip.revise(now=LATER, reason="new reason"),
    "check_in": lambda pip: pip.check_in(check_in()),
    "complete": lambda pip: pip.complete(note="", now=LATER),
    "extend": lambda pip: pip.extend(
        new_deadline=pip.deadline + timedelta(days=9), today=TODAY, note="", now=LATER
    ),
    "escalate": lambda pip: pip.escalate(note="", now=LATER),
}


@pytest.mark.parametrize("closed", [completed, escalated], ids=["completed", "escalated"])
@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_closed_plan_refuses_every_change(closed, change):
    pip = closed()
    before = (pip.status, pip.version, pip.reason, pip.deadline, list(pip.check_ins))

    with pytest.raises(FailedPrecondition) as refused:
        change(pip)

    assert [violation.field for violation in refused.value.violations] == [f"pip:{pip.id}"]
    assert (pip.status, pip.version, pip.reason, pip.deadline, list(pip.check_ins)) == before


def test_revising_keeps_the_plan_active_and_raises_its_version():
    opened = plan()

    opened.revise(now=LATER, goals=[PipGoal("g3", "zero escapes")])

    assert [goal.id for goal in opened.goals] == ["g3"]
    assert (opened.status, opened.version) == (PipStatus.ACTIVE, 2)


def test_goals_and_texts_are_checked():
    too_many = [PipGoal(f"g{n}", "goal") for n in range(21)]

    assert [v.field for v in goal_problems([PipGoal("g", " ")], "goals")] == ["goals[0].description"]
    assert [v.field for v in goal_problems(too_many, "goals")] == ["goals"]
    assert text_problem("", required=True) == "is required"
    assert text_problem("", required=False) is None
    assert text_problem("x" * 4001, required=False)
