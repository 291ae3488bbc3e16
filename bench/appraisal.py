"""The appraisal service against its building blocks: finalizing a 100k-employee cycle, and the grade
distribution of that tenant by unit subtree.

The service runs in this process (bench/service.py). The cycle is written straight into its database in
CALIBRATION, scored and graded, through the repositories' own mapping (reaching calibration through the
API for 100k people would take the bench's whole budget); finalization and the distribution go through
the API, and finalization counts until JetStream holds every GradeFinalized.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import nats
from fulcrum.appraisal.v1 import appraisal_pb2, appraisal_pb2_grpc, events_pb2
from sqlalchemy import func, insert, select

from bench.report import Figure
from bench.service import RunningService, running_service, scratch_dir
from services.appraisal.adapters import tables
from services.appraisal.adapters.result_repository import ResultRepository
from services.appraisal.adapters.setup_repository import CycleRepository
from services.appraisal.bootstrap import SERVICE, build
from services.appraisal.domain.grading import grade_from_score
from services.appraisal.domain.model import (
    DEFAULT_GRADE_SCALE,
    Cycle,
    CycleKind,
    CycleMember,
    GradeSource,
    ItemKind,
    ItemScore,
    Phase,
    Result,
)
from services.chassis.database import create_engine, create_session_factory
from services.chassis.messaging.envelope import stream_name

TENANT_ID = "bench"
EMPLOYEES = 100_000
DIVISIONS = 10
DEPARTMENTS_PER_DIVISION = 10
SEED_CHUNK = 10_000
PUBLISH_WINDOW = 256
FINALIZE_TIMEOUT_SECONDS = 900.0
DISTRIBUTION_CALLS = 20
DISTRIBUTION_AIM_RATIO = 2.0
CALL_TIMEOUT_SECONDS = 60.0
PERIOD = (date(2026, 7, 1), date(2026, 9, 30))
ITEM_TITLES = ("Defect rate", "Output", "Teamwork")


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


async def run_appraisal_bench() -> list[Figure]:
    with scratch_dir() as scratch:
        async with running_service(SERVICE, build, scratch, TENANT_ID) as service:
            progress(f"writing a cycle of {EMPLOYEES:,} employees in calibration")
            cycle_id, sample_event = await seed_cycle(service)
            progress("FinalizeCycle until JetStream holds every GradeFinalized")
            finalize_seconds = await finalize(service, cycle_id)
            progress("raw JetStream publish_async of as many events of the same size (building block)")
            publish_rate = await raw_publish_rate(service.nats_url, sample_event)
            progress("GetGradeDistribution of the whole tenant, and the raw GROUP BY (building block)")
            distribution_ms = await distribution_calls(service)
            group_by_ms = raw_group_by_ms(service, cycle_id)
    rate = EMPLOYEES / finalize_seconds
    distribution = statistics.median(distribution_ms)
    return [
        Figure(
            "appraisal.finalize_employees_per_s",
            rate,
            "employees/s",
            publish_rate,
            f"FinalizeCycle of {EMPLOYEES:,} employees until JetStream held every GradeFinalized: "
            f"{finalize_seconds:.1f} s (results finalized in batches, outbox, relay)",
        ),
        Figure(
            "nats.publish_async_events_per_s",
            publish_rate,
            "msgs/s",
            note=f"building block: JetStream publish_async of {EMPLOYEES:,} GradeFinalized-sized events, "
            f"{PUBLISH_WINDOW} in flight",
        ),
        Figure(
            "appraisal.distribution_ms",
            distribution,
            "ms",
            group_by_ms * DISTRIBUTION_AIM_RATIO,
            f"GetGradeDistribution of the tenant (root and {DIVISIONS} division subtrees), median of "
            f"{DISTRIBUTION_CALLS} calls; limit = twice the raw GROUP BY; lower is better",
        ),
        Figure(
            "sqlite.results_group_by_ms",
            group_by_ms,
            "ms",
            note="building block: grades counted by division subtree over the same rows, stdlib sqlite3",
        ),
    ]


async def seed_cycle(service: RunningService) -> tuple[str, bytes]:
    """The directory (a company, 10 divisions, 100 departments of 1,000 people) and one quarterly cycle
    in calibration with a scored, graded result for each of them."""
    generator = random.Random(20261123)
    now = datetime.now(UTC)
    root_id = str(uuid.uuid4())
    units = [_unit(root_id, None, f"/{root_id}/")]
    departments = []
    for _ in range(DIVISIONS):
        division_id = str(uuid.uuid4())
        division_path = f"/{root_id}/{division_id}/"
        units.append(_unit(division_id, root_id, division_path))
        for _ in range(DEPARTMENTS_PER_DIVISION):
            department_id = str(uuid.uuid4())
            units.append(_unit(department_id, division_id, f"{division_path}{department_id}/"))
            departments.append(department_id)
    cycle = Cycle(
        id=str(uuid.uuid4()),
        tenant_id=TENANT_ID,
        name="Q3 2026",
        kind=CycleKind.QUARTERLY,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        unit_ids=(root_id,),
        phase=Phase.CALIBRATION,
        updated_at=now,
    )
    engine = create_engine(service.database_url)
    sessions = create_session_factory(engine)
    sample: Result | None = None
    try:
        async with sessions() as session, session.begin():
            await session.execute(insert(tables.directory.units), units)
            await CycleRepository(session, TENANT_ID).add(cycle)
        for start in range(0, EMPLOYEES, SEED_CHUNK):
            employees, members, results = [], [], []
            for index in range(start, min(start + SEED_CHUNK, EMPLOYEES)):
                employee_id = str(uuid.uuid4())
                unit_id = departments[index % len(departments)]
                employees.append(_employee(employee_id, f"E{index:06d}", unit_id))
                members.append(CycleMember(cycle.id, employee_id, unit_id, None, None))
                results.append(_result(cycle.id, employee_id, unit_id, generator, now))
            sample = sample or results[0]
            async with sessions() as session, session.begin():
                await session.execute(insert(tables.directory.employees), employees)
                await CycleRepository(session, TENANT_ID).add_members(members)
                await ResultRepository(session, TENANT_ID).add_many(results)
    finally:
        await engine.dispose()
    assert sample is not None
    return cycle.id, _sample_event(cycle, sample)


def _unit(unit_id: str, parent_id: str | None, path: str) -> dict[str, Any]:
    return {
        "tenant_id": TENANT_ID,
        "id": unit_id,
        "code": unit_id[:8],
        "name": unit_id[:8],
        "parent_id": parent_id,
        "head_employee_id": None,
        "version": 1,
        "path": path,
        "deleted": False,
    }


def _employee(employee_id: str, number: str, unit_id: str) -> dict[str, Any]:
    return {
        "tenant_id": TENANT_ID,
        "id": employee_id,
        "employee_number": number,
        "display_name": number,
        "unit_id": unit_id,
        "position_id": None,
        "manager_id": None,
        "active": True,
        "version": 1,
    }


def _result(cycle_id: str, employee_id: str, unit_id: str, generator: random.Random, now: datetime) -> Result:
    items = tuple(
        ItemScore(
            item_id=f"item-{index}",
            title=title,
            kind=ItemKind.QUANTITATIVE,
            weight=weight,
            actual=round(generator.uniform(0, 10), 2),
            target=5.0,
            score=(score := round(generator.uniform(40, 110), 2)),
            explanation=f"{title}: {score} points",
        )
        for index, (title, weight) in enumerate(zip(ITEM_TITLES, (50.0, 30.0, 20.0), strict=True))
    )
    score = round(sum(item.weighted for item in items), 2)
    grade = grade_from_score(DEFAULT_GRADE_SCALE, score)
    return Result(
        tenant_id=TENANT_ID,
        cycle_id=cycle_id,
        employee_id=employee_id,
        unit_id=unit_id,
        score=score,
        items=items,
        grade=grade,
        grade_source=GradeSource.SCORE_BANDS,
        computed_grade=grade,
        updated_at=now,
    )


def _sample_event(cycle: Cycle, result: Result) -> bytes:
    return events_pb2.GradeFinalized(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        cycle_kind=appraisal_pb2.CYCLE_KIND_QUARTERLY,
        period_start=cycle.period_start.isoformat(),
        period_end=cycle.period_end.isoformat(),
        employee_id=result.employee_id,
        unit_id=result.unit_id,
        grade=result.grade,
        score=result.score,
        items=[
            appraisal_pb2.ItemScore(
                item_id=item.item_id,
                title=item.title,
                kind=appraisal_pb2.ITEM_KIND_QUANTITATIVE,
                weight=item.weight,
                has_actual=True,
                actual=item.actual or 0.0,
                target=item.target or 0.0,
                score=item.score,
                weighted=item.weighted,
                explanation=item.explanation,
            )
            for item in result.items
        ],
    ).SerializeToString()


async def finalize(service: RunningService, cycle_id: str) -> float:
    stub = appraisal_pb2_grpc.AppraisalServiceStub(service.channel)
    started = time.perf_counter()
    await stub.FinalizeCycle(
        appraisal_pb2.FinalizeCycleRequest(cycle_id=cycle_id),
        metadata=service.metadata,
        timeout=CALL_TIMEOUT_SECONDS,
    )
    while True:
        response = await stub.GetFinalization(
            appraisal_pb2.GetFinalizationRequest(cycle_id=cycle_id),
            metadata=service.metadata,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        if response.finalization.state == appraisal_pb2.FINALIZATION_STATE_DONE:
            break
        _check_deadline(started)
        await asyncio.sleep(0.05)
    await _until_published(service, started)
    return time.perf_counter() - started


async def _until_published(service: RunningService, started: float) -> None:
    """Waits until the relay has published every outbox row and JetStream holds the grades."""
    outbox = tables.chassis.outbox
    unpublished = select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    engine = create_engine(service.database_url)
    try:
        async with engine.connect() as connection:
            while await connection.scalar(unpublished):
                _check_deadline(started)
                await connection.rollback()
                await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    client = await nats.connect(service.nats_url)
    try:
        held = (await client.jetstream().stream_info(stream_name(SERVICE))).state.messages
    finally:
        await client.close()
    if held < EMPLOYEES:
        raise RuntimeError(f"JetStream holds {held:,} events, fewer than the {EMPLOYEES:,} grades")


def _check_deadline(started: float) -> None:
    if time.perf_counter() - started > FINALIZE_TIMEOUT_SECONDS:
        raise RuntimeError(f"finalization did not finish within {FINALIZE_TIMEOUT_SECONDS:.0f} s")


async def raw_publish_rate(nats_url: str, payload: bytes) -> float:
    """Messages per second of JetStream publish_async with a window, as the relay publishes, to a fresh
    stream on the same server."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream(publish_async_max_pending=PUBLISH_WINDOW)
        await js.add_stream(name="BENCH_RAW", subjects=["bench.raw"])
        started = time.perf_counter()
        pending: list[asyncio.Future[Any]] = []
        for index in range(EMPLOYEES):
            pending.append(await js.publish_async("bench.raw", payload, headers={"Nats-Msg-Id": str(index)}))
            if len(pending) >= PUBLISH_WINDOW:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        return EMPLOYEES / (time.perf_counter() - started)
    finally:
        await client.close()


async def distribution_calls(service: RunningService) -> list[float]:
    stub = appraisal_pb2_grpc.AppraisalServiceStub(service.channel)
    samples = []
    for _ in range(DISTRIBUTION_CALLS + 1):
        started = time.perf_counter()
        response = await stub.GetGradeDistribution(
            appraisal_pb2.GetGradeDistributionRequest(cycles=1),
            metadata=service.metadata,
            timeout=CALL_TIMEOUT_SECONDS,
        )
        samples.append((time.perf_counter() - started) * 1000)
    if sum(cycle.employees for cycle in response.units[0].cycles) != EMPLOYEES:
        raise RuntimeError(f"the distribution did not count every employee: {response.units[0]}")
    return samples[1:]


def raw_group_by_ms(service: RunningService, cycle_id: str) -> float:
    """Grades counted per division subtree straight from SQLite: the query's floor, median of 5."""
    query = (
        "SELECT u.parent_id, r.grade, count(*) FROM results r JOIN directory_units u "
        "ON u.tenant_id = r.tenant_id AND u.id = r.unit_id "
        "WHERE r.tenant_id = ? AND r.cycle_id = ? GROUP BY u.parent_id, r.grade"
    )
    connection = sqlite3.connect(service.database_file)
    try:
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            rows = connection.execute(query, (TENANT_ID, cycle_id)).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
        if sum(count for _, _, count in rows) != EMPLOYEES:
            raise RuntimeError("the raw GROUP BY did not count every employee")
        return statistics.median(samples)
    finally:
        connection.close()
