"""Who is calling through the gateway, and with which kind of credentials."""

from __future__ import annotations

from dataclasses import dataclass

from services.chassis.context import Principal

CREDENTIAL_BEARER_TOKEN = "bearer_token"
CREDENTIAL_API_KEY = "api_key"


@dataclass(frozen=True)
class Caller:
    """A verified caller. For an API key the principal's subject is the key's id."""

    principal: Principal
    credential: str

    @property
    def api_key_id(self) -> str | None:
        return self.principal.subject if self.credential == CREDENTIAL_API_KEY else None
