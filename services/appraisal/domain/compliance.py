"""HR's compliance checks of a scorecard (A3), and the structural rules every item list must meet (A2).

`findings` are what HR weighs before approving: each quantitative item aligned to a goal goals knows,
measurable (a catalog metric with a formula, or a key result), with a data source; the weights summing
to 100. Qualitative items (values, behaviours) are rated by people, so the checks do not apply to them.
`item_problems` are mistakes no template or scorecard may be saved with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Protocol

from services.appraisal.domain.model import (
    BandScoring,
    ComplianceFinding,
    Direction,
    Item,
    ItemKind,
    LinearScoring,
    Quantitative,
)
from services.chassis.errors import FieldViolation

MAX_ITEMS = 50
MAX_TITLE_LENGTH = 200
WEIGHT_TOTAL = 100.0
WEIGHT_TOLERANCE = 0.01
MIN_CAP = 100.0
MAX_CAP = 200.0
MAX_BAND_SCORE = 200.0
MIN_SCALE_MAX = 2
MAX_SCALE_MAX = 10

ALIGNED = "aligned"
MEASURABLE = "measurable"
DATA_SOURCE = "data_source"
WEIGHTS = "weights"


class MetricFacts(Protocol):
    """What the checks read of a catalog metric (goals data's MetricRef)."""

    @property
    def formula(self) -> str: ...

    @property
    def data_source(self) -> str: ...


def weight_sum(items: Sequence[Item]) -> float:
    return math.fsum(item.weight for item in items)


def weights_sum_to_100(items: Sequence[Item]) -> bool:
    return abs(weight_sum(items) - WEIGHT_TOTAL) <= WEIGHT_TOLERANCE


def _alignment_problem(item: Item, known_objectives: set[str]) -> str | None:
    if not item.aligned_objective_id:
        return "not aligned to a strategy or unit goal"
    if item.aligned_objective_id not in known_objectives:
        return f"aligned to objective {item.aligned_objective_id}, which goals does not know"
    return None


def _measurability_problem(
    quantitative: Quantitative, known_metrics: Mapping[str, MetricFacts]
) -> str | None:
    if quantitative.key_result_id:
        return None
    if not quantitative.metric_code:
        return "measured by neither a metric nor a key result"
    metric = known_metrics.get(quantitative.metric_code)
    if metric is None:
        return f"metric {quantitative.metric_code} is not in goals' catalog"
    if not metric.formula.strip():
        return f"metric {quantitative.metric_code} has no formula"
    return None


def _data_source_problem(quantitative: Quantitative, known_metrics: Mapping[str, MetricFacts]) -> str | None:
    if quantitative.data_source.strip():
        return None
    metric = known_metrics.get(quantitative.metric_code or "")
    if metric is not None and metric.data_source.strip():
        return None
    return "no data source: name one, or measure by a metric that has one"


def findings(
    items: Sequence[Item], known_objectives: set[str], known_metrics: Mapping[str, MetricFacts]
) -> list[ComplianceFinding]:
    """Every compliance check the items fail, item by item, then the scorecard's weights."""
    found: list[ComplianceFinding] = []
    for item in items:
        if item.kind is not ItemKind.QUANTITATIVE or item.quantitative is None:
            continue
        for check, problem in (
            (ALIGNED, _alignment_problem(item, known_objectives)),
            (MEASURABLE, _measurability_problem(item.quantitative, known_metrics)),
            (DATA_SOURCE, _data_source_problem(item.quantitative, known_metrics)),
        ):
            if problem is not None:
                found.append(ComplianceFinding(check, f"{item.title}: {problem}", item.id))
    if not weights_sum_to_100(items):
        found.append(ComplianceFinding(WEIGHTS, f"the weights sum to {weight_sum(items):g}, not 100"))
    return found


def _finite(value: float) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _linear_problems(
    field: str, linear: LinearScoring, target: float, direction: Direction
) -> list[FieldViolation]:
    problems = []
    if not _finite(linear.floor):
        problems.append(FieldViolation(f"{field}.floor", "must be a finite number"))
    elif _finite(target) and linear.floor == target:
        problems.append(FieldViolation(f"{field}.floor", "must differ from the target"))
    elif _finite(target) and direction is Direction.HIGHER_IS_BETTER and linear.floor > target:
        problems.append(FieldViolation(f"{field}.floor", "must be below the target when higher is better"))
    elif _finite(target) and direction is Direction.LOWER_IS_BETTER and linear.floor < target:
        problems.append(FieldViolation(f"{field}.floor", "must be above the target when lower is better"))
    if not (_finite(linear.cap) and MIN_CAP <= linear.cap <= MAX_CAP):
        problems.append(FieldViolation(f"{field}.cap", f"must be between {MIN_CAP:g} and {MAX_CAP:g} points"))
    return problems


def _band_problems(field: str, bands: BandScoring, direction: Direction | None) -> list[FieldViolation]:
    if not bands.bands:
        return [FieldViolation(field, "at least one band is required")]
    problems = []
    for index, band in enumerate(bands.bands):
        if not _finite(band.bound):
            problems.append(FieldViolation(f"{field}[{index}].from", "must be a finite number"))
        if not (_finite(band.score) and 0 <= band.score <= MAX_BAND_SCORE):
            problems.append(
                FieldViolation(f"{field}[{index}].score", f"must be between 0 and {MAX_BAND_SCORE:g} points")
            )
        if index == 0:
            continue
        better = bands.bands[index - 1]
        if direction is not None and _finite(band.bound) and _finite(better.bound):
            out_of_order = (
                band.bound >= better.bound
                if direction is Direction.HIGHER_IS_BETTER
                else band.bound <= better.bound
            )
            if out_of_order:
                side = "below" if direction is Direction.HIGHER_IS_BETTER else "above"
                problems.append(
                    FieldViolation(
                        f"{field}[{index}].from",
                        f"must be {side} the previous band's {better.bound:g}: bands go best first",
                    )
                )
        if _finite(band.score) and _finite(better.score) and band.score > better.score:
            problems.append(
                FieldViolation(
                    f"{field}[{index}].score",
                    f"must not exceed the previous band's {better.score:g}: bands go best first",
                )
            )
    return problems


def _quantitative_problems(field: str, quantitative: Quantitative) -> list[FieldViolation]:
    problems = []
    if bool(quantitative.metric_code) == bool(quantitative.key_result_id):
        problems.append(
            FieldViolation(f"{field}.metric_code", "name exactly one of metric_code and key_result_id")
        )
    if quantitative.direction is None:
        problems.append(FieldViolation(f"{field}.direction", "is required: higher or lower is better"))
    if not _finite(quantitative.target):
        problems.append(FieldViolation(f"{field}.target", "must be a finite number"))
    scoring = quantitative.scoring
    if isinstance(scoring, LinearScoring):
        if quantitative.direction is not None:
            problems.extend(
                _linear_problems(f"{field}.linear", scoring, quantitative.target, quantitative.direction)
            )
    elif isinstance(scoring, BandScoring):
        problems.extend(_band_problems(f"{field}.bands", scoring, quantitative.direction))
    else:
        problems.append(FieldViolation(f"{field}.scoring", "is required: linear or bands"))
    return problems


def _item_problems(field: str, item: Item) -> list[FieldViolation]:
    problems = []
    title = item.title.strip()
    if not title or len(item.title) > MAX_TITLE_LENGTH:
        problems.append(
            FieldViolation(f"{field}.title", f"is required, at most {MAX_TITLE_LENGTH} characters")
        )
    if not (_finite(item.weight) and 0 < item.weight <= WEIGHT_TOTAL):
        problems.append(FieldViolation(f"{field}.weight", "must be above 0 and at most 100"))
    if item.kind is ItemKind.QUANTITATIVE:
        if item.quantitative is None:
            problems.append(FieldViolation(f"{field}.quantitative", "is required for a quantitative item"))
        else:
            problems.extend(_quantitative_problems(f"{field}.quantitative", item.quantitative))
        if item.qualitative is not None:
            problems.append(FieldViolation(f"{field}.qualitative", "is only for qualitative items"))
    elif item.kind is ItemKind.QUALITATIVE:
        if item.qualitative is None:
            problems.append(FieldViolation(f"{field}.qualitative", "is required for a qualitative item"))
        elif not MIN_SCALE_MAX <= item.qualitative.scale_max <= MAX_SCALE_MAX:
            problems.append(
                FieldViolation(
                    f"{field}.qualitative.scale_max", f"must be between {MIN_SCALE_MAX} and {MAX_SCALE_MAX}"
                )
            )
        if item.quantitative is not None:
            problems.append(FieldViolation(f"{field}.quantitative", "is only for quantitative items"))
    else:
        problems.append(FieldViolation(f"{field}.kind", "is required: quantitative or qualitative"))
    return problems


def item_problems(items: Sequence[Item]) -> list[FieldViolation]:
    """Every structural mistake in a list of items, named by field ("items[2].weight")."""
    problems: list[FieldViolation] = []
    if not items:
        return [FieldViolation("items", "at least one item is required")]
    if len(items) > MAX_ITEMS:
        problems.append(FieldViolation("items", f"at most {MAX_ITEMS} items, not {len(items)}"))
    for index, item in enumerate(items):
        problems.extend(_item_problems(f"items[{index}]", item))
    total = weight_sum(items)
    if not math.isfinite(total) or abs(total - WEIGHT_TOTAL) > WEIGHT_TOLERANCE:
        problems.append(FieldViolation("items", f"the weights sum to {total:g}; they must sum to 100"))
    return problems
