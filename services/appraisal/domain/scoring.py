"""Scores (A5): each item from its actual value or its ratings, the total weighted by the items' weights.

Every score is rounded to 2 decimals as it is computed, and an ItemScore keeps the inputs it came from
(the actual, or the mean rating, and the target), so the same pure functions give back exactly the
stored score: `rescore_item` for an item, `rescore` for a result's total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from services.appraisal.domain.model import (
    BandScoring,
    Direction,
    Item,
    ItemKind,
    ItemScore,
    LinearScoring,
    Qualitative,
    Quantitative,
    Result,
)

DECIMALS = 2
NO_VALUE = "no value for the cycle's period"


def _rounded(score: float) -> float:
    return round(score, DECIMALS)


def _shown(value: float) -> str:
    """A number as an explanation shows it: at most 4 decimals, always with a decimal point."""
    return repr(round(float(value), 4))


def _direction_words(direction: Direction) -> str:
    return "higher is better" if direction is Direction.HIGHER_IS_BETTER else "lower is better"


def _reaches(actual: float, bound: float, direction: Direction) -> bool:
    return actual >= bound if direction is Direction.HIGHER_IS_BETTER else actual <= bound


def _band_reached(bands: BandScoring, actual: float, direction: Direction) -> int | None:
    """The index of the first (best) band the actual reaches, if any."""
    return next(
        (index for index, band in enumerate(bands.bands) if _reaches(actual, band.bound, direction)), None
    )


def linear_score(linear: LinearScoring, target: float, actual: float, direction: Direction) -> float:
    """100 points at the target, 0 at the floor, in proportion between; clamped to 0..cap."""
    # Halves keep the difference of any two finite values finite (1e308 - -1e308 would overflow).
    covered = actual / 2 - linear.floor / 2
    span = target / 2 - linear.floor / 2
    if direction is Direction.LOWER_IS_BETTER:
        covered, span = -covered, -span
    if span <= 0:  # a floor on the wrong side of the target, which item_problems refuses
        return 0.0
    return _rounded(min(max(100 * (covered / span), 0.0), linear.cap))


def quantitative_score(quantitative: Quantitative, actual: float | None) -> float:
    """The points an actual value earns; no value (or one that is not a finite number) earns 0."""
    if actual is None or not math.isfinite(actual):
        return 0.0
    scoring = quantitative.scoring
    if isinstance(scoring, LinearScoring):
        return linear_score(scoring, quantitative.target, actual, quantitative.direction)
    reached = _band_reached(scoring, actual, quantitative.direction)
    return 0.0 if reached is None else _rounded(scoring.bands[reached].score)


def mean_rating(ratings: Sequence[int]) -> float | None:
    return sum(ratings) / len(ratings) if ratings else None


def qualitative_score(qualitative: Qualitative, mean: float | None) -> float:
    """A mean rating on 1..scale_max as 0..100 points; no ratings earn 0."""
    if mean is None:
        return 0.0
    return _rounded((mean - 1) / (qualitative.scale_max - 1) * 100)


def _quantitative(item: Item) -> Quantitative:
    if item.quantitative is None:
        raise ValueError(f"quantitative item {item.id} has no quantitative definition")
    return item.quantitative


def _qualitative(item: Item) -> Qualitative:
    if item.qualitative is None:
        raise ValueError(f"qualitative item {item.id} has no qualitative definition")
    return item.qualitative


def score_from_inputs(item: Item, actual: float | None, ratings: Sequence[int]) -> float:
    """An item's score from its inputs: the actual for a quantitative item, the ratings for a qualitative."""
    if item.kind is ItemKind.QUANTITATIVE:
        return quantitative_score(_quantitative(item), actual)
    return qualitative_score(_qualitative(item), mean_rating(ratings))


def rescore_item(item: Item, stored: ItemScore) -> float:
    """The score again from what `stored` kept: the actual, or for a qualitative item the mean rating."""
    if item.kind is ItemKind.QUANTITATIVE:
        return quantitative_score(_quantitative(item), stored.actual)
    return qualitative_score(_qualitative(item), stored.actual)


def _quantitative_explanation(item: Item, quantitative: Quantitative, actual: float, score: float) -> str:
    measured = (
        f"{item.title} {_shown(actual)} against a target of {_shown(quantitative.target)}, "
        f"{_direction_words(quantitative.direction)}"
    )
    scoring = quantitative.scoring
    if isinstance(scoring, LinearScoring):
        return f"{measured}, floor {_shown(scoring.floor)}: {_shown(score)} points"
    reached = _band_reached(scoring, actual, quantitative.direction)
    if reached is None:
        return f"{measured}, short of every band: {_shown(score)} points"
    word = "from" if quantitative.direction is Direction.HIGHER_IS_BETTER else "up to"
    return f"{measured}, band {word} {_shown(scoring.bands[reached].bound)}: {_shown(score)} points"


def score_item(item: Item, actual: float | None, ratings: Sequence[int]) -> ItemScore:
    """How an item scored, explained in one sentence, with the inputs that reproduce the score."""
    score = score_from_inputs(item, actual, ratings)
    if item.kind is ItemKind.QUANTITATIVE:
        quantitative = _quantitative(item)
        kept = actual if actual is not None and math.isfinite(actual) else None
        if kept is None:
            explanation = f"{item.title} has {NO_VALUE}: {_shown(score)} points"
        else:
            explanation = _quantitative_explanation(item, quantitative, kept, score)
        target: float = quantitative.target
    else:
        qualitative = _qualitative(item)
        kept = mean_rating(ratings)
        if kept is None:
            explanation = f"{item.title} has no ratings: {_shown(score)} points"
        else:
            reviewers = "1 rating" if len(ratings) == 1 else f"{len(ratings)} ratings"
            explanation = (
                f"{item.title} rated {_shown(kept)} on average from {reviewers} "
                f"on a scale of 1 to {qualitative.scale_max}: {_shown(score)} points"
            )
        target = float(qualitative.scale_max)
    return ItemScore(
        item_id=item.id,
        title=item.title,
        kind=item.kind,
        weight=item.weight,
        actual=kept,
        target=target,
        score=score,
        explanation=explanation,
    )


def total(item_scores: Iterable[ItemScore]) -> float:
    """The weighted total: the sum of score * weight / 100, rounded like every score."""
    return _rounded(math.fsum(item_score.weighted for item_score in item_scores))


def rescore(result: Result) -> float:
    """A result's total again from its stored item scores."""
    return total(result.items)
