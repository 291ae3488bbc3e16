"""What the reviews, results and calibration tests share: cycles driven through the real RPCs of setup
and indicators to REVIEW and CALIBRATION, the calls of A4-A6, and the results area's stored state.

Two organizations serve them. The setup area's fintech company (tests/integration/appraisal/
setup_helpers.py), whose east unit makes a small cycle:

    east EAST (head: east_lead, manager sales_head)    rep_a, rep_b, analyst_e (report to east_lead)

and goals' manufacturer (tests/integration/goals/helpers.py), built in org and goals, whose defect-rate
readings reach appraisal through goals' events:

    production PROD (head: production_manager, manager ceo)
    └── line 1 LINE1 (head: line_lead)                 operator_a, operator_b (report to line_lead)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2

from services.appraisal.adapters import tables
from services.chassis.context import ROLE_EMPLOYEE, ROLE_HR
from tests.integration.appraisal.goals_data_helpers import settled
from tests.integration.appraisal.setup_helpers import Org, advance, as_hr, create_cycle, wait_for_directory
from tests.integration.goals.helpers import build_plant
from tests.integration.goals.metrics_helpers import create_metric, defect_rate
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, state_unchanged
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness

EAST = ("east_lead", "rep_a", "rep_b", "analyst_e")
EAST_MANAGERS = {
    "east_lead": "sales_head",
    "rep_a": "east_lead",
    "rep_b": "east_lead",
    "analyst_e": "east_lead",
}
METRIC = "defect_rate"

SELF = appraisal_pb2.REVIEW_KIND_SELF
MANAGER = appraisal_pb2.REVIEW_KIND_MANAGER
PEER = appraisal_pb2.REVIEW_KIND_PEER
SCORE_BANDS = appraisal_pb2.GRADE_SOURCE_SCORE_BANDS
METRIC_THRESHOLDS = appraisal_pb2.GRADE_SOURCE_METRIC_THRESHOLDS
CALIBRATION = appraisal_pb2.GRADE_SOURCE_CALIBRATION

# What reviews, results and calibration write besides the outbox.
STATE_TABLES = (
    tables.peer_requests,
    tables.reviews,
    tables.results,
    tables.result_changes,
    tables.chassis.idempotency,
)


def rated(title: str, weight: float, scale_max: int = 5) -> appraisal_pb2.Item:
    return appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUALITATIVE,
        weight=weight,
        qualitative=appraisal_pb2.Qualitative(scale_max=scale_max, guidance=f"{title.lower()}: how well"),
    )


def defects(
    weight: float, title: str = "Defect rate", scope: int = appraisal_pb2.MEASURED_SCOPE_EMPLOYEE
) -> appraisal_pb2.Item:
    """The defect rate against a target of 3% (lower is better): 100 points at 3, 0 at 8, at most 120."""
    return appraisal_pb2.Item(
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
        weight=weight,
        quantitative=appraisal_pb2.Quantitative(
            metric_code=METRIC,
            measured_scope=scope,
            direction=appraisal_pb2.DIRECTION_LOWER_IS_BETTER,
            target=3.0,
            linear=appraisal_pb2.LinearScoring(floor=8.0, cap=120.0),
            data_source="MES",
        ),
    )


# Two qualitative items, the fintech cycles' default.
VALUES = (rated("Customer focus", 60.0), rated("Teamwork", 40.0))


@dataclass(frozen=True)
class Running:
    """A cycle and the ids of each member's scorecard items, by member name and item title."""

    cycle_id: str
    items: dict[str, dict[str, str]]

    def item(self, name: str, title: str) -> str:
        return self.items[name][title]


async def reviewing(
    appraisal: AppraisalHarness,
    org: Org,
    unit: str = "east",
    members: Sequence[str] = EAST,
    items: Iterable[appraisal_pb2.Item] = VALUES,
    **cycle_fields: Any,
) -> Running:
    """A cycle over the unit's subtree (its members named in `members`) in REVIEW: HR proposed and
    approved each member's scorecard of these items, and each confirmed it."""
    items = list(items)
    created = await create_cycle(appraisal, org, unit_ids=[org.units[unit]], **cycle_fields)
    hr = as_hr(appraisal, org)
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_INDICATOR_SETTING)
    item_ids = {}
    for name in members:
        employee_id = org.employees[name]
        await appraisal.stub.ProposeScorecard(
            appraisal_pb2.ProposeScorecardRequest(cycle_id=created.id, employee_id=employee_id, items=items),
            metadata=hr,
        )
        await appraisal.stub.ReviewScorecard(
            appraisal_pb2.ReviewScorecardRequest(
                cycle_id=created.id, employee_id=employee_id, verdict=appraisal_pb2.VERDICT_APPROVE
            ),
            metadata=hr,
        )
        confirmed = await appraisal.stub.ConfirmScorecard(
            appraisal_pb2.ConfirmScorecardRequest(cycle_id=created.id, employee_id=employee_id),
            metadata=person(appraisal, org, name),
        )
        item_ids[name] = {item.title: item.id for item in confirmed.scorecard.items}
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_IN_PROGRESS)
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_REVIEW)
    return Running(created.id, item_ids)


async def calibrating(
    appraisal: AppraisalHarness,
    org: Org,
    ratings: Mapping[str, Sequence[int]],
    managers: Mapping[str, str] = EAST_MANAGERS,
    unit: str = "east",
    **cycle_fields: Any,
) -> Running:
    """A cycle over the unit in CALIBRATION: each member's manager rated the VALUES items as given
    (customer focus, teamwork); with the default scale 5,5 scores 100 (A), 4,4 75 (B), 3,3 50 (D)."""
    running = await reviewing(appraisal, org, unit, tuple(ratings), **cycle_fields)
    for name, given in ratings.items():
        await submit(
            appraisal,
            person(appraisal, org, managers[name]),
            running,
            org,
            name,
            MANAGER,
            dict(zip(("Customer focus", "Teamwork"), given, strict=True)),
        )
    await advance(appraisal, org, running.cycle_id, appraisal_pb2.PHASE_CALIBRATION)
    return running


def person(appraisal: AppraisalHarness, org: Org, name: str, *roles: str) -> Metadata:
    return appraisal.as_(org.tenant, org.employees[name], roles or (ROLE_EMPLOYEE,))


def hr_of(appraisal: AppraisalHarness, org: Org, *units: str) -> Metadata:
    """HR covering the subtrees of these units (the whole tenant when none are named)."""
    return appraisal.as_(org.tenant, "hr-partner", (ROLE_HR,), [org.units[unit] for unit in units])


def review(kind: int, ratings: Mapping[str, int], comment: str = "") -> appraisal_pb2.Review:
    """A review rating items by id."""
    return appraisal_pb2.Review(
        kind=kind,  # type: ignore[arg-type]
        ratings=[appraisal_pb2.Rating(item_id=item_id, rating=value) for item_id, value in ratings.items()],
        comment=comment,
    )


async def submit(
    appraisal: AppraisalHarness,
    metadata: Metadata,
    running: Running,
    org: Org,
    name: str,
    kind: int,
    ratings: Mapping[str, int],
    **fields: Any,
) -> appraisal_pb2.Review:
    """Submits a review of the member rating their items by title."""
    by_id = {running.item(name, title): value for title, value in ratings.items()}
    request = appraisal_pb2.SubmitReviewRequest(
        cycle_id=running.cycle_id, employee_id=org.employees[name], review=review(kind, by_id), **fields
    )
    return (await appraisal.stub.SubmitReview(request, metadata=metadata)).review


async def ask_peers(
    appraisal: AppraisalHarness,
    metadata: Metadata,
    org: Org,
    cycle_id: str,
    name: str,
    *peers: str,
    **fields: Any,
) -> list[str]:
    request = appraisal_pb2.RequestPeerReviewRequest(
        cycle_id=cycle_id,
        employee_id=org.employees[name],
        reviewer_ids=[org.employees.get(peer, peer) for peer in peers],
        **fields,
    )
    return list((await appraisal.stub.RequestPeerReview(request, metadata=metadata)).reviewer_ids)


async def reviews_of(
    appraisal: AppraisalHarness, metadata: Metadata, org: Org, cycle_id: str, name: str
) -> list[appraisal_pb2.Review]:
    request = appraisal_pb2.ListReviewsRequest(cycle_id=cycle_id, employee_id=org.employees[name])
    return list((await appraisal.stub.ListReviews(request, metadata=metadata)).reviews)


async def result(
    appraisal: AppraisalHarness, metadata: Metadata, org: Org, cycle_id: str, name: str
) -> appraisal_pb2.Result:
    request = appraisal_pb2.GetResultRequest(cycle_id=cycle_id, employee_id=org.employees[name])
    return (await appraisal.stub.GetResult(request, metadata=metadata)).result


async def results(
    appraisal: AppraisalHarness, metadata: Metadata, org: Org, cycle_id: str, **fields: Any
) -> dict[str, appraisal_pb2.Result]:
    """The results a list call returns, by member name."""
    names = {employee_id: name for name, employee_id in org.employees.items()}
    request = appraisal_pb2.ListResultsRequest(cycle_id=cycle_id, page_size=100, **fields)
    response = await appraisal.stub.ListResults(request, metadata=metadata)
    return {names[found.employee_id]: found for found in response.results}


async def calibrate(
    appraisal: AppraisalHarness,
    metadata: Metadata,
    org: Org,
    cycle_id: str,
    name: str,
    grade: str,
    reason: str = "calibration panel",
    **fields: Any,
) -> appraisal_pb2.Result:
    request = appraisal_pb2.CalibrateGradeRequest(
        cycle_id=cycle_id, employee_id=org.employees[name], grade=grade, reason=reason, **fields
    )
    return (await appraisal.stub.CalibrateGrade(request, metadata=metadata)).result


async def changes(
    appraisal: AppraisalHarness, metadata: Metadata, org: Org, cycle_id: str, name: str
) -> list[appraisal_pb2.ResultChange]:
    request = appraisal_pb2.ListResultChangesRequest(cycle_id=cycle_id, employee_id=org.employees[name])
    return list((await appraisal.stub.ListResultChanges(request, metadata=metadata)).changes)


async def manufacturer(org: OrgHarness, goals: GoalsHarness, appraisal: AppraisalHarness) -> Org:
    """Goals' manufacturer with its defect-rate metric, once appraisal knows its people and the metric."""
    plant = await build_plant(org, goals)
    await create_metric(goals, goals.admin(plant.tenant), defect_rate(METRIC))
    await wait_for_directory(appraisal, plant.tenant, plant.employees.values())
    await settled(appraisal, plant.tenant, lambda goals_data: _known(goals_data.metrics([METRIC])), {METRIC})
    return Org(plant.tenant, dict(plant.units), {}, dict(plant.employees))


async def _known(metrics: Any) -> set[str]:
    return set(await metrics)


async def values_settled(
    appraisal: AppraisalHarness, org: Org, period: tuple[Any, Any], expected: Mapping[str, float | None]
) -> None:
    """Waits until appraisal's copy of goals' defect rates holds these values per employee name."""
    ids = {org.employees[name]: value for name, value in expected.items()}

    async def values(goals_data: Any) -> dict[str, float | None]:
        found = await goals_data.metric_values(METRIC, "employee", sorted(ids), *period)
        return {key: None if value is None else round(value, 6) for key, value in found.items()}

    await settled(appraisal, org.tenant, values, ids)


@asynccontextmanager
async def nothing_changes(appraisal: AppraisalHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no peer request, review, result or change record, and
    writes no event."""
    async with state_unchanged(appraisal.settings.database_url, STATE_TABLES, tables.chassis.outbox):
        yield
