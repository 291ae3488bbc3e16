"""The phase machine of a cycle (A1): each phase leads to the next, one step at a time, never back.

draft → indicator setting → in progress → review → calibration → finalized; a finalized cycle is locked.
"""

from __future__ import annotations

from services.appraisal.domain.model import PHASE_ORDER, Phase


def phase_name(phase: Phase) -> str:
    """The phase in words, for messages ("indicator setting")."""
    return phase.value.replace("_", " ")


def next_phase(phase: Phase) -> Phase | None:
    """The phase after `phase`; None after FINALIZED."""
    position = PHASE_ORDER.index(phase)
    return PHASE_ORDER[position + 1] if position + 1 < len(PHASE_ORDER) else None


def check_transition(current: Phase, wanted: Phase) -> str | None:
    """Why a cycle in `current` cannot move to `wanted`, or None when it is the next phase."""
    if current is Phase.FINALIZED:
        return f"the cycle is finalized and cannot move to {phase_name(wanted)}"
    if wanted is current:
        return f"the cycle is already in {phase_name(current)}"
    step = PHASE_ORDER.index(wanted) - PHASE_ORDER.index(current)
    if step < 0:
        return f"a cycle cannot go back from {phase_name(current)} to {phase_name(wanted)}"
    if step > 1:
        following = PHASE_ORDER[PHASE_ORDER.index(current) + 1]
        return (
            f"a cycle cannot skip from {phase_name(current)} to {phase_name(wanted)}: "
            f"the next phase is {phase_name(following)}"
        )
    return None
