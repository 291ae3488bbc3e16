"""Promotion eligibility (R2): rules over an employee's grade history, and verdicts that say why in words.

A rule holds when the employee's most recent `consecutive` cycles of the rule's kind (any kind when it
names none) all have the required grade; each cycle counts once, with the grade of its latest revision.
Only the most recent cycles matter, so an older cycle never changes a verdict once there are enough
recent ones.

A tenant that never set rules of its own uses DEFAULT_RULES, the requirements' examples: the finance
company's managers' track, 3 consecutive annual A, and for everyone 2 consecutive A of any kind for the
next level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.chassis.errors import FieldViolation
from services.rewards.domain.grades import CycleKind, GradeRecord

MAX_RULES = 50
MAX_CONSECUTIVE = 10
MAX_POSITIONS = 100
MAX_ID = 64
MAX_TEXT = 200

_KIND_WORDS = {
    CycleKind.ANNUAL: "annual",
    CycleKind.HALF_YEAR: "half-year",
    CycleKind.QUARTERLY: "quarterly",
    CycleKind.MONTHLY: "monthly",
}


@dataclass(frozen=True)
class EligibilityRule:
    id: str
    name: str
    # What meeting the rule makes one a candidate for: "manager", "next level".
    target: str
    required_grade: str
    consecutive: int
    # Only cycles of this kind count; None counts every kind.
    cycle_kind: CycleKind | None = None
    # The rule is for employees in these positions; for everyone when empty.
    position_ids: tuple[str, ...] = ()

    def applies_to(self, position_id: str | None) -> bool:
        return not self.position_ids or position_id in self.position_ids

    @property
    def requirement(self) -> str:
        """ "3 consecutive annual A", "2 consecutive A"."""
        kind = _KIND_WORDS.get(self.cycle_kind) if self.cycle_kind is not None else None
        return f"{self.consecutive} consecutive {kind + ' ' if kind else ''}{self.required_grade}"


DEFAULT_RULES = (
    EligibilityRule(
        id="manager",
        name="Managers' track: 3 consecutive annual A",
        target="manager",
        required_grade="A",
        consecutive=3,
        cycle_kind=CycleKind.ANNUAL,
    ),
    EligibilityRule(
        id="next-level",
        name="Next level: 2 consecutive A",
        target="next level",
        required_grade="A",
        consecutive=2,
    ),
)


@dataclass(frozen=True)
class EligibilityRuleSet:
    """The tenant's rules; version 0 is DEFAULT_RULES, never set by the tenant."""

    rules: tuple[EligibilityRule, ...]
    version: int
    updated_by: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    rule: EligibilityRule
    eligible: bool
    explanation: str
    # The records the rule looked at, most recent first.
    records: tuple[GradeRecord, ...]


def evaluate(rule: EligibilityRule, history: Sequence[GradeRecord], position_id: str | None) -> Verdict:
    """The verdict of `rule` on a history of one record per cycle, most recent period first."""
    if not rule.applies_to(position_id):
        return Verdict(rule, False, f"{rule.name or rule.id} is for other positions", ())
    counted = [
        record for record in history if rule.cycle_kind is None or record.cycle_kind == rule.cycle_kind
    ]
    looked_at = tuple(counted[: rule.consecutive])
    for in_a_row, record in enumerate(looked_at):
        if record.grade != rule.required_grade:
            return Verdict(
                rule,
                False,
                f"needs {rule.requirement}; has {in_a_row} ({record.cycle_name} was {record.grade})",
                looked_at,
            )
    if len(looked_at) < rule.consecutive:
        return Verdict(rule, False, f"needs {rule.requirement}; {_graded(rule, len(looked_at))}", looked_at)
    grades = ", ".join(f"{record.cycle_name} {record.grade}" for record in looked_at)
    return Verdict(rule, True, f"{rule.requirement}: {grades}", looked_at)


def rule_problems(rules: Sequence[EligibilityRule]) -> list[FieldViolation]:
    """What is wrong with a set of rules, each problem naming the rule's place ("rules[1].consecutive")."""
    problems = []
    if not rules:
        problems.append(
            FieldViolation("rules", "must hold at least one rule (a tenant that sets none uses the defaults)")
        )
    if len(rules) > MAX_RULES:
        problems.append(FieldViolation("rules", f"holds {len(rules)} rules; at most {MAX_RULES}"))
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        at = f"rules[{index}]"
        if not rule.id.strip() or len(rule.id) > MAX_ID:
            problems.append(FieldViolation(f"{at}.id", f"is required, at most {MAX_ID} characters"))
        elif rule.id in seen:
            problems.append(FieldViolation(f"{at}.id", f"{rule.id} is the id of an earlier rule"))
        seen.add(rule.id)
        for name, text in (("name", rule.name), ("target", rule.target)):
            if len(text) > MAX_TEXT:
                problems.append(FieldViolation(f"{at}.{name}", f"is longer than {MAX_TEXT} characters"))
        if not rule.required_grade.strip() or len(rule.required_grade) > MAX_ID:
            problems.append(FieldViolation(f"{at}.required_grade", "is required"))
        if not 1 <= rule.consecutive <= MAX_CONSECUTIVE:
            problems.append(FieldViolation(f"{at}.consecutive", f"must be from 1 to {MAX_CONSECUTIVE}"))
        if rule.cycle_kind is CycleKind.UNSPECIFIED:
            problems.append(FieldViolation(f"{at}.cycle_kind", "is not a cycle kind"))
        if len(rule.position_ids) > MAX_POSITIONS:
            problems.append(
                FieldViolation(
                    f"{at}.position_ids", f"holds {len(rule.position_ids)}; at most {MAX_POSITIONS}"
                )
            )
        problems.extend(
            FieldViolation(f"{at}.position_ids[{place}]", f"is required, at most {MAX_ID} characters")
            for place, position_id in enumerate(rule.position_ids)
            if not position_id.strip() or len(position_id) > MAX_ID
        )
    return problems


def met_rules(
    rules: Iterable[EligibilityRule], history: Sequence[GradeRecord], position_id: str | None
) -> list[Verdict]:
    """The verdicts of the rules the history meets, in the rules' order."""
    return [verdict for rule in rules if (verdict := evaluate(rule, history, position_id)).eligible]


def _graded(rule: EligibilityRule, count: int) -> str:
    kind = _KIND_WORDS.get(rule.cycle_kind) if rule.cycle_kind is not None else None
    cycles = f"{kind + ' ' if kind else ''}cycle{'' if count == 1 else 's'}"
    return f"only {count} graded {cycles}" if count else f"no graded {cycles}"
