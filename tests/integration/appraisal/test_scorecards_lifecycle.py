"""A scorecard's way through indicator setting (A3): proposed from a template, adjusted or custom, checked
for compliance at once, returned with reasons and proposed again, approved by HR, confirmed by the
employee; and what can no longer happen after that."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    APPROVED,
    CONFIRMED,
    PROPOSED,
    RETURN,
    RETURNED,
    VALUES,
    WITH_ONE_FINDING,
    advance,
    build_company,
    confirm,
    get,
    hr,
    indicator_setting,
    measured,
    person,
    propose,
    rated,
    review,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import precondition_violations, rpc_error
from tests.support.org import OrgHarness


async def create_template(
    appraisal: AppraisalHarness, tenant: str, name: str, items: list[appraisal_pb2.Item], unit_ids: list[str]
) -> appraisal_pb2.Template:
    template = appraisal_pb2.Template(name=name, items=items, unit_ids=unit_ids)
    request = appraisal_pb2.CreateTemplateRequest(template=template)
    return (await appraisal.stub.CreateTemplate(request, metadata=appraisal.admin(tenant))).template


def titles(scorecard: appraisal_pb2.Scorecard) -> list[tuple[str, float]]:
    return [(item.title, item.weight) for item in scorecard.items]


async def test_without_items_a_scorecard_takes_the_named_template_else_the_units_default(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    sales_template = await create_template(
        appraisal,
        company.tenant,
        "Sales",
        [rated("Deals closed", 70.0), rated("Teamwork", 30.0)],
        [company.units["sales"]],
    )
    company_template = await create_template(
        appraisal, company.tenant, "Everyone", [rated("Values", 100.0)], [company.units["fintech"]]
    )
    cycle_id = await indicator_setting(appraisal, company)
    sales_head = person(appraisal, company, "sales_head")

    from_unit = await propose(appraisal, sales_head, cycle_id, company.employees["seller_a"], items=())
    from_above = await propose(
        appraisal, person(appraisal, company, "tech_head"), cycle_id, company.employees["developer"], items=()
    )
    named = await propose(
        appraisal,
        sales_head,
        cycle_id,
        company.employees["seller_b"],
        items=(),
        template_id=company_template.id,
    )

    assert (from_unit.template_id, titles(from_unit)) == (
        sales_template.id,
        [("Deals closed", 70.0), ("Teamwork", 30.0)],
    )
    assert [item.id for item in from_unit.items] == [item.id for item in sales_template.items]
    assert (from_above.template_id, titles(from_above)) == (company_template.id, [("Values", 100.0)])
    assert (named.template_id, titles(named)) == (company_template.id, [("Values", 100.0)])
    assert (from_unit.status, from_unit.version, from_unit.proposed_by) == (
        PROPOSED,
        1,
        company.employees["sales_head"],
    )
    assert list(from_unit.findings) == []


async def test_items_sent_replace_the_template_and_the_compliance_findings_are_stored_with_them(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    unsourced = measured("Cross-sell", 20.0, metric_code="", key_result_id="kr-unknown", data_source="")

    proposed = await propose(
        appraisal,
        person(appraisal, company, "sales_head"),
        cycle_id,
        seller,
        [measured("Loan volume", 50.0), unsourced, rated("Customer focus", 30.0)],
    )

    loan, cross_sell, focus = (item.id for item in proposed.items)
    assert "" not in {loan, cross_sell, focus}
    assert len({loan, cross_sell, focus}) == 3
    found = {(finding.item_id, finding.check) for finding in proposed.findings}
    assert found == {
        (loan, "aligned"),
        (loan, "measurable"),
        (cross_sell, "aligned"),
        (cross_sell, "data_source"),
    }
    assert focus not in {finding.item_id for finding in proposed.findings}
    assert await get(appraisal, hr(appraisal, company), cycle_id, seller) == proposed


async def test_returned_with_reasons_proposed_again_approved_with_findings_and_confirmed(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    sales_head = person(appraisal, company, "sales_head")
    first = await propose(appraisal, sales_head, cycle_id, seller, WITH_ONE_FINDING)
    loan = first.items[0]

    returned = await review(
        appraisal,
        hr(appraisal, company),
        cycle_id,
        seller,
        RETURN,
        appraisal_pb2.ItemReturn(item_id=loan.id, reason="Align it to the lending goal"),
        appraisal_pb2.ItemReturn(reason="Too few items"),
    )
    assert (returned.status, returned.version, returned.reviewed_by) == (RETURNED, 2, "hr-director")
    assert [(r.item_id, r.reason) for r in returned.returns] == [
        (loan.id, "Align it to the lending goal"),
        ("", "Too few items"),
    ]

    # Sending the item back with its id keeps it, so HR's reasons keep pointing at it.
    kept = appraisal_pb2.Item()
    kept.CopyFrom(loan)
    again = await propose(
        appraisal,
        sales_head,
        cycle_id,
        seller,
        [kept, rated("Customer focus", 25.0), rated("Teamwork", 25.0)],
        expected_version=2,
    )
    assert (again.status, again.version, list(again.returns), again.reviewed_by) == (PROPOSED, 3, [], "")
    assert again.items[0].id == loan.id

    approved = await review(appraisal, hr(appraisal, company), cycle_id, seller)
    assert (approved.status, approved.version) == (APPROVED, 4)
    assert {finding.item_id for finding in approved.findings} == {loan.id}  # HR decided; findings stay

    confirmed = await confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller)
    assert (confirmed.status, confirmed.version) == (CONFIRMED, 5)
    assert confirmed.confirm_time.seconds > 0
    assert await get(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller) == confirmed


async def test_an_approved_or_confirmed_scorecard_is_never_proposed_again(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller = company.employees["seller_a"]
    sales_head = person(appraisal, company, "sales_head")
    await propose(appraisal, sales_head, cycle_id, seller)
    await review(appraisal, hr(appraisal, company), cycle_id, seller)

    error = await rpc_error(
        propose(appraisal, sales_head, cycle_id, seller), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert precondition_violations(error) == {f"employee:{seller}": "scorecard is approved"}
    await confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller)
    await rpc_error(propose(appraisal, sales_head, cycle_id, seller), grpc.StatusCode.FAILED_PRECONDITION)
    await rpc_error(
        review(appraisal, hr(appraisal, company), cycle_id, seller), grpc.StatusCode.FAILED_PRECONDITION
    )
    await rpc_error(
        confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller),
        grpc.StatusCode.FAILED_PRECONDITION,
    )


async def test_scorecards_change_only_while_the_cycle_sets_indicators(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company, "tech")
    developer, tech_head = company.employees["developer"], company.employees["tech_head"]
    for name, employee_id in (("developer", developer), ("tech_head", tech_head)):
        await propose(appraisal, hr(appraisal, company), cycle_id, employee_id)
        await review(appraisal, hr(appraisal, company), cycle_id, employee_id)
        await confirm(appraisal, person(appraisal, company, name), cycle_id, employee_id)
    await advance(appraisal, company, cycle_id, appraisal_pb2.PHASE_IN_PROGRESS)

    error = await rpc_error(
        propose(appraisal, person(appraisal, company, "tech_head"), cycle_id, developer),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert precondition_violations(error) == {f"cycle:{cycle_id}": "is in in_progress, not indicator_setting"}
    # Confirmed scorecards stay readable after indicator setting: they are the performance file.
    assert (
        await get(appraisal, person(appraisal, company, "developer"), cycle_id, developer)
    ).status == CONFIRMED


async def test_nothing_is_proposed_before_indicator_setting_takes_the_cycles_members(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    request = appraisal_pb2.CreateCycleRequest(
        cycle=appraisal_pb2.Cycle(
            name="Draft",
            kind=appraisal_pb2.CYCLE_KIND_ANNUAL,
            period_start="2026-01-01",
            period_end="2026-12-31",
            unit_ids=[company.units["fintech"]],
        )
    )
    draft = (await appraisal.stub.CreateCycle(request, metadata=appraisal.admin(company.tenant))).cycle

    error = await rpc_error(
        propose(appraisal, hr(appraisal, company), draft.id, company.employees["clerk"], VALUES),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert precondition_violations(error) == {
        f"employee:{company.employees['clerk']}": "is not covered by the cycle"
    }
