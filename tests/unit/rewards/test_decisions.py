"""Deciding grades on in-memory fakes: the keys and ids a decision derives, revisions that cancel and
decide again, events that repeat, arrive out of order or name a grade never received, and DecideCycle."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Self

import pytest

from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR, Principal
from services.chassis.directory.model import DirectoryEmployee, DirectoryUnit
from services.chassis.errors import NotFound, PermissionDenied
from services.rewards.domain.actions import Action, ActionKind, ActionsDecided, cancellation_key
from services.rewards.domain.decisions import (
    Decision,
    DecisionStatus,
    cancellations,
    decide_grade,
    decision_id,
    plan_id,
    previous_grades,
)
from services.rewards.domain.grades import CycleKind, GradeRecord
from services.rewards.domain.pips import Pip, PipChanged
from services.rewards.domain.policies import OutcomePolicy, PolicyRule, RuleConditions, decide
from services.rewards.domain.training import Course
from services.rewards.service_layer.decisions import GradeFinalized, GradeRevised, decide_cycle, decide_grades
from services.rewards.service_layer.policies import policy_template
from services.rewards.service_layer.ports import GradeDecision

TENANT = "acme"
NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)
MANUFACTURER = replace(policy_template("manufacturer"), version=1, effective_from=date(2026, 1, 1))


def finalized(employee: str, letter: str, *, cycle: str = "2026", period_end: date = date(2026, 12, 31)):
    return GradeFinalized(
        GradeRecord(
            cycle_id=cycle,
            employee_id=employee,
            revision=0,
            cycle_name=f"cycle {cycle}",
            cycle_kind=CycleKind.ANNUAL,
            period_start=date(period_end.year, 1, 1),
            period_end=period_end,
            unit_id="line-1",
            position_id="operator",
            grade=letter,
            score=70.0,
            items=(),
            reason="finalized",
            received_at=NOW,
        )
    )


def revised(employee: str, old: str, new: str, appeal: str = "appeal-1", cycle: str = "2026") -> GradeRevised:
    return GradeRevised(cycle, employee, old, new, 80.0, appeal, "appeal upheld")


class FakeDirectory:
    tenant_id = TENANT

    def __init__(self) -> None:
        self.people = {
            "op-1": DirectoryEmployee("op-1", "E1", "op-1", "line-1", "operator", "lead", True),
            "op-2": DirectoryEmployee("op-2", "E2", "op-2", "line-1", "operator", None, True),
        }
        self.unit_rows = {
            "plant": DirectoryUnit("plant", "PLANT", "plant", None, "director", "/plant/"),
            "line-1": DirectoryUnit("line-1", "L1", "line 1", "plant", None, "/plant/line-1/"),
        }

    async def employees(self, ids: Iterable[str]) -> dict[str, DirectoryEmployee]:
        return {i: self.people[i] for i in ids if i in self.people}

    async def units(self, ids: Iterable[str]) -> dict[str, DirectoryUnit]:
        return {i: self.unit_rows[i] for i in ids if i in self.unit_rows}


class Store:
    """What the fakes keep between units of work, like a database."""

    def __init__(self) -> None:
        self.policies: list[OutcomePolicy] = []
        self.grades: list[GradeRecord] = []
        self.decisions: dict[str, Decision] = {}
        self.actions: list[Action] = []
        self.pips: dict[str, Pip] = {}
        self.events: list[Any] = []
        self.remembered: dict[str, str] = {}
        self.courses: dict[str, Course] = {}


class FakeGrades:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def revisions(self, keys):
        found = defaultdict(list)
        for record in sorted(self.store.grades, key=lambda record: record.revision):
            if (record.cycle_id, record.employee_id) in set(keys):
                found[record.cycle_id, record.employee_id].append(record)
        return dict(found)

    async def of_cycles(self, cycle_ids):
        return {record.cycle_id: record for record in self.store.grades if record.cycle_id in set(cycle_ids)}

    async def histories(self, employee_ids):
        latest = {}
        for record in sorted(self.store.grades, key=lambda record: record.revision):
            if record.employee_id in set(employee_ids):
                latest[record.cycle_id, record.employee_id] = record
        found = defaultdict(list)
        for record in sorted(latest.values(), key=lambda record: record.period_end, reverse=True):
            found[record.employee_id].append(record)
        return dict(found)

    async def add(self, records: Sequence[GradeRecord]) -> None:
        keys = {(r.cycle_id, r.employee_id, r.revision) for r in self.store.grades}
        assert not keys & {(r.cycle_id, r.employee_id, r.revision) for r in records}, "a grade twice"
        self.store.grades += records


class FakeDecisions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, decisions: Sequence[Decision]) -> None:
        assert not set(self.store.decisions) & {d.id for d in decisions}, "a decision twice"
        self.store.decisions.update({d.id: d for d in decisions})

    async def supersede(self, ids: Sequence[str]) -> None:
        for decision_id_ in ids:
            decision = self.store.decisions[decision_id_]
            self.store.decisions[decision_id_] = replace(decision, status=DecisionStatus.SUPERSEDED)

    async def redecide(self, decisions: Sequence[Decision]) -> int:
        self.store.decisions.update({d.id: d for d in decisions})
        return len(decisions)

    async def undecided(self, cycle_id: str, after: str | None, limit: int) -> list[GradeDecision]:
        grades = {(g.cycle_id, g.employee_id, g.revision): g for g in self.store.grades}
        pending = sorted(
            (
                decision
                for decision in self.store.decisions.values()
                if decision.cycle_id == cycle_id
                and decision.status in (DecisionStatus.NO_POLICY, DecisionStatus.NO_RULE)
                and (after is None or decision.employee_id > after)
            ),
            key=lambda decision: decision.employee_id,
        )[:limit]
        return [GradeDecision(d, grades[d.cycle_id, d.employee_id, d.revision]) for d in pending]


class FakeActions:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, actions: Sequence[Action]) -> None:
        keys = {action.idempotency_key for action in self.store.actions}
        assert not keys & {action.idempotency_key for action in actions}, "an action twice"
        self.store.actions += actions

    async def for_origin(self, origin_ids: Iterable[str]) -> dict[str, list[Action]]:
        wanted, found = set(origin_ids), defaultdict(list)
        for action in self.store.actions:
            if action.origin_id in wanted:
                found[action.origin_id].append(action)
        return dict(found)


class FakePolicies:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def all(self) -> list[OutcomePolicy]:
        return list(self.store.policies)


class FakePips:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(self, pips: Sequence[Pip]) -> None:
        for pip in pips:
            assert pip.id not in self.store.pips, "a plan twice"
            self.store.pips[pip.id] = pip


class FakeCourses:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def catalog(self) -> dict[str, Course]:
        return dict(self.store.courses)


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self.tenant_id = TENANT
        self.store = store
        self.directory = FakeDirectory()
        self.grades = FakeGrades(store)
        self.decisions = FakeDecisions(store)
        self.actions = FakeActions(store)
        self.policies = FakePolicies(store)
        self.pips = FakePips(store)
        self.courses = FakeCourses(store)
        self._pending: list[Any] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._pending = []

    def emit(self, tenant_id: str, event: Any) -> None:
        self._pending.append(event)

    async def serialize(self, name: str) -> None:
        pass

    async def commit(self) -> None:
        self.store.events += self._pending
        self._pending = []

    async def recall(self, caller: Principal, operation: str, request_id: str) -> str | None:
        return self.store.remembered.get(f"{operation}:{request_id}") if request_id else None

    async def remember(self, caller: Principal, operation: str, request_id: str, result: str) -> None:
        if request_id:
            self.store.remembered[f"{operation}:{request_id}"] = result


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def uows(store: Store):
    return lambda tenant_id: FakeUnitOfWork(store)


def keys(store: Store) -> list[str]:
    return [action.idempotency_key for action in store.actions]


def announced(store: Store) -> list[str]:
    return [
        action.idempotency_key
        for event in store.events
        if isinstance(event, ActionsDecided)
        for action in event.actions
    ]


def decision_of(store: Store, employee: str, revision: int, cycle: str = "2026") -> Decision:
    return store.decisions[decision_id(TENANT, cycle, employee, revision)]


# --- the domain


def test_a_decision_names_its_actions_by_the_grade_so_deciding_again_names_the_same() -> None:
    grade = finalized("op-1", "D").grade
    match = decide(MANUFACTURER, grade, [], [])
    first, first_actions = decide_grade(TENANT, grade, MANUFACTURER, match, NOW)
    again, again_actions = decide_grade(TENANT, grade, MANUFACTURER, match, datetime(2027, 2, 1, tzinfo=UTC))
    assert first.id == again.id
    assert [a.idempotency_key for a in first_actions] == [a.idempotency_key for a in again_actions]
    assert [a.idempotency_key for a in first_actions] == [
        "acme/2026/op-1/hr_alert/r0",
        "acme/2026/op-1/improvement_plan/r0",
    ]
    plan = first_actions[1].spec
    assert plan.pip_id == plan_id("acme/2026/op-1/improvement_plan/r0")
    assert first.reason == "grade D under rule D of policy v1"


def test_without_a_policy_or_a_rule_nothing_is_decided() -> None:
    grade = finalized("op-1", "E").grade
    no_policy, none = decide_grade(TENANT, grade, None, None, NOW)
    assert (no_policy.status, none, no_policy.policy_version) == (DecisionStatus.NO_POLICY, [], 0)
    no_rule, none = decide_grade(TENANT, grade, MANUFACTURER, None, NOW)
    assert (no_rule.status, none, no_rule.policy_version) == (DecisionStatus.NO_RULE, [], 1)


def test_a_cancellation_undoes_each_action_once_and_says_a_plan_stays_open() -> None:
    grade = finalized("op-1", "C").grade
    earlier, actions = decide_grade(TENANT, grade, MANUFACTURER, decide(MANUFACTURER, grade, [], []), NOW)
    already = cancellations([], earlier, "B", NOW)
    assert already == []
    later = replace(grade, revision=1, grade="B")
    decision, _ = decide_grade(TENANT, later, MANUFACTURER, decide(MANUFACTURER, later, [], []), NOW)
    undone = cancellations([*actions, *cancellations(actions, earlier, "D", NOW)], decision, "C", NOW)
    assert [action.idempotency_key for action in undone] == [cancellation_key(actions[0].idempotency_key)]
    assert undone[0].cancels_key == actions[0].idempotency_key
    assert undone[0].origin_id == decision.id
    assert "stays open until HR closes it" in undone[0].reason


def test_previous_grades_are_the_earlier_cycles_most_recent_first() -> None:
    records = [
        finalized("op-1", "A", cycle="2024", period_end=date(2024, 12, 31)).grade,
        finalized("op-1", "C", cycle="2025", period_end=date(2025, 12, 31)).grade,
        finalized("op-1", "B", cycle="2027", period_end=date(2027, 12, 31)).grade,
    ]
    assert previous_grades(records, finalized("op-1", "D").grade) == ["C", "A"]


# --- the use case


async def test_a_batch_records_decides_and_announces_each_grade_and_opens_plans(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    await decide_grades(uows, TENANT, [finalized("op-1", "A"), finalized("op-2", "C")])

    assert decision_of(store, "op-1", 0).status is DecisionStatus.DECIDED
    assert keys(store) == [
        "acme/2026/op-1/salary_adjustment/r0",
        "acme/2026/op-1/training/r0",
        "acme/2026/op-1/promotion_candidacy/r0",
        "acme/2026/op-2/improvement_plan/r0",
    ]
    assert announced(store) == keys(store)
    (pip,) = store.pips.values()
    assert pip.id == plan_id("acme/2026/op-2/improvement_plan/r0")
    # op-2 has no manager: the head of the nearest unit above theirs leads the plan.
    assert (pip.employee_id, pip.manager_id, pip.cycle_id) == ("op-2", "director", "2026")
    assert (pip.deadline - pip.start_date).days == 90
    assert [event.pip.id for event in store.events if isinstance(event, PipChanged)] == [pip.id]


async def test_training_actions_take_the_catalog_s_title_when_the_policy_had_none(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    store.courses["QC-101"] = Course("QC-101", "Quality control", "academy", ("quality",), True, 1, NOW)
    await decide_grades(uows, TENANT, [finalized("op-1", "A"), finalized("op-2", "B")])

    titles = {a.spec.course_code: a.spec.course_title for a in store.actions if a.kind is ActionKind.TRAINING}
    assert titles == {"QC-101": "Quality control", "OPS-101": ""}


async def test_the_same_grades_again_decide_nothing_new(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    batch = [finalized("op-1", "A"), finalized("op-2", "C"), finalized("op-1", "A")]
    await decide_grades(uows, TENANT, batch)
    before = (list(store.grades), dict(store.decisions), list(store.actions), len(store.events))

    await decide_grades(uows, TENANT, batch)
    await decide_grades(uows, TENANT, [revised("op-1", "A", "B"), revised("op-1", "A", "B")])
    await decide_grades(uows, TENANT, [revised("op-1", "A", "B")])

    assert len(store.grades) == len(before[0]) + 1
    assert len(store.events) == before[3] + 1


async def test_a_revision_supersedes_cancels_and_decides_the_new_grade(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    await decide_grades(uows, TENANT, [finalized("op-1", "B")])
    await decide_grades(uows, TENANT, [revised("op-1", "B", "A")])

    assert decision_of(store, "op-1", 0).status is DecisionStatus.SUPERSEDED
    revision = decision_of(store, "op-1", 1)
    assert (revision.status, revision.grade) == (DecisionStatus.DECIDED, "A")
    assert keys(store)[2:] == [
        "acme/2026/op-1/bonus/r0/cancel",
        "acme/2026/op-1/training/r0/cancel",
        "acme/2026/op-1/salary_adjustment/r1",
        "acme/2026/op-1/training/r1",
        "acme/2026/op-1/promotion_candidacy/r1",
    ]
    assert all(action.origin_id == revision.id for action in store.actions[2:])
    grade = (await FakeGrades(store).revisions([("2026", "op-1")]))["2026", "op-1"][-1]
    assert (grade.revision, grade.grade, grade.appeal_id, grade.unit_id) == (1, "A", "appeal-1", "line-1")


async def test_a_grade_finalized_and_revised_in_one_batch_is_decided_twice(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    await decide_grades(uows, TENANT, [finalized("op-1", "C"), revised("op-1", "C", "B")])

    assert decision_of(store, "op-1", 0).status is DecisionStatus.SUPERSEDED
    assert keys(store) == [
        "acme/2026/op-1/improvement_plan/r0",
        "acme/2026/op-1/improvement_plan/r0/cancel",
        "acme/2026/op-1/bonus/r1",
        "acme/2026/op-1/training/r1",
    ]


async def test_a_revision_of_a_grade_never_received_is_revision_1_with_nothing_to_cancel(store, uows) -> None:
    store.policies.append(MANUFACTURER)
    await decide_grades(uows, TENANT, [finalized("op-2", "B")])
    await decide_grades(uows, TENANT, [revised("op-1", "C", "A")])

    decision = decision_of(store, "op-1", 1)
    assert decision.status is DecisionStatus.DECIDED
    assert keys(store)[-3:] == [
        "acme/2026/op-1/salary_adjustment/r1",
        "acme/2026/op-1/training/r1",
        "acme/2026/op-1/promotion_candidacy/r1",
    ]
    grade = (await FakeGrades(store).revisions([("2026", "op-1")]))["2026", "op-1"][0]
    assert (grade.cycle_name, grade.period_end, grade.unit_id) == ("cycle 2026", date(2026, 12, 31), "line-1")

    # The finalized grade arriving after its revision is history only.
    await decide_grades(uows, TENANT, [finalized("op-1", "C")])
    assert decision_of(store, "op-1", 0).status is DecisionStatus.SUPERSEDED
    assert keys(store)[-1] == "acme/2026/op-1/promotion_candidacy/r1"


async def test_previous_grades_come_from_history_and_from_the_batch(store, uows) -> None:
    again = PolicyRule("C-again", "C", RuleConditions(previous_grades=("C",)), MANUFACTURER.rules[3].actions)
    rules = list(MANUFACTURER.rules)
    rules.insert(2, again)
    store.policies.append(replace(MANUFACTURER, rules=tuple(rules), effective_from=date(2025, 1, 1)))
    await decide_grades(uows, TENANT, [finalized("op-1", "C", cycle="2025", period_end=date(2025, 12, 31))])
    await decide_grades(
        uows,
        TENANT,
        [
            finalized("op-1", "C"),
            finalized("op-2", "C", cycle="2025", period_end=date(2025, 12, 31)),
            finalized("op-2", "C"),
        ],
    )
    assert decision_of(store, "op-1", 0, "2025").rule_id == "C"
    assert decision_of(store, "op-1", 0).rule_id == "C-again"
    assert decision_of(store, "op-2", 0).rule_id == "C-again"


async def test_decide_cycle_decides_what_had_no_policy_once(store, uows) -> None:
    await decide_grades(uows, TENANT, [finalized("op-1", "A"), finalized("op-2", "E")])
    assert {d.status for d in store.decisions.values()} == {DecisionStatus.NO_POLICY}
    assert store.actions == []
    hr = Principal(TENANT, "hr", frozenset({ROLE_HR}))
    store.policies.append(MANUFACTURER)

    assert await decide_cycle(uows, hr, cycle_id="2026", request_id="r1") == (1, 1)
    assert await decide_cycle(uows, hr, cycle_id="2026", request_id="r1") == (1, 1)
    assert await decide_cycle(uows, hr, cycle_id="2026", request_id="r2") == (0, 1)

    assert decision_of(store, "op-1", 0).status is DecisionStatus.DECIDED
    assert decision_of(store, "op-2", 0).status is DecisionStatus.NO_RULE
    assert len(keys(store)) == 3


async def test_decide_cycle_is_for_tenant_wide_hr_and_known_cycles(store, uows) -> None:
    employee = Principal(TENANT, "op-1", frozenset({ROLE_EMPLOYEE}))
    with pytest.raises(PermissionDenied):
        await decide_cycle(uows, employee, cycle_id="2026", request_id="")
    scoped = Principal(TENANT, "hr", frozenset({ROLE_HR}), ("plant",))
    with pytest.raises(PermissionDenied):
        await decide_cycle(uows, scoped, cycle_id="2026", request_id="")
    with pytest.raises(NotFound):
        await decide_cycle(
            uows, Principal(TENANT, "hr", frozenset({ROLE_HR})), cycle_id="nope", request_id=""
        )
