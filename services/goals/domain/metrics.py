"""The metric catalog (G2): what a metric measures, how its value is computed from named inputs, and the
rules a definition obeys, whether a person sends it or it ships in an industry template."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.chassis.errors import FieldViolation
from services.goals.domain.formula import Formula, FormulaError, parse_formula
from services.goals.domain.periods import Aggregation
from services.goals.domain.progress import Direction

MAX_INPUTS = 20
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_INPUT_NAME = 64
MAX_INPUT_DESCRIPTION = 500
MAX_UNIT = 32
MAX_DATA_SOURCE = 200
MAX_CATEGORY = 64
MAX_POSITION_ID = 36

_CODE = re.compile(r"[a-z0-9_.\-]{1,64}")
_INPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class MetricInput:
    name: str
    description: str = ""
    aggregation: Aggregation = Aggregation.SUM


@dataclass
class Metric:
    tenant_id: str
    code: str
    name: str
    description: str
    unit: str
    direction: Direction
    formula: str
    inputs: tuple[MetricInput, ...]
    data_source: str = ""
    owner_position_id: str | None = None
    category: str = ""
    template: str | None = None
    version: int = 1
    updated_at: datetime | None = None

    def parsed_formula(self) -> Formula:
        return parse_formula(self.formula, (i.name for i in self.inputs))

    def aggregations(self) -> dict[str, Aggregation]:
        return {i.name: i.aggregation for i in self.inputs}


@dataclass(frozen=True)
class MetricsChanged:
    metrics: tuple[Metric, ...]
    deleted_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricTemplate:
    """An industry's metrics as they ship with Fulcrum; applying one copies them into a catalog."""

    name: str
    description: str
    metrics: tuple[Metric, ...]


@dataclass(frozen=True)
class InputDraft:
    name: str
    description: str = ""
    aggregation: Aggregation | None = Aggregation.SUM  # None: the caller sent no aggregation we know


@dataclass(frozen=True)
class MetricDraft:
    """A metric's definition as a caller sends it, before it is checked: every field but the code, which
    names the metric and never changes. `direction` is None when the caller sent none we know."""

    name: str
    description: str
    unit: str
    direction: Direction | None
    formula: str
    inputs: tuple[InputDraft, ...]
    data_source: str = ""
    owner_position_id: str = ""
    category: str = ""

    @classmethod
    def of(cls, metric: Metric) -> MetricDraft:
        return cls(
            name=metric.name,
            description=metric.description,
            unit=metric.unit,
            direction=metric.direction,
            formula=metric.formula,
            inputs=tuple(InputDraft(i.name, i.description, i.aggregation) for i in metric.inputs),
            data_source=metric.data_source,
            owner_position_id=metric.owner_position_id or "",
            category=metric.category,
        )

    def metric(self, tenant_id: str, code: str) -> Metric:
        """The metric this draft defines; only a draft without problems defines one."""
        inputs = tuple(
            MetricInput(i.name, i.description, i.aggregation)
            for i in self.inputs
            if i.aggregation is not None
        )
        if self.direction is None or len(inputs) != len(self.inputs):
            raise ValueError("a draft with problems defines no metric")
        return Metric(
            tenant_id=tenant_id,
            code=code,
            name=self.name,
            description=self.description,
            unit=self.unit,
            direction=self.direction,
            formula=self.formula,
            inputs=inputs,
            data_source=self.data_source,
            owner_position_id=self.owner_position_id or None,
            category=self.category,
        )


def code_problem(code: str) -> str | None:
    if not code:
        return "is required"
    if not _CODE.fullmatch(code):
        return "must be 1-64 lowercase letters, digits, '_', '.' or '-'"
    return None


def draft_violations(draft: MetricDraft) -> list[FieldViolation]:
    """Every problem of the definition, each naming its field ("metric.inputs[2].name")."""
    problems: dict[str, str | None] = {
        "name": _text_problem(draft.name, MAX_NAME, required=True),
        "description": _text_problem(draft.description, MAX_DESCRIPTION),
        "unit": _text_problem(draft.unit, MAX_UNIT),
        "direction": "is required: higher or lower is better" if draft.direction is None else None,
        "data_source": _text_problem(draft.data_source, MAX_DATA_SOURCE),
        "owner_position_id": _text_problem(draft.owner_position_id, MAX_POSITION_ID),
        "category": _text_problem(draft.category, MAX_CATEGORY),
    }
    if not 1 <= len(draft.inputs) <= MAX_INPUTS:
        problems["inputs"] = f"must have 1 to {MAX_INPUTS} inputs, not {len(draft.inputs)}"
    first_index: dict[str, int] = {}
    for index, item in enumerate(draft.inputs):
        field = f"inputs[{index}]"
        if (name_problem := _input_name_problem(item.name)) is not None:
            problems[f"{field}.name"] = name_problem
        elif item.name in first_index:
            problems[f"{field}.name"] = f"is also the name of inputs[{first_index[item.name]}]"
        else:
            first_index[item.name] = index
        problems[f"{field}.description"] = _text_problem(item.description, MAX_INPUT_DESCRIPTION)
        if item.aggregation is None:
            problems[f"{field}.aggregation"] = "is not an aggregation: sum, last, average, max or min"
    try:
        formula = parse_formula(draft.formula, (item.name for item in draft.inputs))
    except FormulaError as error:
        problems["formula"] = str(error)
    else:
        for name, index in first_index.items():
            if name not in formula.names:
                problems[f"inputs[{index}].name"] = "not used by the formula"
    return [
        FieldViolation(f"metric.{field}", problem)
        for field, problem in problems.items()
        if problem is not None
    ]


def _text_problem(value: str, limit: int, *, required: bool = False) -> str | None:
    if required and not value.strip():
        return "is required"
    if len(value) > limit:
        return f"must be at most {limit} characters"
    return None


def _input_name_problem(name: str) -> str | None:
    if not name:
        return "is required"
    if len(name) > MAX_INPUT_NAME or not _INPUT_NAME.fullmatch(name):
        return (
            f"must be a letter or underscore, then letters, digits or underscores (at most "
            f"{MAX_INPUT_NAME} characters)"
        )
    return None
