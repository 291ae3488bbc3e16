"""A deadline passing while a plan is active escalates it (R3), once: through the service-layer escalation
with a later calendar, through the running service's own scheduler, and with two replicas' schedulers
racing over the same database."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import grpc
import pytest
from fulcrum.rewards.v1 import events_pb2, rewards_pb2, rewards_pb2_grpc
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.auth import TokenVerifier
from services.chassis.database import create_engine, create_session_factory
from services.chassis.nats_server import NatsServer
from services.chassis.timestamps import utc_now
from services.rewards.adapters import tables
from services.rewards.adapters.events import event_message
from services.rewards.adapters.unit_of_work import RewardsSqlUnitOfWork
from services.rewards.bootstrap import SERVICE, build
from services.rewards.entrypoints.pip_scheduler import LEASE_NAME, PipScheduler
from services.rewards.service_layer.pips import SCHEDULER, escalate_overdue_pips
from services.rewards.service_layer.ports import RewardsUnitOfWork, UnitOfWorkFactory
from tests.integration.appraisal.setup_helpers import Org, as_person
from tests.integration.rewards.career_helpers import (
    announced,
    career_org,
    open_plan,
    pip_changes,
    stored_actions,
)
from tests.support.database import NewDatabase
from tests.support.org import OrgHarness
from tests.support.rewards import RewardsHarness
from tests.support.services import running_service, service_settings
from tests.support.tokens import IssueToken, SigningKeys

ESCALATED = events_pb2.PIP_CHANGE_ESCALATED
SCHEDULER_TIMEOUT_SECONDS = 20


def today() -> date:
    return utc_now().date()


def after_the_default_deadline() -> date:
    return today() + timedelta(days=91)


@asynccontextmanager
async def replica(
    rewards: RewardsHarness,
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], UnitOfWorkFactory]]:
    """Another replica's connection to the service's database, and its units of work."""
    engine = create_engine(rewards.settings.database_url)
    session_factory = create_session_factory(engine)

    def unit_of_work(tenant_id: str) -> RewardsUnitOfWork:
        return RewardsSqlUnitOfWork(tenant_id, session_factory, event_message, lambda: None)

    try:
        yield session_factory, unit_of_work
    finally:
        await engine.dispose()


async def status_of(rewards: RewardsHarness, org: Org, pip_id: str) -> rewards_pb2.Pip:
    request = rewards_pb2.GetPipRequest(pip_id=pip_id)
    return (await rewards.stub.GetPip(request, metadata=rewards.admin(org.tenant))).pip


async def open_plans(rewards: RewardsHarness, org: Org) -> list[rewards_pb2.Pip]:
    return [
        await open_plan(rewards, org, "rep_a"),
        await open_plan(rewards, org, "rep_b"),
        await open_plan(rewards, org, "analyst_e"),
        await open_plan(rewards, org, "analyst", by="risk_head"),
    ]


async def test_the_escalation_takes_active_plans_past_their_deadline_only_and_only_once(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    overdue = await open_plan(rewards, ours, "rep_a")
    later = (today() + timedelta(days=200)).isoformat()
    in_time = await open_plan(rewards, ours, "rep_b", deadline=later)
    closed = await open_plan(rewards, ours, "analyst", by="risk_head")
    await rewards.stub.ClosePip(
        rewards_pb2.ClosePipRequest(pip_id=closed.id, outcome=rewards_pb2.PIP_OUTCOME_ESCALATED),
        metadata=as_person(rewards, ours, "risk_head"),
    )

    async with replica(rewards) as (_, uows):
        assert await escalate_overdue_pips(uows, ours.tenant, today=today() + timedelta(days=90)) == []
        escalated = await escalate_overdue_pips(uows, ours.tenant, today=after_the_default_deadline())
        again = await escalate_overdue_pips(uows, ours.tenant, today=after_the_default_deadline())

    assert [pip.id for pip in escalated] == [overdue.id]
    assert again == []
    stored = await status_of(rewards, ours, overdue.id)
    assert stored.status == rewards_pb2.PIP_STATUS_ESCALATED
    assert overdue.deadline in stored.outcome_note
    assert (await status_of(rewards, ours, in_time.id)).status == rewards_pb2.PIP_STATUS_ACTIVE
    key = f"{ours.tenant}/pip/{overdue.id}/escalation"
    assert (key, "hr_alert", "pip_escalation") in await stored_actions(rewards, ours.tenant)
    [decided] = [
        action
        for _, event in await announced(rewards, events_pb2.ActionsDecided)
        for action in event.actions
        if action.idempotency_key == key
    ]
    assert SCHEDULER in decided.reason
    assert await pip_changes(rewards, overdue.id) == [events_pb2.PIP_CHANGE_OPENED, ESCALATED]


async def test_a_plan_changed_after_it_was_read_is_not_written_over(org: OrgHarness, rewards: RewardsHarness):
    """What keeps a replica that lost its lease mid-batch from escalating a plan twice."""
    ours = await career_org(org, rewards)
    pip = await open_plan(rewards, ours)

    async with replica(rewards) as (_, uows):
        async with uows(ours.tenant) as uow:
            [read] = await uow.pips.overdue(after_the_default_deadline(), 10)
        await escalate_overdue_pips(uows, ours.tenant, today=after_the_default_deadline())
        async with uows(ours.tenant) as uow:
            read_at = read.version
            read.escalate(note="late replica", now=utc_now())
            assert not await uow.pips.save_if_unchanged(read, read_at)

    assert (await status_of(rewards, ours, pip.id)).outcome_note != "late replica"


@pytest.fixture
async def rewards_a_year_ahead(
    new_database: NewDatabase,
    nats_server: NatsServer,
    signing_keys: SigningKeys,
    token_verifier: TokenVerifier,
    issue_token: IssueToken,
) -> AsyncIterator[RewardsHarness]:
    """The rewards service whose PIP scheduler lives a year ahead and looks every tenth of a second."""
    settings = service_settings(SERVICE, await new_database(SERVICE), nats_server.url, signing_keys)
    ahead = functools.partial(build, pip_today=lambda: today() + timedelta(days=365), pip_interval=0.1)
    async with running_service(
        SERVICE, ahead, rewards_pb2_grpc.RewardsServiceStub, settings, token_verifier, issue_token
    ) as harness:
        yield harness


async def test_the_running_service_escalates_a_plan_whose_deadline_passed(
    org: OrgHarness, rewards_a_year_ahead: RewardsHarness
):
    rewards = rewards_a_year_ahead
    ours = await career_org(org, rewards)

    pip = await open_plan(rewards, ours)

    await until_escalated(rewards, ours, pip.id)
    assert await pip_changes(rewards, pip.id) == [events_pb2.PIP_CHANGE_OPENED, ESCALATED]
    assert [key for key, *_ in await stored_actions(rewards, ours.tenant)] == [
        f"{ours.tenant}/pip/{pip.id}/escalation"
    ]


async def until_escalated(rewards: RewardsHarness, org: Org, pip_id: str) -> None:
    deadline = time.monotonic() + SCHEDULER_TIMEOUT_SECONDS
    while (await status_of(rewards, org, pip_id)).status != rewards_pb2.PIP_STATUS_ESCALATED:
        assert time.monotonic() < deadline, "the scheduler did not escalate the plan"
        await asyncio.sleep(0.05)


async def expire_the_services_lease(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The service's own scheduler took the lease at its start and idles for minutes: as if it had
    stopped renewing, its lease is past its time."""
    leases = tables.chassis.leases
    async with sessions() as session, session.begin():
        await session.execute(
            update(leases)
            .where(leases.c.name == LEASE_NAME)
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )


async def test_two_replicas_schedulers_racing_escalate_each_plan_exactly_once(
    org: OrgHarness, rewards: RewardsHarness
):
    tenants = [await career_org(org, rewards), await career_org(org, rewards)]
    plans = [(tenant, pip) for tenant in tenants for pip in await open_plans(rewards, tenant)]

    async with (
        replica(rewards) as (first_sessions, first_uows),
        replica(rewards) as (second_sessions, second_uows),
    ):
        await expire_the_services_lease(first_sessions)
        schedulers = [
            PipScheduler(
                sessions,
                tables.chassis,
                uows,
                today=after_the_default_deadline,
                batch_size=3,
                holder=holder,
            )
            for sessions, uows, holder in (
                (first_sessions, first_uows, "replica-1"),
                (second_sessions, second_uows, "replica-2"),
            )
        ]
        counts = await asyncio.gather(*(scheduler.escalate_overdue() for scheduler in schedulers))

    assert sorted(counts) == [0, len(plans)]
    await each_escalated_once(rewards, plans)


async def test_escalations_racing_without_a_lease_still_escalate_each_plan_once(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    plans = await open_plans(rewards, ours)

    async with replica(rewards) as (_, first), replica(rewards) as (_, second):
        batches = await asyncio.gather(
            *(
                escalate_overdue_pips(uows, ours.tenant, today=after_the_default_deadline())
                for uows in (first, second)
            )
        )

    escalated = [pip.id for batch in batches for pip in batch]
    assert sorted(escalated) == sorted(pip.id for pip in plans)
    await each_escalated_once(rewards, [(ours, pip) for pip in plans])


async def each_escalated_once(rewards: RewardsHarness, plans: list[tuple[Org, rewards_pb2.Pip]]) -> None:
    """Each plan escalated, with one PipChanged and one HR alert in its tenant's ledger."""
    for owner in {org.tenant: org for org, _ in plans}.values():
        keys = [key for key, *_ in await stored_actions(rewards, owner.tenant)]
        assert sorted(keys) == sorted(
            f"{owner.tenant}/pip/{pip.id}/escalation" for org, pip in plans if org is owner
        )
    for owner, pip in plans:
        assert (await status_of(rewards, owner, pip.id)).status == rewards_pb2.PIP_STATUS_ESCALATED
        assert await pip_changes(rewards, pip.id) == [events_pb2.PIP_CHANGE_OPENED, ESCALATED]


async def test_plans_closed_by_hand_while_the_scheduler_escalates_them_end_one_way_each(
    org: OrgHarness, rewards: RewardsHarness
):
    ours = await career_org(org, rewards)
    plans = await open_plans(rewards, ours)
    managers = {
        pip.id: "risk_head" if pip.employee_id == ours.employees["analyst"] else "east_lead" for pip in plans
    }
    for pip in plans:
        met = rewards_pb2.AddPipCheckInRequest(
            pip_id=pip.id, note="both goals reached", met_goal_ids=[goal.id for goal in pip.goals]
        )
        await rewards.stub.AddPipCheckIn(met, metadata=as_person(rewards, ours, managers[pip.id]))

    async def close(pip: rewards_pb2.Pip) -> rewards_pb2.ClosePipResponse:
        request = rewards_pb2.ClosePipRequest(pip_id=pip.id, outcome=rewards_pb2.PIP_OUTCOME_COMPLETED)
        return await rewards.stub.ClosePip(request, metadata=as_person(rewards, ours, managers[pip.id]))

    async with replica(rewards) as (_, uows):
        escalated, closed = await asyncio.gather(
            escalate_overdue_pips(uows, ours.tenant, today=after_the_default_deadline()),
            asyncio.gather(*(close(pip) for pip in plans), return_exceptions=True),
        )

    escalated_ids = {pip.id for pip in escalated}
    for pip, outcome in zip(plans, closed, strict=True):
        stored = await status_of(rewards, ours, pip.id)
        if isinstance(outcome, grpc.aio.AioRpcError):
            assert outcome.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION)
            assert (pip.id in escalated_ids, stored.status) == (True, rewards_pb2.PIP_STATUS_ESCALATED)
            assert await pip_changes(rewards, pip.id) == [events_pb2.PIP_CHANGE_OPENED, ESCALATED]
        else:
            assert (pip.id in escalated_ids, stored.status) == (False, rewards_pb2.PIP_STATUS_COMPLETED)
            assert outcome.pip == stored
            assert await pip_changes(rewards, pip.id) == [
                events_pb2.PIP_CHANGE_OPENED,
                events_pb2.PIP_CHANGE_COMPLETED,
            ]
    assert sorted(key for key, *_ in await stored_actions(rewards, ours.tenant)) == sorted(
        f"{ours.tenant}/pip/{pip_id}/escalation" for pip_id in escalated_ids
    )
