"""The industry metric templates that ship with Fulcrum as data (services/goals/templates/*.json).

Each file is checked by the same rules as a metric a person defines; a broken file is a bug in the
release, so it fails loudly on first use (and in the unit tests) rather than reaching a catalog.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from importlib import resources
from typing import Any

from services.goals.domain.metrics import (
    InputDraft,
    MetricDraft,
    MetricTemplate,
    code_problem,
    draft_violations,
)
from services.goals.domain.periods import Aggregation
from services.goals.domain.progress import Direction

TEMPLATE_NAMES = ("manufacturing", "fintech", "retail", "it")


class TemplateError(ValueError):
    """A template file that does not hold valid metrics."""


@functools.cache
def metric_templates() -> tuple[MetricTemplate, ...]:
    folder = resources.files("services.goals").joinpath("templates")
    return tuple(
        template_from_json(json.loads(folder.joinpath(f"{name}.json").read_text(encoding="utf-8")))
        for name in TEMPLATE_NAMES
    )


def metric_template(name: str) -> MetricTemplate | None:
    return next((template for template in metric_templates() if template.name == name), None)


def template_from_json(document: dict[str, Any]) -> MetricTemplate:
    name = document["name"]
    metrics = []
    for entry in document["metrics"]:
        code = entry["code"]
        draft = MetricDraft(
            name=entry["name"],
            description=entry["description"],
            unit=entry["unit"],
            direction=Direction(entry["direction"]),
            formula=entry["formula"],
            inputs=tuple(
                InputDraft(item["name"], item["description"], Aggregation(item["aggregation"]))
                for item in entry["inputs"]
            ),
            data_source=entry["data_source"],
            category=entry["category"],
        )
        problems = [f"{v.field} {v.description}" for v in draft_violations(draft)]
        if (problem := code_problem(code)) is not None:
            problems.append(f"metric.code {problem}")
        if problems:
            raise TemplateError(f"template {name}, metric {code}: {'; '.join(problems)}")
        metrics.append(replace(draft.metric(tenant_id="", code=code), template=name))
    codes = [metric.code for metric in metrics]
    if len(set(codes)) != len(codes):
        raise TemplateError(f"template {name} repeats a metric code: {', '.join(codes)}")
    return MetricTemplate(name=name, description=document["description"], metrics=tuple(metrics))
