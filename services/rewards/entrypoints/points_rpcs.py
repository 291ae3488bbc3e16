"""Placeholder: the area's RPCs are being written."""

from __future__ import annotations

from services.rewards.entrypoints.common import Rpcs


class PointsRpcs(Rpcs):
    pass
