"""The points economy's RPCs (R5, R6): recognition (value tags, claims, standings) and what points buy
(balances, the ledger, the redemption catalog, redemptions)."""

from __future__ import annotations

from services.rewards.entrypoints.recognition_rpcs import RecognitionRpcs
from services.rewards.entrypoints.redemption_rpcs import RedemptionRpcs


class PointsRpcs(RecognitionRpcs, RedemptionRpcs):
    pass
