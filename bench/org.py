"""The org service against its building blocks: bulk import and listing a big reporting line.

The service runs in this process (bench/service.py).
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import nats
from fulcrum.org.v1 import org_pb2, org_pb2_grpc
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import func, insert, select

from bench.org_data import EMPLOYEE_COUNT, GeneratedOrg, employee_table_rows, generate_org
from bench.report import Figure, percentile
from bench.service import Metadata, running_service, scratch_dir
from services.chassis.database import create_engine
from services.chassis.messaging.envelope import stream_name
from services.org.adapters import tables
from services.org.bootstrap import SERVICE, build
from services.org.domain.paths import subtree_upper_bound

TENANT_ID = "bench"
PAGE_SIZE = 1000
# Every subtree below the CEO is listed this many times; the first pass over one subtree warms up.
LISTING_ROUNDS = 2
REPORTS_P99_AIM_MS = 50.0
IMPORT_TIMEOUT_SECONDS = 600.0
CALL_TIMEOUT_SECONDS = 30.0
RELAY_TIMEOUT_SECONDS = 300.0

# The query EmployeeRepository.reports_in_tree_order issues, written for the stdlib sqlite3 driver.
_EMPLOYEE_COLUMNS = [column.name for column in tables.employees.columns]
_PATH_COLUMN = _EMPLOYEE_COLUMNS.index("path")
_REPORTS_PAGE = (
    f"SELECT {', '.join(_EMPLOYEE_COLUMNS)} FROM employees WHERE tenant_id = ? AND path >= ? AND path < ? "
    "AND id != ? AND status = 'active' {after} ORDER BY path LIMIT ?"
)
_FIRST_REPORTS_PAGE = _REPORTS_PAGE.format(after="")
_NEXT_REPORTS_PAGE = _REPORTS_PAGE.format(after="AND path > ?")


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


@dataclass
class RunningOrg:
    stub: org_pb2_grpc.OrgServiceStub
    metadata: Metadata
    database_url: str
    database_file: Path
    nats_url: str


@dataclass
class SubtreeListing:
    page_seconds: list[float]
    total_seconds: float
    employees: int


async def run_org_bench() -> list[Figure]:
    progress(f"generating an organization of {EMPLOYEE_COUNT:,} employees")
    org = generate_org()
    with scratch_dir() as scratch:
        progress("raw insert of the same employee rows (building block)")
        core_rate, sqlite3_rate = await insert_building_blocks(org, scratch)
        # The generated org is the client's, yet it shares this process with the service: frozen,
        # its 100k objects stay out of the service's garbage collections, as in a server of its own.
        gc.collect()
        gc.freeze()
        async with running_org(scratch) as service:
            progress("ImportOrg over gRPC")
            started = time.perf_counter()
            import_seconds = await import_org(service, org)
            progress("waiting for the relay to publish the import's events")
            event_count = await wait_for_events_published(service)
            published_seconds = time.perf_counter() - started
            progress("ListReports(include_indirect) under each of the CEO's direct reports")
            heads = await direct_reports_of_top(service)
            listings = await list_subtrees(service, heads)
        progress("raw SQLite range query for the same pages (building block)")
        raw_page_seconds = raw_reports_pages(service.database_file, [head.id for head in heads])
    page_ms = [seconds * 1000 for listing in listings for seconds in listing.page_seconds]
    subtree_ms = statistics.median(listing.total_seconds * 1000 for listing in listings)
    subtree_size = statistics.median(listing.employees for listing in listings)
    import_rate = len(org.people) / import_seconds
    return [
        Figure(
            "org.import_rows_per_s",
            import_rate,
            "rows/s",
            core_rate,
            f"{len(org.people):,} employees (+{org.unit_count + org.position_count:,} units and positions) "
            f"in one ImportOrg call of {_mib(org)} MiB CSV: {import_seconds:.1f} s, validation included",
        ),
        Figure(
            "sqlite.employees_core_executemany_rows_per_s",
            core_rate,
            "rows/s",
            note="building block: SQLAlchemy Core insert executemany of the same rows, fresh SQLite file",
        ),
        Figure(
            "sqlite.employees_sqlite3_executemany_rows_per_s",
            sqlite3_rate,
            "rows/s",
            note="building block: stdlib sqlite3 executemany of the same rows, fresh SQLite file",
        ),
        Figure(
            "org.import_events_published_s",
            published_seconds,
            "s",
            note=f"from the ImportOrg call until JetStream held all {event_count} of its change events",
        ),
        Figure(
            "org.indirect_reports_p99_ms",
            percentile(page_ms, 0.99),
            "ms",
            REPORTS_P99_AIM_MS,
            f"ListReports(include_indirect, page_size={PAGE_SIZE}) per page, {len(page_ms)} calls",
        ),
        Figure(
            "org.indirect_reports_p50_ms",
            statistics.median(page_ms),
            "ms",
            note="the same calls, median",
        ),
        Figure(
            "org.indirect_reports_subtree_ms",
            subtree_ms,
            "ms",
            note=f"listing one whole subtree of ~{subtree_size:,.0f} reports page by page, median",
        ),
        Figure(
            "sqlite.reports_range_query_p99_ms",
            percentile([seconds * 1000 for seconds in raw_page_seconds], 0.99),
            "ms",
            note="building block: the same page query through stdlib sqlite3 on the service's file, p99",
        ),
    ]


def _mib(org: GeneratedOrg) -> str:
    size = len(org.units) + len(org.positions) + len(org.employees)
    return f"{size / 2**20:.1f}"


@asynccontextmanager
async def running_org(scratch: Path) -> AsyncIterator[RunningOrg]:
    async with running_service(SERVICE, build, scratch, TENANT_ID) as service:
        yield RunningOrg(
            stub=org_pb2_grpc.OrgServiceStub(service.channel),
            metadata=service.metadata,
            database_url=service.database_url,
            database_file=service.database_file,
            nats_url=service.nats_url,
        )


async def import_org(service: RunningOrg, org: GeneratedOrg) -> float:
    request = org_pb2.ImportOrgRequest(
        format=org_pb2.IMPORT_FORMAT_CSV,
        units=org.units,
        positions=org.positions,
        employees=org.employees,
        request_id="bench-import",
    )
    started = time.perf_counter()
    response = await service.stub.ImportOrg(
        request, metadata=service.metadata, timeout=IMPORT_TIMEOUT_SECONDS
    )
    elapsed = time.perf_counter() - started
    if not response.applied or response.employees.created != len(org.people):
        raise RuntimeError(f"the import did not create every employee: {response}")
    return elapsed


async def wait_for_events_published(service: RunningOrg) -> int:
    """Waits until the relay has no outbox row left to publish; returns the events JetStream holds."""
    outbox = tables.chassis.outbox
    unpublished = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    engine = create_engine(service.database_url)
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            while await connection.scalar(unpublished):
                if time.perf_counter() - started > RELAY_TIMEOUT_SECONDS:
                    raise RuntimeError(f"the relay left events unpublished for {RELAY_TIMEOUT_SECONDS:.0f} s")
                await connection.rollback()
                await asyncio.sleep(0.01)
            written = await connection.scalar(select(func.count()).select_from(outbox))
    finally:
        await engine.dispose()
    client = await nats.connect(service.nats_url)
    try:
        held = (await client.jetstream().stream_info(stream_name(SERVICE))).state.messages
    finally:
        await client.close()
    if held != written:
        raise RuntimeError(f"the outbox holds {written} events but the stream {held}")
    return held


async def direct_reports_of_top(service: RunningOrg) -> list[org_pb2.Employee]:
    """The direct reports of the CEO, who is first by employee number (E000001)."""
    first = await service.stub.ListEmployees(
        org_pb2.ListEmployeesRequest(page_size=1), metadata=service.metadata, timeout=CALL_TIMEOUT_SECONDS
    )
    top = first.employees[0]
    reports = await service.stub.ListReports(
        org_pb2.ListReportsRequest(employee_id=top.id, page_size=PAGE_SIZE),
        metadata=service.metadata,
        timeout=CALL_TIMEOUT_SECONDS,
    )
    return list(reports.employees)


async def list_subtrees(service: RunningOrg, heads: Sequence[org_pb2.Employee]) -> list[SubtreeListing]:
    await list_subtree(service, heads[0].id)
    return [await list_subtree(service, head.id) for _ in range(LISTING_ROUNDS) for head in heads]


async def list_subtree(service: RunningOrg, employee_id: str) -> SubtreeListing:
    page_seconds = []
    employees = 0
    page_token = ""
    started = time.perf_counter()
    while True:
        request = org_pb2.ListReportsRequest(
            employee_id=employee_id, include_indirect=True, page_size=PAGE_SIZE, page_token=page_token
        )
        call_started = time.perf_counter()
        response = await service.stub.ListReports(
            request, metadata=service.metadata, timeout=CALL_TIMEOUT_SECONDS
        )
        page_seconds.append(time.perf_counter() - call_started)
        employees += len(response.employees)
        page_token = response.next_page_token
        if not page_token:
            return SubtreeListing(page_seconds, time.perf_counter() - started, employees)


async def insert_building_blocks(org: GeneratedOrg, scratch: Path) -> tuple[float, float]:
    """Rows per second through SQLAlchemy Core and through the stdlib driver alone."""
    rows = employee_table_rows(org, TENANT_ID)
    return (
        await core_insert_rate(rows, scratch / "raw-core.db"),
        sqlite3_insert_rate(rows, scratch / "raw-sqlite3.db"),
    )


async def core_insert_rate(rows: Sequence[dict[str, Any]], database_file: Path) -> float:
    """Rows per second of one SQLAlchemy Core executemany into the org's employees table and its indexes."""
    engine = create_engine(f"sqlite+aiosqlite:///{database_file}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(tables.metadata.create_all, tables=[tables.employees])
        started = time.perf_counter()
        async with engine.begin() as connection:
            await connection.execute(insert(tables.employees), list(rows))
        return len(rows) / (time.perf_counter() - started)
    finally:
        await engine.dispose()


def sqlite3_insert_rate(rows: Sequence[dict[str, Any]], database_file: Path) -> float:
    """Rows per second of the stdlib driver alone, into the same table with the same indexes."""
    _create_employees_table(database_file)
    columns = list(rows[0])
    statement = f"INSERT INTO employees ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    values = [tuple(_sqlite_value(row[column]) for column in columns) for row in rows]
    connection = sqlite3.connect(database_file)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        started = time.perf_counter()
        with connection:
            connection.executemany(statement, values)
        return len(rows) / (time.perf_counter() - started)
    finally:
        connection.close()


def _create_employees_table(database_file: Path) -> None:
    engine = create_sync_engine(f"sqlite:///{database_file}")
    try:
        tables.metadata.create_all(engine, tables=[tables.employees])
    finally:
        engine.dispose()


def _sqlite_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def raw_reports_pages(database_file: Path, head_ids: Sequence[str]) -> list[float]:
    """Seconds per page of the ListReports query run straight on the file, over the same subtrees."""
    connection = sqlite3.connect(database_file)
    try:
        paths = dict(
            connection.execute(
                f"SELECT id, path FROM employees WHERE id IN ({', '.join('?' * len(head_ids))})",
                list(head_ids),
            ).fetchall()
        )
        seconds = []
        for _ in range(LISTING_ROUNDS):
            for head_id in head_ids:
                seconds.extend(_raw_subtree_pages(connection, head_id, paths[head_id]))
        return seconds
    finally:
        connection.close()


def _raw_subtree_pages(connection: sqlite3.Connection, head_id: str, path: str) -> list[float]:
    upper = subtree_upper_bound(path)
    seconds = []
    after: str | None = None
    while True:
        started = time.perf_counter()
        if after is None:
            rows = connection.execute(
                _FIRST_REPORTS_PAGE, (TENANT_ID, path, upper, head_id, PAGE_SIZE)
            ).fetchall()
        else:
            rows = connection.execute(
                _NEXT_REPORTS_PAGE, (TENANT_ID, path, upper, head_id, after, PAGE_SIZE)
            ).fetchall()
        seconds.append(time.perf_counter() - started)
        if len(rows) < PAGE_SIZE:
            return seconds
        after = rows[-1][_PATH_COLUMN]
