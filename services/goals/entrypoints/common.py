"""What every part of the goals servicer shares."""

from __future__ import annotations

from services.goals.service_layer.ports import UnitOfWorkFactory


class Rpcs:
    """A part of the GoalsService servicer: the use cases reach storage through `_uows`."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows
