"""Feedback and appeals (A8): the employee agrees or disagrees with a finalized result and may appeal it
within the window; the manager's manager (or HR) upholds or changes the grade, and a change is audited
and announced as GradeRevised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from sqlalchemy import update

from services.appraisal.adapters import tables
from services.chassis.database import create_engine
from tests.integration.appraisal.outcomes_helpers import (
    calibrating_cycle,
    finalized,
    outcomes_unchanged,
    result_of,
    stored_events,
)
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person, build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page, field_violations, precondition_violations, rpc_error
from tests.support.org import OrgHarness


async def _finalized_cycle(org: OrgHarness, appraisal: AppraisalHarness) -> tuple[Org, str]:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, cycle.id)
    return company, cycle.id


async def _file(
    appraisal: AppraisalHarness, company: Org, cycle_id: str, name: str, **fields: str
) -> appraisal_pb2.Appeal:
    request = appraisal_pb2.FileAppealRequest(
        cycle_id=cycle_id, employee_id=company.employees[name], reason="my teamwork was overlooked", **fields
    )
    return (await appraisal.stub.FileAppeal(request, metadata=as_person(appraisal, company, name))).appeal


async def test_the_employee_responds_to_their_finalized_result(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company, cycle_id = await _finalized_cycle(org, appraisal)
    rep_b = as_person(appraisal, company, "rep_b")
    request = appraisal_pb2.RespondToResultRequest(
        cycle_id=cycle_id,
        employee_id=company.employees["rep_b"],
        agreement=appraisal_pb2.AGREEMENT_DISAGREE,
        comment="the quarter had two launches",
        request_id="respond-1",
    )
    responded = (await appraisal.stub.RespondToResult(request, metadata=rep_b)).result
    assert (responded.agreement, responded.agreement_comment) == (
        appraisal_pb2.AGREEMENT_DISAGREE,
        "the quarter had two launches",
    )
    assert (
        await result_of(appraisal, company, cycle_id, "rep_b")
    ).agreement == appraisal_pb2.AGREEMENT_DISAGREE
    again = (await appraisal.stub.RespondToResult(request, metadata=rep_b)).result
    assert again.version == responded.version

    async with outcomes_unchanged(appraisal):
        bad = appraisal_pb2.RespondToResultRequest(
            cycle_id=cycle_id, employee_id=company.employees["rep_b"], comment="x" * 4001
        )
        error = await rpc_error(
            appraisal.stub.RespondToResult(bad, metadata=rep_b), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert field_violations(error) == {
            "agreement": "is required",
            "comment": "must be at most 4000 characters",
        }
        others = appraisal_pb2.RespondToResultRequest(
            cycle_id=cycle_id, employee_id=company.employees["rep_b"], agreement=appraisal_pb2.AGREEMENT_AGREE
        )
        await rpc_error(
            appraisal.stub.RespondToResult(others, metadata=as_person(appraisal, company, "east_lead")),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await rpc_error(
            appraisal.stub.RespondToResult(others, metadata=as_person(appraisal, company, "rep_a")),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            appraisal.stub.RespondToResult(
                others, metadata=appraisal.as_("another-tenant", company.employees["rep_b"])
            ),
            grpc.StatusCode.NOT_FOUND,
        )


async def test_a_result_not_finalized_takes_no_response_or_appeal(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    rep_b = as_person(appraisal, company, "rep_b")
    async with outcomes_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.RespondToResult(
                appraisal_pb2.RespondToResultRequest(
                    cycle_id=cycle.id,
                    employee_id=company.employees["rep_b"],
                    agreement=appraisal_pb2.AGREEMENT_AGREE,
                ),
                metadata=rep_b,
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        await rpc_error(_file(appraisal, company, cycle.id, "rep_b"), grpc.StatusCode.FAILED_PRECONDITION)


async def test_an_appeal_goes_to_the_managers_manager_who_changes_the_grade(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company, cycle_id = await _finalized_cycle(org, appraisal)
    before = await result_of(appraisal, company, cycle_id, "rep_b")
    appeal = await _file(appraisal, company, cycle_id, "rep_b", request_id="appeal-1")
    assert appeal.handler_employee_id == company.employees["sales_head"]
    assert (appeal.state, appeal.old_grade) == (appraisal_pb2.APPEAL_STATE_OPEN, before.grade)
    assert await _file(appraisal, company, cycle_id, "rep_b", request_id="appeal-1") == appeal

    async with outcomes_unchanged(appraisal):
        error = await rpc_error(
            _file(appraisal, company, cycle_id, "rep_b"), grpc.StatusCode.FAILED_PRECONDITION
        )
        assert precondition_violations(error) == {
            f"employee:{company.employees['rep_b']}": "already has an open appeal"
        }

    handler = as_person(appraisal, company, "sales_head")
    listed = await appraisal.stub.ListAppeals(appraisal_pb2.ListAppealsRequest(), metadata=handler)
    assert [found.id for found in listed.appeals] == [appeal.id]

    decide = appraisal_pb2.DecideAppealRequest(
        appeal_id=appeal.id, new_grade="C", reason="launch work counted"
    )
    async with outcomes_unchanged(appraisal):
        for caller, code in (
            (as_person(appraisal, company, "rep_b"), grpc.StatusCode.PERMISSION_DENIED),
            (as_person(appraisal, company, "east_lead"), grpc.StatusCode.PERMISSION_DENIED),
            (as_person(appraisal, company, "analyst"), grpc.StatusCode.NOT_FOUND),
            (appraisal.admin("another-tenant"), grpc.StatusCode.NOT_FOUND),
        ):
            await rpc_error(appraisal.stub.DecideAppeal(decide, metadata=caller), code)
        bad = appraisal_pb2.DecideAppealRequest(appeal_id=appeal.id, new_grade="Z")
        error = await rpc_error(
            appraisal.stub.DecideAppeal(bad, metadata=handler), grpc.StatusCode.INVALID_ARGUMENT
        )
        assert field_violations(error) == {"reason": "is required"}

    decided = (await appraisal.stub.DecideAppeal(decide, metadata=handler)).appeal
    assert (decided.state, decided.old_grade, decided.new_grade, decided.decided_by) == (
        appraisal_pb2.APPEAL_STATE_CHANGED,
        before.grade,
        "C",
        company.employees["sales_head"],
    )
    after = await result_of(appraisal, company, cycle_id, "rep_b")
    assert (after.grade, after.grade_source, after.score) == (
        "C",
        appraisal_pb2.GRADE_SOURCE_APPEAL,
        before.score,
    )
    changes = (
        await appraisal.stub.ListResultChanges(
            appraisal_pb2.ListResultChangesRequest(cycle_id=cycle_id, employee_id=company.employees["rep_b"]),
            metadata=as_hr(appraisal, company),
        )
    ).changes
    assert (changes[-1].source, changes[-1].old_grade, changes[-1].new_grade, changes[-1].reason) == (
        appraisal_pb2.GRADE_SOURCE_APPEAL,
        before.grade,
        "C",
        "launch work counted",
    )
    revised = [
        event
        for tenant, event in await stored_events(appraisal, events_pb2.GradeRevised)
        if tenant == company.tenant
    ]
    assert revised == [
        events_pb2.GradeRevised(
            cycle_id=cycle_id,
            employee_id=company.employees["rep_b"],
            old_grade=before.grade,
            new_grade="C",
            score=before.score,
            appeal_id=appeal.id,
            reason="launch work counted",
        )
    ]
    async with outcomes_unchanged(appraisal):
        await rpc_error(
            appraisal.stub.DecideAppeal(decide, metadata=handler), grpc.StatusCode.FAILED_PRECONDITION
        )


async def test_an_appeal_without_a_second_manager_goes_to_hr_who_upholds_it(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company, cycle_id = await _finalized_cycle(org, appraisal)
    before = await result_of(appraisal, company, cycle_id, "sales_head")
    appeal = await _file(appraisal, company, cycle_id, "sales_head")
    assert appeal.handler_employee_id == ""
    scoped_hr = as_hr(appraisal, company, "sales")
    listed = await appraisal.stub.ListAppeals(
        appraisal_pb2.ListAppealsRequest(cycle_id=cycle_id), metadata=scoped_hr
    )
    assert [found.id for found in listed.appeals] == [appeal.id]
    outside_hr = as_hr(appraisal, company, "risk")
    assert not (
        await appraisal.stub.ListAppeals(appraisal_pb2.ListAppealsRequest(), metadata=outside_hr)
    ).appeals

    decided = (
        await appraisal.stub.DecideAppeal(
            appraisal_pb2.DecideAppealRequest(appeal_id=appeal.id, reason="the grade stands"),
            metadata=scoped_hr,
        )
    ).appeal
    assert (decided.state, decided.new_grade) == (appraisal_pb2.APPEAL_STATE_UPHELD, before.grade)
    assert (await result_of(appraisal, company, cycle_id, "sales_head")).grade == before.grade
    assert not [
        event
        for tenant, event in await stored_events(appraisal, events_pb2.GradeRevised)
        if tenant == company.tenant
    ]
    upheld = await appraisal.stub.ListAppeals(
        appraisal_pb2.ListAppealsRequest(state=appraisal_pb2.APPEAL_STATE_UPHELD),
        metadata=as_person(appraisal, company, "sales_head"),
    )
    assert [found.id for found in upheld.appeals] == [appeal.id]


async def test_appeals_list_in_pages(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    company, cycle_id = await _finalized_cycle(org, appraisal)
    filed = [(await _file(appraisal, company, cycle_id, name)).id for name in ("rep_a", "rep_b", "analyst_e")]
    pages = await every_page(
        appraisal.stub.ListAppeals,
        appraisal_pb2.ListAppealsRequest(page_size=2),
        "appeals",
        appraisal.admin(company.tenant),
    )
    assert [[appeal.id for appeal in page] for page in pages] == [filed[:2], filed[2:]]
    assert not (
        await appraisal.stub.ListAppeals(
            appraisal_pb2.ListAppealsRequest(), metadata=appraisal.admin("another-tenant")
        )
    ).appeals


async def test_an_appeal_after_the_window_is_refused(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    company, cycle_id = await _finalized_cycle(org, appraisal)
    # The default window is 14 days from the end of finalization: move that end 15 days back.
    finalizations = tables.finalizations
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(finalizations)
                .where(finalizations.c.tenant_id == company.tenant, finalizations.c.cycle_id == cycle_id)
                .values(done_at=datetime.now(UTC) - timedelta(days=15))
            )
    finally:
        await engine.dispose()
    async with outcomes_unchanged(appraisal):
        error = await rpc_error(
            _file(appraisal, company, cycle_id, "rep_b"), grpc.StatusCode.FAILED_PRECONDITION
        )
    assert list(precondition_violations(error)) == ["cycle.appeal_window_days"]
