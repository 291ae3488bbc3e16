"""Settings from the environment.

Every variable starts with FULCRUM_. Suite-wide ones (FULCRUM_NATS_URL, FULCRUM_VAR_DIR,
FULCRUM_TOKEN_PUBLIC_KEY_FILE, ...) apply to every service; per-service ones put the service
name after the prefix (FULCRUM_ORG_DATABASE_URL, FULCRUM_ORG_GRPC_PORT). The defaults are the
embedded development setup: SQLite files under var/, NATS on the default local port.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.chassis.errors import InvalidArgument

PREFIX = "FULCRUM_"

DEFAULT_GRPC_PORTS = {"gateway": 50050, "org": 50051, "goals": 50052, "appraisal": 50053, "rewards": 50054}


@dataclass(frozen=True)
class Settings:
    service: str
    grpc_host: str
    grpc_port: int
    database_url: str
    nats_url: str
    var_dir: Path
    token_public_key_file: Path
    token_issuer: str
    token_audience: str
    max_message_bytes: int
    drain_seconds: float
    migrate_on_start: bool
    log_level: str

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        own = f"{PREFIX}{service.upper()}_"

        def get(name: str, default: str) -> str:
            return env.get(own + name) or env.get(PREFIX + name) or default

        var_dir = Path(env.get(PREFIX + "VAR_DIR") or "var")
        return cls(
            service=service,
            grpc_host=get("GRPC_HOST", "127.0.0.1"),
            grpc_port=_int(own + "GRPC_PORT", env.get(own + "GRPC_PORT"), DEFAULT_GRPC_PORTS.get(service, 0)),
            database_url=env.get(own + "DATABASE_URL") or f"sqlite+aiosqlite:///{var_dir / service}.db",
            nats_url=get("NATS_URL", "nats://127.0.0.1:4222"),
            var_dir=var_dir,
            token_public_key_file=Path(get("TOKEN_PUBLIC_KEY_FILE", str(var_dir / "keys" / "token.pub.pem"))),
            token_issuer=get("TOKEN_ISSUER", "fulcrum-gateway"),
            token_audience=get("TOKEN_AUDIENCE", "fulcrum-services"),
            max_message_bytes=_int(
                PREFIX + "MAX_MESSAGE_BYTES", get("MAX_MESSAGE_BYTES", ""), 64 * 1024 * 1024
            ),
            drain_seconds=float(get("DRAIN_SECONDS", "10")),
            migrate_on_start=get("MIGRATE_ON_START", "true").lower() in {"1", "true", "yes"},
            log_level=get("LOG_LEVEL", "info"),
        )


def _int(name: str, raw: str | None, default: int) -> int:
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(f"{name} must be an integer, not {raw!r}") from None
