"""What every part of the goals servicer shares."""

from __future__ import annotations

from typing import Any

from services.chassis.context import current_principal
from services.chassis.paging import PageRequest, page_request
from services.goals.service_layer.ports import UnitOfWorkFactory


def page(method: str, request: Any, **filters: Any) -> PageRequest:
    """The page a list call asks for; its token only fits the same call with the same filters."""
    query = {"tenant": current_principal().tenant_id, "method": method, **filters}
    return page_request(request.page_size, request.page_token, query)


class Rpcs:
    """A part of the GoalsService servicer: the use cases reach storage through `_uows`."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows
