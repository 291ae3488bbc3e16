"""Eligibility rules and verdicts, improvement plans and courses as the contract's protobuf messages; and
the PipChanged event.

An eligibility rule's cycle kind the contract does not know becomes UNSPECIFIED, which the rules' checks
refuse naming the rule (None, unset, means any kind).
"""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2
from fulcrum.rewards.v1 import events_pb2, rewards_pb2
from google.protobuf.message import Message

from services.chassis.timestamps import timestamp_message
from services.rewards.adapters.action_messages import HR_ALERT_KIND_TO_PROTO
from services.rewards.adapters.events import event_message
from services.rewards.domain.eligibility import EligibilityRule, Verdict
from services.rewards.domain.grades import CycleKind, GradeRecord
from services.rewards.domain.pips import Pip, PipChange, PipChanged, PipGoal, PipStatus
from services.rewards.domain.training import Course, Recommendation
from services.rewards.service_layer.pips import PipOutcome
from services.rewards.service_layer.promotions import Candidate
from services.rewards.service_layer.training import CourseFields

CYCLE_KIND_TO_PROTO = {
    CycleKind.ANNUAL: appraisal_pb2.CYCLE_KIND_ANNUAL,
    CycleKind.HALF_YEAR: appraisal_pb2.CYCLE_KIND_HALF_YEAR,
    CycleKind.QUARTERLY: appraisal_pb2.CYCLE_KIND_QUARTERLY,
    CycleKind.MONTHLY: appraisal_pb2.CYCLE_KIND_MONTHLY,
}
CYCLE_KIND_FROM_PROTO = {value: kind for kind, value in CYCLE_KIND_TO_PROTO.items()}
PIP_STATUS_TO_PROTO = {
    PipStatus.ACTIVE: rewards_pb2.PIP_STATUS_ACTIVE,
    PipStatus.COMPLETED: rewards_pb2.PIP_STATUS_COMPLETED,
    PipStatus.ESCALATED: rewards_pb2.PIP_STATUS_ESCALATED,
}
PIP_STATUS_FROM_PROTO = {value: status for status, value in PIP_STATUS_TO_PROTO.items()}
PIP_OUTCOME_FROM_PROTO = {
    rewards_pb2.PIP_OUTCOME_COMPLETED: PipOutcome.COMPLETED,
    rewards_pb2.PIP_OUTCOME_EXTENDED: PipOutcome.EXTENDED,
    rewards_pb2.PIP_OUTCOME_ESCALATED: PipOutcome.ESCALATED,
}
PIP_CHANGE_TO_PROTO = {
    PipChange.OPENED: events_pb2.PIP_CHANGE_OPENED,
    PipChange.EXTENDED: events_pb2.PIP_CHANGE_EXTENDED,
    PipChange.COMPLETED: events_pb2.PIP_CHANGE_COMPLETED,
    PipChange.ESCALATED: events_pb2.PIP_CHANGE_ESCALATED,
}


# --- eligibility (R2)


def eligibility_rule_message(rule: EligibilityRule) -> rewards_pb2.EligibilityRule:
    return rewards_pb2.EligibilityRule(
        id=rule.id,
        name=rule.name,
        target=rule.target,
        required_grade=rule.required_grade,
        consecutive=rule.consecutive,
        # None (any kind) is UNSPECIFIED on the wire.
        cycle_kind=CYCLE_KIND_TO_PROTO.get(rule.cycle_kind, appraisal_pb2.CYCLE_KIND_UNSPECIFIED),
        position_ids=list(rule.position_ids),
    )


def eligibility_rule_from_message(message: rewards_pb2.EligibilityRule) -> EligibilityRule:
    cycle_kind = None
    if message.cycle_kind != appraisal_pb2.CYCLE_KIND_UNSPECIFIED:
        cycle_kind = CYCLE_KIND_FROM_PROTO.get(message.cycle_kind, CycleKind.UNSPECIFIED)
    return EligibilityRule(
        id=message.id,
        name=message.name,
        target=message.target,
        required_grade=message.required_grade,
        consecutive=message.consecutive,
        cycle_kind=cycle_kind,
        position_ids=tuple(dict.fromkeys(message.position_ids)),
    )


def grade_record_message(record: GradeRecord) -> rewards_pb2.GradeRecord:
    return rewards_pb2.GradeRecord(
        cycle_id=record.cycle_id,
        cycle_name=record.cycle_name,
        cycle_kind=CYCLE_KIND_TO_PROTO.get(record.cycle_kind, appraisal_pb2.CYCLE_KIND_UNSPECIFIED),
        period_end=record.period_end.isoformat(),
        grade=record.grade,
        revised=record.revision > 0,
    )


def verdict_message(verdict: Verdict) -> rewards_pb2.EligibilityVerdict:
    return rewards_pb2.EligibilityVerdict(
        rule=eligibility_rule_message(verdict.rule),
        eligible=verdict.eligible,
        explanation=verdict.explanation,
        grades=[grade_record_message(record) for record in verdict.records],
    )


def candidate_message(candidate: Candidate) -> rewards_pb2.PromotionCandidate:
    employee = candidate.employee
    return rewards_pb2.PromotionCandidate(
        employee_id=employee.id,
        display_name=employee.display_name,
        unit_id=employee.unit_id,
        verdict=verdict_message(candidate.verdict),
    )


# --- improvement plans (R3)


def pip_message(pip: Pip) -> rewards_pb2.Pip:
    return rewards_pb2.Pip(
        id=pip.id,
        employee_id=pip.employee_id,
        manager_id=pip.manager_id,
        cycle_id=pip.cycle_id,
        reason=pip.reason,
        goals=[
            rewards_pb2.PipGoal(id=goal.id, description=goal.description, measure=goal.measure, met=goal.met)
            for goal in pip.goals
        ],
        start_date=pip.start_date.isoformat(),
        deadline=pip.deadline.isoformat(),
        status=PIP_STATUS_TO_PROTO[pip.status],
        escalation=HR_ALERT_KIND_TO_PROTO.get(pip.escalation, rewards_pb2.HR_ALERT_KIND_UNSPECIFIED),
        extensions=pip.extensions,
        check_ins=[
            rewards_pb2.PipCheckIn(
                id=check_in.id,
                author_id=check_in.author_id,
                note=check_in.note,
                met_goal_ids=list(check_in.met_goal_ids),
                create_time=timestamp_message(check_in.created_at),
            )
            for check_in in pip.check_ins
        ],
        outcome_note=pip.outcome_note,
        version=pip.version,
        create_time=timestamp_message(pip.created_at),
        update_time=timestamp_message(pip.updated_at),
    )


def pip_goals_from_message(goals: list[rewards_pb2.PipGoal]) -> list[PipGoal]:
    """Goals as sent, with the ids sent; the use cases decide which ids stand."""
    return [PipGoal(goal.id, goal.description, goal.measure, goal.met) for goal in goals]


@event_message.register
def _(event: PipChanged) -> Message:
    return events_pb2.PipChanged(pip=pip_message(event.pip), change=PIP_CHANGE_TO_PROTO[event.change])


# --- training (R4)


def course_message(course: Course) -> rewards_pb2.Course:
    return rewards_pb2.Course(
        code=course.code,
        title=course.title,
        provider=course.provider,
        skills=list(course.skills),
        active=course.active,
        version=course.version,
    )


def course_fields(message: rewards_pb2.Course) -> CourseFields:
    return CourseFields(
        code=message.code,
        title=message.title,
        provider=message.provider,
        skills=tuple(message.skills),
        active=message.active,
    )


def recommendation_message(recommendation: Recommendation) -> rewards_pb2.TrainingRecommendation:
    return rewards_pb2.TrainingRecommendation(
        course=course_message(recommendation.course), reason=recommendation.reason
    )
