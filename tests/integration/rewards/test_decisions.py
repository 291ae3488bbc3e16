"""Grades decided (R1, R6) through the real service: appraisal's events on a real NATS server, the
decisions and the ledger read back over gRPC, the actions announced on the REWARDS stream."""

from __future__ import annotations

import grpc
from fulcrum.rewards.v1 import rewards_pb2

from services.chassis.context import ROLE_EMPLOYEE, ROLE_PARTNER
from tests.integration.appraisal.setup_helpers import as_person
from tests.integration.rewards.career_helpers import career_org
from tests.integration.rewards.decision_helpers import (
    announced_actions,
    as_hr,
    consumed,
    decisions,
    eventually,
    keys,
    publish_template,
    stored,
    wait_for_decisions,
)
from tests.support.appraisal_events import grade_finalized, grade_revised, publish_appraisal_events
from tests.support.calls import field_violations, rpc_error
from tests.support.nats import JetStreamClient
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import new_tenant

CYCLE = "cycle-2026"


async def test_the_manufacturer_policy_decides_each_grade_as_the_requirements_say(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    company = await career_org(org, rewards)
    tenant = company.tenant
    await publish_template(rewards, tenant)
    grades = {"rep_a": "A", "rep_b": "B", "analyst_e": "C", "analyst": "D"}
    await publish_appraisal_events(
        jetstream.js,
        tenant,
        [
            grade_finalized(
                CYCLE,
                company.employees[name],
                letter,
                unit_id=company.units["east" if name != "analyst" else "risk"],
                position_id=company.positions["rep" if name.startswith("rep") else "analyst"],
            )
            for name, letter in grades.items()
        ],
    )

    decided = await wait_for_decisions(rewards, tenant, len(grades))

    by_name = {name: decided[company.employees[name]] for name in grades}
    for name, letter in grades.items():
        decision = by_name[name]
        assert (decision.status, decision.grade, decision.rule_id) == (
            rewards_pb2.DECISION_STATUS_DECIDED,
            letter,
            letter,
        )
        assert (decision.policy_version, decision.revision, decision.cycle_id) == (1, 0, CYCLE)
        assert decision.reason == f"grade {letter} under rule {letter} of policy v1"
    a, b, c, d = (list(by_name[name].actions) for name in grades)
    assert a[0].spec.salary_adjustment.percent == 15
    assert a[1].spec.training.course_code == "QC-101"
    assert a[2].spec.promotion.target == "team lead"
    assert (b[0].spec.bonus.percent_of_monthly_salary, b[0].spec.bonus.label) == (20, "quality bonus")
    assert b[1].spec.training.course_code == "OPS-101"
    (plan,) = c
    assert plan.spec.improvement_plan.duration_days == 90
    alert, exit_plan = d
    assert (alert.spec.hr_alert.kind, alert.spec.hr_alert.note) == (
        rewards_pb2.HR_ALERT_KIND_REASSIGNMENT,
        "move to a support role",
    )
    assert exit_plan.spec.improvement_plan.escalation == rewards_pb2.HR_ALERT_KIND_EXIT_REVIEW
    rep_a = company.employees["rep_a"]
    assert a[0].idempotency_key == f"{tenant}/{CYCLE}/{rep_a}/salary_adjustment/r0"
    assert {action.origin for action in a} == {rewards_pb2.ACTION_ORIGIN_GRADE}
    assert {action.origin_id for action in a} == {by_name["rep_a"].id}

    # The C grade opened its plan, led by the employee's manager.
    opened = await rewards.stub.GetPip(
        rewards_pb2.GetPipRequest(pip_id=plan.spec.improvement_plan.pip_id), metadata=as_hr(rewards, tenant)
    )
    assert (opened.pip.employee_id, opened.pip.manager_id, opened.pip.cycle_id) == (
        company.employees["analyst_e"],
        company.employees["east_lead"],
        CYCLE,
    )
    assert opened.pip.status == rewards_pb2.PIP_STATUS_ACTIVE

    # Partners read the ledger, and the same actions were announced for the gateway's connectors.
    ledger = await rewards.stub.ListActions(
        rewards_pb2.ListActionsRequest(cycle_id=CYCLE), metadata=rewards.as_(tenant, "erp", (ROLE_PARTNER,))
    )
    assert sorted(keys(ledger.actions)) == sorted(keys(a + b + c + d))
    await consumed(rewards, jetstream.js)
    assert keys(await announced_actions(jetstream.js, tenant)) == keys(ledger.actions)


async def test_events_delivered_twice_and_a_replayed_cycle_decide_nothing_new(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    await publish_template(rewards, tenant)
    events = [grade_finalized(CYCLE, f"op-{number}", "ABCD"[number % 4]) for number in range(12)]
    event_ids = await publish_appraisal_events(jetstream.js, tenant, events)
    await wait_for_decisions(rewards, tenant, len(events))
    await consumed(rewards, jetstream.js)
    before, announced_before = await stored(rewards), await announced_actions(jetstream.js, tenant)

    # Every event again under its own id (a redelivery), then the whole cycle under new ids (a replay).
    await publish_appraisal_events(jetstream.js, tenant, events, event_ids=event_ids)
    await publish_appraisal_events(jetstream.js, tenant, events)
    await consumed(rewards, jetstream.js)

    assert await stored(rewards) == before
    assert await announced_actions(jetstream.js, tenant) == announced_before
    assert len(announced_before) == 3 * 3 + 3 * 2 + 3 * 1 + 3 * 2


async def test_a_revised_grade_cancels_the_earlier_actions_and_decides_the_new_grade(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    await publish_template(rewards, tenant)
    await publish_appraisal_events(jetstream.js, tenant, [grade_finalized(CYCLE, "op-1", "B")])
    (first,) = (await wait_for_decisions(rewards, tenant, 1)).values()

    appeal = grade_revised(CYCLE, "op-1", "B", "A", appeal_id="appeal-7")
    await publish_appraisal_events(jetstream.js, tenant, [appeal])

    async def revised() -> list[rewards_pb2.Decision]:
        found = await decisions(rewards, as_hr(rewards, tenant), include_superseded=True)
        return found if len(found) == 2 else []

    earlier, later = await eventually(revised, "the revised decision")
    assert (earlier.id, earlier.status, earlier.revision) == (
        first.id,
        rewards_pb2.DECISION_STATUS_SUPERSEDED,
        0,
    )
    assert (later.status, later.revision, later.grade) == (rewards_pb2.DECISION_STATUS_DECIDED, 1, "A")
    prefix = f"{tenant}/{CYCLE}/op-1"
    assert keys(later.actions) == [
        f"{prefix}/bonus/r0/cancel",
        f"{prefix}/training/r0/cancel",
        f"{prefix}/salary_adjustment/r1",
        f"{prefix}/training/r1",
        f"{prefix}/promotion_candidacy/r1",
    ]
    bonus_cancel = later.actions[0]
    assert bonus_cancel.cancels_idempotency_key == f"{prefix}/bonus/r0"
    assert bonus_cancel.spec == first.actions[0].spec
    assert "grade revised from B to A" in bonus_cancel.reason
    assert {action.origin for action in later.actions} == {rewards_pb2.ACTION_ORIGIN_GRADE_REVISION}
    current = await decisions(rewards, as_hr(rewards, tenant))
    assert [decision.id for decision in current] == [later.id]

    await consumed(rewards, jetstream.js)
    before = await stored(rewards)
    await publish_appraisal_events(jetstream.js, tenant, [appeal])
    await consumed(rewards, jetstream.js)
    assert await stored(rewards) == before
    announced = keys(await announced_actions(jetstream.js, tenant))
    assert announced == keys(first.actions) + keys(later.actions)


async def test_the_policy_version_in_force_at_the_cycles_end_decides(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    await publish_template(rewards, tenant, "general", effective_from="2026-01-01")
    await publish_template(rewards, tenant, "manufacturer", effective_from="2027-01-01", expected_version=1)
    await publish_appraisal_events(
        jetstream.js,
        tenant,
        [
            grade_finalized("annual-2026", "op-1", "A", period_start="2026-01-01", period_end="2026-12-31"),
            grade_finalized("q1-2027", "op-1", "A", period_start="2027-01-01", period_end="2027-03-31"),
        ],
    )

    async def both() -> dict[str, rewards_pb2.Decision]:
        found = await decisions(rewards, as_hr(rewards, tenant))
        return {decision.cycle_id: decision for decision in found} if len(found) == 2 else {}

    decided = await eventually(both, "two decisions")
    assert decided["annual-2026"].policy_version == 1
    assert decided["annual-2026"].actions[0].spec.salary_adjustment.percent == 10
    assert decided["q1-2027"].policy_version == 2
    assert decided["q1-2027"].actions[0].spec.salary_adjustment.percent == 15


async def test_grades_that_came_without_a_policy_are_decided_by_decide_cycle_once(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    events = [grade_finalized(CYCLE, "op-1", "A"), grade_finalized(CYCLE, "op-2", "E")]
    await publish_appraisal_events(jetstream.js, tenant, events)
    waiting = await wait_for_decisions(rewards, tenant, 2)
    assert {decision.status for decision in waiting.values()} == {rewards_pb2.DECISION_STATUS_NO_POLICY}
    assert all(not decision.actions for decision in waiting.values())
    hr = as_hr(rewards, tenant)

    await publish_template(rewards, tenant)
    request = rewards_pb2.DecideCycleRequest(cycle_id=CYCLE)
    response = await rewards.stub.DecideCycle(request, metadata=hr)

    assert (response.decided, response.undecided) == (1, 1)
    now = await wait_for_decisions(rewards, tenant, 2)
    assert now["op-1"].status == rewards_pb2.DECISION_STATUS_DECIDED
    assert now["op-1"].id == waiting["op-1"].id
    assert keys(now["op-1"].actions) == [
        f"{tenant}/{CYCLE}/op-1/salary_adjustment/r0",
        f"{tenant}/{CYCLE}/op-1/training/r0",
        f"{tenant}/{CYCLE}/op-1/promotion_candidacy/r0",
    ]
    assert (now["op-2"].status, now["op-2"].policy_version) == (rewards_pb2.DECISION_STATUS_NO_RULE, 1)

    again = await rewards.stub.DecideCycle(request, metadata=hr)
    assert (again.decided, again.undecided) == (0, 1)
    await consumed(rewards, jetstream.js)
    assert keys(await announced_actions(jetstream.js, tenant)) == keys(now["op-1"].actions)


async def test_decide_cycle_is_for_hr_of_the_whole_tenant_and_a_cycle_it_knows(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    await publish_appraisal_events(jetstream.js, tenant, [grade_finalized(CYCLE, "op-1", "A")])
    await wait_for_decisions(rewards, tenant, 1)
    request = rewards_pb2.DecideCycleRequest(cycle_id=CYCLE)

    for caller in (rewards.as_(tenant, "op-1", (ROLE_EMPLOYEE,)), as_hr(rewards, tenant, "a-unit")):
        await rpc_error(rewards.stub.DecideCycle(request, metadata=caller), grpc.StatusCode.PERMISSION_DENIED)
    await rpc_error(
        rewards.stub.DecideCycle(request, metadata=as_hr(rewards, new_tenant())), grpc.StatusCode.NOT_FOUND
    )
    unknown = rewards_pb2.DecideCycleRequest(cycle_id="no-such-cycle")
    await rpc_error(
        rewards.stub.DecideCycle(unknown, metadata=as_hr(rewards, tenant)), grpc.StatusCode.NOT_FOUND
    )
    error = await rpc_error(
        rewards.stub.DecideCycle(rewards_pb2.DecideCycleRequest(), metadata=as_hr(rewards, tenant)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "cycle_id" in field_violations(error)


async def test_a_manager_reads_the_decisions_of_their_reporting_line_only(
    org: OrgHarness, rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    company = await career_org(org, rewards)
    tenant = company.tenant
    await publish_template(rewards, tenant)
    people = ("rep_a", "rep_b", "analyst_e", "analyst")
    await publish_appraisal_events(
        jetstream.js,
        tenant,
        [
            grade_finalized(
                CYCLE,
                company.employees[name],
                "A",
                unit_id=company.units["risk" if name == "analyst" else "east"],
            )
            for name in people
        ],
    )
    await wait_for_decisions(rewards, tenant, len(people))
    names = {employee_id: name for name, employee_id in company.employees.items()}

    async def seen(metadata, **filters) -> tuple[list[str], list[str]]:
        listed = await decisions(rewards, metadata, **filters)
        ledger = await rewards.stub.ListActions(
            rewards_pb2.ListActionsRequest(
                **{key: value for key, value in filters.items() if key == "employee_id"}, page_size=1000
            ),
            metadata=metadata,
        )
        return (
            sorted(names[decision.employee_id] for decision in listed),
            sorted({names[action.employee_id] for action in ledger.actions}),
        )

    def both(*who: str) -> tuple[list[str], list[str]]:
        return sorted(who), sorted(who)

    assert await seen(as_person(rewards, company, "rep_a")) == both("rep_a")
    assert await seen(as_person(rewards, company, "rep_a"), employee_id=company.employees["rep_b"]) == both()
    assert await seen(as_person(rewards, company, "east_lead")) == both("rep_a", "rep_b", "analyst_e")
    assert await seen(as_person(rewards, company, "sales_head")) == both("rep_a", "rep_b", "analyst_e")
    assert await seen(as_person(rewards, company, "risk_head")) == both("analyst")
    assert await seen(as_person(rewards, company, "ceo")) == both(*people)
    assert await seen(as_hr(rewards, tenant, company.units["risk"])) == both("analyst")
    assert await seen(as_hr(rewards, tenant)) == both(*people)
    assert await seen(rewards.as_(tenant, "erp", (ROLE_PARTNER,))) == both(*people)
    east = await decisions(rewards, as_hr(rewards, tenant), unit_id=company.units["sales"])
    assert sorted(names[decision.employee_id] for decision in east) == ["analyst_e", "rep_a", "rep_b"]
    await rpc_error(
        decisions(rewards, as_hr(rewards, tenant), unit_id="no-such-unit"), grpc.StatusCode.NOT_FOUND
    )

    other = new_tenant()
    assert await seen(as_hr(rewards, other)) == both()
    assert await seen(as_hr(rewards, other), employee_id=company.employees["rep_a"]) == both()


async def test_decisions_and_actions_come_a_page_at_a_time(
    rewards: RewardsHarness, jetstream: JetStreamClient
) -> None:
    tenant = new_tenant()
    await publish_template(rewards, tenant)
    events = [grade_finalized(CYCLE, f"op-{number:02d}", "A") for number in range(7)]
    await publish_appraisal_events(jetstream.js, tenant, events)
    await wait_for_decisions(rewards, tenant, len(events))
    hr = as_hr(rewards, tenant)

    pages, request = [], rewards_pb2.ListDecisionsRequest(page_size=3)
    while True:
        response = await rewards.stub.ListDecisions(request, metadata=hr)
        pages.append([decision.employee_id for decision in response.decisions])
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    assert pages == [["op-00", "op-01", "op-02"], ["op-03", "op-04", "op-05"], ["op-06"]]

    every, request = [], rewards_pb2.ListActionsRequest(page_size=4, kind=rewards_pb2.ACTION_KIND_TRAINING)
    while True:
        response = await rewards.stub.ListActions(request, metadata=hr)
        every += response.actions
        if not response.next_page_token:
            break
        request.page_token = response.next_page_token
    assert sorted(action.employee_id for action in every) == [f"op-{number:02d}" for number in range(7)]
    tampered = rewards_pb2.ListActionsRequest(page_size=4, page_token=request.page_token or "bm90LWEtdG9rZW4")
    error = await rpc_error(rewards.stub.ListActions(tampered, metadata=hr), grpc.StatusCode.INVALID_ARGUMENT)
    assert "page_token" in field_violations(error)
