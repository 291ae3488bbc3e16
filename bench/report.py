"""Figures of one run: a table for people and bench/results/latest.json for machines."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# value, limit and ratio line up on the right.
_NUMERIC_COLUMNS = {1, 3, 4}


@dataclass(frozen=True)
class Figure:
    """One measured figure. A building block has no limit of its own; it is the limit of another."""

    name: str
    value: float
    unit: str
    limit: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.limit is None else self.value / self.limit


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `fraction` of them."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def render_table(figures: Sequence[Figure]) -> str:
    header = ("figure", "value", "unit", "limit", "ratio", "what")
    rows = [
        (
            figure.name,
            _number(figure.value),
            figure.unit,
            "" if figure.limit is None else _number(figure.limit),
            "" if figure.ratio is None else f"{figure.ratio:.2f}",
            figure.note,
        )
        for figure in figures
    ]
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(width) if column in _NUMERIC_COLUMNS else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines) + "\n"


def write_results(figures: Sequence[Figure], directory: Path = RESULTS_DIR) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "latest.json"
    document = {
        figure.name: {
            "value": figure.value,
            "unit": figure.unit,
            "limit": figure.limit,
            "ratio": figure.ratio,
        }
        for figure in figures
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"
