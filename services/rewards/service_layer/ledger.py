"""Use cases reading an employee's points (R5, R6): their balance and the append-only ledger behind it,
for the employee, those who manage them and HR covering them."""

from __future__ import annotations

from services.chassis.context import Principal
from services.chassis.errors import require
from services.chassis.paging import PageRequest
from services.rewards.domain.ledger import LedgerEntry, PointBalance
from services.rewards.service_layer.access import readable_employee
from services.rewards.service_layer.page_keys import after_sequence
from services.rewards.service_layer.ports import UnitOfWorkFactory


async def get_point_balance(uows: UnitOfWorkFactory, principal: Principal, employee_id: str) -> PointBalance:
    require(bool(employee_id), "employee_id", "is required")
    async with uows(principal.tenant_id) as uow:
        await readable_employee(uow, principal, employee_id)
        return await uow.points_ledger.balance(employee_id)


async def list_ledger_entries(
    uows: UnitOfWorkFactory, principal: Principal, employee_id: str, page: PageRequest
) -> tuple[list[LedgerEntry], str]:
    """Oldest first: each credit and debit with the balance it left."""
    require(bool(employee_id), "employee_id", "is required")
    after = after_sequence(page)
    async with uows(principal.tenant_id) as uow:
        await readable_employee(uow, principal, employee_id)
        found = await uow.points_ledger.page(employee_id, after=after, limit=page.size)
    entries = [entry for _, entry in found]
    sequence_of = {entry.id: seq for seq, entry in found}
    return entries, page.next_token(entries, lambda entry: str(sequence_of[entry.id]))
