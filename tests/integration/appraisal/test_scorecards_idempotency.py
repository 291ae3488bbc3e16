"""A retried scorecard call (the same request_id from the same caller) returns the first call's result and
changes nothing more; lists page through every scorecard once."""

from __future__ import annotations

from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    VALUES,
    build_company,
    confirm,
    hr,
    indicator_setting,
    nothing_changes,
    person,
    propose,
    rated,
    review,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import every_page
from tests.support.org import OrgHarness


async def test_retried_proposals_reviews_and_confirmations_take_effect_once(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    sales_head = person(appraisal, company, "sales_head")

    proposed = await propose(appraisal, sales_head, cycle_id, seller, request_id="propose-1")
    async with nothing_changes(appraisal):
        retried = await propose(
            appraisal, sales_head, cycle_id, seller, [rated("Something else", 100.0)], request_id="propose-1"
        )
    assert retried == proposed
    # The same request id from someone else is their own request.
    by_director = await propose(
        appraisal, person(appraisal, company, "director"), cycle_id, seller, VALUES, request_id="propose-1"
    )
    assert by_director.version == 2

    reviewed = await review(appraisal, hr(appraisal, company), cycle_id, seller, request_id="review-1")
    async with nothing_changes(appraisal):
        assert (
            await review(appraisal, hr(appraisal, company), cycle_id, seller, request_id="review-1")
            == reviewed
        )

    employee = person(appraisal, company, "seller_a")
    confirmed = await confirm(appraisal, employee, cycle_id, seller, request_id="confirm-1")
    async with nothing_changes(appraisal):
        assert await confirm(appraisal, employee, cycle_id, seller, request_id="confirm-1") == confirmed
    assert (confirmed.status, confirmed.version) == (appraisal_pb2.SCORECARD_STATUS_CONFIRMED, 4)


async def test_scorecards_list_page_by_page_in_employee_order_filtered_by_status(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    for name in company.employees:
        await propose(appraisal, hr(appraisal, company), cycle_id, company.employees[name])
    for name in ("seller_a", "clerk", "analyst"):
        await review(appraisal, hr(appraisal, company), cycle_id, company.employees[name])
    metadata = hr(appraisal, company)

    pages = await every_page(
        appraisal.stub.ListScorecards,
        appraisal_pb2.ListScorecardsRequest(cycle_id=cycle_id, page_size=5),
        "scorecards",
        metadata,
    )
    approved_pages = await every_page(
        appraisal.stub.ListScorecards,
        appraisal_pb2.ListScorecardsRequest(
            cycle_id=cycle_id, status=appraisal_pb2.SCORECARD_STATUS_APPROVED, page_size=2
        ),
        "scorecards",
        metadata,
    )

    employee_ids = [scorecard.employee_id for page in pages for scorecard in page]
    assert [len(page) for page in pages] == [5, 5, 2]
    assert employee_ids == sorted(company.employees.values())
    approved = {scorecard.employee_id for page in approved_pages for scorecard in page}
    assert approved == company.ids("seller_a", "clerk", "analyst")
