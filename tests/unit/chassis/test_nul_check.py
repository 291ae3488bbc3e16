"""Requests carrying NUL in any text, however deep, are found; numbers are never mistaken for text."""

from fulcrum.goals.v1 import goals_pb2

from services.chassis.interceptors import _field_with_nul


def readings(count: int) -> goals_pb2.StreamReadingsRequest:
    return goals_pb2.StreamReadingsRequest(
        readings=[
            goals_pb2.Reading(
                metric_code="defect_rate",
                input="defects",
                scope_kind=goals_pb2.SCOPE_KIND_UNIT,
                scope_id="line-1",
                value=0.0,
                source="mes",
                source_id=f"reading-{index}",
            )
            for index in range(count)
        ]
    )


def test_numbers_with_zero_bytes_are_not_text() -> None:
    request = readings(3)
    request.readings[1].measure_time.seconds = 256
    assert _field_with_nul(request) is None


def test_a_nul_deep_in_a_repeated_message_is_found_with_its_path() -> None:
    request = readings(1000)
    request.readings[700].source_id = "reading\x00700"
    assert _field_with_nul(request) == "readings.source_id"


def test_a_nul_in_a_map_key_or_a_repeated_text_is_found() -> None:
    value = goals_pb2.MetricValue(metric_code="defect_rate")
    value.inputs["defects\x00"] = 1.0
    assert _field_with_nul(goals_pb2.ListMetricValuesResponse(values=[value])) == "values.inputs"
    check_in = goals_pb2.CheckIn(employee_id="e", objective_ids=["a", "b\x00"])
    assert _field_with_nul(goals_pb2.RecordCheckInRequest(check_in=check_in)) == "check_in.objective_ids"
