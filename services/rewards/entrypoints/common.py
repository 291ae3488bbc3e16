"""What every part of the rewards servicer shares."""

from __future__ import annotations

from services.rewards.service_layer.ports import UnitOfWorkFactory


class Rpcs:
    """A part of the RewardsService servicer: the use cases reach storage through `_uows`."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows
