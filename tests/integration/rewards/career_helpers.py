"""What the rewards career tests (eligibility, improvement plans, training) share: appraisal's default
fintech organization built in org and known to rewards' directory, grades published as appraisal's
events and awaited in rewards' history, plans opened by a manager, the actions and events rewards
recorded, and its stored state.

The organization (tests/integration/appraisal/setup_helpers.py):

    company CO (head: ceo)
    ├── sales SALES (head: sales_head)
    │   └── east EAST (head: east_lead)       reps: rep_a, rep_b (report to east_lead), analyst_e
    └── risk RISK (head: risk_head)           analyst (reports to risk_head)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from fulcrum.appraisal.v1 import appraisal_pb2, events_pb2
from fulcrum.rewards.v1 import events_pb2 as rewards_events_pb2
from fulcrum.rewards.v1 import rewards_pb2
from nats.js import JetStreamContext
from sqlalchemy import select

from services.chassis.database import create_engine
from services.rewards.adapters import tables
from tests.integration.appraisal.setup_helpers import Org, as_person, build_org
from tests.support.appraisal_events import grade_finalized, publish_appraisal_events
from tests.support.calls import state_unchanged
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness

GRADES_TIMEOUT_SECONDS = 20

# What the career areas write besides the outbox.
CAREER_TABLES = (
    tables.eligibility_rules,
    tables.pips,
    tables.pip_check_ins,
    tables.courses,
    tables.actions,
    tables.chassis.idempotency,
)


async def career_org(org: OrgHarness, rewards: RewardsHarness, tenant: str | None = None) -> Org:
    """The default organization, once rewards' directory knows its people."""
    return await build_org(org, rewards, tenant)


def annual(
    org: Org, year: int, name: str, grade: str, *, items: Sequence[appraisal_pb2.ItemScore] = ()
) -> events_pb2.GradeFinalized:
    """`name`'s grade of the annual cycle of `year`, named after the year."""
    return grade_finalized(
        f"annual-{year}",
        org.employees[name],
        grade,
        cycle_name=str(year),
        cycle_kind=appraisal_pb2.CYCLE_KIND_ANNUAL,
        period_start=f"{year}-01-01",
        period_end=f"{year}-12-31",
        items=items,
    )


def quarter(org: Org, year: int, number: int, name: str, grade: str) -> events_pb2.GradeFinalized:
    end = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}[number]
    start = {1: "01-01", 2: "04-01", 3: "07-01", 4: "10-01"}[number]
    return grade_finalized(
        f"q{number}-{year}",
        org.employees[name],
        grade,
        cycle_name=f"{year} Q{number}",
        cycle_kind=appraisal_pb2.CYCLE_KIND_QUARTERLY,
        period_start=f"{year}-{start}",
        period_end=f"{year}-{end}",
    )


def item_score(title: str, score: float) -> appraisal_pb2.ItemScore:
    return appraisal_pb2.ItemScore(
        item_id=title.lower().replace(" ", "-"),
        title=title,
        kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
        weight=25.0,
        score=score,
    )


async def grade(
    rewards: RewardsHarness, js: JetStreamContext, tenant: str, events: Sequence[events_pb2.GradeFinalized]
) -> None:
    """Publishes the grades as appraisal would and waits until rewards keeps every one in its history."""
    await publish_appraisal_events(js, tenant, events)
    await wait_for_grades(rewards, tenant, [(event.cycle_id, event.employee_id) for event in events])


async def wait_for_grades(rewards: RewardsHarness, tenant: str, keys: Iterable[tuple[str, str]]) -> None:
    wanted = set(keys)
    grades = tables.grades
    engine = create_engine(rewards.settings.database_url)
    deadline = time.monotonic() + GRADES_TIMEOUT_SECONDS
    try:
        while True:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(grades.c.cycle_id, grades.c.employee_id).where(grades.c.tenant_id == tenant)
                )
                missing = wanted - {(row.cycle_id, row.employee_id) for row in rows}
            if not missing:
                return
            assert time.monotonic() < deadline, f"rewards did not keep the grades {sorted(missing)}"
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()


async def announced(rewards: RewardsHarness, event_type: type[Any]) -> list[tuple[str, Any]]:
    """Every event of this type in rewards' outbox, oldest first, with its tenant."""
    outbox = tables.chassis.outbox
    engine = create_engine(rewards.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(outbox.c.tenant_id, outbox.c.payload)
                .where(outbox.c.event_type == event_type.DESCRIPTOR.full_name)
                .order_by(outbox.c.seq)
            )
            return [(tenant, event_type.FromString(payload)) for tenant, payload in rows]
    finally:
        await engine.dispose()


async def pip_changes(rewards: RewardsHarness, pip_id: str) -> list[int]:
    """The PipChanged changes announced for one plan, oldest first."""
    changed = await announced(rewards, rewards_events_pb2.PipChanged)
    return [event.change for _, event in changed if event.pip.id == pip_id]


def goals(*descriptions: str) -> list[rewards_pb2.PipGoal]:
    return [rewards_pb2.PipGoal(description=text, measure="for 4 weeks") for text in descriptions]


async def open_plan(
    rewards: RewardsHarness, org: Org, employee: str = "rep_a", *, by: str = "east_lead", **fields
) -> rewards_pb2.Pip:
    request = rewards_pb2.CreatePipRequest(
        employee_id=org.employees[employee],
        reason="conversion rate 4% against 10%",
        goals=goals("conversion above 8%", "complete sales training"),
        escalation=rewards_pb2.HR_ALERT_KIND_EXIT_REVIEW,
        **fields,
    )
    return (await rewards.stub.CreatePip(request, metadata=as_person(rewards, org, by))).pip


async def stored_actions(rewards: RewardsHarness, tenant: str) -> list[tuple[str, str, str]]:
    """(idempotency key, kind, origin) of every action of the tenant's ledger."""
    actions = tables.actions
    engine = create_engine(rewards.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(actions.c.idempotency_key, actions.c.kind, actions.c.origin)
                .where(actions.c.tenant_id == tenant)
                .order_by(actions.c.seq)
            )
            return [tuple(row) for row in rows]
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def careers_unchanged(rewards: RewardsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no rule, plan, check-in, course or action and writes no event."""
    async with state_unchanged(rewards.settings.database_url, CAREER_TABLES, tables.chassis.outbox):
        yield
