"""The distribution's arithmetic (A10): every grade of the scale appears, percents of the subtree's
employees, grades outside the scale after it, and the weakest items first."""

from __future__ import annotations

from datetime import date

from services.appraisal.domain.model import Cycle, CycleKind
from services.appraisal.service_layer.distribution import DistributionRow, ItemMeanRow, distributions


def _cycle(cycle_id: str) -> Cycle:
    return Cycle(cycle_id, "t", cycle_id, CycleKind.QUARTERLY, date(2027, 1, 1), date(2027, 3, 31), ("u",))


def test_counts_become_percents_of_the_subtree_with_every_grade_of_the_scale() -> None:
    counts = [
        DistributionRow("unit", "q1", "A", 1),
        DistributionRow("unit", "q1", "C", 3),
        DistributionRow("unit", "q1", "X", 1),
    ]
    means = [
        ItemMeanRow("unit", "q1", "Teamwork", 40.0),
        ItemMeanRow("unit", "q1", "Output", 90.0),
        ItemMeanRow("unit", "q1", "Quality", 40.0),
        ItemMeanRow("unit", "q1", "Focus", 70.0),
    ]
    (unit,) = distributions(["unit"], [_cycle("q1")], ["A", "B", "C", "D"], counts, means)
    (q1,) = unit.cycles
    assert q1.employees == 5
    assert [(g.grade, g.employees, g.percent) for g in q1.grades] == [
        ("A", 1, 20.0),
        ("B", 0, 0.0),
        ("C", 3, 60.0),
        ("D", 0, 0.0),
        ("X", 1, 20.0),
    ]
    assert q1.weakest_items == ("Quality", "Teamwork", "Focus")


def test_a_unit_without_results_counts_nobody_in_every_cycle() -> None:
    (unit,) = distributions(["empty"], [_cycle("q1"), _cycle("q2")], ["A", "B"], [], [])
    assert [
        (c.cycle.id, c.employees, [g.percent for g in c.grades], c.weakest_items) for c in unit.cycles
    ] == [
        ("q1", 0, [0.0, 0.0], ()),
        ("q2", 0, [0.0, 0.0], ()),
    ]
