"""A cycle's phases (A1): one step forward at a time; entering indicator setting takes the snapshot of who
the cycle covers, entering a later phase needs the earlier work done and lists, employee by employee,
what is missing; every move is announced; FinalizeCycle, not AdvanceCycle, finalizes."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.setup_helpers import (
    Org,
    advance,
    as_hr,
    as_person,
    build_org,
    create_cycle,
    phase_events,
    qualitative_item,
    quantitative_item,
    setup_unchanged,
    stored_members,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, mask, precondition_violations, rpc_error
from tests.support.org import OrgHarness

P = appraisal_pb2
FINALIZATION_TIMEOUT_SECONDS = 20


async def advance_error(
    appraisal: AppraisalHarness, org: Org, cycle_id: str, phase: int, **rest: object
) -> grpc.aio.AioRpcError:
    request = P.AdvanceCycleRequest(cycle_id=cycle_id, to_phase=phase, **rest)  # type: ignore[arg-type]
    async with setup_unchanged(appraisal):
        return await rpc_error(
            appraisal.stub.AdvanceCycle(request, metadata=as_hr(appraisal, org)),
            grpc.StatusCode.FAILED_PRECONDITION,
        )


async def finalized(appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str) -> None:
    """Waits until the background finalization of the cycle is done (it writes events until then)."""
    deadline = time.monotonic() + FINALIZATION_TIMEOUT_SECONDS
    request = P.GetFinalizationRequest(cycle_id=cycle_id)
    while (
        await appraisal.stub.GetFinalization(request, metadata=metadata)
    ).finalization.state != P.FINALIZATION_STATE_DONE:
        assert time.monotonic() < deadline, "the finalization did not finish"
        await asyncio.sleep(0.1)


async def confirm_scorecards(
    appraisal: AppraisalHarness, org: Org, cycle_id: str, *names: str, rated: bool = False
) -> None:
    """Each employee's scorecard proposed with one quantitative item (and a rated one when `rated`),
    approved by HR and confirmed."""
    items = (
        [quantitative_item(weight=60), qualitative_item(weight=40)]
        if rated
        else [quantitative_item(weight=100)]
    )
    hr = as_hr(appraisal, org)
    for name in names:
        employee_id = org.employees[name]
        await appraisal.stub.ProposeScorecard(
            P.ProposeScorecardRequest(cycle_id=cycle_id, employee_id=employee_id, items=items),
            metadata=hr,
        )
        await appraisal.stub.ReviewScorecard(
            P.ReviewScorecardRequest(cycle_id=cycle_id, employee_id=employee_id, verdict=P.VERDICT_APPROVE),
            metadata=hr,
        )
        await appraisal.stub.ConfirmScorecard(
            P.ConfirmScorecardRequest(cycle_id=cycle_id, employee_id=employee_id),
            metadata=as_person(appraisal, org, name),
        )


async def test_indicator_setting_takes_the_snapshot_of_the_active_employees_of_the_units_subtrees(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built, unit_ids=[built.units["sales"]])

    started = await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)

    employees, units = built.employees, built.units
    assert started.phase == P.PHASE_INDICATOR_SETTING
    assert started.version == created.version + 1
    assert await stored_members(appraisal, built.tenant, created.id) == {
        employees["sales_head"]: (units["sales"], None, employees["ceo"]),
        employees["east_lead"]: (units["east"], None, employees["sales_head"]),
        employees["rep_a"]: (units["east"], built.positions["rep"], employees["east_lead"]),
        employees["rep_b"]: (units["east"], built.positions["rep"], employees["east_lead"]),
        employees["analyst_e"]: (units["east"], built.positions["analyst"], employees["east_lead"]),
    }
    events = [(tenant, event.cycle) for tenant, event in await phase_events(appraisal)]
    assert events == [(built.tenant, started)]


async def test_positions_narrow_who_the_cycle_covers(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(
        appraisal, built, unit_ids=[built.units["company"]], position_ids=[built.positions["analyst"]]
    )

    await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)

    members = await stored_members(appraisal, built.tenant, created.id)
    assert set(members) == {built.employees["analyst"], built.employees["analyst_e"]}


async def test_a_cycle_that_covers_nobody_stays_in_draft(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(
        appraisal, built, unit_ids=[built.units["risk"]], position_ids=[built.positions["rep"]]
    )

    error = await advance_error(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)

    assert "covers nobody" in error.details()


@pytest.mark.parametrize(
    ("phase", "words"),
    [
        (P.PHASE_IN_PROGRESS, "cannot skip"),
        (P.PHASE_DRAFT, "already in draft"),
        (P.PHASE_FINALIZED, "cannot skip"),
    ],
    ids=["skip", "stay", "jump to finalized"],
)
async def test_a_phase_out_of_order_is_refused(
    org: OrgHarness, appraisal: AppraisalHarness, phase: int, words: str
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)

    error = await advance_error(appraisal, built, created.id, phase)

    assert words in error.details()
    assert precondition_violations(error) == {"to_phase": error.details()}


async def test_a_phase_is_required_and_a_stale_version_is_aborted(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    hr = as_hr(appraisal, built)
    async with setup_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.AdvanceCycle(P.AdvanceCycleRequest(cycle_id=created.id), metadata=hr),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        await rpc_error(
            appraisal.stub.AdvanceCycle(
                P.AdvanceCycleRequest(
                    cycle_id=created.id, to_phase=P.PHASE_INDICATOR_SETTING, expected_version=9
                ),
                metadata=hr,
            ),
            grpc.StatusCode.ABORTED,
        )


async def test_a_retried_advance_moves_the_cycle_once(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built)
    request = P.AdvanceCycleRequest(
        cycle_id=created.id, to_phase=P.PHASE_INDICATOR_SETTING, request_id="go-1"
    )

    first = await appraisal.stub.AdvanceCycle(request, metadata=as_hr(appraisal, built))
    again = await appraisal.stub.AdvanceCycle(request, metadata=as_hr(appraisal, built))

    assert first.cycle == again.cycle
    assert len(await phase_events(appraisal)) == 1


async def test_indicator_setting_ends_only_when_every_member_confirmed_their_scorecard(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built, unit_ids=[built.units["risk"]])
    await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)
    await confirm_scorecards(appraisal, built, created.id, "analyst")

    error = await advance_error(appraisal, built, created.id, P.PHASE_IN_PROGRESS)

    assert list(precondition_violations(error)) == [f"employee:{built.employees['risk_head']}"]
    await confirm_scorecards(appraisal, built, created.id, "risk_head")
    in_progress = await advance(appraisal, built, created.id, P.PHASE_IN_PROGRESS)
    assert in_progress.phase == P.PHASE_IN_PROGRESS


async def test_a_cycle_walks_every_phase_and_a_finalized_cycle_cannot_be_edited(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built, unit_ids=[built.units["risk"]])
    await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)
    await confirm_scorecards(appraisal, built, created.id, "analyst", "risk_head")
    for phase in (P.PHASE_IN_PROGRESS, P.PHASE_REVIEW, P.PHASE_CALIBRATION):
        await advance(appraisal, built, created.id, phase)
    hr = as_hr(appraisal, built)

    calibrating = await appraisal.stub.GetCycle(P.GetCycleRequest(cycle_id=created.id), metadata=hr)
    results = await appraisal.stub.ListResults(P.ListResultsRequest(cycle_id=created.id), metadata=hr)
    use_finalize = await advance_error(appraisal, built, created.id, P.PHASE_FINALIZED)
    async with setup_unchanged(appraisal):
        scale_error = await rpc_error(
            appraisal.stub.SetGradeScale(
                P.SetGradeScaleRequest(scale=P.GradeScale(grades=[P.Grade(code="A", min_score=0)])),
                metadata=hr,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    await appraisal.stub.FinalizeCycle(P.FinalizeCycleRequest(cycle_id=created.id), metadata=hr)
    await finalized(appraisal, hr, created.id)
    async with setup_unchanged(appraisal):
        edit_error = await rpc_error(
            appraisal.stub.UpdateCycle(
                P.UpdateCycleRequest(
                    cycle=P.Cycle(id=created.id, deadlines=[]), update_mask=mask("deadlines")
                ),
                metadata=hr,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )

    assert calibrating.cycle.phase == P.PHASE_CALIBRATION
    assert {r.employee_id for r in results.results} == {
        built.employees["analyst"],
        built.employees["risk_head"],
    }
    assert "use FinalizeCycle" in use_finalize.details()
    assert precondition_violations(scale_error) == {f"cycle:{created.id}": "is in calibration"}
    assert "finalized" in edit_error.details()
    phases = [event.cycle.phase for _, event in await phase_events(appraisal)]
    assert phases[:4] == [P.PHASE_INDICATOR_SETTING, P.PHASE_IN_PROGRESS, P.PHASE_REVIEW, P.PHASE_CALIBRATION]


async def test_calibration_waits_for_the_manager_reviews_of_rated_items(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    built = await build_org(org, appraisal)
    created = await create_cycle(appraisal, built, unit_ids=[built.units["risk"]])
    await advance(appraisal, built, created.id, P.PHASE_INDICATOR_SETTING)
    await confirm_scorecards(appraisal, built, created.id, "risk_head")
    await confirm_scorecards(appraisal, built, created.id, "analyst", rated=True)
    for phase in (P.PHASE_IN_PROGRESS, P.PHASE_REVIEW):
        await advance(appraisal, built, created.id, phase)

    error = await advance_error(appraisal, built, created.id, P.PHASE_CALIBRATION)

    assert list(precondition_violations(error)) == [f"employee:{built.employees['analyst']}"]
    results = await appraisal.stub.ListResults(
        P.ListResultsRequest(cycle_id=created.id), metadata=as_hr(appraisal, built)
    )
    assert list(results.results) == []
