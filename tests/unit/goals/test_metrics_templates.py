"""The industry templates ship exactly the metrics G2 lists, each a valid definition whose formula is right
over any period (inputs aggregate over the period before the formula runs)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from services.goals.domain.metrics import Metric
from services.goals.domain.periods import Aggregation, InputTotal, metric_value
from services.goals.domain.progress import Direction
from services.goals.service_layer.templates import TEMPLATE_NAMES, metric_template, metric_templates

# G2, as REQUIREMENTS.md lists it: template -> the metric codes standing for each named metric.
G2_METRICS = {
    "manufacturing": {
        "defect_rate",  # defect rate
        "output",  # output
        "on_time_delivery_rate",  # on-time delivery
        "material_supply_timeliness",  # production measured partly on procurement's supply timeliness
        "production_delivery_timeliness",  # sales measured partly on production's delivery timeliness
    },
    "fintech": {
        "overdue_rate",  # risk: overdue rate
        "conversion_rate",  # sales: conversion
        "revenue",  # sales: revenue
        "collection_rate",  # sales: collection rate
        "user_growth",  # operations: user growth
        "retention_rate",  # operations: retention
        "complaint_rate",  # operations: complaint rate
        "uptime",  # tech: uptime
        "bug_rate",  # tech: bug rate
        "cycle_time",  # tech: cycle time
    },
    "retail": {"customer_satisfaction"},
    "it": {"project_delivery_rate"},
}
START = datetime(2026, 11, 1, tzinfo=UTC)


def every_metric() -> list[Metric]:
    return [metric for template in metric_templates() for metric in template.metrics]


def the_metric(code: str) -> Metric:
    [metric] = [metric for metric in every_metric() if metric.code == code]
    return metric


def value_over_period(metric: Metric, days: list[dict[str, float]]) -> float | None:
    """The metric over a period of daily readings, the way readings aggregate into a period value."""
    totals: dict[str, InputTotal] = {}
    for day, readings in enumerate(days):
        for name, value in readings.items():
            reading = InputTotal.of(value, START + timedelta(days=day))
            totals[name] = totals[name].merge(reading) if name in totals else reading
    return metric_value(metric.parsed_formula(), metric.aggregations(), totals).value


def test_the_four_template_files_are_the_four_templates_in_order():
    folder = resources.files("services.goals").joinpath("templates")
    files = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    assert files == sorted(f"{name}.json" for name in TEMPLATE_NAMES)
    assert [template.name for template in metric_templates()] == ["manufacturing", "fintech", "retail", "it"]
    assert all(template.description for template in metric_templates())


def test_each_template_holds_exactly_the_metrics_g2_lists():
    assert {
        template.name: {m.code for m in template.metrics} for template in metric_templates()
    } == G2_METRICS


@pytest.mark.parametrize("metric", every_metric(), ids=lambda metric: metric.code)
def test_every_template_metric_is_complete_and_its_formula_uses_exactly_its_inputs(metric: Metric):
    formula = metric.parsed_formula()
    assert formula.names == {i.name for i in metric.inputs}
    assert all((metric.name, metric.description, metric.unit, metric.data_source, metric.category))
    assert metric.template in TEMPLATE_NAMES
    assert metric.owner_position_id is None
    assert metric.version == 1
    assert all(i.description for i in metric.inputs)
    value = formula.evaluate({i.name: 10.0 + index for index, i in enumerate(metric.inputs)})
    assert math.isfinite(value)


def test_the_g2_examples_are_defined_as_g2_states_them():
    defect_rate = the_metric("defect_rate")
    assert defect_rate.direction is Direction.LOWER_IS_BETTER
    assert defect_rate.unit == "%"
    assert defect_rate.parsed_formula().evaluate({"defects": 3, "produced": 60}) == pytest.approx(5.0)
    conversion = the_metric("conversion_rate")
    assert conversion.direction is Direction.HIGHER_IS_BETTER
    assert conversion.parsed_formula().evaluate({"converted": 30, "visits": 1200}) == pytest.approx(2.5)
    assert the_metric("output").direction is Direction.HIGHER_IS_BETTER
    on_time = the_metric("on_time_delivery_rate")
    assert on_time.direction is Direction.HIGHER_IS_BETTER
    assert on_time.parsed_formula().evaluate({"on_time_deliveries": 45, "deliveries": 50}) == pytest.approx(
        90
    )
    lower_is_better = {m.code for m in every_metric() if m.direction is Direction.LOWER_IS_BETTER}
    assert lower_is_better == {"defect_rate", "overdue_rate", "complaint_rate", "bug_rate", "cycle_time"}


def test_cross_department_metrics_name_the_department_that_provides_the_data():
    cross = {m.code: m for m in every_metric() if m.category == "cross-department"}
    assert set(cross) == {"material_supply_timeliness", "production_delivery_timeliness"}
    assert "procurement" in cross["material_supply_timeliness"].data_source.lower()
    assert "production" in cross["production_delivery_timeliness"].data_source.lower()
    assert "production is measured" in cross["material_supply_timeliness"].description.lower()
    assert "sales is measured" in cross["production_delivery_timeliness"].description.lower()


def test_counts_add_up_over_a_period_and_levels_take_the_latest_reading():
    levels = {"overdue_balance", "outstanding_balance", "users"}
    for metric in every_metric():
        for item in metric.inputs:
            expected = Aggregation.LAST if item.name in levels else Aggregation.SUM
            assert item.aggregation is expected, f"{metric.code}.{item.name}"


def test_a_rate_over_a_month_is_the_months_counts_divided_not_an_average_of_daily_rates():
    days = [{"defects": 1, "produced": 100}, {"defects": 9, "produced": 100}, {"defects": 0, "produced": 800}]
    assert value_over_period(the_metric("defect_rate"), days) == pytest.approx(1.0)
    cycle_days = [{"cycle_days": 10, "items_done": 1}, {"cycle_days": 6, "items_done": 3}]
    assert value_over_period(the_metric("cycle_time"), cycle_days) == pytest.approx(4.0)


USERS_AT_START = 1000.0


def user_days() -> list[dict[str, float]]:
    """Ten days of a user base: each day's joiners and leavers, and the count at the end of the day."""
    users = USERS_AT_START
    days = []
    for day in range(10):
        new, lost = 30.0 + day, 12.0 + 3 * (day % 4)
        users += new - lost
        days.append({"new_users": new, "lost_users": lost, "users": users})
    return days


@pytest.mark.parametrize("length", [1, 4, 10])
def test_user_growth_and_retention_are_right_over_any_period(length: int):
    period = user_days()[:length]
    start = USERS_AT_START
    end = period[-1]["users"]
    joined = sum(day["new_users"] for day in period)
    growth = value_over_period(the_metric("user_growth"), period)
    retention = value_over_period(the_metric("retention_rate"), period)
    assert growth == pytest.approx((end - start) / start * 100)
    assert retention == pytest.approx((end - joined) / start * 100)


def test_readings_arriving_out_of_order_give_the_same_user_growth():
    days = user_days()
    start, end = USERS_AT_START, days[-1]["users"]
    metric = the_metric("user_growth")
    shuffled = [days[index] for index in (7, 2, 9, 0, 5, 1, 8, 3, 6, 4)]
    totals: dict[str, InputTotal] = {}
    for readings in shuffled:
        day = days.index(readings)
        for name, value in readings.items():
            reading = InputTotal.of(value, START + timedelta(days=day))
            totals[name] = totals[name].merge(reading) if name in totals else reading
    outcome = metric_value(metric.parsed_formula(), metric.aggregations(), totals)
    assert outcome.value == pytest.approx((end - start) / start * 100)


def test_an_unknown_template_is_none():
    assert metric_template("aerospace") is None
    assert metric_template("fintech") is not None
