"""The gateway's settings: FULCRUM_GATEWAY_* variables (ports, the services' addresses, people's token
key, issuer and audience, the internal signing key, rate limits, body and deadline limits; the table is
in docs/GATEWAY.md) beside the suite-wide ones of services/chassis/config.py. Each is checked at start,
and a malformed one stops the gateway with a message naming it."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.chassis.config import DEFAULT_GRPC_PORTS, MAX_PORT, PREFIX, Settings
from services.chassis.errors import InvalidArgument

SERVICE = "gateway"
OWN = f"{PREFIX}{SERVICE.upper()}_"
UPSTREAM_SERVICES = ("org", "goals", "appraisal", "rewards")
PEOPLE_KEY_VARIABLE = OWN + "JWT_PUBLIC_KEY_FILE"
SIGNING_KEY_VARIABLE = OWN + "TOKEN_PRIVATE_KEY_FILE"
PEOPLE_PUBLIC_KEY_FILE = "people.pub.pem"
SIGNING_KEY_FILE = "token.pem"


@dataclass(frozen=True)
class RateSetting:
    rate: float
    burst: float


@dataclass(frozen=True)
class GatewaySettings:
    # The settings every service has: gRPC host and port, database, var dir, message limits, internal
    # token issuer and audience, drain, migrations, log level.
    base: Settings
    http_host: str
    http_port: int
    upstreams: Mapping[str, str]
    people_key_file: Path
    people_key_file_is_default: bool
    people_issuer: str
    people_audience: str
    signing_key_file: Path
    signing_key_file_is_default: bool
    token_ttl_seconds: float
    api_key_rate: RateSetting
    tenant_rate: RateSetting
    max_body_bytes: int
    max_deadline_seconds: float
    api_key_cache_seconds: float

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        """Raises InvalidArgument naming the variable when a setting is malformed."""
        env = os.environ if environ is None else environ
        base = Settings.from_env(SERVICE, env)

        def own(name: str) -> tuple[str, str | None]:
            return OWN + name, env.get(OWN + name) or None

        keys_dir = base.var_dir / "keys"
        people_key = own("JWT_PUBLIC_KEY_FILE")[1]
        signing_key = own("TOKEN_PRIVATE_KEY_FILE")[1]
        return cls(
            base=base,
            http_host=own("HTTP_HOST")[1] or base.grpc_host,
            http_port=_port(*own("HTTP_PORT"), 8080),
            upstreams={
                service: _target(
                    *own(f"{service.upper()}_ADDRESS"), f"127.0.0.1:{DEFAULT_GRPC_PORTS[service]}"
                )
                for service in UPSTREAM_SERVICES
            },
            people_key_file=Path(people_key or keys_dir / PEOPLE_PUBLIC_KEY_FILE),
            people_key_file_is_default=people_key is None,
            people_issuer=own("JWT_ISSUER")[1] or "fulcrum-identity",
            people_audience=own("JWT_AUDIENCE")[1] or "fulcrum-api",
            signing_key_file=Path(signing_key or keys_dir / SIGNING_KEY_FILE),
            signing_key_file_is_default=signing_key is None,
            token_ttl_seconds=_positive_number(*own("TOKEN_TTL_SECONDS"), 300.0),
            api_key_rate=RateSetting(
                _positive_number(*own("API_KEY_RATE"), 50.0), _burst(*own("API_KEY_BURST"), 100.0)
            ),
            tenant_rate=RateSetting(
                _positive_number(*own("TENANT_RATE"), 200.0), _burst(*own("TENANT_BURST"), 400.0)
            ),
            max_body_bytes=int(_positive_number(*own("MAX_BODY_BYTES"), 4 * 1024 * 1024, integer=True)),
            max_deadline_seconds=_positive_number(*own("MAX_DEADLINE_SECONDS"), 30.0),
            api_key_cache_seconds=_number(*own("API_KEY_CACHE_SECONDS"), 10.0),
        )


def read_key_file(variable: str, path: Path) -> bytes:
    """A key file's bytes; InvalidArgument naming the variable that points at it when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidArgument(
            f"{variable} must name a readable key file, not {str(path)!r}: {error.strerror}"
        ) from None


def _number(name: str, raw: str | None, default: float) -> float:
    if raw is None:
        return float(default)
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise InvalidArgument(f"{name} must be a number (0 or more), not {raw!r}")
    return value


def _positive_number(name: str, raw: str | None, default: float, *, integer: bool = False) -> float:
    value = _number(name, raw, default)
    if value <= 0 or (integer and not value.is_integer()):
        kind = "a positive integer" if integer else "a positive number"
        raise InvalidArgument(f"{name} must be {kind}, not {raw!r}")
    return value


def _burst(name: str, raw: str | None, default: float) -> float:
    value = _number(name, raw, default)
    if value < 1:
        raise InvalidArgument(f"{name} must be at least 1 (calls let through at once), not {raw!r}")
    return value


def _port(name: str, raw: str | None, default: int) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > MAX_PORT:
        raise InvalidArgument(f"{name} must be a port number from 0 to {MAX_PORT}, not {raw!r}")
    return int(raw)


def _target(name: str, raw: str | None, default: str) -> str:
    target = raw or default
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit() or any(character.isspace() for character in target):
        raise InvalidArgument(f"{name} must be a gRPC target like dns:///appraisal:50053, not {raw!r}")
    return target
