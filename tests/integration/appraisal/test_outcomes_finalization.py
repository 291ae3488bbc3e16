"""Finalization (A7): the request locks the cycle and returns at once; the background worker announces one
GradeFinalized per employee; finalizing again announces nothing; quotas and phases are checked first."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2

from tests.integration.appraisal.outcomes_helpers import (
    MEMBERS,
    calibrating_cycle,
    finalization,
    finalize,
    finalized,
    grade_finalized_events,
    grades_of,
    outcomes_unchanged,
    result_of,
    stored_events,
    wait_until_done,
)
from tests.integration.appraisal.setup_helpers import as_hr, as_person, build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import mask, precondition_violations, rpc_error
from tests.support.org import OrgHarness


async def test_finalizing_announces_every_grade_once_in_the_background(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    grades = await grades_of(appraisal, company, cycle.id)

    started = await finalize(appraisal, company, cycle.id)
    assert started.state in (appraisal_pb2.FINALIZATION_STATE_RUNNING, appraisal_pb2.FINALIZATION_STATE_DONE)
    assert started.employees == len(MEMBERS)
    assert started.HasField("start_time")
    locked = await appraisal.stub.GetCycle(
        appraisal_pb2.GetCycleRequest(cycle_id=cycle.id), metadata=appraisal.admin(company.tenant)
    )
    assert locked.cycle.phase == appraisal_pb2.PHASE_FINALIZED

    done = await wait_until_done(appraisal, company, cycle.id)
    assert (done.employees, done.finalized) == (len(MEMBERS), len(MEMBERS))
    assert done.HasField("done_time")
    # Progress is for anyone of the tenant to see, like the cycle itself.
    seen = await finalization(appraisal, as_person(appraisal, company, "rep_a"), cycle.id)
    assert seen.finalized == len(MEMBERS)

    events = await grade_finalized_events(appraisal, company.tenant)
    by_employee = {event.employee_id: event for event in events}
    assert len(events) == len(by_employee) == len(MEMBERS)
    names = {company.employees[name]: name for name in MEMBERS}
    assert {names[employee]: event.grade for employee, event in by_employee.items()} == grades
    rep_a = by_employee[company.employees["rep_a"]]
    assert (rep_a.cycle_id, rep_a.cycle_name, rep_a.cycle_kind) == (
        cycle.id,
        cycle.name,
        appraisal_pb2.CYCLE_KIND_QUARTERLY,
    )
    assert (rep_a.period_start, rep_a.period_end) == (cycle.period_start, cycle.period_end)
    assert (rep_a.unit_id, rep_a.position_id) == (company.units["east"], company.positions["rep"])
    assert rep_a.score == 100.0
    assert [(item.title, item.score) for item in rep_a.items] == [
        ("Customer focus", 100.0),
        ("Teamwork", 100.0),
    ]
    assert (await result_of(appraisal, company, cycle.id, "rep_a")).finalized
    phase_changes = [
        event.cycle.phase
        for tenant, event in await stored_events(appraisal, events_pb2.CyclePhaseChanged)
        if tenant == company.tenant and event.cycle.id == cycle.id
    ]
    assert phase_changes[-1] == appraisal_pb2.PHASE_FINALIZED


async def test_finalizing_again_returns_the_same_finalization_and_announces_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    first = await finalized(appraisal, company, cycle.id)

    async with outcomes_unchanged(appraisal):
        again = await finalize(appraisal, company, cycle.id, request_id="again")
    assert again == first
    assert len(await grade_finalized_events(appraisal, company.tenant)) == len(MEMBERS)


async def test_a_retried_finalize_request_returns_its_first_answer(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    first = await finalize(appraisal, company, cycle.id, request_id="finalize-1")
    await wait_until_done(appraisal, company, cycle.id)
    retried = await finalize(appraisal, company, cycle.id, request_id="finalize-1")
    assert (retried.cycle_id, retried.employees, retried.start_time) == (
        first.cycle_id,
        first.employees,
        first.start_time,
    )
    assert len(await grade_finalized_events(appraisal, company.tenant)) == len(MEMBERS)


async def test_a_cycle_breaking_a_quota_is_not_finalized(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    # Two of five hold A, but at most 20% (one) may; calibration only refuses moves, so it can stand.
    cycle = await calibrating_cycle(
        appraisal, company, quotas=[appraisal_pb2.GradeQuota(grade="A", max_percent=20)]
    )
    async with outcomes_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.FinalizeCycle(
                appraisal_pb2.FinalizeCycleRequest(cycle_id=cycle.id),
                metadata=appraisal.admin(company.tenant),
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    assert precondition_violations(error) == {
        "cycle.quotas": "2 of 5 employees hold grade A; its quota of 20% allows at most 1"
    }

    # Once calibration brings A within the quota, the cycle finalizes.
    await appraisal.stub.CalibrateGrade(
        appraisal_pb2.CalibrateGradeRequest(
            cycle_id=cycle.id, employee_id=company.employees["rep_a"], grade="B", reason="calibrated to quota"
        ),
        metadata=as_hr(appraisal, company),
    )
    done = await finalized(appraisal, company, cycle.id)
    assert done.finalized == len(MEMBERS)


async def test_only_a_cycle_in_calibration_is_finalized_and_only_by_admins_or_tenant_wide_hr(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    draft = (
        await appraisal.stub.CreateCycle(
            appraisal_pb2.CreateCycleRequest(
                cycle=appraisal_pb2.Cycle(
                    name="draft",
                    kind=appraisal_pb2.CYCLE_KIND_ANNUAL,
                    period_start="2027-01-01",
                    period_end="2027-12-31",
                    unit_ids=[company.units["sales"]],
                )
            ),
            metadata=appraisal.admin(company.tenant),
        )
    ).cycle
    async with outcomes_unchanged(appraisal):
        error = await rpc_error(
            appraisal.stub.FinalizeCycle(
                appraisal_pb2.FinalizeCycleRequest(cycle_id=draft.id),
                metadata=appraisal.admin(company.tenant),
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert precondition_violations(error) == {"cycle.phase": "is draft, not calibration"}
        for caller in (as_hr(appraisal, company, "sales"), as_person(appraisal, company, "sales_head")):
            await rpc_error(
                appraisal.stub.FinalizeCycle(
                    appraisal_pb2.FinalizeCycleRequest(cycle_id=draft.id), metadata=caller
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
        await rpc_error(
            appraisal.stub.FinalizeCycle(
                appraisal_pb2.FinalizeCycleRequest(cycle_id="no-such-cycle"),
                metadata=appraisal.admin(company.tenant),
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            appraisal.stub.GetFinalization(
                appraisal_pb2.GetFinalizationRequest(cycle_id=draft.id),
                metadata=appraisal.admin(company.tenant),
            ),
            grpc.StatusCode.NOT_FOUND,
        )


async def test_a_finalized_cycle_refuses_every_change(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, cycle.id)
    admin = appraisal.admin(company.tenant)
    async with outcomes_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.CalibrateGrade(
                appraisal_pb2.CalibrateGradeRequest(
                    cycle_id=cycle.id, employee_id=company.employees["rep_b"], grade="C", reason="too late"
                ),
                metadata=as_hr(appraisal, company),
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        await rpc_error(
            appraisal.stub.UpdateCycle(
                appraisal_pb2.UpdateCycleRequest(
                    cycle=appraisal_pb2.Cycle(id=cycle.id, name="renamed"), update_mask=mask("name")
                ),
                metadata=admin,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        await rpc_error(
            appraisal.stub.AdvanceCycle(
                appraisal_pb2.AdvanceCycleRequest(cycle_id=cycle.id, to_phase=appraisal_pb2.PHASE_FINALIZED),
                metadata=admin,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )


async def test_another_tenants_cycle_is_not_found(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    other = await build_org(org, appraisal)
    async with outcomes_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.FinalizeCycle(
                appraisal_pb2.FinalizeCycleRequest(cycle_id=cycle.id), metadata=appraisal.admin(other.tenant)
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    await finalized(appraisal, company, cycle.id)
    await rpc_error(
        appraisal.stub.GetFinalization(
            appraisal_pb2.GetFinalizationRequest(cycle_id=cycle.id), metadata=appraisal.admin(other.tenant)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
