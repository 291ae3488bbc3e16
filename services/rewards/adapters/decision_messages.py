"""Outcome policies and decisions as the contract's protobuf messages; and the PolicyPublished event."""

from __future__ import annotations

from collections.abc import Sequence

from fulcrum.rewards.v1 import events_pb2, rewards_pb2
from google.protobuf.message import Message

from services.chassis.errors import FieldViolation, InvalidArgument, refuse
from services.chassis.timestamps import timestamp_message
from services.rewards.adapters.action_messages import (
    action_message,
    action_spec_from_message,
    action_spec_message,
)
from services.rewards.adapters.events import event_message
from services.rewards.domain.actions import Action, ActionSpec
from services.rewards.domain.decisions import DecisionStatus
from services.rewards.domain.policies import OutcomePolicy, PolicyPublished, PolicyRule, RuleConditions
from services.rewards.service_layer.ports import GradeDecision

DECISION_STATUS_TO_PROTO = {
    DecisionStatus.DECIDED: rewards_pb2.DECISION_STATUS_DECIDED,
    DecisionStatus.NO_POLICY: rewards_pb2.DECISION_STATUS_NO_POLICY,
    DecisionStatus.NO_RULE: rewards_pb2.DECISION_STATUS_NO_RULE,
    DecisionStatus.SUPERSEDED: rewards_pb2.DECISION_STATUS_SUPERSEDED,
}


def policy_message(policy: OutcomePolicy) -> rewards_pb2.OutcomePolicy:
    return rewards_pb2.OutcomePolicy(
        version=policy.version,
        name=policy.name,
        effective_from=policy.effective_from.isoformat() if policy.effective_from else "",
        grades=list(policy.grades),
        rules=[_rule_message(rule) for rule in policy.rules],
        note=policy.note,
        published_by=policy.published_by,
        publish_time=timestamp_message(policy.published_at),
    )


def _rule_message(rule: PolicyRule) -> rewards_pb2.PolicyRule:
    conditions = rule.conditions
    return rewards_pb2.PolicyRule(
        id=rule.id,
        grade=rule.grade,
        conditions=rewards_pb2.RuleConditions(
            position_ids=list(conditions.position_ids),
            unit_ids=list(conditions.unit_ids),
            previous_grades=list(conditions.previous_grades),
        ),
        actions=[action_spec_message(spec) for spec in rule.actions],
        description=rule.description,
    )


def policy_from_message(message: rewards_pb2.OutcomePolicy) -> OutcomePolicy:
    """The policy a client sent, without its effective date (the use case reads that text itself);
    INVALID_ARGUMENT naming every action that sets no kind or an amount that is not money."""
    problems: list[FieldViolation] = []
    rules = []
    for rule_index, rule in enumerate(message.rules):
        actions: list[ActionSpec] = []
        for action_index, spec in enumerate(rule.actions):
            field = f"policy.rules[{rule_index}].actions[{action_index}]"
            try:
                actions.append(action_spec_from_message(spec, field))
            except InvalidArgument as error:
                problems.append(FieldViolation(field, error.message))
        conditions = rule.conditions
        rules.append(
            PolicyRule(
                id=rule.id,
                grade=rule.grade,
                conditions=RuleConditions(
                    position_ids=tuple(conditions.position_ids),
                    unit_ids=tuple(conditions.unit_ids),
                    previous_grades=tuple(conditions.previous_grades),
                ),
                actions=tuple(actions),
                description=rule.description,
            )
        )
    refuse(problems)
    return OutcomePolicy(
        version=0,
        name=message.name,
        effective_from=None,
        grades=tuple(message.grades),
        rules=tuple(rules),
        note=message.note,
    )


def decision_message(decided: GradeDecision, actions: Sequence[Action]) -> rewards_pb2.Decision:
    decision, grade = decided.decision, decided.grade
    return rewards_pb2.Decision(
        id=decision.id,
        cycle_id=decision.cycle_id,
        cycle_name=grade.cycle_name,
        employee_id=decision.employee_id,
        unit_id=decision.unit_id,
        position_id=grade.position_id,
        grade=decision.grade,
        score=grade.score,
        revision=decision.revision,
        status=DECISION_STATUS_TO_PROTO[decision.status],
        policy_version=decision.policy_version,
        rule_id=decision.rule_id,
        reason=decision.reason,
        actions=[action_message(action) for action in actions],
        decide_time=timestamp_message(decision.decided_at),
    )


@event_message.register
def _(event: PolicyPublished) -> Message:
    return events_pb2.PolicyPublished(policy=policy_message(event.policy))
