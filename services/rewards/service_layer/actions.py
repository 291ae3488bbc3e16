"""Recording decided actions: the ledger row and the announcement, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from services.rewards.domain.actions import Action, ActionsDecided
from services.rewards.service_layer.ports import RewardsUnitOfWork

# Actions per ActionsDecided event: a batch of grades decides a few per employee, and one event of
# thousands would outgrow a NATS message.
ACTIONS_PER_EVENT = 500


async def record_actions(uow: RewardsUnitOfWork, actions: Sequence[Action]) -> None:
    """Add the actions to the ledger and announce them; the caller commits."""
    if not actions:
        return
    await uow.actions.add(actions)
    for start in range(0, len(actions), ACTIONS_PER_EVENT):
        uow.emit(uow.tenant_id, ActionsDecided(tuple(actions[start : start + ACTIONS_PER_EVENT])))
