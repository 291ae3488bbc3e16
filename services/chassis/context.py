"""What the current call carries: its request id and the verified caller.

Set by the server interceptors for each call, read by use cases, forwarded by outgoing calls
and written into events.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

from services.chassis.errors import Unauthenticated

ROLE_EMPLOYEE = "employee"
ROLE_HR = "hr"
ROLE_ADMIN = "admin"
ROLE_PARTNER = "partner"
KNOWN_ROLES = frozenset({ROLE_EMPLOYEE, ROLE_HR, ROLE_ADMIN, ROLE_PARTNER})


@dataclass(frozen=True)
class Principal:
    """A verified caller. `subject` is the employee id for people, the key id for partners.

    `hr_unit_ids` narrows the HR role to those units' subtrees; empty means the whole tenant.
    """

    tenant_id: str
    subject: str
    roles: frozenset[str] = field(default_factory=frozenset)
    hr_unit_ids: tuple[str, ...] = ()

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


request_id_var: ContextVar[str] = ContextVar("request_id", default="")
principal_var: ContextVar[Principal | None] = ContextVar("principal", default=None)
# The verified bearer token of the current call, so outgoing calls can forward it.
bearer_token_var: ContextVar[str] = ContextVar("bearer_token", default="")


def current_request_id() -> str:
    return request_id_var.get()


def current_bearer_token() -> str:
    return bearer_token_var.get()


def current_principal() -> Principal:
    principal = principal_var.get()
    if principal is None:
        raise Unauthenticated("this call needs a bearer token")
    return principal
