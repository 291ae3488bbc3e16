"""The cycle's phase machine, checked for every pair of phases."""

from __future__ import annotations

import itertools

import pytest

from services.appraisal.domain.model import PHASE_ORDER, Phase
from services.appraisal.domain.phases import check_transition, next_phase

FORWARD = [
    (Phase.DRAFT, Phase.INDICATOR_SETTING),
    (Phase.INDICATOR_SETTING, Phase.IN_PROGRESS),
    (Phase.IN_PROGRESS, Phase.REVIEW),
    (Phase.REVIEW, Phase.CALIBRATION),
    (Phase.CALIBRATION, Phase.FINALIZED),
]


@pytest.mark.parametrize(("current", "following"), FORWARD)
def test_each_phase_leads_to_the_next(current: Phase, following: Phase) -> None:
    assert next_phase(current) is following
    assert check_transition(current, following) is None


def test_a_finalized_cycle_has_no_next_phase() -> None:
    assert next_phase(Phase.FINALIZED) is None


@pytest.mark.parametrize(("current", "wanted"), list(itertools.product(PHASE_ORDER, PHASE_ORDER)))
def test_every_other_transition_is_refused_with_the_reason(current: Phase, wanted: Phase) -> None:
    problem = check_transition(current, wanted)
    if (current, wanted) in FORWARD:
        assert problem is None
    elif current is Phase.FINALIZED:
        assert problem == f"the cycle is finalized and cannot move to {wanted.value.replace('_', ' ')}"
    elif wanted is current:
        assert (problem or "").startswith("the cycle is already in")
    elif PHASE_ORDER.index(wanted) < PHASE_ORDER.index(current):
        assert (problem or "").startswith("a cycle cannot go back from")
    else:
        assert (problem or "").startswith("a cycle cannot skip from")


def test_the_reasons_name_the_phases_in_words() -> None:
    assert check_transition(Phase.DRAFT, Phase.REVIEW) == (
        "a cycle cannot skip from draft to review: the next phase is indicator setting"
    )
    assert check_transition(Phase.CALIBRATION, Phase.IN_PROGRESS) == (
        "a cycle cannot go back from calibration to in progress"
    )
    assert check_transition(Phase.REVIEW, Phase.REVIEW) == "the cycle is already in review"
