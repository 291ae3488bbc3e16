"""One key-result update in a goal forest of a million nodes against the same in a forest of a thousand.

Every tree has the same shape: objective → 3 key results → 3 objectives aligned to each → 3 key results →
3 objectives → 3 manually measured key results (364 nodes, six levels); the aligned key results are
measured by the objectives aligned to them, so a leaf's new value moves five ancestors. The forests
are written straight into fresh databases through the repository's own row mapping (creating a
million nodes through the API would take the bench's whole budget); the updates go through the API.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fulcrum.goals.v1 import goals_pb2, goals_pb2_grpc
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.report import Figure, percentile
from bench.service import RunningService, running_service
from services.chassis.database import create_engine
from services.goals.adapters import tables
from services.goals.adapters.objective_repository import key_result_row, objective_row
from services.goals.bootstrap import SERVICE, build
from services.goals.domain.objectives import KeyResult, Measure, Objective, ObjectiveLevel
from services.goals.domain.progress import Direction, Rollup

TENANT_ID = "bench"
FAN_OUT = 3
# Objective levels of a tree; each objective has FAN_OUT key results, each aggregating key result has
# FAN_OUT objectives aligned to it.
OBJECTIVE_LEVELS = 3
SMALL_FOREST_NODES = 1_000
LARGE_FOREST_NODES = 1_000_000
UPDATES = 400
WARM_UP_UPDATES = 40
ROLLUP_RATIO_AIM = 2.0
INSERT_CHUNK = 20_000
CALL_TIMEOUT_SECONDS = 30.0
PERIOD = (date(2026, 1, 1), date(2026, 12, 31))


def progress(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


@dataclass
class Forest:
    nodes: int
    leaf_ids: list[str]


def tree_size() -> int:
    objectives = sum(FAN_OUT ** (2 * level) for level in range(OBJECTIVE_LEVELS))
    return objectives * (1 + FAN_OUT)


async def run_rollup_bench(scratch: Path) -> list[Figure]:
    small = await measure_forest(scratch, "forest-small", SMALL_FOREST_NODES)
    large = await measure_forest(scratch, "forest-large", LARGE_FOREST_NODES)
    small_p99, large_p99 = percentile(small[1], 0.99), percentile(large[1], 0.99)
    return [
        Figure(
            "goals.rollup_update_ratio",
            large_p99 / small_p99,
            "ratio",
            ROLLUP_RATIO_AIM,
            f"p99 of RecordKeyResultValue on a leaf, {large[0].nodes:,}-node forest ÷ "
            f"{small[0].nodes:,}-node forest, both six levels deep ({UPDATES} updates each); lower is better",
        ),
        Figure("goals.rollup_update_p99_ms_large", large_p99, "ms", note=f"{large[0].nodes:,}-node forest"),
        Figure("goals.rollup_update_p99_ms_small", small_p99, "ms", note=f"{small[0].nodes:,}-node forest"),
    ]


async def measure_forest(scratch: Path, name: str, nodes: int) -> tuple[Forest, list[float]]:
    async with running_service(SERVICE, build, scratch, TENANT_ID, database_name=name) as service:
        progress(f"writing a goal forest of ~{nodes:,} nodes")
        forest = await write_forest(service, -(-nodes // tree_size()))
        progress(f"RecordKeyResultValue on random leaves of the {forest.nodes:,}-node forest")
        return forest, await update_leaves(service, forest)


async def write_forest(service: RunningService, trees: int) -> Forest:
    now = datetime.now(UTC)
    objectives: list[dict[str, Any]] = []
    key_results: list[dict[str, Any]] = []
    leaf_ids: list[str] = []
    engine = create_engine(service.database_url)
    written = 0
    try:
        for _ in range(trees):
            _tree(now, "/", None, 0, objectives, key_results, leaf_ids)
            if len(objectives) + len(key_results) >= INSERT_CHUNK:
                written += await _flush(engine, objectives, key_results)
        written += await _flush(engine, objectives, key_results)
    finally:
        await engine.dispose()
    return Forest(written, leaf_ids)


async def _flush(
    engine: AsyncEngine, objectives: list[dict[str, Any]], key_results: list[dict[str, Any]]
) -> int:
    """Writes a chunk in a transaction of its own, so the service's relay is not locked out meanwhile."""
    count = len(objectives) + len(key_results)
    async with engine.begin() as connection:
        if objectives:
            await connection.execute(insert(tables.objectives), objectives)
        if key_results:
            await connection.execute(insert(tables.key_results), key_results)
    objectives.clear()
    key_results.clear()
    return count


def _tree(
    now: datetime,
    parent_path: str,
    parent_key_result_id: str | None,
    level: int,
    objectives: list[dict[str, Any]],
    key_results: list[dict[str, Any]],
    leaf_ids: list[str],
) -> None:
    objective_id = str(uuid.uuid4())
    path = f"{parent_path}{objective_id}/"
    objective = Objective(
        id=objective_id,
        tenant_id=TENANT_ID,
        title=f"objective {objective_id[:8]}",
        description="",
        level=ObjectiveLevel.TENANT,
        unit_id=None,
        owner_employee_id=None,
        parent_objective_id=None,
        parent_key_result_id=parent_key_result_id,
        weight=1.0,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        path=path,
        rollup=Rollup(0.0, float(FAN_OUT)),
        updated_at=now,
    )
    objectives.append(objective_row(objective))
    leaves = level == OBJECTIVE_LEVELS - 1
    for _ in range(FAN_OUT):
        key_result_id = str(uuid.uuid4())
        key_result = KeyResult(
            id=key_result_id,
            tenant_id=TENANT_ID,
            objective_id=objective_id,
            title=f"key result {key_result_id[:8]}",
            start_value=0.0,
            target_value=100.0,
            unit="%",
            direction=Direction.HIGHER_IS_BETTER,
            weight=1.0,
            measure=Measure.MANUAL if leaves else Measure.ALIGNED_OBJECTIVES,
            path=f"{path}{key_result_id}/",
            rollup=Rollup() if leaves else Rollup(0.0, float(FAN_OUT)),
            created_at=now,
            updated_at=now,
        )
        key_results.append(key_result_row(key_result))
        if leaves:
            leaf_ids.append(key_result_id)
            continue
        for _ in range(FAN_OUT):
            _tree(now, key_result.path, key_result_id, level + 1, objectives, key_results, leaf_ids)


async def update_leaves(service: RunningService, forest: Forest) -> list[float]:
    """Milliseconds per RecordKeyResultValue on random leaves, after a warm-up."""
    stub = goals_pb2_grpc.GoalsServiceStub(service.channel)
    chooser = random.Random(20261123)
    samples = []
    for index in range(WARM_UP_UPDATES + UPDATES):
        request = goals_pb2.RecordKeyResultValueRequest(
            key_result_id=chooser.choice(forest.leaf_ids), value=chooser.uniform(0, 100)
        )
        started = time.perf_counter()
        await stub.RecordKeyResultValue(request, metadata=service.metadata, timeout=CALL_TIMEOUT_SECONDS)
        if index >= WARM_UP_UPDATES:
            samples.append((time.perf_counter() - started) * 1000)
    return samples
