"""Team analytics (A10): grade distribution per unit subtree over the latest finalized cycles, oldest
first, with the items that stay weak; for HR, admins and the heads of the units."""

from __future__ import annotations

import grpc
from fulcrum.appraisal.v1 import appraisal_pb2

from tests.integration.appraisal.outcomes_helpers import MEMBERS, Ratings, calibrating_cycle, finalized
from tests.integration.appraisal.setup_helpers import Org, as_hr, as_person, build_org
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, rpc_error
from tests.support.org import OrgHarness

# Everyone: customer focus 100, teamwork 50 points: 80, a B.
EVEN_RATINGS = dict.fromkeys(MEMBERS, Ratings(5, 3))


def _summary(
    unit: appraisal_pb2.UnitDistribution,
) -> list[tuple[str, int, dict[str, tuple[int, float]], list[str]]]:
    return [
        (
            cycle.cycle_name,
            cycle.employees,
            {count.grade: (count.employees, count.percent) for count in cycle.grades},
            list(cycle.weakest_items),
        )
        for cycle in unit.cycles
    ]


async def _distribution(
    appraisal: AppraisalHarness, metadata: Metadata, unit_id: str = "", cycles: int = 0
) -> list[appraisal_pb2.UnitDistribution]:
    request = appraisal_pb2.GetGradeDistributionRequest(unit_id=unit_id, cycles=cycles)
    return list((await appraisal.stub.GetGradeDistribution(request, metadata=metadata)).units)


async def _two_finalized_cycles(org: OrgHarness, appraisal: AppraisalHarness) -> Org:
    company = await build_org(org, appraisal)
    first = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, first.id)
    second = await calibrating_cycle(
        appraisal,
        company,
        EVEN_RATINGS,
        name="2027 Q2",
        period_start="2027-04-01",
        period_end="2027-06-30",
        deadlines=[],
    )
    await finalized(appraisal, company, second.id)
    return company


async def test_the_distribution_counts_each_subtree_over_the_latest_cycles(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await _two_finalized_cycles(org, appraisal)
    # A cycle not finalized yet counts for nothing.
    await calibrating_cycle(
        appraisal, company, name="2027 Q3", period_start="2027-07-01", period_end="2027-09-30", deadlines=[]
    )

    sales, east = await _distribution(appraisal, as_hr(appraisal, company), company.units["sales"])
    assert (sales.unit_id, east.unit_id) == (company.units["sales"], company.units["east"])
    # Q1: sales_head A, east_lead B, rep_a A, rep_b D (40 points), analyst_e B.
    assert _summary(sales) == [
        (
            "2027 Q1",
            5,
            {"A": (2, 40.0), "B": (2, 40.0), "C": (0, 0.0), "D": (1, 20.0)},
            ["Teamwork", "Customer focus"],
        ),
        (
            "2027 Q2",
            5,
            {"A": (0, 0.0), "B": (5, 100.0), "C": (0, 0.0), "D": (0, 0.0)},
            ["Teamwork", "Customer focus"],
        ),
    ]
    assert _summary(east)[0][:3] == (
        "2027 Q1",
        4,
        {"A": (1, 25.0), "B": (2, 50.0), "C": (0, 0.0), "D": (1, 25.0)},
    )

    latest = await _distribution(appraisal, appraisal.admin(company.tenant), company.units["sales"], cycles=1)
    assert [cycle.cycle_name for cycle in latest[0].cycles] == ["2027 Q2"]

    # Without a unit: the tenant's root, then its children by code; a unit without members counts nobody.
    whole, *children = await _distribution(appraisal, appraisal.admin(company.tenant))
    assert [whole.unit_id, *(child.unit_id for child in children)] == [
        company.units["company"],
        company.units["risk"],
        company.units["sales"],
    ]
    assert _summary(whole) == _summary(sales)
    assert [cycle.employees for cycle in children[0].cycles] == [0, 0]


async def test_an_appeal_changes_the_distribution(org: OrgHarness, appraisal: AppraisalHarness) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, cycle.id)
    appeal = (
        await appraisal.stub.FileAppeal(
            appraisal_pb2.FileAppealRequest(
                cycle_id=cycle.id, employee_id=company.employees["rep_b"], reason="unfair"
            ),
            metadata=as_person(appraisal, company, "rep_b"),
        )
    ).appeal
    await appraisal.stub.DecideAppeal(
        appraisal_pb2.DecideAppealRequest(appeal_id=appeal.id, new_grade="C", reason="revised"),
        metadata=as_person(appraisal, company, "sales_head"),
    )
    east = (
        await _distribution(appraisal, as_person(appraisal, company, "east_lead"), company.units["east"])
    )[0]
    assert _summary(east)[0][2] == {"A": (1, 25.0), "B": (2, 50.0), "C": (1, 25.0), "D": (0, 0.0)}


async def test_only_hr_admins_and_heads_see_a_distribution(
    org: OrgHarness, appraisal: AppraisalHarness
) -> None:
    company = await build_org(org, appraisal)
    cycle = await calibrating_cycle(appraisal, company)
    await finalized(appraisal, company, cycle.id)
    assert await _distribution(appraisal, as_person(appraisal, company, "east_lead"), company.units["east"])
    assert await _distribution(appraisal, as_hr(appraisal, company, "sales"), company.units["east"])
    for caller, unit_id, code in (
        (as_person(appraisal, company, "rep_a"), company.units["sales"], grpc.StatusCode.NOT_FOUND),
        (as_person(appraisal, company, "east_lead"), company.units["sales"], grpc.StatusCode.NOT_FOUND),
        (as_hr(appraisal, company, "risk"), company.units["sales"], grpc.StatusCode.NOT_FOUND),
        (as_hr(appraisal, company, "sales"), "", grpc.StatusCode.PERMISSION_DENIED),
        (appraisal.admin("another-tenant"), company.units["sales"], grpc.StatusCode.NOT_FOUND),
    ):
        await rpc_error(
            appraisal.stub.GetGradeDistribution(
                appraisal_pb2.GetGradeDistributionRequest(unit_id=unit_id), metadata=caller
            ),
            code,
        )
    await rpc_error(
        appraisal.stub.GetGradeDistribution(
            appraisal_pb2.GetGradeDistributionRequest(cycles=-1), metadata=appraisal.admin(company.tenant)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    # Another tenant's distribution has none of this tenant's cycles.
    other = await _distribution(appraisal, appraisal.admin("another-tenant"))
    assert other == []
