"""Item scores from actuals and ratings, their explanations, and reproducibility from stored inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.appraisal.domain.model import (
    BandScoring,
    Direction,
    GradeSource,
    Item,
    ItemKind,
    LinearScoring,
    Qualitative,
    Quantitative,
    Result,
    ScoreBand,
)
from services.appraisal.domain.scoring import rescore, rescore_item, score_from_inputs, score_item, total

FAST = settings(max_examples=200, deadline=None)
HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER


def quantitative_item(
    direction: Direction,
    target: float,
    scoring: LinearScoring | BandScoring,
    title: str = "defect rate",
    weight: float = 100.0,
) -> Item:
    return Item(
        id="item-1",
        title=title,
        kind=ItemKind.QUANTITATIVE,
        weight=weight,
        quantitative=Quantitative(
            direction=direction, target=target, scoring=scoring, metric_code="defect_rate"
        ),
    )


def qualitative_item(scale_max: int = 5, title: str = "customer focus", weight: float = 100.0) -> Item:
    return Item(
        id="item-2", title=title, kind=ItemKind.QUALITATIVE, weight=weight, qualitative=Qualitative(scale_max)
    )


def result_of(item_scores: list) -> Result:
    return Result(
        tenant_id="t",
        cycle_id="c",
        employee_id="e",
        unit_id="u",
        score=total(item_scores),
        items=tuple(item_scores),
        grade="A",
        grade_source=GradeSource.SCORE_BANDS,
        computed_grade="A",
    )


def test_a_quantitative_item_explains_its_score_in_one_sentence_with_the_numbers() -> None:
    item = quantitative_item(LOWER, 3.0, LinearScoring(floor=8.0))

    scored = score_item(item, 2.4, [])

    assert scored.score == 100.0
    assert (
        scored.explanation
        == "defect rate 2.4 against a target of 3.0, lower is better, floor 8.0: 100.0 points"
    )
    assert (scored.actual, scored.target, scored.weight, scored.kind) == (
        2.4,
        3.0,
        100.0,
        ItemKind.QUANTITATIVE,
    )


@pytest.mark.parametrize(
    ("direction", "target", "floor", "cap", "actual", "expected"),
    [
        (HIGHER, 100.0, 0.0, 100.0, 100.0, 100.0),  # at the target
        (HIGHER, 100.0, 0.0, 100.0, 0.0, 0.0),  # at the floor
        (HIGHER, 100.0, 0.0, 100.0, -5.0, 0.0),  # below the floor is no points, not negative
        (HIGHER, 100.0, 0.0, 100.0, 150.0, 100.0),  # beyond the target, capped at 100
        (HIGHER, 100.0, 0.0, 120.0, 150.0, 120.0),  # a cap above 100 rewards overachievement
        (HIGHER, 100.0, 0.0, 120.0, 110.0, 110.0),
        (HIGHER, 15.0, 5.0, 100.0, 10.0, 50.0),  # in proportion from the floor
        (HIGHER, 3.0, 0.0, 100.0, 1.0, 33.33),  # rounded to 2 decimals
        (LOWER, 3.0, 8.0, 100.0, 5.5, 50.0),
        (LOWER, 3.0, 8.0, 100.0, 8.0, 0.0),
        (LOWER, 3.0, 8.0, 100.0, 9.0, 0.0),
        (LOWER, 3.0, 8.0, 100.0, 3.0, 100.0),
        (LOWER, 3.0, 8.0, 150.0, 0.5, 150.0),  # (8 - 0.5) / 5 = 150%
        (LOWER, 3.0, 8.0, 200.0, 0.5, 150.0),
        (HIGHER, 1e308, -1e308, 100.0, 1e308, 100.0),  # extreme values neither overflow nor turn NaN
        (HIGHER, 1e308, -1e308, 200.0, 1e308, 100.0),
    ],
)
def test_linear_scoring_is_proportional_from_floor_to_target_and_clamped_to_the_cap(
    direction: Direction, target: float, floor: float, cap: float, actual: float, expected: float
) -> None:
    item = quantitative_item(direction, target, LinearScoring(floor=floor, cap=cap))

    assert score_item(item, actual, []).score == expected


BANDS_HIGHER = BandScoring((ScoreBand(95.0, 100.0), ScoreBand(90.0, 70.0), ScoreBand(80.0, 40.0)))
BANDS_LOWER = BandScoring((ScoreBand(2.0, 100.0), ScoreBand(3.0, 75.0), ScoreBand(5.0, 50.0)))


@pytest.mark.parametrize(
    ("direction", "bands", "actual", "expected"),
    [
        (HIGHER, BANDS_HIGHER, 99.0, 100.0),
        (HIGHER, BANDS_HIGHER, 95.0, 100.0),  # reaching a bound counts
        (HIGHER, BANDS_HIGHER, 94.99, 70.0),
        (HIGHER, BANDS_HIGHER, 90.0, 70.0),
        (HIGHER, BANDS_HIGHER, 80.0, 40.0),
        (HIGHER, BANDS_HIGHER, 79.99, 0.0),  # short of every band
        (LOWER, BANDS_LOWER, 1.0, 100.0),
        (LOWER, BANDS_LOWER, 2.0, 100.0),  # staying at the bound counts
        (LOWER, BANDS_LOWER, 2.01, 75.0),
        (LOWER, BANDS_LOWER, 5.0, 50.0),
        (LOWER, BANDS_LOWER, 5.01, 0.0),
    ],
)
def test_band_scoring_gives_the_score_of_the_best_band_the_actual_meets(
    direction: Direction, bands: BandScoring, actual: float, expected: float
) -> None:
    item = quantitative_item(direction, 2.0, bands)

    assert score_item(item, actual, []).score == expected


def test_band_explanations_name_the_band_or_say_none_was_reached() -> None:
    lower = quantitative_item(LOWER, 2.0, BANDS_LOWER)
    higher = quantitative_item(HIGHER, 95.0, BANDS_HIGHER, title="on-time delivery")

    assert score_item(lower, 2.4, []).explanation == (
        "defect rate 2.4 against a target of 2.0, lower is better, band up to 3.0: 75.0 points"
    )
    assert score_item(higher, 96.5, []).explanation == (
        "on-time delivery 96.5 against a target of 95.0, higher is better, band from 95.0: 100.0 points"
    )
    assert score_item(higher, 50.0, []).explanation == (
        "on-time delivery 50.0 against a target of 95.0, higher is better, short of every band: 0.0 points"
    )


def test_a_quantitative_item_without_a_value_for_the_period_scores_0_and_says_why() -> None:
    item = quantitative_item(LOWER, 3.0, LinearScoring(floor=8.0))

    scored = score_item(item, None, [])

    assert scored.score == 0.0
    assert scored.actual is None
    assert scored.explanation == "defect rate has no value for the cycle's period: 0.0 points"


@pytest.mark.parametrize(
    ("scale_max", "ratings", "expected"),
    [
        (5, [5], 100.0),
        (5, [1], 0.0),
        (5, [4, 4, 3], 66.67),  # mean 11/3 of 1..5
        (5, [3, 4], 62.5),
        (10, [10, 1], 50.0),
        (2, [2, 1, 2], 66.67),
    ],
)
def test_a_qualitative_item_scores_the_mean_rating_on_its_scale(
    scale_max: int, ratings: list[int], expected: float
) -> None:
    scored = score_item(qualitative_item(scale_max), None, ratings)

    assert scored.score == expected
    assert scored.actual == pytest.approx(sum(ratings) / len(ratings))
    assert scored.target == scale_max


def test_a_qualitative_item_explains_its_ratings_or_their_absence() -> None:
    item = qualitative_item(5)

    assert score_item(item, None, [4, 5]).explanation == (
        "customer focus rated 4.5 on average from 2 ratings on a scale of 1 to 5: 87.5 points"
    )
    assert score_item(item, None, [4]).explanation == (
        "customer focus rated 4.0 on average from 1 rating on a scale of 1 to 5: 75.0 points"
    )
    unrated = score_item(item, None, [])
    assert (unrated.score, unrated.explanation) == (0.0, "customer focus has no ratings: 0.0 points")


def test_the_total_weighs_each_item_score_by_its_weight() -> None:
    defects = quantitative_item(LOWER, 3.0, LinearScoring(floor=8.0), weight=60.0)
    focus = qualitative_item(5, weight=40.0)
    scores = [score_item(defects, 5.5, []), score_item(focus, None, [4])]  # 50 and 75 points

    assert total(scores) == 60.0  # 50 x 0.6 + 75 x 0.4
    assert rescore(result_of(scores)) == 60.0
    assert [s.weighted for s in scores] == [30.0, 30.0]


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
directions = st.sampled_from(list(Direction))


@st.composite
def quantitative_items(draw: st.DrawFn) -> Item:
    direction = draw(directions)
    target = draw(finite)
    if draw(st.booleans()):
        distance = draw(st.floats(min_value=1e-3, max_value=1e6))
        floor = target - distance if direction is HIGHER else target + distance
        scoring: LinearScoring | BandScoring = LinearScoring(
            floor=floor, cap=draw(st.floats(min_value=100, max_value=200))
        )
    else:
        bounds = draw(st.lists(finite, min_size=1, max_size=5, unique=True))
        scores = draw(
            st.lists(st.floats(min_value=0, max_value=200), min_size=len(bounds), max_size=len(bounds))
        )
        ordered = sorted(bounds, reverse=direction is HIGHER)
        scoring = BandScoring(
            tuple(ScoreBand(b, s) for b, s in zip(ordered, sorted(scores, reverse=True), strict=True))
        )
    weight = draw(st.floats(min_value=0.01, max_value=100))
    return quantitative_item(direction, target, scoring, weight=weight)


@st.composite
def qualitative_items(draw: st.DrawFn) -> Item:
    return qualitative_item(draw(st.integers(2, 10)), weight=draw(st.floats(min_value=0.01, max_value=100)))


@st.composite
def scored_items(draw: st.DrawFn) -> tuple[Item, float | None, list[int]]:
    item = draw(st.one_of(quantitative_items(), qualitative_items()))
    if item.kind is ItemKind.QUANTITATIVE:
        return item, draw(st.none() | finite), []
    assert item.qualitative is not None
    return item, None, draw(st.lists(st.integers(1, item.qualitative.scale_max), max_size=12))


@FAST
@given(st.lists(scored_items(), min_size=1, max_size=8))
def test_a_score_recomputed_from_stored_inputs_always_equals_the_stored_score(
    inputs: list[tuple[Item, float | None, list[int]]],
) -> None:
    stored = [score_item(item, actual, ratings) for item, actual, ratings in inputs]
    result = result_of(stored)

    for (item, actual, ratings), item_score in zip(inputs, stored, strict=True):
        assert score_from_inputs(item, actual, ratings) == item_score.score
        assert rescore_item(item, item_score) == item_score.score
        assert 0 <= item_score.score <= 200
        assert round(item_score.score, 2) == item_score.score
    # Read back in any order (rows come back from the database unordered), the total is the same.
    read_back = replace(
        result, items=tuple(reversed([replace(s, actual=stored_double(s.actual)) for s in stored]))
    )
    assert rescore(read_back) == result.score
    for (item, _, _), item_score in zip(inputs, reversed(read_back.items), strict=True):
        assert rescore_item(item, item_score) == item_score.score


def stored_double(value: float | None) -> float | None:
    """A float as a double precision column gives it back: via its shortest round-tripping text."""
    return None if value is None else float(repr(value))
