"""The compliance checks of a proposed scorecard (A3) read what goals has published: an item aligned to an
objective goals knows and measured by a catalog metric with a formula and a data source passes; the
same item against goals' gaps is named, check by check."""

from __future__ import annotations

from fulcrum.goals.v1 import goals_pb2

from services.appraisal.domain.goals_data import MetricRef
from tests.integration.appraisal.goals_data_helpers import settled
from tests.integration.appraisal.scorecards_helpers import (
    build_company,
    indicator_setting,
    measured,
    person,
    propose,
    rated,
)
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.integration.goals.objectives_helpers import create_objective
from tests.support.appraisal import AppraisalHarness
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def test_an_item_aligned_to_a_known_goal_and_measured_by_a_catalog_metric_is_compliant(
    org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness
):
    company = await build_company(org, appraisal)
    goals_admin = goals.admin(company.tenant)
    strategy = await create_objective(
        goals, goals_admin, "Grow lending", level=goals_pb2.OBJECTIVE_LEVEL_TENANT
    )
    await create_metric(goals, goals_admin, defect_rate("loan_volume", name="Loan volume", data_source=""))
    await settled(
        appraisal,
        company.tenant,
        lambda goals_data: goals_data.metrics(["loan_volume"]),
        {"loan_volume": MetricRef("loan_volume", "defects / produced * 100", "")},
    )
    await settled(
        appraisal,
        company.tenant,
        lambda goals_data: goals_data.objective_exists([strategy.id]),
        {strategy.id},
    )
    cycle_id = await indicator_setting(appraisal, company)
    sales_head = person(appraisal, company, "sales_head")

    compliant = await propose(
        appraisal,
        sales_head,
        cycle_id,
        company.employees["seller_a"],
        [measured("Loan volume", 60.0, aligned_objective_id=strategy.id), rated("Customer focus", 40.0)],
    )
    lacking = await propose(
        appraisal,
        sales_head,
        cycle_id,
        company.employees["seller_b"],
        [
            measured("Loan volume", 30.0, data_source="", aligned_objective_id="no-such-objective"),
            measured("Fees", 30.0, metric_code="fees", aligned_objective_id=strategy.id),
            rated("Customer focus", 40.0),
        ],
    )

    assert list(compliant.findings) == []
    loan, fees, _ = (item.id for item in lacking.items)
    assert [(finding.item_id, finding.check) for finding in lacking.findings] == [
        (loan, "aligned"),
        (loan, "data_source"),
        (fees, "measurable"),
    ]
