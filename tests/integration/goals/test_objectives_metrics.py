"""Key results bound to a metric (G1 with G2, G3): their current value comes from readings, per period,
and rolls up like a typed-in one; a late reading of an older period does not move them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from fulcrum.goals.v1 import goals_pb2

from tests.integration.goals.objectives_helpers import (
    LOWER,
    UNIT,
    create_key_result,
    create_objective,
    get_objective,
)
from tests.integration.goals.readings_helpers import METRIC, MONTH, build_floor, shift
from tests.integration.goals.readings_helpers import UNIT as UNIT_SCOPE
from tests.integration.goals.readings_helpers import record as record_readings
from tests.support.calls import precondition_violations, rpc_error
from tests.support.goals import GoalsHarness
from tests.support.org import OrgHarness


async def test_a_bound_key_result_takes_the_latest_periods_value_and_rolls_it_up(
    org: OrgHarness, goals: GoalsHarness
) -> None:
    floor = await build_floor(org, goals)
    admin = goals.admin(floor.tenant)
    line = floor.unit("line1")
    objective = await create_objective(goals, admin, "Line 1 defect rate to 5%", UNIT, unit_id=line)
    binding = goals_pb2.MetricBinding(metric_code=METRIC, scope_kind=UNIT_SCOPE, scope_id=line, period=MONTH)
    bound = await create_key_result(
        goals,
        admin,
        objective.id,
        "Line 1 defect rate",
        15,
        5,
        goals_pb2.MEASURE_METRIC,
        LOWER,
        metric=binding,
    )
    assert not bound.has_current_value

    now = datetime.now(UTC) - timedelta(minutes=1)
    await record_readings(goals, floor.partner, shift(100, 10, now, line, UNIT_SCOPE))
    view = await get_objective(goals, admin, objective.id)
    [key_result] = view.key_results
    assert (key_result.current_value, key_result.progress) == (pytest.approx(10.0), pytest.approx(0.5))
    assert view.objective.progress == pytest.approx(0.5)

    last_month = now.replace(day=1) - timedelta(days=1)
    await record_readings(goals, floor.partner, shift(100, 1, last_month, line, UNIT_SCOPE))
    assert (await get_objective(goals, admin, objective.id)).key_results[0].current_value == pytest.approx(
        10.0
    )

    await record_readings(goals, floor.partner, shift(100, 0, now, line, UNIT_SCOPE))
    view = await get_objective(goals, admin, objective.id)
    assert view.key_results[0].current_value == pytest.approx(5.0)
    assert view.objective.progress == pytest.approx(1.0)
    history = await goals.stub.ListKeyResultValues(
        goals_pb2.ListKeyResultValuesRequest(key_result_id=bound.id), metadata=admin
    )
    assert [(v.value, v.recorded_by) for v in history.values] == [
        (pytest.approx(5.0), f"metric:{METRIC}"),
        (pytest.approx(10.0), f"metric:{METRIC}"),
    ]

    # A key result bound later starts from the value the period already has.
    late = await create_key_result(
        goals,
        admin,
        objective.id,
        "Same rate, bound later",
        15,
        5,
        goals_pb2.MEASURE_METRIC,
        LOWER,
        metric=binding,
    )
    assert (late.has_current_value, late.current_value) == (True, pytest.approx(5.0))

    error = await rpc_error(
        goals.stub.DeleteMetric(goals_pb2.DeleteMetricRequest(metric_code=METRIC), metadata=admin),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "key_results" in precondition_violations(error)
    typed = await rpc_error(
        goals.stub.RecordKeyResultValue(
            goals_pb2.RecordKeyResultValueRequest(key_result_id=bound.id, value=1), metadata=admin
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert "metric" in (typed.details() or "")
