"""What the demo's grades and points set in motion, as the people concerned see it through RewardsService
after `fulcrum up --demo`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from fulcrum.rewards.v1 import rewards_pb2, rewards_pb2_grpc

from services.chassis.auth import TokenIssuer
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from services.chassis.demo.org import bearer_metadata, employees_by_number

CALL_TIMEOUT = 10
PAGE_SIZE = 500
# What the manufacturer's policy (R1) does for each grade, in words (see `outcome`).
MANUFACTURER_OUTCOMES = {
    "A": {"salary +15%", "training: Quality control", "promotion candidate: team lead"},
    "B": {"bonus: 20% of the monthly salary", "training: Operating skills"},
    "C": {"improvement plan"},
    "D": {"HR alert: reassignment", "improvement plan, escalated to exit review"},
}


async def the_manufacturer_policy_decided_every_grade_of_the_quarter(
    appraisal_address: str, rewards_address: str, issuer: TokenIssuer
) -> None:
    """Every operator graded in the finalized quarter has a decision under the manufacturer's policy,
    with that policy's actions for their grade; each C grade opened an improvement plan, whose goals
    the operator's line lead has set."""
    hr = bearer_metadata(issuer.issue("autoparts", "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
    async with (
        grpc.aio.insecure_channel(appraisal_address) as appraisal_channel,
        grpc.aio.insecure_channel(rewards_address) as rewards_channel,
    ):
        appraisal = appraisal_pb2_grpc.AppraisalServiceStub(appraisal_channel)
        rewards = rewards_pb2_grpc.RewardsServiceStub(rewards_channel)
        finalized = appraisal_pb2.ListCyclesRequest(phase=appraisal_pb2.PHASE_FINALIZED)
        (cycle,) = (await appraisal.ListCycles(finalized, metadata=hr, timeout=CALL_TIMEOUT)).cycles
        request = appraisal_pb2.ListResultsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE)
        results = (await appraisal.ListResults(request, metadata=hr, timeout=CALL_TIMEOUT)).results
        grades = {result.employee_id: result.grade for result in results}

        listed = rewards_pb2.ListDecisionsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE)
        decisions = (await rewards.ListDecisions(listed, metadata=hr, timeout=CALL_TIMEOUT)).decisions
        listed_actions = rewards_pb2.ListActionsRequest(cycle_id=cycle.id, page_size=PAGE_SIZE)
        actions = (await rewards.ListActions(listed_actions, metadata=hr, timeout=CALL_TIMEOUT)).actions
        in_force = await rewards.GetPolicy(
            rewards_pb2.GetPolicyRequest(as_of=cycle.period_end), metadata=hr, timeout=CALL_TIMEOUT
        )
        pips = {
            employee_id: (
                await rewards.ListPips(
                    rewards_pb2.ListPipsRequest(employee_id=employee_id), metadata=hr, timeout=CALL_TIMEOUT
                )
            ).pips
            for employee_id, grade in grades.items()
            if grade == "C"
        }

    assert {d.employee_id: (d.grade, d.status, d.policy_version) for d in decisions} == {
        employee_id: (grade, rewards_pb2.DECISION_STATUS_DECIDED, in_force.policy.version)
        for employee_id, grade in grades.items()
    }
    outcomes: dict[str, set[str]] = defaultdict(set)
    for action in actions:
        outcomes[action.employee_id].add(outcome(action))
    assert outcomes == {employee_id: MANUFACTURER_OUTCOMES[grade] for employee_id, grade in grades.items()}
    assert set(grades.values()) >= {"A", "C"}
    plans = {
        action.employee_id: action.spec.improvement_plan.pip_id
        for action in actions
        if action.spec.improvement_plan.pip_id
    }
    # The line lead set the plan's goals.
    for employee_id, employee_pips in pips.items():
        assert [(pip.id, pip.cycle_id, pip.status, pip.goals[0].description) for pip in employee_pips] == [
            (plans[employee_id], cycle.id, rewards_pb2.PIP_STATUS_ACTIVE, "Personal defect rate below 3%")
        ]


def outcome(action: rewards_pb2.Action) -> str:
    """An action in the words of the requirements."""
    spec: Any = getattr(action.spec, action.spec.WhichOneof("spec"))
    kind = action.kind
    if kind == rewards_pb2.ACTION_KIND_SALARY_ADJUSTMENT:
        return f"salary {spec.percent:+g}%"
    if kind == rewards_pb2.ACTION_KIND_BONUS and spec.WhichOneof("amount") == "fixed":
        return f"bonus: {spec.fixed.amount} {spec.fixed.currency_code}"
    if kind == rewards_pb2.ACTION_KIND_BONUS:
        return f"bonus: {spec.percent_of_monthly_salary:g}% of the monthly salary"
    if kind == rewards_pb2.ACTION_KIND_TRAINING:
        return f"training: {spec.course_title}"
    if kind == rewards_pb2.ACTION_KIND_PROMOTION_CANDIDACY:
        return f"promotion candidate: {spec.target}"
    if kind == rewards_pb2.ACTION_KIND_IMPROVEMENT_PLAN and spec.escalation:
        return f"improvement plan, escalated to {_alert_words(spec.escalation)}"
    if kind == rewards_pb2.ACTION_KIND_IMPROVEMENT_PLAN:
        return "improvement plan"
    if kind == rewards_pb2.ACTION_KIND_HR_ALERT:
        return f"HR alert: {_alert_words(spec.kind)}"
    return f"leave: {spec.days} days"


def _alert_words(kind: int) -> str:
    return rewards_pb2.HrAlertKind.Name(kind).removeprefix("HR_ALERT_KIND_").replace("_", " ").lower()


async def the_support_functions_earned_and_redeemed_points(
    org: org_pb2_grpc.OrgServiceStub, rewards_address: str, issuer: TokenIssuer
) -> None:
    """The fintech company's points scenario (R5): balances after the approved claims and the two
    redemptions, the quarter's leaderboard, cross-department support rare in Technology, and the
    redemptions become a payroll bonus and a course enrolment."""
    hr = bearer_metadata(issuer.issue("fintech", "e2e-hr", [ROLE_EMPLOYEE, ROLE_HR]))
    employees = await employees_by_number(org, hr)
    units = await org.ListUnits(
        org_pb2.ListUnitsRequest(page_size=PAGE_SIZE), metadata=hr, timeout=CALL_TIMEOUT
    )
    unit_ids = {unit.code: unit.id for unit in units.units}
    number = {employee.id: employee_number for employee_number, employee in employees.items()}
    async with grpc.aio.insecure_channel(rewards_address) as channel:
        rewards = rewards_pb2_grpc.RewardsServiceStub(channel)
        balances = {}
        for employee_number in ("FT0089", "FT0125", "FT0137", "FT0193", "FT0198", "FT0140"):
            request = rewards_pb2.GetPointBalanceRequest(employee_id=employees[employee_number].id)
            balance = await rewards.GetPointBalance(request, metadata=hr, timeout=CALL_TIMEOUT)
            balances[employee_number] = (balance.earned, balance.spent, balance.balance)
        leaderboard = await rewards.GetLeaderboard(
            rewards_pb2.GetLeaderboardRequest(limit=3), metadata=hr, timeout=CALL_TIMEOUT
        )
        rarity = {
            code: await rewards.GetTagRarity(
                rewards_pb2.GetTagRarityRequest(unit_id=unit_ids[code]), metadata=hr, timeout=CALL_TIMEOUT
            )
            for code in ("FT-TECH", "FT-FIN")
        }
        # The Technology engineer's cross-department claim still waits for his manager.
        waiting = await rewards.ListClaims(
            rewards_pb2.ListClaimsRequest(awaiting_me=True),
            metadata=bearer_metadata(issuer.issue("fintech", employees["FT0136"].id, [ROLE_EMPLOYEE])),
            timeout=CALL_TIMEOUT,
        )
        rejected = await rewards.ListClaims(
            rewards_pb2.ListClaimsRequest(status=rewards_pb2.CLAIM_STATUS_REJECTED),
            metadata=bearer_metadata(issuer.issue("fintech", employees["FT0198"].id, [ROLE_EMPLOYEE])),
            timeout=CALL_TIMEOUT,
        )
        redemptions = (
            await rewards.ListRedemptions(
                rewards_pb2.ListRedemptionsRequest(), metadata=hr, timeout=CALL_TIMEOUT
            )
        ).redemptions
        ledger = [
            action
            for employee_number in ("FT0089", "FT0125")
            for action in (
                await rewards.ListActions(
                    rewards_pb2.ListActionsRequest(employee_id=employees[employee_number].id),
                    metadata=hr,
                    timeout=CALL_TIMEOUT,
                )
            ).actions
        ]

    assert balances == {
        "FT0089": (350, 100, 250),
        "FT0125": (150, 150, 0),
        "FT0137": (200, 0, 200),
        "FT0193": (100, 0, 100),
        "FT0198": (0, 0, 0),
        "FT0140": (0, 0, 0),
    }
    assert [(entry.rank, number[entry.employee_id], entry.points) for entry in leaderboard.entries] == [
        (1, "FT0089", 350),
        (2, "FT0137", 200),
        (3, "FT0125", 150),
    ]
    rare = {code: {tag.tag.code for tag in response.tags if tag.rare} for code, response in rarity.items()}
    assert rare == {"FT-TECH": {"cross-department-support"}, "FT-FIN": set()}
    assert [(number[claim.employee_id], claim.tag_code) for claim in waiting.claims] == [
        ("FT0140", "cross-department-support")
    ]
    assert [(claim.status, claim.decided_by) for claim in rejected.claims] == [
        (rewards_pb2.CLAIM_STATUS_REJECTED, employees["FT0197"].id)
    ]
    assert rejected.claims[0].decision_reason
    assert sorted((number[r.employee_id], r.points, outcome(r.action)) for r in redemptions) == [
        ("FT0089", 100, "bonus: 5000 CNY"),
        ("FT0125", 150, "training: Data storytelling for decision makers (external)"),
    ]
    # Each redemption is in the ledger of actions, under the key payroll and the LMS deduplicate on.
    assert sorted((a.idempotency_key, a.origin) for a in ledger) == sorted(
        (f"fintech/redemption/{r.id}", rewards_pb2.ACTION_ORIGIN_REDEMPTION) for r in redemptions
    )
