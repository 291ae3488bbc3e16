"""What every part of the appraisal servicer shares."""

from __future__ import annotations

from typing import Any

from services.appraisal.service_layer.ports import UnitOfWorkFactory
from services.chassis.context import current_principal
from services.chassis.paging import PageRequest, page_request


def page(method: str, request: Any, **filters: Any) -> PageRequest:
    """The page a list call asks for; its token only fits the same call with the same filters."""
    query = {"tenant": current_principal().tenant_id, "method": method, **filters}
    return page_request(request.page_size, request.page_token, query)


class Rpcs:
    """A part of the AppraisalService servicer: the use cases reach storage through `_uows`."""

    def __init__(self, uows: UnitOfWorkFactory) -> None:
        self._uows = uows
