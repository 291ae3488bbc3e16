"""Outcome policies (R1): per tenant and versioned, what each grade sets in motion.

A policy lists its grades and, in order, rules of a grade with optional conditions (the employee's
position, unit, and grades of earlier cycles) and the actions they take. For an employee's grade the
first rule of that grade whose conditions hold fires. A valid policy therefore decides every grade it
lists exactly once: each grade has one rule without conditions (its default), and no rule is shadowed
by an earlier rule of its grade that holds whenever it does (which also puts the default last).

The version in force on a date is the one with the latest effective date on or before it; of versions
sharing that date, the one published last. A cycle is decided by the version in force at its end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from services.chassis.errors import FieldViolation
from services.rewards.domain.actions import DEFAULT_PLAN_DAYS, ActionKind, ActionSpec
from services.rewards.domain.grades import GradeRecord

MAX_NAME = 200
MAX_GRADE = 16
MAX_RULE_ID = 64
MAX_DESCRIPTION = 2000
MAX_NOTE = 2000
MAX_RULES = 200
SALARY_PERCENT_RANGE = (-50.0, 100.0)
BONUS_PERCENT_MAX = 1000.0
PLAN_DAYS_RANGE = (1, 730)


@dataclass(frozen=True)
class RuleConditions:
    """Every condition given must hold; none given makes the rule its grade's default."""

    position_ids: tuple[str, ...] = ()
    # The employee's unit is one of these or below one of them.
    unit_ids: tuple[str, ...] = ()
    # The employee's grades of the cycles before, most recent first, begin with these.
    previous_grades: tuple[str, ...] = ()

    @property
    def none(self) -> bool:
        return not (self.position_ids or self.unit_ids or self.previous_grades)

    def hold(self, position_id: str, unit_line: Iterable[str], previous_grades: Sequence[str]) -> bool:
        """`unit_line`: the employee's unit and every unit above it."""
        if self.position_ids and position_id not in self.position_ids:
            return False
        if self.unit_ids and set(self.unit_ids).isdisjoint(unit_line):
            return False
        wanted = self.previous_grades
        return tuple(previous_grades[: len(wanted)]) == wanted

    def hold_whenever(self, later: RuleConditions) -> bool:
        """True when these conditions hold for every employee `later`'s hold for."""
        return (
            _covers(self.position_ids, later.position_ids)
            and _covers(self.unit_ids, later.unit_ids)
            and later.previous_grades[: len(self.previous_grades)] == self.previous_grades
        )


def _covers(earlier: tuple[str, ...], later: tuple[str, ...]) -> bool:
    return not earlier or (bool(later) and set(later) <= set(earlier))


@dataclass(frozen=True)
class PolicyRule:
    id: str
    grade: str
    conditions: RuleConditions
    actions: tuple[ActionSpec, ...]
    description: str = ""


@dataclass(frozen=True)
class OutcomePolicy:
    """One published version; templates and drafts have version 0 and no publisher."""

    version: int
    name: str
    effective_from: date | None
    grades: tuple[str, ...]
    rules: tuple[PolicyRule, ...]
    note: str = ""
    published_by: str = ""
    published_at: datetime | None = None


@dataclass(frozen=True)
class RuleMatch:
    """The rule of a policy version that fired for a grade."""

    policy: OutcomePolicy
    rule: PolicyRule

    @property
    def reason(self) -> str:
        return f"grade {self.rule.grade} under rule {self.rule.id} of policy v{self.policy.version}"


@dataclass(frozen=True)
class PolicyPublished:
    """Domain event: a new version of the tenant's policy (X2)."""

    policy: OutcomePolicy


def decide(
    policy: OutcomePolicy,
    grade: GradeRecord,
    previous_grades: Sequence[str],
    unit_ancestor_ids: Iterable[str],
) -> RuleMatch | None:
    """The first rule of the grade whose conditions hold; None when the policy does not cover the grade.
    `previous_grades`: the employee's grades of earlier cycles, most recent first."""
    unit_line = {grade.unit_id, *unit_ancestor_ids}
    for rule in policy.rules:
        if rule.grade == grade.grade and rule.conditions.hold(grade.position_id, unit_line, previous_grades):
            return RuleMatch(policy, rule)
    return None


def policy_in_force(policies: Iterable[OutcomePolicy], on: date) -> OutcomePolicy | None:
    effective = [policy for policy in policies if policy.effective_from and policy.effective_from <= on]
    return max(effective, key=lambda policy: (policy.effective_from, policy.version), default=None)


def parse_date(text: str) -> date | None:
    """A calendar date written YYYY-MM-DD, or None."""
    if len(text) != len("YYYY-MM-DD"):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def with_defaults(policy: OutcomePolicy) -> OutcomePolicy:
    """The policy as it is kept: improvement plans without a duration get the default one."""
    return replace(
        policy,
        rules=tuple(
            replace(rule, actions=tuple(_with_plan_days(spec) for spec in rule.actions))
            for rule in policy.rules
        ),
    )


def with_course_titles(rule: PolicyRule, titles: Mapping[str, str]) -> PolicyRule:
    """The rule with the catalog's title on each training action that has none; a course the catalog
    does not hold keeps an empty title."""

    def titled(spec: ActionSpec) -> ActionSpec:
        if spec.kind is not ActionKind.TRAINING or spec.course_title:
            return spec
        return replace(spec, course_title=titles.get(spec.course_code, ""))

    return replace(rule, actions=tuple(titled(spec) for spec in rule.actions))


def untitled_courses(rules: Iterable[PolicyRule]) -> bool:
    """Some training action of the rules has no course title yet."""
    return any(
        spec.kind is ActionKind.TRAINING and not spec.course_title for rule in rules for spec in rule.actions
    )


def _with_plan_days(spec: ActionSpec) -> ActionSpec:
    if spec.kind is ActionKind.IMPROVEMENT_PLAN and not spec.duration_days:
        return replace(spec, duration_days=DEFAULT_PLAN_DAYS)
    return spec


def policy_problems(policy: OutcomePolicy) -> list[FieldViolation]:
    """Everything wrong with a policy's name, grades and rules; fields are named from the policy down
    ("rules[2].actions[0]")."""
    problems = []
    if not policy.name.strip() or len(policy.name) > MAX_NAME:
        problems.append(FieldViolation("name", f"is required, at most {MAX_NAME} characters"))
    if len(policy.note) > MAX_NOTE:
        problems.append(FieldViolation("note", f"must be at most {MAX_NOTE} characters"))
    problems += _grade_problems(policy.grades)
    if len(policy.rules) > MAX_RULES:
        problems.append(FieldViolation("rules", f"must be at most {MAX_RULES}"))
    ids = Counter(rule.id for rule in policy.rules)
    for index, rule in enumerate(policy.rules):
        problems += _rule_problems(f"rules[{index}]", rule, policy.grades, ids)
        problems += _shadowing(index, policy.rules)
    problems += _missing_defaults(policy)
    return problems


def _grade_problems(grades: Sequence[str]) -> list[FieldViolation]:
    problems = []
    if not grades:
        problems.append(FieldViolation("grades", "must list at least one grade"))
    seen: set[str] = set()
    for index, grade in enumerate(grades):
        if not grade.strip() or len(grade) > MAX_GRADE:
            problems.append(
                FieldViolation(f"grades[{index}]", f"is required, at most {MAX_GRADE} characters")
            )
        elif grade in seen:
            problems.append(FieldViolation(f"grades[{index}]", f"repeats grade {grade}"))
        seen.add(grade)
    return problems


def _rule_problems(
    field: str, rule: PolicyRule, grades: Sequence[str], ids: Counter[str]
) -> list[FieldViolation]:
    problems = []
    if not rule.id.strip() or len(rule.id) > MAX_RULE_ID:
        problems.append(FieldViolation(f"{field}.id", f"is required, at most {MAX_RULE_ID} characters"))
    elif ids[rule.id] > 1:
        problems.append(FieldViolation(f"{field}.id", f"repeats rule id {rule.id}"))
    if rule.grade not in grades:
        problems.append(FieldViolation(f"{field}.grade", f"{rule.grade!r} is not one of the policy's grades"))
    if len(rule.description) > MAX_DESCRIPTION:
        problems.append(
            FieldViolation(f"{field}.description", f"must be at most {MAX_DESCRIPTION} characters")
        )
    conditions = rule.conditions
    for name, values in (
        ("position_ids", conditions.position_ids),
        ("unit_ids", conditions.unit_ids),
        ("previous_grades", conditions.previous_grades),
    ):
        if not all(value.strip() for value in values):
            problems.append(FieldViolation(f"{field}.conditions.{name}", "must not hold an empty value"))
    kinds: set[ActionKind] = set()
    for index, spec in enumerate(rule.actions):
        action_field = f"{field}.actions[{index}]"
        if spec.kind in kinds:
            problems.append(FieldViolation(action_field, f"is a second {spec.kind.value} action of the rule"))
        kinds.add(spec.kind)
        if (problem := action_problem(spec)) is not None:
            problems.append(FieldViolation(action_field, problem))
    return problems


def action_problem(spec: ActionSpec) -> str | None:
    """What makes an action's details nonsensical, or None."""
    match spec.kind:
        case ActionKind.SALARY_ADJUSTMENT:
            low, high = SALARY_PERCENT_RANGE
            if spec.percent is None or not low <= spec.percent <= high or spec.percent == 0:
                return f"salary adjustment percent must be between {low:g} and {high:g}, not 0"
        case ActionKind.BONUS:
            if spec.amount is not None:
                if not spec.amount.amount > 0:
                    return "bonus amount must be more than 0"
            elif spec.percent is None or not 0 < spec.percent <= BONUS_PERCENT_MAX:
                return (
                    f"bonus percent of monthly salary must be more than 0 and at most {BONUS_PERCENT_MAX:g}"
                )
        case ActionKind.TRAINING:
            if not spec.course_code.strip():
                return "training needs a course_code"
        case ActionKind.PROMOTION_CANDIDACY:
            if not spec.label.strip():
                return "promotion needs a target"
        case ActionKind.IMPROVEMENT_PLAN:
            low_days, high_days = PLAN_DAYS_RANGE
            if spec.duration_days and not low_days <= spec.duration_days <= high_days:
                return f"improvement plan duration_days must be between {low_days} and {high_days}"
        case ActionKind.HR_ALERT:
            if spec.hr_alert is None:
                return "hr alert needs a kind"
        case ActionKind.LEAVE:
            if spec.days <= 0:
                return "leave days must be more than 0"
    return None


def _shadowing(index: int, rules: Sequence[PolicyRule]) -> list[FieldViolation]:
    """The rule at `index` can never fire when an earlier rule of its grade holds whenever it does."""
    rule = rules[index]
    for earlier_index, earlier in enumerate(rules[:index]):
        if earlier.grade == rule.grade and earlier.conditions.hold_whenever(rule.conditions):
            return [
                FieldViolation(
                    f"rules[{index}]",
                    f"overlaps rules[{earlier_index}] ({earlier.id}): that earlier rule of grade "
                    f"{rule.grade} holds whenever this one does, so this one never fires",
                )
            ]
    return []


def _missing_defaults(policy: OutcomePolicy) -> list[FieldViolation]:
    defaults = {rule.grade for rule in policy.rules if rule.conditions.none}
    return [
        FieldViolation(f"grades[{index}]", f"grade {grade} has no rule without conditions (its default)")
        for index, grade in enumerate(policy.grades)
        if grade and grade not in defaults
    ]
