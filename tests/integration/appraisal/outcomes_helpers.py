"""What the outcome tests share: a cycle of the setup area's fintech company (tests/integration/appraisal/
setup_helpers.py) driven through the real RPCs to CALIBRATION, then finalized, and the outcome area's
stored state.

The cycle covers the sales subtree: sales_head (manager ceo), east_lead (manager sales_head), and rep_a,
rep_b, analyst_e (manager east_lead). Each has two qualitative items, rated by their manager only, so
a rating of r on the 1..5 scale scores (r - 1) x 25 points: 5 → 100 (A), 4 → 75 (B), 3 and below → D.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from sqlalchemy import select

from services.appraisal.adapters import tables
from services.chassis.database import create_engine
from tests.integration.appraisal.setup_helpers import Org, advance, as_hr, as_person, create_cycle
from tests.support.appraisal import AppraisalHarness
from tests.support.calls import Metadata, state_unchanged

MEMBERS = ("sales_head", "east_lead", "rep_a", "rep_b", "analyst_e")
MANAGERS = {
    "sales_head": "ceo",
    "east_lead": "sales_head",
    "rep_a": "east_lead",
    "rep_b": "east_lead",
    "analyst_e": "east_lead",
}
ITEMS = (("Customer focus", 60.0), ("Teamwork", 40.0))
FINALIZE_TIMEOUT_SECONDS = 20

# What the outcome area writes besides the outbox, and the results it changes.
OUTCOME_TABLES = (
    tables.finalizations,
    tables.finalized_item_scores,
    tables.appeals,
    tables.cases,
    tables.case_tags,
    tables.results,
    tables.result_changes,
    tables.cycles,
    tables.chassis.idempotency,
)


@dataclass(frozen=True)
class Ratings:
    """A member's manager ratings: (customer focus, teamwork)."""

    customer_focus: int
    teamwork: int


# Scores: sales_head 100 (A), east_lead 75 (B), rep_a 100 (A), rep_b 40 (D), analyst_e 75 (B).
DEFAULT_RATINGS = {
    "sales_head": Ratings(5, 5),
    "east_lead": Ratings(4, 4),
    "rep_a": Ratings(5, 5),
    "rep_b": Ratings(3, 2),
    "analyst_e": Ratings(4, 4),
}


def _items() -> list[appraisal_pb2.Item]:
    return [
        appraisal_pb2.Item(
            title=title,
            kind=appraisal_pb2.ITEM_KIND_QUALITATIVE,
            weight=weight,
            qualitative=appraisal_pb2.Qualitative(scale_max=5, guidance=title.lower()),
            aligned_objective_id="objective-values",
        )
        for title, weight in ITEMS
    ]


async def calibrating_cycle(
    appraisal: AppraisalHarness,
    org: Org,
    ratings: Mapping[str, Ratings] = DEFAULT_RATINGS,
    **fields: object,
) -> appraisal_pb2.Cycle:
    """A cycle over the sales subtree in CALIBRATION, every member scored from their manager's ratings."""
    created = await create_cycle(appraisal, org, unit_ids=[org.units["sales"]], **fields)
    hr = as_hr(appraisal, org)
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_INDICATOR_SETTING)
    for name in MEMBERS:
        employee_id = org.employees[name]
        await appraisal.stub.ProposeScorecard(
            appraisal_pb2.ProposeScorecardRequest(
                cycle_id=created.id, employee_id=employee_id, items=_items()
            ),
            metadata=hr,
        )
        await appraisal.stub.ReviewScorecard(
            appraisal_pb2.ReviewScorecardRequest(
                cycle_id=created.id, employee_id=employee_id, verdict=appraisal_pb2.VERDICT_APPROVE
            ),
            metadata=hr,
        )
        await appraisal.stub.ConfirmScorecard(
            appraisal_pb2.ConfirmScorecardRequest(cycle_id=created.id, employee_id=employee_id),
            metadata=as_person(appraisal, org, name),
        )
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_IN_PROGRESS)
    await advance(appraisal, org, created.id, appraisal_pb2.PHASE_REVIEW)
    for name in MEMBERS:
        scorecard = (
            await appraisal.stub.GetScorecard(
                appraisal_pb2.GetScorecardRequest(cycle_id=created.id, employee_id=org.employees[name]),
                metadata=hr,
            )
        ).scorecard
        item_ids = {item.title: item.id for item in scorecard.items}
        given = ratings[name]
        await appraisal.stub.SubmitReview(
            appraisal_pb2.SubmitReviewRequest(
                cycle_id=created.id,
                employee_id=org.employees[name],
                review=appraisal_pb2.Review(
                    kind=appraisal_pb2.REVIEW_KIND_MANAGER,
                    ratings=[
                        appraisal_pb2.Rating(item_id=item_ids["Customer focus"], rating=given.customer_focus),
                        appraisal_pb2.Rating(item_id=item_ids["Teamwork"], rating=given.teamwork),
                    ],
                ),
            ),
            metadata=as_person(appraisal, org, MANAGERS[name]),
        )
    return await advance(appraisal, org, created.id, appraisal_pb2.PHASE_CALIBRATION)


async def finalize(
    appraisal: AppraisalHarness, org: Org, cycle_id: str, **fields: object
) -> appraisal_pb2.Finalization:
    request = appraisal_pb2.FinalizeCycleRequest(cycle_id=cycle_id, **fields)
    return (await appraisal.stub.FinalizeCycle(request, metadata=appraisal.admin(org.tenant))).finalization


async def finalization(
    appraisal: AppraisalHarness, metadata: Metadata, cycle_id: str
) -> appraisal_pb2.Finalization:
    request = appraisal_pb2.GetFinalizationRequest(cycle_id=cycle_id)
    return (await appraisal.stub.GetFinalization(request, metadata=metadata)).finalization


async def finalized(appraisal: AppraisalHarness, org: Org, cycle_id: str) -> appraisal_pb2.Finalization:
    """Finalizes the cycle and waits until the background work is done."""
    await finalize(appraisal, org, cycle_id)
    return await wait_until_done(appraisal, org, cycle_id)


async def wait_until_done(appraisal: AppraisalHarness, org: Org, cycle_id: str) -> appraisal_pb2.Finalization:
    deadline = time.monotonic() + FINALIZE_TIMEOUT_SECONDS
    while True:
        found = await finalization(appraisal, appraisal.admin(org.tenant), cycle_id)
        if found.state == appraisal_pb2.FINALIZATION_STATE_DONE:
            return found
        assert time.monotonic() < deadline, f"finalized {found.finalized} of {found.employees} in time"
        await asyncio.sleep(0.05)


async def result_of(appraisal: AppraisalHarness, org: Org, cycle_id: str, name: str) -> appraisal_pb2.Result:
    request = appraisal_pb2.GetResultRequest(cycle_id=cycle_id, employee_id=org.employees[name])
    return (await appraisal.stub.GetResult(request, metadata=as_hr(appraisal, org))).result


async def grades_of(appraisal: AppraisalHarness, org: Org, cycle_id: str) -> dict[str, str]:
    """Every member's current grade, by name."""
    return {name: (await result_of(appraisal, org, cycle_id, name)).grade for name in MEMBERS}


async def stored_events(appraisal: AppraisalHarness, event_type: type) -> list[tuple[str, object]]:
    """Every event of this type in the outbox, oldest first, with its tenant."""
    outbox = tables.chassis.outbox
    engine = create_engine(appraisal.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type == event_type.DESCRIPTOR.full_name)
                .order_by(outbox.c.seq)
            )
            return [(row.tenant_id, event_type.FromString(row.payload)) for row in rows]
    finally:
        await engine.dispose()


async def grade_finalized_events(appraisal: AppraisalHarness, tenant: str) -> list[events_pb2.GradeFinalized]:
    return [
        event for owner, event in await stored_events(appraisal, events_pb2.GradeFinalized) if owner == tenant
    ]


@asynccontextmanager
async def outcomes_unchanged(appraisal: AppraisalHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no outcome, result or cycle and writes no event."""
    async with state_unchanged(appraisal.settings.database_url, OUTCOME_TABLES, tables.chassis.outbox):
        yield
