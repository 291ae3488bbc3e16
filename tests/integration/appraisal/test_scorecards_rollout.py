"""The HR director's rollout view (A3): per department done / waiting / returned / not started / overdue
and the non-compliant items, so that the fintech company reads "80% done, 2 non-compliant"."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    PEOPLE,
    RETURN,
    VALUES,
    WITH_ONE_FINDING,
    approved,
    build_company,
    hr,
    indicator_setting,
    move_indicator_deadline,
    person,
    propose,
    review,
    rollout,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import precondition_violations, rpc_error
from tests.support.org import OrgHarness


def counts(unit: appraisal_pb2.UnitRollout) -> dict[str, int]:
    return {
        "employees": unit.employees,
        "done": unit.done,
        "waiting_for_review": unit.waiting_for_review,
        "returned": unit.returned,
        "not_started": unit.not_started,
        "overdue": unit.overdue,
        "non_compliant_items": unit.non_compliant_items,
    }


async def test_four_of_five_departments_done_with_two_non_compliant_items_is_80_percent(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    for department in ("sales", "operations", "tech", "risk"):
        for name in PEOPLE[department]:
            # HR approves a scorecard whose findings it accepts; the findings stay counted.
            non_compliant = name in ("seller_a", "analyst")
            await approved(appraisal, company, cycle_id, name, WITH_ONE_FINDING if non_compliant else VALUES)
    await propose(
        appraisal, person(appraisal, company, "director"), cycle_id, company.employees["compliance_head"]
    )

    found = await rollout(appraisal, hr(appraisal, company), cycle_id, company.units["fintech"])

    assert found.units_done_percent == 80.0
    assert found.total.non_compliant_items == 2
    by_unit = {unit.unit_id: counts(unit) for unit in found.units}
    assert set(by_unit) == {company.units[department] for department in PEOPLE}
    done = {"waiting_for_review": 0, "returned": 0, "not_started": 0, "overdue": 0}
    assert by_unit[company.units["sales"]] == {"employees": 3, "done": 3, "non_compliant_items": 1, **done}
    assert by_unit[company.units["risk"]] == {"employees": 2, "done": 2, "non_compliant_items": 1, **done}
    assert by_unit[company.units["tech"]] == {"employees": 2, "done": 2, "non_compliant_items": 0, **done}
    assert by_unit[company.units["compliance"]] == {
        "employees": 2,
        "done": 0,
        "waiting_for_review": 1,
        "returned": 0,
        "not_started": 1,
        "overdue": 0,
        "non_compliant_items": 0,
    }
    # The director sits in the company unit itself: in the total, in no department.
    assert counts(found.total) == {
        "employees": 12,
        "done": 9,
        "waiting_for_review": 1,
        "returned": 0,
        "not_started": 2,
        "overdue": 0,
        "non_compliant_items": 2,
    }


async def test_after_the_deadline_whoever_is_not_done_is_overdue_and_returned_ones_are_counted(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company, "sales", "tech")
    seller_a, seller_b = company.employees["seller_a"], company.employees["seller_b"]
    await approved(appraisal, company, cycle_id, "sales_head")
    await propose(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller_a)
    reason = appraisal_pb2.ItemReturn(reason="Add a sales target")
    await review(appraisal, hr(appraisal, company), cycle_id, seller_a, RETURN, reason)
    await propose(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller_b)

    before = await rollout(appraisal, hr(appraisal, company), cycle_id)
    await move_indicator_deadline(appraisal, company, cycle_id, -1)
    after = await rollout(appraisal, hr(appraisal, company), cycle_id)

    # Without a unit named, the cycle's own units are listed.
    assert [unit.unit_id for unit in after.units] == [company.units["sales"], company.units["tech"]]
    sales, tech = after.units
    assert (sales.done, sales.returned, sales.waiting_for_review, sales.not_started) == (1, 1, 1, 0)
    assert [unit.overdue for unit in before.units] == [0, 0]
    assert (sales.overdue, tech.overdue, after.total.overdue) == (2, 2, 4)
    assert after.units_done_percent == 0.0


async def test_heads_see_the_rollout_of_their_own_department_only_and_employees_none(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    sales_head = person(appraisal, company, "sales_head")

    own = await rollout(appraisal, sales_head, cycle_id, company.units["sales"])
    assert own.total.employees == 3
    assert list(own.units) == []  # nobody sits below sales: its people count in the total
    scoped_hr = await rollout(appraisal, hr(appraisal, company, "sales"), cycle_id, company.units["sales"])
    assert scoped_hr.total.employees == 3

    await rpc_error(
        rollout(appraisal, sales_head, cycle_id, company.units["fintech"]), grpc.StatusCode.PERMISSION_DENIED
    )
    await rpc_error(rollout(appraisal, sales_head, cycle_id), grpc.StatusCode.PERMISSION_DENIED)
    await rpc_error(
        rollout(appraisal, hr(appraisal, company, "sales"), cycle_id, company.units["risk"]),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await rpc_error(
        rollout(appraisal, person(appraisal, company, "seller_a"), cycle_id, company.units["sales"]),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await rpc_error(
        rollout(appraisal, hr(appraisal, company), cycle_id, "no-such-unit"), grpc.StatusCode.NOT_FOUND
    )
    await rpc_error(rollout(appraisal, hr(appraisal, company), "no-such-cycle"), grpc.StatusCode.NOT_FOUND)
    await rpc_error(rollout(appraisal, hr(appraisal, company), ""), grpc.StatusCode.INVALID_ARGUMENT)


async def test_the_cycle_cannot_leave_indicator_setting_until_every_scorecard_is_confirmed(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company, "tech")
    tech_head, developer = (company.employees[name] for name in PEOPLE["tech"])
    await approved(appraisal, company, cycle_id, "developer")

    request = appraisal_pb2.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=appraisal_pb2.PHASE_IN_PROGRESS)
    error = await rpc_error(
        appraisal.stub.AdvanceCycle(request, metadata=appraisal.admin(company.tenant)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )

    assert precondition_violations(error) == {
        f"employee:{tech_head}": "has no scorecard proposed yet",
        f"employee:{developer}": "has an approved scorecard waiting for the employee's confirmation",
    }
