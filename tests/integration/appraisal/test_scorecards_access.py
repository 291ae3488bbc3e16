"""Who reads and writes scorecards (A3): the employee reads their own, managers their reporting line, HR
their scope; a colleague finds nothing; heads propose, HR reviews, the employee alone confirms; and
another tenant's cycles and people do not exist, for every call."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.scorecards_helpers import (
    approved,
    build_company,
    confirm,
    get,
    hr,
    indicator_setting,
    listed,
    nothing_changes,
    person,
    propose,
    review,
    rollout,
    tasks,
)
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import rpc_error
from tests.support.org import OrgHarness

NOT_FOUND = grpc.StatusCode.NOT_FOUND
DENIED = grpc.StatusCode.PERMISSION_DENIED


async def test_each_reader_sees_the_scorecards_of_their_own_reach(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    for name in ("seller_a", "seller_b", "sales_head", "developer", "director"):
        await propose(appraisal, hr(appraisal, company), cycle_id, company.employees[name])
    seller_a = company.employees["seller_a"]

    assert set(await listed(appraisal, person(appraisal, company, "seller_a"), cycle_id)) == {seller_a}
    assert set(await listed(appraisal, person(appraisal, company, "sales_head"), cycle_id)) == company.ids(
        "sales_head", "seller_a", "seller_b"
    )
    assert set(await listed(appraisal, person(appraisal, company, "tech_head"), cycle_id)) == company.ids(
        "developer"
    )
    assert set(await listed(appraisal, person(appraisal, company, "director"), cycle_id)) == company.ids(
        "seller_a", "seller_b", "sales_head", "developer", "director"
    )
    assert set(await listed(appraisal, hr(appraisal, company, "sales"), cycle_id)) == company.ids(
        "seller_a", "seller_b", "sales_head"
    )
    assert len(await listed(appraisal, hr(appraisal, company), cycle_id)) == 5
    assert set(await listed(appraisal, hr(appraisal, company), cycle_id, unit_id=company.units["tech"])) == (
        company.ids("developer")
    )

    assert (
        await get(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller_a)
    ).employee_id == seller_a
    assert (
        await get(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller_a)
    ).employee_id == seller_a
    for colleague in ("seller_b", "developer", "tech_head"):
        await rpc_error(get(appraisal, person(appraisal, company, colleague), cycle_id, seller_a), NOT_FOUND)
    await rpc_error(get(appraisal, hr(appraisal, company, "tech"), cycle_id, seller_a), NOT_FOUND)


async def test_only_managers_and_hr_propose_only_hr_reviews_and_only_the_employee_confirms(
    org: OrgHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, company)
    seller_a = company.employees["seller_a"]

    async with nothing_changes(appraisal):
        await rpc_error(
            propose(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller_a), DENIED
        )
        await rpc_error(
            propose(appraisal, person(appraisal, company, "seller_b"), cycle_id, seller_a), NOT_FOUND
        )
        await rpc_error(
            propose(appraisal, person(appraisal, company, "tech_head"), cycle_id, seller_a), NOT_FOUND
        )
        await rpc_error(propose(appraisal, hr(appraisal, company, "tech"), cycle_id, seller_a), NOT_FOUND)
    await propose(appraisal, hr(appraisal, company, "sales"), cycle_id, seller_a)

    async with nothing_changes(appraisal):
        await rpc_error(
            review(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller_a), DENIED
        )
        await rpc_error(review(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller_a), DENIED)
        await rpc_error(review(appraisal, hr(appraisal, company, "tech"), cycle_id, seller_a), NOT_FOUND)
    await review(appraisal, hr(appraisal, company, "sales"), cycle_id, seller_a)

    async with nothing_changes(appraisal):
        await rpc_error(
            confirm(appraisal, person(appraisal, company, "sales_head"), cycle_id, seller_a), DENIED
        )
        await rpc_error(confirm(appraisal, hr(appraisal, company), cycle_id, seller_a), DENIED)
        await rpc_error(
            confirm(appraisal, person(appraisal, company, "seller_b"), cycle_id, seller_a), NOT_FOUND
        )
    confirmed = await confirm(appraisal, person(appraisal, company, "seller_a"), cycle_id, seller_a)
    assert confirmed.status == appraisal_pb2.SCORECARD_STATUS_CONFIRMED


async def test_another_tenants_cycles_and_people_are_not_found_by_any_call(
    org: OrgHarness, appraisal: AppraisalHarness
):
    ours = await build_company(org, appraisal)
    theirs = await build_company(org, appraisal)
    cycle_id = await indicator_setting(appraisal, ours)
    seller = ours.employees["seller_a"]
    await approved(appraisal, ours, cycle_id, "seller_a")
    outsider_hr = hr(appraisal, theirs)
    # The same employee id in another tenant: a token claiming to be them there finds nothing here.
    impostor = appraisal.as_(theirs.tenant, seller)

    async with nothing_changes(appraisal):
        await rpc_error(propose(appraisal, outsider_hr, cycle_id, seller), NOT_FOUND)
        await rpc_error(review(appraisal, outsider_hr, cycle_id, seller), NOT_FOUND)
        await rpc_error(confirm(appraisal, impostor, cycle_id, seller), NOT_FOUND)
    await rpc_error(get(appraisal, outsider_hr, cycle_id, seller), NOT_FOUND)
    await rpc_error(get(appraisal, impostor, cycle_id, seller), NOT_FOUND)
    await rpc_error(listed(appraisal, outsider_hr, cycle_id), NOT_FOUND)
    await rpc_error(rollout(appraisal, outsider_hr, cycle_id), NOT_FOUND)
    await rpc_error(
        rollout(appraisal, appraisal.admin(theirs.tenant), cycle_id, ours.units["fintech"]), NOT_FOUND
    )
    # Our cycle's tasks are nobody's there.
    assert await tasks(appraisal, impostor) == []
    assert await tasks(appraisal, person(appraisal, ours, "seller_a")) != []
    # Their own cycle of the same shape sees none of ours.
    their_cycle = await indicator_setting(appraisal, theirs)
    assert await listed(appraisal, outsider_hr, their_cycle) == {}
