"""The career part of the RewardsService servicer: promotion eligibility (R2), improvement plans (R3)
and training (R4), each area's RPCs in their own module."""

from __future__ import annotations

from services.rewards.entrypoints.pip_rpcs import PipRpcs
from services.rewards.entrypoints.promotion_rpcs import PromotionRpcs
from services.rewards.entrypoints.training_rpcs import TrainingRpcs


class CareerRpcs(PromotionRpcs, PipRpcs, TrainingRpcs):
    pass
