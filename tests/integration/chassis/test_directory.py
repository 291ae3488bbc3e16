"""The org directory: the real org service's events, over a real nats-server, into a real database.

Each test's directory database is made here with create_all; services make theirs by migration.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fulcrum.org.v1 import events_pb2, org_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import services.org
from services.chassis.context import ROLE_ADMIN, ROLE_EMPLOYEE, ROLE_HR, Principal
from services.chassis.database import create_engine, create_session_factory
from services.chassis.directory.access import (
    hr_covers_employee,
    hr_covers_unit,
    manages_employee,
    may_act_for_employee,
    may_manage_employee,
    may_manage_unit,
)
from services.chassis.directory.projection import (
    EMPLOYEES_CHANGED,
    ORG_EVENT_SUBJECTS,
    UNITS_CHANGED,
    apply_org_event,
    directory_consumer,
)
from services.chassis.directory.reader import Directory
from services.chassis.directory.tables import DirectoryTables
from services.chassis.messaging.consumer import IncomingEvent
from services.chassis.messaging.envelope import Envelope, stream_name, stream_subjects
from services.chassis.nats_server import NatsServer
from services.chassis.tables import ChassisTables
from services.org.adapters import tables as org_tables
from tests.integration.org.helpers import SmallOrg, build_small_org, every_page
from tests.support.nats import JetStreamClient, connect_jetstream
from tests.support.org import OrgHarness, new_tenant

metadata = MetaData()
chassis_tables = ChassisTables.define(metadata)
directory_tables = DirectoryTables.define(metadata)
ORG_STREAM = stream_name("org")
Sessions = async_sessionmaker[AsyncSession]
T = TypeVar("T")


@pytest.fixture
async def directory_sessions(new_database) -> AsyncIterator[Sessions]:
    engine = create_engine(await new_database("directory"))
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def feed(nats_server: NatsServer, directory_sessions: Sessions) -> AsyncIterator[Sessions]:
    """A directory consumer running in the background, as a service runs it. A test that asks for it
    before `org` starts it before org has made its stream."""
    client = await connect_jetstream(nats_server.url)
    consumer = await directory_consumer(
        client.js, directory_sessions, chassis_tables, directory_tables, service="tests"
    )
    running = asyncio.create_task(consumer.run())
    try:
        yield directory_sessions
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await client.nc.close()


@contextlib.asynccontextmanager
async def directory_of(sessions: Sessions, tenant: str) -> AsyncIterator[Directory]:
    async with sessions() as session:
        yield Directory(session, directory_tables, tenant)


async def settles_to(probe: Callable[[], Awaitable[T]], expected: T, within: float = 10) -> None:
    """Polls `probe` until it answers `expected`; asserts the last answer, so a miss shows the difference."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (actual := await probe()) != expected:
        if loop.time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert actual == expected


@dataclass(frozen=True)
class UnitState:
    code: str
    name: str
    parent_id: str | None
    head_employee_id: str | None
    version: int
    path: str


@dataclass(frozen=True)
class EmployeeState:
    employee_number: str
    display_name: str
    unit_id: str
    position_id: str | None
    manager_id: str | None
    active: bool
    version: int


@dataclass(frozen=True)
class OrgState:
    units: dict[str, UnitState]
    employees: dict[str, EmployeeState]


async def directory_state(sessions: Sessions, tenant: str) -> OrgState:
    units, employees = directory_tables.units, directory_tables.employees
    async with sessions() as session:
        unit_rows = await session.execute(
            select(units).where(units.c.tenant_id == tenant, units.c.deleted.is_(False))
        )
        employee_rows = await session.execute(select(employees).where(employees.c.tenant_id == tenant))
        return OrgState(
            units={
                row.id: UnitState(
                    row.code, row.name, row.parent_id, row.head_employee_id, row.version, row.path
                )
                for row in unit_rows
            },
            employees={
                row.id: EmployeeState(
                    row.employee_number,
                    row.display_name,
                    row.unit_id,
                    row.position_id,
                    row.manager_id,
                    row.active,
                    row.version,
                )
                for row in employee_rows
            },
        )


async def org_state(org: OrgHarness, tenant: str) -> OrgState:
    """What org itself says, with every unit's path worked out from the parents org reports."""
    admin = org.admin(tenant)
    pages = await every_page(org.stub.ListUnits, org_pb2.ListUnitsRequest(page_size=1000), "units", admin)
    units = {unit.id: unit for page in pages for unit in page}
    request = org_pb2.ListEmployeesRequest(include_terminated=True, page_size=1000)
    pages = await every_page(org.stub.ListEmployees, request, "employees", admin)
    employees = [employee for page in pages for employee in page]

    def path(unit_id: str) -> str:
        parent_id = units[unit_id].parent_id
        return f"{path(parent_id) if parent_id else '/'}{unit_id}/"

    return OrgState(
        units={
            unit.id: UnitState(
                unit.code,
                unit.name,
                unit.parent_id or None,
                unit.head_employee_id or None,
                unit.version,
                path(unit.id),
            )
            for unit in units.values()
        },
        employees={
            employee.id: EmployeeState(
                employee.employee_number,
                employee.display_name,
                employee.unit_id,
                employee.position_id or None,
                employee.manager_id or None,
                employee.status == org_pb2.EMPLOYMENT_STATUS_ACTIVE,
                employee.version,
            )
            for employee in employees
        },
    )


async def converges_to_org(sessions: Sessions, org: OrgHarness, tenant: str) -> None:
    expected = await org_state(org, tenant)
    await settles_to(lambda: directory_state(sessions, tenant), expected)


async def test_a_directory_starting_before_org_makes_orgs_stream_and_consumes_it(
    directory_sessions: Sessions, jetstream: JetStreamClient
):
    with pytest.raises(NotFoundError):
        await jetstream.js.stream_info(ORG_STREAM)

    consumer = await directory_consumer(
        jetstream.js, directory_sessions, chassis_tables, directory_tables, service="goals"
    )

    assert consumer.name == "goals-org-directory"
    assert (await jetstream.js.stream_info(ORG_STREAM)).config.subjects == stream_subjects("org")
    assert await consumer.process_batch(timeout=0.2) == 0
    consumer_info = await jetstream.js.consumer_info(ORG_STREAM, "goals-org-directory")
    assert sorted(consumer_info.config.filter_subjects) == sorted(ORG_EVENT_SUBJECTS)


async def test_a_directory_leaves_an_existing_org_stream_as_org_configured_it(
    directory_sessions: Sessions, jetstream: JetStreamClient
):
    configured = StreamConfig(
        name=ORG_STREAM, subjects=stream_subjects("org"), description="as org set it", max_age=3600.0
    )
    await jetstream.js.add_stream(configured)

    await directory_consumer(
        jetstream.js, directory_sessions, chassis_tables, directory_tables, service="goals"
    )

    config = (await jetstream.js.stream_info(ORG_STREAM)).config
    assert (config.description, config.max_age) == ("as org set it", 3600.0)


async def test_the_directory_converges_to_an_org_built_through_its_rpcs_and_answers_from_it(
    feed: Sessions, org: OrgHarness
):
    small = await build_small_org(org)
    await converges_to_org(feed, org, small.tenant)
    unit = {name: unit.id for name, unit in small.units.items()}
    person = {name: employee.id for name, employee in small.employees.items()}

    async with directory_of(feed, small.tenant) as directory:
        assert await directory.manager_chain(person["seller"]) == [person["sales_head"], person["ceo"]]
        assert await directory.manager_chain(person["ceo"]) == []
        assert await directory.is_manager_above(person["ceo"], person["analyst"])
        assert await directory.is_manager_above(person["sales_head"], person["liaison"])
        assert not await directory.is_manager_above(person["operations_head"], person["liaison"])
        assert not await directory.is_manager_above(person["analyst"], person["ceo"])
        assert set(await directory.unit_subtree_ids(unit["company"])) == set(unit.values())
        assert await directory.unit_subtree_ids(unit["sales"]) == [unit["sales"], unit["sales_east"]]
        assert await directory.unit_ancestor_ids(unit["sales_east"]) == [unit["sales"], unit["company"]]
        assert await directory.unit_ancestor_ids(unit["company"]) == []
        in_sales = await directory.employees_in_units(await directory.unit_subtree_ids(unit["sales"]))
        assert [employee.id for employee in in_sales] == [person["sales_head"], person["seller"]]
        assert await directory.headed_unit_ids(person["ceo"]) == [unit["company"]]
        assert await directory.headed_unit_ids(person["seller"]) == []
        assert await directory.responsible_for_employee(person["seller"]) == person["sales_head"]
        # The CEO has no manager and heads the top unit: nobody answers for them.
        assert await directory.responsible_for_employee(person["ceo"]) is None
        assert await directory.responsible_for_unit(unit["sales_east"]) == person["sales_head"]
        assert await directory.responsible_for_unit(unit["operations"]) == person["operations_head"]
        assert (await directory.employee(person["liaison"])).unit_id == unit["operations"]
        assert (await directory.unit(unit["sales"])).head_employee_id == person["sales_head"]
        assert await directory.employee("nobody") is None
        assert await directory.unit("nowhere") is None
        assert await directory.unit_subtree_ids("nowhere") == []
        assert await directory.responsible_for_employee("nobody") is None

    async with directory_of(feed, new_tenant()) as elsewhere:
        assert await elsewhere.employee(person["seller"]) is None
        assert await elsewhere.unit_subtree_ids(unit["company"]) == []
        assert await elsewhere.manager_chain(person["seller"]) == []


async def test_relationship_access_follows_reporting_lines_unit_heads_and_hr_scope(
    feed: Sessions, org: OrgHarness
):
    small = await build_small_org(org)
    await converges_to_org(feed, org, small.tenant)
    unit = {name: unit.id for name, unit in small.units.items()}
    person = {name: employee.id for name, employee in small.employees.items()}

    def as_(name: str, *roles: str, hr_units: tuple[str, ...] = ()) -> Principal:
        return Principal(small.tenant, person.get(name, name), frozenset(roles or (ROLE_EMPLOYEE,)), hr_units)

    sales_hr = as_("analyst", ROLE_HR, hr_units=(unit["sales"],))
    tenant_hr = as_("analyst", ROLE_HR)
    admin = as_("admin", ROLE_ADMIN)
    intruder = Principal(new_tenant(), "admin", frozenset({ROLE_ADMIN}))

    async with directory_of(feed, small.tenant) as directory:
        assert await hr_covers_unit(directory, sales_hr, unit["sales_east"])
        assert not await hr_covers_unit(directory, sales_hr, unit["operations"])
        assert await hr_covers_employee(directory, sales_hr, person["seller"])
        # The liaison reports into sales but sits in operations: HR scope follows units.
        assert not await hr_covers_employee(directory, sales_hr, person["liaison"])
        assert await hr_covers_employee(directory, tenant_hr, person["liaison"])
        assert await hr_covers_unit(directory, admin, unit["operations"])
        assert not await hr_covers_unit(directory, as_("ceo"), unit["sales"])
        assert not await hr_covers_unit(directory, admin, "nowhere")
        assert not await hr_covers_employee(directory, admin, "nobody")

        assert await manages_employee(directory, as_("sales_head"), person["liaison"])
        assert await manages_employee(directory, as_("operations_head"), person["liaison"])
        assert await manages_employee(directory, as_("ceo"), person["seller"])
        assert not await manages_employee(directory, as_("sales_head"), person["analyst"])
        assert not await manages_employee(directory, as_("seller"), person["sales_head"])
        assert not await manages_employee(directory, as_("ceo"), person["ceo"])
        assert not await manages_employee(directory, tenant_hr, person["seller"])

        assert await may_manage_employee(directory, sales_hr, person["seller"])
        assert await may_manage_employee(directory, as_("sales_head"), person["seller"])
        assert not await may_manage_employee(directory, as_("seller"), person["liaison"])

        assert await may_act_for_employee(directory, as_("seller"), person["seller"])
        assert await may_act_for_employee(directory, as_("sales_head"), person["seller"])
        assert not await may_act_for_employee(directory, as_("seller"), person["analyst"])
        assert not await may_act_for_employee(directory, as_("nobody"), "nobody")

        assert await may_manage_unit(directory, as_("sales_head"), unit["sales_east"])
        assert not await may_manage_unit(directory, as_("sales_head"), unit["operations"])
        assert not await may_manage_unit(directory, as_("seller"), unit["sales_east"])
        assert await may_manage_unit(directory, sales_hr, unit["sales_east"])
        assert not await may_manage_unit(directory, sales_hr, unit["company"])
        assert await may_manage_unit(directory, admin, unit["company"])
        assert not await may_manage_unit(directory, admin, "nowhere")

        for check, target in (
            (hr_covers_unit, unit["sales"]),
            (hr_covers_employee, person["seller"]),
            (may_act_for_employee, person["seller"]),
            (may_manage_unit, unit["sales"]),
        ):
            assert not await check(directory, intruder, target), check.__name__


async def test_the_directory_answers_like_org_for_an_imported_company(feed: Sessions, org: OrgHarness):
    fintech = Path(services.org.__file__).parent / "demo" / "fintech"
    tenant = new_tenant()
    admin = org.admin(tenant)
    request = org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV,
        units=(fintech / "units.csv").read_bytes(),
        positions=(fintech / "positions.csv").read_bytes(),
        employees=(fintech / "employees.csv").read_bytes(),
    )
    assert (await org.stub.ImportOrg(request, metadata=admin)).applied
    await converges_to_org(feed, org, tenant)
    state = await org_state(org, tenant)
    assert len(state.employees) == 200

    async with directory_of(feed, tenant) as directory:
        for employee_id in state.employees:
            managers = await org.stub.GetManagerChain(
                org_pb2.GetManagerChainRequest(employee_id=employee_id), metadata=admin
            )
            assert await directory.manager_chain(employee_id) == [m.id for m in managers.managers]
        for unit_id in state.units:
            listed = await org.stub.ListUnits(
                org_pb2.ListUnitsRequest(subtree_of_unit_id=unit_id, page_size=1000), metadata=admin
            )
            subtree = await directory.unit_subtree_ids(unit_id)
            assert subtree == [unit.id for unit in listed.units]
            staff = await org.stub.ListEmployees(
                org_pb2.ListEmployeesRequest(unit_subtree_id=unit_id, page_size=1000), metadata=admin
            )
            assert [e.id for e in await directory.employees_in_units(subtree)] == [
                e.id for e in staff.employees
            ]


async def test_moves_transfers_manager_changes_leavers_and_deleted_units_reach_the_directory(
    feed: Sessions, org: OrgHarness
):
    small = await build_small_org(org)
    await changes_made_in_org(org, small)
    await converges_to_org(feed, org, small.tenant)
    unit = {name: unit.id for name, unit in small.units.items()}
    person = {name: employee.id for name, employee in small.employees.items()}

    async with directory_of(feed, small.tenant) as directory:
        assert await directory.unit_ancestor_ids(unit["sales_east"]) == [
            unit["sales"],
            unit["operations"],
            unit["company"],
        ]
        assert await directory.unit_subtree_ids(unit["operations"]) == [
            unit["operations"],
            unit["sales"],
            unit["sales_east"],
        ]
        assert await may_manage_unit(directory, as_person(small, "operations_head"), unit["sales_east"])
        assert await directory.manager_chain(person["liaison"]) == [person["operations_head"], person["ceo"]]
        assert not await manages_employee(directory, as_person(small, "sales_head"), person["liaison"])
        assert (await directory.employee(person["seller"])).unit_id == unit["operations"]
        in_operations = await directory.employees_in_units([unit["operations"]])
        assert {e.id for e in in_operations} == {
            person["operations_head"],
            person["liaison"],
            person["seller"],
        }
        everyone = await directory.employees_in_units([unit["operations"]], active_only=False)
        assert {e.id for e in everyone} == {e.id for e in in_operations} | {person["analyst"]}
        assert not (await directory.employee(person["analyst"])).active
        assert len(await directory.unit_subtree_ids(unit["company"])) == 4


async def test_replayed_older_org_events_do_not_undo_newer_state(
    feed: Sessions, org: OrgHarness, jetstream: JetStreamClient
):
    small = await build_small_org(org)
    await changes_made_in_org(org, small)
    await converges_to_org(feed, org, small.tenant)

    # Every event org ever wrote, again, under new ids and newest first: as if each had been
    # dead-lettered and replayed after everything that followed it.
    for subject, tenant_id, payload in reversed(await org_outbox(org)):
        await jetstream.js.publish(subject, payload, headers=envelope(subject, tenant_id).headers())
    marker = org_pb2.Unit(code=f"MARK-{small.tag}", name="Marker", parent_id=small.units["company"].id)
    await org.stub.CreateUnit(org_pb2.CreateUnitRequest(unit=marker), metadata=org.admin(small.tenant))

    # The marker comes after the replays on the stream, so the directory has seen them all once it has it.
    await converges_to_org(feed, org, small.tenant)


async def changes_made_in_org(org: OrgHarness, small: SmallOrg) -> None:
    """Sales moves under operations, the seller transfers there, the liaison gets the operations head
    as manager, the analyst leaves, and a unit is made and deleted."""
    admin = org.admin(small.tenant)
    unit = {name: unit.id for name, unit in small.units.items()}
    person = {name: employee.id for name, employee in small.employees.items()}
    stub = org.stub
    await stub.MoveUnit(
        org_pb2.MoveUnitRequest(unit_id=unit["sales"], new_parent_id=unit["operations"]), metadata=admin
    )
    await stub.TransferEmployee(
        org_pb2.TransferEmployeeRequest(employee_id=person["seller"], new_unit_id=unit["operations"]),
        metadata=admin,
    )
    await stub.ChangeManager(
        org_pb2.ChangeManagerRequest(employee_id=person["liaison"], new_manager_id=person["operations_head"]),
        metadata=admin,
    )
    await stub.TerminateEmployee(
        org_pb2.TerminateEmployeeRequest(employee_id=person["analyst"]), metadata=admin
    )
    temporary = org_pb2.Unit(code=f"TEMP-{small.tag}", name="Temporary", parent_id=unit["sales_east"])
    created = await stub.CreateUnit(org_pb2.CreateUnitRequest(unit=temporary), metadata=admin)
    await stub.DeleteUnit(org_pb2.DeleteUnitRequest(unit_id=created.unit.id), metadata=admin)


def as_person(small: SmallOrg, name: str) -> Principal:
    return Principal(small.tenant, small.employees[name].id, frozenset({ROLE_EMPLOYEE}))


async def org_outbox(org: OrgHarness) -> list[tuple[str, str, bytes]]:
    outbox = org_tables.chassis.outbox
    engine = create_engine(org.settings.database_url)
    try:
        async with engine.connect() as connection:
            query = select(outbox.c.subject, outbox.c.tenant_id, outbox.c.payload).order_by(outbox.c.seq)
            return [tuple(row) for row in await connection.execute(query)]
    finally:
        await engine.dispose()


def envelope(subject: str, tenant_id: str) -> Envelope:
    return Envelope(str(uuid.uuid4()), subject, "fulcrum/org", datetime.now(UTC), tenant_id)


async def apply(sessions: Sessions, tenant: str, subject: str, message: Any) -> None:
    """One org event applied as the consumer applies it, in a transaction of its own."""
    event = IncomingEvent(envelope(subject, tenant), subject, message.SerializeToString())
    async with sessions() as session, session.begin():
        await apply_org_event(session, directory_tables, event)


def unit_message(unit_id: str, parent_id: str | None, version: int = 1, head: str = "") -> org_pb2.Unit:
    return org_pb2.Unit(
        id=unit_id,
        code=unit_id.upper(),
        name=unit_id,
        parent_id=parent_id or "",
        head_employee_id=head,
        version=version,
    )


def employee_message(employee_id: str, unit_id: str, manager_id: str, version: int = 1) -> org_pb2.Employee:
    return org_pb2.Employee(
        id=employee_id,
        employee_number=employee_id,
        display_name=employee_id,
        email=f"{employee_id}@example.com",
        unit_id=unit_id,
        manager_id=manager_id,
        hire_date="2024-01-01",
        status=org_pb2.EMPLOYMENT_STATUS_ACTIVE,
        version=version,
    )


async def test_units_arriving_before_their_parents_are_placed_when_the_parents_come(
    directory_sessions: Sessions,
):
    tenant = new_tenant()
    await apply(
        directory_sessions,
        tenant,
        UNITS_CHANGED,
        events_pb2.UnitsChanged(units=[unit_message("leaf", "mid")]),
    )
    await apply(
        directory_sessions, tenant, UNITS_CHANGED, events_pb2.UnitsChanged(units=[unit_message("mid", "top")])
    )

    async with directory_of(directory_sessions, tenant) as directory:
        assert await directory.unit_subtree_ids("mid") == ["mid", "leaf"]
        assert await directory.unit_ancestor_ids("mid") == []

    await apply(
        directory_sessions, tenant, UNITS_CHANGED, events_pb2.UnitsChanged(units=[unit_message("top", None)])
    )

    async with directory_of(directory_sessions, tenant) as directory:
        assert await directory.unit_ancestor_ids("leaf") == ["mid", "top"]
        assert await directory.unit_subtree_ids("top") == ["top", "mid", "leaf"]


async def test_a_parent_and_child_swapped_by_events_out_of_order_end_in_the_final_shape(
    directory_sessions: Sessions,
):
    tenant = new_tenant()
    await apply(
        directory_sessions,
        tenant,
        UNITS_CHANGED,
        events_pb2.UnitsChanged(units=[unit_message("a", None), unit_message("b", "a")]),
    )

    # org made b a root, then put a under it; a's change arrives first, so for a moment each is the
    # other's parent.
    async with asyncio.timeout(10):
        await apply(
            directory_sessions,
            tenant,
            UNITS_CHANGED,
            events_pb2.UnitsChanged(units=[unit_message("a", "b", 2)]),
        )
        await apply(
            directory_sessions,
            tenant,
            UNITS_CHANGED,
            events_pb2.UnitsChanged(units=[unit_message("b", None, 2)]),
        )

    async with directory_of(directory_sessions, tenant) as directory:
        assert await directory.unit_subtree_ids("b") == ["b", "a"]
        assert await directory.unit_ancestor_ids("a") == ["b"]


async def test_an_older_version_never_replaces_a_newer_one(directory_sessions: Sessions):
    tenant = new_tenant()
    newer = events_pb2.UnitsChanged(
        units=[
            unit_message("top", None),
            unit_message("other", None),
            unit_message("unit", "other", version=3),
        ]
    )
    await apply(directory_sessions, tenant, UNITS_CHANGED, newer)
    await apply(
        directory_sessions,
        tenant,
        EMPLOYEES_CHANGED,
        events_pb2.EmployeesChanged(
            employees=[
                employee_message("boss", "top", ""),
                employee_message("worker", "unit", "boss", version=2),
            ]
        ),
    )
    before = await directory_state(directory_sessions, tenant)

    await apply(
        directory_sessions,
        tenant,
        UNITS_CHANGED,
        events_pb2.UnitsChanged(units=[unit_message("unit", "top", version=2)]),
    )
    await apply(
        directory_sessions,
        tenant,
        EMPLOYEES_CHANGED,
        events_pb2.EmployeesChanged(employees=[employee_message("worker", "top", "", version=1)]),
    )

    assert await directory_state(directory_sessions, tenant) == before
    assert before.units["unit"].path == "/other/unit/"
    assert before.employees["worker"].manager_id == "boss"


async def test_a_deleted_unit_stays_deleted_whatever_version_arrives_after(directory_sessions: Sessions):
    tenant = new_tenant()
    await apply(
        directory_sessions, tenant, UNITS_CHANGED, events_pb2.UnitsChanged(units=[unit_message("top", None)])
    )
    await apply(
        directory_sessions,
        tenant,
        UNITS_CHANGED,
        events_pb2.UnitsChanged(units=[unit_message("known", "top", head="boss")]),
    )
    await apply(
        directory_sessions,
        tenant,
        UNITS_CHANGED,
        events_pb2.UnitsChanged(deleted_unit_ids=["known", "unseen"]),
    )

    # A dead-lettered update replayed after the deletion, and a creation that arrives after its deletion.
    late = events_pb2.UnitsChanged(
        units=[unit_message("known", "top", version=2, head="boss"), unit_message("unseen", "top", version=5)]
    )
    await apply(directory_sessions, tenant, UNITS_CHANGED, late)

    async with directory_of(directory_sessions, tenant) as directory:
        assert await directory.units(["known", "unseen"]) == {}
        assert await directory.unit_subtree_ids("top") == ["top"]
        assert await directory.headed_unit_ids("boss") == []
        assert await directory.responsible_for_unit("known") is None


async def test_a_cycle_in_reporting_lines_ends_the_manager_chain_instead_of_looping(
    directory_sessions: Sessions,
):
    tenant = new_tenant()
    # Only stale data applied out of order could say this; the chain must still end.
    employees = [
        employee_message("a", "u", "b"),
        employee_message("b", "u", "c"),
        employee_message("c", "u", "a"),
    ]
    await apply(
        directory_sessions, tenant, EMPLOYEES_CHANGED, events_pb2.EmployeesChanged(employees=employees)
    )

    async with directory_of(directory_sessions, tenant) as directory:
        assert await directory.manager_chain("a") == ["b", "c"]
        assert await directory.is_manager_above("c", "a")
        assert not await directory.is_manager_above("a", "a")


@st.composite
def unit_histories(draw: st.DrawFn) -> tuple[list[org_pb2.Unit], dict[str, str | None]]:
    """Every version org would publish for a unit tree that is built, then reshaped by moves, and the
    final parent of each unit."""
    count = draw(st.integers(min_value=1, max_value=8))
    parents: dict[str, str | None] = {}
    versions: dict[str, int] = {}
    published: list[org_pb2.Unit] = []
    for index in range(count):
        unit_id = f"u{index}"
        parents[unit_id] = draw(st.sampled_from([None, *parents]))
        versions[unit_id] = 1
        published.append(unit_message(unit_id, parents[unit_id]))

    def below(unit_id: str) -> set[str]:
        children = {child for child, parent in parents.items() if parent == unit_id}
        return {unit_id}.union(*(below(child) for child in children))

    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        moved = draw(st.sampled_from(sorted(parents)))
        parents[moved] = draw(st.sampled_from([None, *sorted(set(parents) - below(moved))]))
        versions[moved] += 1
        published.append(unit_message(moved, parents[moved], versions[moved]))
    return published, parents


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=unit_histories(), data=st.data())
async def test_units_delivered_in_any_order_and_any_grouping_end_with_the_paths_of_the_final_tree(
    directory_sessions: Sessions,
    history: tuple[list[org_pb2.Unit], dict[str, str | None]],
    data: st.DataObject,
):
    published, parents = history
    delivered = data.draw(st.permutations(published))
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=len(delivered)), max_size=4)))
    tenant = new_tenant()
    for start, end in zip([0, *cuts], [*cuts, len(delivered)], strict=True):
        if start < end:
            event = events_pb2.UnitsChanged(units=delivered[start:end])
            await apply(directory_sessions, tenant, UNITS_CHANGED, event)

    def path(unit_id: str) -> str:
        parent = parents[unit_id]
        return f"{path(parent) if parent else '/'}{unit_id}/"

    state = await directory_state(directory_sessions, tenant)
    assert {unit_id: unit.path for unit_id, unit in state.units.items()} == {u: path(u) for u in parents}
    async with directory_of(directory_sessions, tenant) as directory:
        for unit_id in parents:
            expected = sorted((u for u in parents if f"/{unit_id}/" in path(u)), key=path)
            assert await directory.unit_subtree_ids(unit_id) == expected
