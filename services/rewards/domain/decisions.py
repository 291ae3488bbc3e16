"""Decisions (R1, R6): what the policy decided for one revision of an employee's grade, and the actions
it took.

Everything here is keyed by the grade it decides, never by when it was decided: a decision's id is
derived from (tenant, cycle, employee, revision), an action's idempotency key from the same and its
kind, and a plan's id from its action's key. Deciding the same grade again, on any replica and from
any redelivery, names the same things, which the database then refuses to hold twice.

A revised grade supersedes the decision of the revision before: each action that decision took is
cancelled by a compensating action, and the new grade is decided as a grade of its own. An improvement
plan the superseded decision opened stays open (it may already hold goals and check-ins); its
cancellation says so, and HR closes the plan by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from services.rewards.domain.actions import (
    Action,
    ActionKind,
    ActionOrigin,
    ActionSpec,
    cancellation_of,
    grade_action_key,
)
from services.rewards.domain.grades import GradeRecord
from services.rewards.domain.policies import OutcomePolicy, RuleMatch

# Names derived from these stay the same wherever and however often a grade is decided.
_DECISIONS = uuid.UUID("6f1c7a52-94d4-4a8e-9d55-3a0f3e6b2c11")
_PLANS = uuid.UUID("0b8d2e4c-5a7f-4e21-8c3d-9f6a1b2c3d4e")


class DecisionStatus(StrEnum):
    DECIDED = "decided"
    NO_POLICY = "no_policy"
    NO_RULE = "no_rule"
    SUPERSEDED = "superseded"


# Decisions DecideCycle takes up again once a policy covers them.
UNDECIDED = (DecisionStatus.NO_POLICY, DecisionStatus.NO_RULE)


@dataclass(frozen=True)
class Decision:
    id: str
    cycle_id: str
    employee_id: str
    revision: int
    unit_id: str
    grade: str
    status: DecisionStatus
    policy_version: int
    rule_id: str
    reason: str
    decided_at: datetime


def decision_id(tenant_id: str, cycle_id: str, employee_id: str, revision: int) -> str:
    return str(uuid.uuid5(_DECISIONS, f"{tenant_id}/{cycle_id}/{employee_id}/r{revision}"))


def plan_id(action_key: str) -> str:
    """The improvement plan an IMPROVEMENT_PLAN action opens."""
    return str(uuid.uuid5(_PLANS, action_key))


def previous_grades(history: Iterable[GradeRecord], grade: GradeRecord) -> list[str]:
    """The employee's grades of the cycles that ended before this grade's, most recent first; `history`
    holds the latest revision of each cycle."""
    earlier = [
        record
        for record in history
        if record.cycle_id != grade.cycle_id and record.period_end < grade.period_end
    ]
    earlier.sort(key=lambda record: record.period_end, reverse=True)
    return [record.grade for record in earlier]


def decide_grade(
    tenant_id: str,
    grade: GradeRecord,
    policy: OutcomePolicy | None,
    match: RuleMatch | None,
    now: datetime,
) -> tuple[Decision, list[Action]]:
    """The decision for a grade revision and the actions it takes: the matched rule's, or none when no
    policy was in force at the cycle's end (NO_POLICY) or the policy in force has no rule (NO_RULE)."""
    if policy is None:
        status, reason = DecisionStatus.NO_POLICY, f"no outcome policy in force on {grade.period_end}"
    elif match is None:
        status, reason = (
            DecisionStatus.NO_RULE,
            f"policy v{policy.version} has no rule for grade {grade.grade}",
        )
    else:
        status, reason = DecisionStatus.DECIDED, match.reason
    decision = Decision(
        id=decision_id(tenant_id, grade.cycle_id, grade.employee_id, grade.revision),
        cycle_id=grade.cycle_id,
        employee_id=grade.employee_id,
        revision=grade.revision,
        unit_id=grade.unit_id,
        grade=grade.grade,
        status=status,
        policy_version=policy.version if policy is not None else 0,
        rule_id=match.rule.id if match is not None else "",
        reason=reason,
        decided_at=now,
    )
    if match is None:
        return decision, []
    return decision, [_grade_action(tenant_id, decision, spec, now) for spec in match.rule.actions]


def _grade_action(tenant_id: str, decision: Decision, spec: ActionSpec, now: datetime) -> Action:
    key = grade_action_key(tenant_id, decision.cycle_id, decision.employee_id, spec.kind, decision.revision)
    if spec.kind is ActionKind.IMPROVEMENT_PLAN:
        spec = replace(spec, pip_id=plan_id(key))
    return Action(
        idempotency_key=key,
        employee_id=decision.employee_id,
        cycle_id=decision.cycle_id,
        origin=ActionOrigin.GRADE if decision.revision == 0 else ActionOrigin.GRADE_REVISION,
        origin_id=decision.id,
        spec=spec,
        reason=decision.reason,
        decided_at=now,
    )


def superseded(decision: Decision) -> Decision:
    return replace(decision, status=DecisionStatus.SUPERSEDED)


def cancellations(
    previous: Sequence[Action], decision: Decision, previous_grade: str, now: datetime
) -> list[Action]:
    """Compensating actions, under the new decision, for every action the superseded decision took
    (not for the cancellations it carried: what they undid stays undone)."""
    change = f"grade revised from {previous_grade} to {decision.grade} (revision {decision.revision})"
    cancelled = []
    for action in previous:
        if action.cancels_key:
            continue
        reason = f"{change}: cancels {action.reason}"
        if action.kind is ActionKind.IMPROVEMENT_PLAN:
            reason += f"; improvement plan {action.spec.pip_id} stays open until HR closes it"
        cancelled.append(cancellation_of(action, decision.id, reason, now))
    return cancelled


def arrived_after_revision(tenant_id: str, grade: GradeRecord, now: datetime) -> Decision:
    """The decision of a finalized grade that arrived after a revision of it: kept as history, it takes
    no action, since the revision decides."""
    decision, _ = decide_grade(tenant_id, grade, None, None, now)
    return replace(
        decision,
        status=DecisionStatus.SUPERSEDED,
        reason="the finalized grade arrived after its revision by appeal, which decides instead",
    )
