"""The goals service against its building blocks: IoT readings streamed in, and one key-result update
in a big goal forest.

The service runs in this process (bench/service.py). Its read model of org is filled directly, as
org's events would fill it: the bench measures readings and roll-ups, not the org service.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.goal_forest import run_rollup_bench
from bench.report import Figure
from bench.service import RunningService, running_service, scratch_dir
from services.chassis.database import create_engine
from services.chassis.migrations import upgrade_async
from services.goals.adapters import tables
from services.goals.bootstrap import SERVICE, build

TENANT_ID = "bench"
READINGS = 1_000_000
READINGS_PER_MESSAGE = 1_000
LINES = 10
OPERATORS_PER_LINE = 20
# Each message is one line's gateway sending an hour: its line sensor and its operators' stations.
LINE_PAIRS_PER_MESSAGE = 300
STATION_PAIRS_PER_OPERATOR = 10
SOURCE = "bench-mes"
METRIC = "defect_rate"
STREAM_TIMEOUT_SECONDS = 1800.0
CALL_TIMEOUT_SECONDS = 60.0
RAW_INSERT_CHUNK = 10_000


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


@dataclass(frozen=True)
class Plant:
    """Ten production lines of twenty operators each, with their leads, under a production head."""

    company_id: str
    production_id: str
    line_ids: list[str]
    production_head_id: str
    lead_ids: list[str]
    operator_ids: list[list[str]]

    @classmethod
    def generate(cls) -> Plant:
        def new_id() -> str:
            return str(uuid.uuid4())

        return cls(
            company_id=new_id(),
            production_id=new_id(),
            line_ids=[new_id() for _ in range(LINES)],
            production_head_id=new_id(),
            lead_ids=[new_id() for _ in range(LINES)],
            operator_ids=[[new_id() for _ in range(OPERATORS_PER_LINE)] for _ in range(LINES)],
        )


@dataclass(frozen=True, slots=True)
class ReadingSpec:
    scope_kind: str
    scope_id: str
    input: str
    value: float
    measure_time: datetime
    source_id: str


def reading_specs(plant: Plant, start: datetime) -> Iterator[list[ReadingSpec]]:
    """The readings of each message, seeded: message m is line m % LINES sending hour m // LINES.
    Two lines run above 5% defects and one operator in ten above 3%, so alerts rise and stay open."""
    generator = random.Random(20261123)
    for message in range(READINGS // READINGS_PER_MESSAGE):
        line, hour = message % LINES, message // LINES
        line_percent = 6.0 if line < 2 else 3.5
        hour_start = start + timedelta(hours=hour)
        batch: list[ReadingSpec] = []
        for index in range(LINE_PAIRS_PER_MESSAGE):
            moment = hour_start + timedelta(seconds=12 * index)
            produced = generator.randint(5, 15)
            defects = sum(generator.random() * 100 < line_percent for _ in range(produced))
            batch += _pair("unit", plant.line_ids[line], moment, f"L{line}:{hour}:{index}", defects, produced)
        for number, operator in enumerate(plant.operator_ids[line]):
            percent = 4.5 if number % 10 == 0 else 2.0
            for index in range(STATION_PAIRS_PER_OPERATOR):
                moment = hour_start + timedelta(minutes=6 * index)
                produced = generator.randint(5, 15)
                defects = sum(generator.random() * 100 < percent for _ in range(produced))
                batch += _pair("employee", operator, moment, f"O{operator}:{hour}:{index}", defects, produced)
        yield batch


def _pair(
    kind: str, scope_id: str, moment: datetime, source_id: str, defects: int, produced: int
) -> list[ReadingSpec]:
    return [
        ReadingSpec(kind, scope_id, "defects", defects, moment, f"{source_id}:d"),
        ReadingSpec(kind, scope_id, "produced", produced, moment, f"{source_id}:p"),
    ]


_SCOPE_KINDS = {"unit": goals_pb2.SCOPE_KIND_UNIT, "employee": goals_pb2.SCOPE_KIND_EMPLOYEE}


def request_bytes(batch: list[ReadingSpec]) -> bytes:
    readings = []
    for spec in batch:
        measure_time = Timestamp()
        measure_time.FromDatetime(spec.measure_time)
        readings.append(
            goals_pb2.Reading(
                metric_code=METRIC,
                input=spec.input,
                scope_kind=_SCOPE_KINDS[spec.scope_kind],
                scope_id=spec.scope_id,
                value=spec.value,
                measure_time=measure_time,
                source=SOURCE,
                source_id=spec.source_id,
            )
        )
    return goals_pb2.StreamReadingsRequest(readings=readings).SerializeToString()


def table_rows(batch: list[ReadingSpec]) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": TENANT_ID,
            "source": SOURCE,
            "source_id": spec.source_id,
            "metric_code": METRIC,
            "input": spec.input,
            "scope_kind": spec.scope_kind,
            "scope_id": spec.scope_id,
            "value": spec.value,
            "measure_time": spec.measure_time,
        }
        for spec in batch
    ]


async def run_goals_bench() -> list[Figure]:
    plant = Plant.generate()
    start = (datetime.now(UTC) - timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    with scratch_dir() as scratch:
        progress(f"raw insert of {READINGS:,} reading rows (building block)")
        raw_rate = await raw_insert_rate(plant, start, scratch / "raw-readings.db")
        progress("the same rows, one transaction per 1,000-row message (building block)")
        per_message_rate = await raw_insert_per_message_rate(plant, start, scratch / "raw-per-message.db")
        progress("serializing the readings messages")
        messages = [request_bytes(batch) for batch in reading_specs(plant, start)]
        async with running_service(SERVICE, build, scratch, TENANT_ID) as service:
            await seed_directory(service, plant)
            stub = goals_pb2_grpc.GoalsServiceStub(service.channel)
            await prepare_catalog_and_rules(stub, service, plant)
            progress(f"StreamReadings: {len(messages)} messages of {READINGS_PER_MESSAGE} readings")
            seconds, response = await stream(stub, service, messages)
            alerts = await stub.ListAlerts(
                goals_pb2.ListAlertsRequest(page_size=1000),
                metadata=service.metadata,
                timeout=CALL_TIMEOUT_SECONDS,
            )
            values = await stored_metric_values(service)
        if response.accepted != READINGS:
            raise RuntimeError(f"the service accepted {response.accepted:,} of {READINGS:,} readings")
        rollup_figures = await run_rollup_bench(scratch)
    rate = READINGS / seconds
    return [
        Figure(
            "goals.readings_per_s",
            rate,
            "readings/s",
            raw_rate,
            f"{READINGS:,} readings through StreamReadings, {READINGS_PER_MESSAGE:,} a message, "
            f"{LINES + LINES * OPERATORS_PER_LINE} scopes: {seconds:.1f} s; deduplicated, five periods each, "
            f"{values:,} metric values, {len(alerts.alerts)} alerts raised",
        ),
        Figure(
            "sqlite.readings_core_executemany_rows_per_s",
            raw_rate,
            "rows/s",
            note="building block: Core executemany of the same rows into `readings`, one transaction",
        ),
        Figure(
            "goals.readings_per_s_vs_per_message_insert",
            rate,
            "readings/s",
            per_message_rate,
            "the same stream against the raw insert with one transaction per 1,000-row message",
        ),
        Figure(
            "sqlite.readings_per_message_rows_per_s",
            per_message_rate,
            "rows/s",
            note="building block: the same rows, Core executemany, one commit per 1,000-row message",
        ),
        *rollup_figures,
    ]


async def raw_insert_rate(plant: Plant, start: datetime, database_file: Path) -> float:
    """Rows per second of SQLAlchemy Core executemany of the same readings into goals' own `readings`
    table (built by its migrations), 10,000 rows a statement, all in one transaction."""
    engine = await _fresh_readings_database(database_file)
    chunk: list[ReadingSpec] = []
    elapsed = 0.0
    try:
        async with engine.begin() as connection:
            for batch in reading_specs(plant, start):
                chunk += batch
                if len(chunk) < RAW_INSERT_CHUNK:
                    continue
                rows = table_rows(chunk)
                chunk = []
                started = time.perf_counter()
                await connection.execute(insert(tables.readings), rows)
                elapsed += time.perf_counter() - started
    finally:
        await engine.dispose()
    return READINGS / elapsed


async def raw_insert_per_message_rate(plant: Plant, start: datetime, database_file: Path) -> float:
    """The same rows, one transaction per message of 1,000 as the service must (a message is durable
    before its answer): SQLAlchemy Core executemany and a commit per message."""
    engine = await _fresh_readings_database(database_file)
    elapsed = 0.0
    try:
        for batch in reading_specs(plant, start):
            rows = table_rows(batch)
            started = time.perf_counter()
            async with engine.begin() as connection:
                await connection.execute(insert(tables.readings), rows)
            elapsed += time.perf_counter() - started
    finally:
        await engine.dispose()
    return READINGS / elapsed


async def _fresh_readings_database(database_file: Path) -> AsyncEngine:
    url = f"sqlite+aiosqlite:///{database_file}"
    await upgrade_async(SERVICE, url)
    return create_engine(url)


async def seed_directory(service: RunningService, plant: Plant) -> None:
    """The read model org's events would have built: the plant's units and people."""
    unit_rows = [
        _unit(plant.company_id, "CO", None, f"/{plant.company_id}/", None),
        _unit(
            plant.production_id,
            "PROD",
            plant.company_id,
            f"/{plant.company_id}/{plant.production_id}/",
            plant.production_head_id,
        ),
    ]
    employee_rows = [_employee(plant.production_head_id, "P0", plant.production_id, None)]
    for line, line_id in enumerate(plant.line_ids):
        path = f"/{plant.company_id}/{plant.production_id}/{line_id}/"
        unit_rows.append(_unit(line_id, f"L{line}", plant.production_id, path, plant.lead_ids[line]))
        employee_rows.append(_employee(plant.lead_ids[line], f"L{line}", line_id, plant.production_head_id))
        for number, operator in enumerate(plant.operator_ids[line]):
            employee_rows.append(_employee(operator, f"O{line}-{number}", line_id, plant.lead_ids[line]))
    engine = create_engine(service.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(tables.directory.units), unit_rows)
            await connection.execute(insert(tables.directory.employees), employee_rows)
    finally:
        await engine.dispose()


def _unit(unit_id: str, code: str, parent_id: str | None, path: str, head: str | None) -> dict[str, Any]:
    return {
        "tenant_id": TENANT_ID,
        "id": unit_id,
        "code": code,
        "name": code,
        "parent_id": parent_id,
        "head_employee_id": head,
        "version": 1,
        "path": path,
        "deleted": False,
    }


def _employee(employee_id: str, number: str, unit_id: str, manager_id: str | None) -> dict[str, Any]:
    return {
        "tenant_id": TENANT_ID,
        "id": employee_id,
        "employee_number": number,
        "display_name": number,
        "unit_id": unit_id,
        "position_id": None,
        "manager_id": manager_id,
        "active": True,
        "version": 1,
    }


async def prepare_catalog_and_rules(
    stub: goals_pb2_grpc.GoalsServiceStub, service: RunningService, plant: Plant
) -> None:
    """The manufacturing template's defect rate; alerts at 3% per operator and 5% per line, daily."""
    metadata = service.metadata
    await stub.ApplyMetricTemplate(
        goals_pb2.ApplyMetricTemplateRequest(template="manufacturing"),
        metadata=metadata,
        timeout=CALL_TIMEOUT_SECONDS,
    )
    rules = [
        goals_pb2.AlertRule(
            name="operator above 3%",
            metric_code=METRIC,
            scope=goals_pb2.ALERT_RULE_SCOPE_EACH_EMPLOYEE_OF_UNIT,
            scope_id=plant.production_id,
            comparison=goals_pb2.COMPARISON_GREATER_THAN,
            threshold=3,
            period=goals_pb2.PERIOD_KIND_DAY,
        ),
        *(
            goals_pb2.AlertRule(
                name=f"line {line} above 5%",
                metric_code=METRIC,
                scope=goals_pb2.ALERT_RULE_SCOPE_UNIT,
                scope_id=line_id,
                comparison=goals_pb2.COMPARISON_GREATER_THAN,
                threshold=5,
                period=goals_pb2.PERIOD_KIND_DAY,
            )
            for line, line_id in enumerate(plant.line_ids)
        ),
    ]
    for rule in rules:
        await stub.CreateAlertRule(
            goals_pb2.CreateAlertRuleRequest(rule=rule), metadata=metadata, timeout=CALL_TIMEOUT_SECONDS
        )


async def stream(
    stub: goals_pb2_grpc.GoalsServiceStub, service: RunningService, messages: list[bytes]
) -> tuple[float, goals_pb2.StreamReadingsResponse]:
    async def requests() -> AsyncIterator[goals_pb2.StreamReadingsRequest]:
        for message in messages:
            yield goals_pb2.StreamReadingsRequest.FromString(message)

    started = time.perf_counter()
    response = await stub.StreamReadings(
        requests(), metadata=service.metadata, timeout=STREAM_TIMEOUT_SECONDS
    )
    return time.perf_counter() - started, response


async def stored_metric_values(service: RunningService) -> int:
    engine = create_engine(service.database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(select(func.count()).select_from(tables.metric_values)) or 0
    finally:
        await engine.dispose()
