"""Calibration (A6): during CALIBRATION, HR covering an employee or someone who manages them moves the
grade with a reason, never past a distribution quota of the cycle; every change is on record: who,
when, why, old -> new."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.outcomes_helpers import finalized
from tests.integration.appraisal.results_helpers import (
    CALIBRATION,
    SCORE_BANDS,
    calibrate,
    calibrating,
    changes,
    hr_of,
    nothing_changes,
    person,
    result,
    results,
)
from tests.integration.appraisal.setup_helpers import build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import field_violations, precondition_violations, rpc_error
from tests.support.org import OrgHarness

# east_lead 100 (A), rep_a and rep_b 75 (B), analyst_e 50 (D).
RATINGS = {"east_lead": (5, 5), "rep_a": (4, 4), "rep_b": (4, 4), "analyst_e": (3, 3)}
# Of the four: at most one A, at most two B.
QUOTAS = [
    appraisal_pb2.GradeQuota(grade="A", max_percent=25),
    appraisal_pb2.GradeQuota(grade="B", max_percent=50),
]


async def test_a_grade_moves_within_the_quotas_and_every_change_is_on_record(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS, quotas=QUOTAS)
    cycle_id = running.cycle_id
    hr = hr_of(appraisal, company, "sales")
    east_lead = person(appraisal, company, "east_lead")
    computed = await result(appraisal, hr, company, cycle_id, "analyst_e")
    assert (computed.grade, computed.grade_source, computed.score) == ("D", SCORE_BANDS, 50.0)

    # The manager lifts analyst_e to C (no quota), HR then frees a B and gives it to analyst_e.
    lifted = await calibrate(appraisal, east_lead, company, cycle_id, "analyst_e", "C", "led the audit")
    await calibrate(appraisal, hr, company, cycle_id, "rep_a", "C", "missed two deadlines")
    final = await calibrate(
        appraisal, hr, company, cycle_id, "analyst_e", "B", "panel agreed", expected_version=lifted.version
    )

    assert (lifted.grade, lifted.grade_source, lifted.computed_grade, lifted.score) == (
        "C",
        CALIBRATION,
        "D",
        50.0,
    )
    assert (final.grade, final.computed_grade, final.version) == ("B", "D", lifted.version + 1)
    assert await result(appraisal, hr, company, cycle_id, "analyst_e") == final
    grades = {name: found.grade for name, found in (await results(appraisal, hr, company, cycle_id)).items()}
    assert grades == {"east_lead": "A", "rep_a": "C", "rep_b": "B", "analyst_e": "B"}

    record = await changes(appraisal, hr, company, cycle_id, "analyst_e")
    assert [
        (change.changed_by, change.source, change.reason, change.old_grade, change.new_grade)
        for change in record
    ] == [
        ("admin", SCORE_BANDS, "computed", "", "D"),
        (company.employees["east_lead"], CALIBRATION, "led the audit", "D", "C"),
        ("hr-partner", CALIBRATION, "panel agreed", "C", "B"),
    ]
    assert [(change.old_score, change.new_score) for change in record] == [
        (0.0, 50.0),
        (50.0, 50.0),
        (50.0, 50.0),
    ]
    times = [change.change_time.ToDatetime() for change in record]
    assert times == sorted(times)
    assert times[-1] == final.update_time.ToDatetime()


async def test_a_move_beyond_a_quota_is_refused_naming_it_and_changes_nothing(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS, quotas=QUOTAS)
    hr = hr_of(appraisal, company)

    async with nothing_changes(appraisal):
        error = await rpc_error(
            calibrate(appraisal, hr, company, running.cycle_id, "rep_a", "A"),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert precondition_violations(error) == {
            "quota:A": "2 of 4 employees hold grade A; its quota of 25% allows at most 1"
        }
        error = await rpc_error(
            calibrate(appraisal, hr, company, running.cycle_id, "analyst_e", "B"),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert "quota of 50% allows at most 2" in precondition_violations(error)["quota:B"]
        assert "quota" in error.details()

    assert (await result(appraisal, hr, company, running.cycle_id, "rep_a")).grade == "B"
    assert len(await changes(appraisal, hr, company, running.cycle_id, "rep_a")) == 1


async def test_bad_calibrations_change_nothing(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    cycle_id = running.cycle_id
    hr = hr_of(appraisal, company)
    current = await result(appraisal, hr, company, cycle_id, "rep_b")

    async with nothing_changes(appraisal):
        for grade, reason, field in (("C", "  ", "reason"), ("", "why", "grade"), ("E", "why", "grade")):
            error = await rpc_error(
                calibrate(appraisal, hr, company, cycle_id, "rep_b", grade, reason),
                grpc.StatusCode.INVALID_ARGUMENT,
            )
            assert field in field_violations(error)
        error = await rpc_error(
            calibrate(appraisal, hr, company, cycle_id, "rep_b", "C", expected_version=current.version + 1),
            grpc.StatusCode.ABORTED,
        )
        assert f"version {current.version}" in error.details()
        # Someone who neither manages rep_b nor covers them as HR: as if there were no result.
        for stranger in (person(appraisal, company, "rep_a"), person(appraisal, company, "risk_head")):
            await rpc_error(
                calibrate(appraisal, stranger, company, cycle_id, "rep_b", "C"), grpc.StatusCode.NOT_FOUND
            )
        await rpc_error(
            calibrate(appraisal, hr_of(appraisal, company, "risk"), company, cycle_id, "rep_b", "C"),
            grpc.StatusCode.NOT_FOUND,
        )


async def test_a_head_does_not_calibrate_or_read_their_own_result(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    east_lead = person(appraisal, company, "east_lead")

    async with nothing_changes(appraisal):
        await rpc_error(
            calibrate(appraisal, east_lead, company, running.cycle_id, "east_lead", "B"),
            grpc.StatusCode.NOT_FOUND,
        )
    await rpc_error(
        result(appraisal, east_lead, company, running.cycle_id, "east_lead"), grpc.StatusCode.NOT_FOUND
    )
    assert set(await results(appraisal, east_lead, company, running.cycle_id)) == {
        "rep_a",
        "rep_b",
        "analyst_e",
    }


async def test_grades_are_calibrated_in_calibration_only(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    await finalized(appraisal, company, running.cycle_id)
    hr = hr_of(appraisal, company)

    async with nothing_changes(appraisal):
        error = await rpc_error(
            calibrate(appraisal, hr, company, running.cycle_id, "rep_b", "C"),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
    assert precondition_violations(error) == {f"cycle:{running.cycle_id}": "is in finalized, not calibration"}


async def test_a_retried_calibration_is_answered_as_before(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    hr = hr_of(appraisal, company)
    first = await calibrate(appraisal, hr, company, running.cycle_id, "rep_b", "C", request_id="calibrate-1")

    async with nothing_changes(appraisal):
        again = await calibrate(
            appraisal, hr, company, running.cycle_id, "rep_b", "A", request_id="calibrate-1"
        )

    assert again == first
    assert [
        change.new_grade for change in await changes(appraisal, hr, company, running.cycle_id, "rep_b")
    ] == [
        "B",
        "C",
    ]
