"""What the rewards policy and decision tests share: publishing a policy, grades published as appraisal's
events and their decisions awaited, the actions rewards announced on its stream, and its stored state."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fulcrum.rewards.v1 import events_pb2, rewards_pb2
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from services.chassis.context import ROLE_HR
from services.chassis.database import create_engine
from services.chassis.messaging.envelope import stream_name, subject_for
from services.rewards.adapters import tables
from services.rewards.entrypoints.grade_consumer import APPRAISAL_SERVICE, CONSUMER_NAME
from tests.support.calls import Metadata, StoredState, read_state, state_unchanged
from tests.support.rewards import RewardsHarness

WAIT_SECONDS = 20
ACTIONS_DECIDED = subject_for(events_pb2.ActionsDecided())
# What deciding writes besides the outbox.
DECISION_TABLES = (
    tables.policy_versions,
    tables.grades,
    tables.decisions,
    tables.actions,
    tables.pips,
    tables.chassis.idempotency,
)


def as_hr(rewards: RewardsHarness, tenant: str, *unit_ids: str) -> Metadata:
    """HR for the whole tenant, or for these units' subtrees."""
    return rewards.as_(tenant, "hr-person", (ROLE_HR,), unit_ids)


async def publish_template(
    rewards: RewardsHarness,
    tenant: str,
    template: str = "manufacturer",
    *,
    effective_from: str = "2026-01-01",
    expected_version: int = 0,
    note: str = "",
) -> rewards_pb2.OutcomePolicy:
    request = rewards_pb2.PublishPolicyRequest(
        policy=rewards_pb2.OutcomePolicy(effective_from=effective_from, note=note),
        template_name=template,
        expected_version=expected_version,
    )
    return (await rewards.stub.PublishPolicy(request, metadata=as_hr(rewards, tenant))).policy


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    """Polls `check` until it returns something true, within WAIT_SECONDS; returns that."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if found := await check():
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


async def decisions(
    rewards: RewardsHarness, metadata: Metadata, **filters: Any
) -> list[rewards_pb2.Decision]:
    found: list[rewards_pb2.Decision] = []
    request = rewards_pb2.ListDecisionsRequest(page_size=1000, **filters)
    while True:
        response = await rewards.stub.ListDecisions(request, metadata=metadata)
        found += response.decisions
        if not response.next_page_token:
            return found
        request.page_token = response.next_page_token


async def wait_for_decisions(
    rewards: RewardsHarness, tenant: str, count: int, **filters: Any
) -> dict[str, rewards_pb2.Decision]:
    """The tenant's current decisions by employee, once there are `count` of them."""

    async def enough() -> dict[str, rewards_pb2.Decision] | None:
        found = await decisions(rewards, as_hr(rewards, tenant), **filters)
        return {decision.employee_id: decision for decision in found} if len(found) >= count else None

    return await eventually(enough, f"{count} decisions")


async def consumed(rewards: RewardsHarness, js: JetStreamContext) -> None:
    """Waits until rewards' grade consumer has acknowledged every grade event on appraisal's stream and
    every event rewards wrote since is published."""

    async def done() -> bool:
        try:
            info = await js.consumer_info(stream_name(APPRAISAL_SERVICE), CONSUMER_NAME)
        except NotFoundError:
            return False
        return info.num_pending == 0 and info.num_ack_pending == 0 and await unpublished(rewards) == 0

    await eventually(done, "rewards to consume every grade event and publish what it decided")


async def unpublished(rewards: RewardsHarness) -> int:
    outbox = tables.chassis.outbox
    engine = create_engine(rewards.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            return int(await connection.scalar(query) or 0)
    finally:
        await engine.dispose()


async def announced_actions(js: JetStreamContext, tenant: str) -> list[rewards_pb2.Action]:
    """Every action of the tenant announced in an ActionsDecided on the REWARDS stream, in order."""
    stream = stream_name("rewards")
    state = (await js.stream_info(stream)).state
    actions: list[rewards_pb2.Action] = []
    for sequence in range(state.first_seq, state.last_seq + 1):
        message = await js.get_msg(stream, sequence)
        if message.subject == ACTIONS_DECIDED and (message.headers or {}).get("ce-tenant") == tenant:
            actions += events_pb2.ActionsDecided.FromString(message.data or b"").actions
    return actions


def keys(actions: Sequence[rewards_pb2.Action]) -> list[str]:
    return [action.idempotency_key for action in actions]


async def stored(rewards: RewardsHarness) -> StoredState:
    return await read_state(rewards.settings.database_url, DECISION_TABLES, tables.chassis.outbox)


@contextlib.asynccontextmanager
async def decisions_unchanged(rewards: RewardsHarness) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no policy, grade, decision, action or plan, and writes no
    event."""
    async with state_unchanged(rewards.settings.database_url, DECISION_TABLES, tables.chassis.outbox):
        yield
