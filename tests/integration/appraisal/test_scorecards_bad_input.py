"""Bad input to the scorecard calls gets a clear status naming what is wrong, and changes nothing."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    APPROVE,
    RETURN,
    build_company,
    confirm,
    hr,
    indicator_setting,
    measured,
    nothing_changes,
    person,
    propose,
    rated,
    review,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import field_violations, precondition_violations, rpc_error
from tests.support.org import OrgHarness

INVALID = grpc.StatusCode.INVALID_ARGUMENT


async def test_a_proposal_with_bad_items_names_every_bad_field(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    no_kind = appraisal_pb2.Item(title="Attitude", weight=10.0)
    bad_scale = rated("Teamwork", 30.0)
    bad_scale.qualitative.scale_max = 50
    both_sources = measured("Loans", 40.0, key_result_id="kr-1")

    async with nothing_changes(appraisal):
        error = await rpc_error(
            propose(appraisal, hr(appraisal, company), cycle_id, seller, [no_kind, bad_scale, both_sources]),
            INVALID,
        )
        blank = await rpc_error(
            propose(appraisal, hr(appraisal, company), cycle_id, seller, [rated(" ", 100.0)]), INVALID
        )
        no_ids = await rpc_error(propose(appraisal, hr(appraisal, company), "", "", []), INVALID)

    assert field_violations(error) == {
        "items[0].kind": "is required: quantitative or qualitative",
        "items[1].qualitative.scale_max": "must be between 2 and 10",
        "items[2].quantitative.metric_code": "name exactly one of metric_code and key_result_id",
        "items": "the weights sum to 80; they must sum to 100",
    }
    assert set(field_violations(blank)) == {"items[0].title"}
    assert field_violations(no_ids) == {"cycle_id": "is required", "employee_id": "is required"}


async def test_a_proposal_without_items_needs_a_template_that_exists_or_a_default_one(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]

    async with nothing_changes(appraisal):
        no_default = await rpc_error(
            propose(appraisal, hr(appraisal, company), cycle_id, seller, ()), INVALID
        )
        unknown = await rpc_error(
            propose(appraisal, hr(appraisal, company), cycle_id, seller, (), template_id="no-such-template"),
            INVALID,
        )

    assert set(field_violations(no_default)) == {"items"}
    assert field_violations(unknown) == {"template_id": "no such template"}


async def test_a_review_needs_a_verdict_and_a_return_needs_reasons_about_the_scorecards_items(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    await propose(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller)
    reviewer = hr(appraisal, company)
    because = appraisal_pb2.ItemReturn(reason="Needs a sales target")

    async with nothing_changes(appraisal):
        no_verdict = await rpc_error(
            review(appraisal, reviewer, cycle_id, seller, appraisal_pb2.VERDICT_UNSPECIFIED), INVALID
        )
        no_reason = await rpc_error(review(appraisal, reviewer, cycle_id, seller, RETURN), INVALID)
        blank_reason = await rpc_error(
            review(appraisal, reviewer, cycle_id, seller, RETURN, appraisal_pb2.ItemReturn(reason="  ")),
            INVALID,
        )
        approve_with_reasons = await rpc_error(
            review(appraisal, reviewer, cycle_id, seller, APPROVE, because), INVALID
        )
        unknown_item = await rpc_error(
            review(
                appraisal,
                reviewer,
                cycle_id,
                seller,
                RETURN,
                appraisal_pb2.ItemReturn(item_id="no-such-item", reason="Why this?"),
            ),
            INVALID,
        )

    assert field_violations(no_verdict) == {"verdict": "is required"}
    assert field_violations(no_reason) == {"returns": "need at least one reason when returning"}
    assert field_violations(blank_reason) == {"returns[0].reason": "is required"}
    assert field_violations(approve_with_reasons) == {"returns": "must be empty when approving"}
    assert field_violations(unknown_item) == {"returns[0].item_id": "is no item of the scorecard"}


async def test_reviewing_or_confirming_out_of_turn_is_a_failed_precondition(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    await propose(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller)

    async with nothing_changes(appraisal):
        unapproved = await rpc_error(
            confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        missing = await rpc_error(
            review(appraisal, hr(appraisal, company), cycle_id, company.employees["seller_b"]),
            grpc.StatusCode.NOT_FOUND,
        )
    await review(appraisal, hr(appraisal, company), cycle_id, seller)
    async with nothing_changes(appraisal):
        twice = await rpc_error(
            review(appraisal, hr(appraisal, company), cycle_id, seller), grpc.StatusCode.FAILED_PRECONDITION
        )

    assert precondition_violations(unapproved) == {f"employee:{seller}": "scorecard is proposed"}
    assert "no scorecard" in missing.details()
    assert precondition_violations(twice) == {f"employee:{seller}": "scorecard is approved"}


async def test_a_stale_expected_version_is_aborted(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    sales_head = person(appraisal, company, "sales_head")

    async with nothing_changes(appraisal):
        await rpc_error(
            propose(appraisal, sales_head, cycle_id, seller, expected_version=1), grpc.StatusCode.ABORTED
        )
    first = await propose(appraisal, sales_head, cycle_id, seller, expected_version=0)
    second = await propose(appraisal, sales_head, cycle_id, seller, expected_version=first.version)
    async with nothing_changes(appraisal):
        await rpc_error(
            propose(appraisal, sales_head, cycle_id, seller, expected_version=first.version),
            grpc.StatusCode.ABORTED,
        )
        await rpc_error(
            review(appraisal, hr(appraisal, company), cycle_id, seller, expected_version=first.version),
            grpc.StatusCode.ABORTED,
        )

    assert second.version == 2
    approved = await review(appraisal, hr(appraisal, company), cycle_id, seller, expected_version=2)
    assert approved.version == 3


async def test_unknown_cycles_and_a_bad_page_token_are_refused(org: OrgHarness, appraisal: AppraisalHarness):
    company = await build_company(org, appraisal)
    await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    admin = hr(appraisal, company)

    async with nothing_changes(appraisal):
        await rpc_error(propose(appraisal, admin, "no-such-cycle", seller), grpc.StatusCode.NOT_FOUND)
        await rpc_error(review(appraisal, admin, "no-such-cycle", seller), grpc.StatusCode.NOT_FOUND)
        await rpc_error(
            confirm(appraisal, person(appraisal, company, "seller_a"), "no-such-cycle", seller),
            grpc.StatusCode.NOT_FOUND,
        )
    await rpc_error(
        appraisal.stub.ListScorecards(
            appraisal_pb2.ListScorecardsRequest(cycle_id="no-such-cycle"), metadata=admin
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await rpc_error(
        appraisal.stub.ListScorecards(appraisal_pb2.ListScorecardsRequest(), metadata=admin), INVALID
    )
    await rpc_error(
        appraisal.stub.ListMyTasks(appraisal_pb2.ListMyTasksRequest(page_token="garbage"), metadata=admin),
        INVALID,
    )
