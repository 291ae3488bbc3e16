"""Who reads results (A5, A6): from CALIBRATION on, the managers of the reporting line, the heads above
and HR covering the employee; the employee only once the cycle is finalized. Another tenant finds
nothing of a cycle, its reviews or its results, whatever it asks."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from services.chassis.context import ROLE_HR
from tests.integration.appraisal.outcomes_helpers import finalized
from tests.integration.appraisal.results_helpers import (
    MANAGER,
    SELF,
    ask_peers,
    calibrate,
    calibrating,
    changes,
    hr_of,
    nothing_changes,
    person,
    result,
    results,
    reviewing,
    reviews_of,
    submit,
)
from tests.integration.appraisal.setup_helpers import build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page, rpc_error
from tests.support.org import OrgHarness, new_tenant

RATINGS = {"east_lead": (5, 5), "rep_a": (4, 4), "rep_b": (4, 4), "analyst_e": (3, 3)}
EAST = {"east_lead", "rep_a", "rep_b", "analyst_e"}


async def test_managers_and_hr_read_results_in_calibration_and_the_employee_once_finalized(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    cycle_id = running.cycle_id

    readers = {
        "tenant-wide HR": (hr_of(appraisal, company), EAST),
        "HR of sales": (hr_of(appraisal, company, "sales"), EAST),
        "the CEO": (person(appraisal, company, "ceo"), EAST),
        "the head of sales": (person(appraisal, company, "sales_head"), EAST),
        # The head of east manages the others but does not read their own grade yet.
        "the head of east": (person(appraisal, company, "east_lead"), EAST - {"east_lead"}),
        "HR of risk": (hr_of(appraisal, company, "risk"), set()),
        "the head of risk": (person(appraisal, company, "risk_head"), set()),
        "a rep": (person(appraisal, company, "rep_a"), set()),
    }
    for reader, (metadata, expected) in readers.items():
        assert set(await results(appraisal, metadata, company, cycle_id)) == expected, reader
        for name in EAST:
            if name in expected:
                assert (await result(appraisal, metadata, company, cycle_id, name)).grade, reader
                assert await changes(appraisal, metadata, company, cycle_id, name), reader
            else:
                await rpc_error(
                    result(appraisal, metadata, company, cycle_id, name), grpc.StatusCode.NOT_FOUND
                )
                await rpc_error(
                    changes(appraisal, metadata, company, cycle_id, name), grpc.StatusCode.NOT_FOUND
                )
    # The employee sees their own self review, not yet their manager's.
    rep_a = person(appraisal, company, "rep_a")
    assert await reviews_of(appraisal, rep_a, company, cycle_id, "rep_a") == []

    await finalized(appraisal, company, cycle_id)

    assert set(await results(appraisal, rep_a, company, cycle_id)) == {"rep_a"}
    assert (await result(appraisal, rep_a, company, cycle_id, "rep_a")).finalized
    assert [change.new_grade for change in await changes(appraisal, rep_a, company, cycle_id, "rep_a")] == [
        "B"
    ]
    await rpc_error(result(appraisal, rep_a, company, cycle_id, "rep_b"), grpc.StatusCode.NOT_FOUND)
    assert [found.kind for found in await reviews_of(appraisal, rep_a, company, cycle_id, "rep_a")] == [
        MANAGER
    ]
    east_lead = person(appraisal, company, "east_lead")
    assert set(await results(appraisal, east_lead, company, cycle_id)) == EAST


async def test_results_are_listed_by_unit_and_grade_page_by_page(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    cycle_id = running.cycle_id
    hr = hr_of(appraisal, company)

    assert set(await results(appraisal, hr, company, cycle_id, grade="B")) == {"rep_a", "rep_b"}
    assert set(await results(appraisal, hr, company, cycle_id, unit_id=company.units["sales"])) == EAST
    assert await results(appraisal, hr, company, cycle_id, unit_id=company.units["risk"]) == {}
    await rpc_error(
        results(appraisal, hr, company, cycle_id, unit_id="no-such-unit"), grpc.StatusCode.NOT_FOUND
    )

    request = appraisal_pb2.ListResultsRequest(cycle_id=cycle_id, page_size=1)
    pages = await every_page(appraisal.stub.ListResults, request, "results", hr)
    # A full page always offers a next one, which may turn out empty.
    assert [len(page) for page in pages] == [1, 1, 1, 1, 0]
    assert sorted(found.employee_id for page in pages for found in page) == sorted(
        company.employees[name] for name in EAST
    )
    # A calibrated grade is what the grade filter finds.
    await calibrate(appraisal, hr, company, cycle_id, "analyst_e", "B")
    assert set(await results(appraisal, hr, company, cycle_id, grade="B")) == {"rep_a", "rep_b", "analyst_e"}


async def test_another_tenant_finds_nothing_of_the_cycle(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_org(org, appraisal)
    running = await calibrating(appraisal, company, RATINGS)
    cycle_id, rep_a = running.cycle_id, company.employees["rep_a"]
    other = new_tenant()
    stub = appraisal.stub
    focus = running.item("rep_a", "Customer focus")
    review = appraisal_pb2.Review(kind=SELF, ratings=[appraisal_pb2.Rating(item_id=focus, rating=3)])

    async with nothing_changes(appraisal):
        for metadata in (appraisal.admin(other), appraisal.as_(other, rep_a, (ROLE_HR,))):
            calls = (
                stub.RequestPeerReview(
                    appraisal_pb2.RequestPeerReviewRequest(
                        cycle_id=cycle_id, employee_id=rep_a, reviewer_ids=[company.employees["rep_b"]]
                    ),
                    metadata=metadata,
                ),
                stub.SubmitReview(
                    appraisal_pb2.SubmitReviewRequest(cycle_id=cycle_id, employee_id=rep_a, review=review),
                    metadata=metadata,
                ),
                stub.ListReviews(
                    appraisal_pb2.ListReviewsRequest(cycle_id=cycle_id, employee_id=rep_a), metadata=metadata
                ),
                stub.GetResult(
                    appraisal_pb2.GetResultRequest(cycle_id=cycle_id, employee_id=rep_a), metadata=metadata
                ),
                stub.ListResults(appraisal_pb2.ListResultsRequest(cycle_id=cycle_id), metadata=metadata),
                stub.CalibrateGrade(
                    appraisal_pb2.CalibrateGradeRequest(
                        cycle_id=cycle_id, employee_id=rep_a, grade="C", reason="x"
                    ),
                    metadata=metadata,
                ),
                stub.ListResultChanges(
                    appraisal_pb2.ListResultChangesRequest(cycle_id=cycle_id, employee_id=rep_a),
                    metadata=metadata,
                ),
            )
            for call in calls:
                await rpc_error(call, grpc.StatusCode.NOT_FOUND)


async def test_another_tenants_reviews_stay_apart_in_review(org: OrgHarness, appraisal: AppraisalHarness):
    """Two tenants in REVIEW at once: each one's calls reach only its own cycle."""
    company = await build_org(org, appraisal)
    running = await reviewing(appraisal, company)
    await submit(
        appraisal,
        person(appraisal, company, "east_lead"),
        running,
        company,
        "rep_a",
        MANAGER,
        {
            "Customer focus": 4,
            "Teamwork": 4,
        },
    )
    other = await build_org(org, appraisal)
    theirs = await reviewing(appraisal, other)

    # The other tenant's manager, asking about this tenant's cycle with their own ids, finds nothing.
    async with nothing_changes(appraisal):
        await rpc_error(
            ask_peers(
                appraisal, person(appraisal, other, "east_lead"), company, running.cycle_id, "rep_a", "rep_b"
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await rpc_error(
            reviews_of(appraisal, hr_of(appraisal, other), company, running.cycle_id, "rep_a"),
            grpc.StatusCode.NOT_FOUND,
        )
    assert await reviews_of(appraisal, hr_of(appraisal, other), other, theirs.cycle_id, "rep_a") == []
    assert (
        len(await reviews_of(appraisal, hr_of(appraisal, company), company, running.cycle_id, "rep_a")) == 1
    )
