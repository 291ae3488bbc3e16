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

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from services.chassis.errors import InvalidArgument

PREFIX = "FULCRUM_"

MAX_PORT = 65535
MAX_STREAM_REPLICAS = 5
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
TRUE_WORDS = frozenset({"1", "true", "yes"})
FALSE_WORDS = frozenset({"0", "false", "no"})

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
    # Copies JetStream keeps of the streams this service owns: 1 on one machine, 3 in a cluster.
    stream_replicas: int

    @classmethod
    def from_env(cls, service: str, environ: Mapping[str, str] | None = None) -> Settings:
        """Raises InvalidArgument naming the variable when a setting is malformed, so a service refuses
        to start half-configured."""
        env = os.environ if environ is None else environ
        own = f"{PREFIX}{service.upper()}_"

        def lookup(name: str) -> tuple[str, str | None]:
            """The variable that sets `name` (the service's own first, then the suite's) and its value."""
            for variable in (own + name, PREFIX + name):
                if env.get(variable):
                    return variable, env[variable]
            return PREFIX + name, None

        def get(name: str, default: str) -> str:
            return lookup(name)[1] or default

        def own_setting(name: str) -> tuple[str, str | None]:
            return own + name, env.get(own + name) or None

        var_dir = Path(env.get(PREFIX + "VAR_DIR") or "var")
        embedded_database_url = f"sqlite+aiosqlite:///{var_dir / service}.db"
        return cls(
            service=service,
            grpc_host=get("GRPC_HOST", "127.0.0.1"),
            grpc_port=_port(*own_setting("GRPC_PORT"), DEFAULT_GRPC_PORTS.get(service, 0)),
            database_url=_database_url(*own_setting("DATABASE_URL")) or embedded_database_url,
            nats_url=get("NATS_URL", "nats://127.0.0.1:4222"),
            var_dir=var_dir,
            token_public_key_file=Path(get("TOKEN_PUBLIC_KEY_FILE", str(var_dir / "keys" / "token.pub.pem"))),
            token_issuer=get("TOKEN_ISSUER", "fulcrum-gateway"),
            token_audience=get("TOKEN_AUDIENCE", "fulcrum-services"),
            max_message_bytes=_positive(*lookup("MAX_MESSAGE_BYTES"), 64 * 1024 * 1024),
            drain_seconds=_seconds(*lookup("DRAIN_SECONDS"), 10.0),
            migrate_on_start=_flag(*lookup("MIGRATE_ON_START"), True),
            log_level=_log_level(*lookup("LOG_LEVEL"), "info"),
            stream_replicas=_stream_replicas(*lookup("STREAM_REPLICAS"), 1),
        )


def _int(name: str, raw: str | None, default: int) -> int:
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise InvalidArgument(f"{name} must be an integer, not {raw!r}") from None


def _port(name: str, raw: str | None, default: int) -> int:
    port = _int(name, raw, default)
    if not 0 <= port <= MAX_PORT:
        raise InvalidArgument(f"{name} must be a port number from 0 to {MAX_PORT}, not {raw!r}")
    return port


def _positive(name: str, raw: str | None, default: int) -> int:
    value = _int(name, raw, default)
    if value <= 0:
        raise InvalidArgument(f"{name} must be a positive integer, not {raw!r}")
    return value


def _stream_replicas(name: str, raw: str | None, default: int) -> int:
    replicas = _positive(name, raw, default)
    if replicas > MAX_STREAM_REPLICAS:
        raise InvalidArgument(f"{name} must be at most {MAX_STREAM_REPLICAS}, JetStream's limit, not {raw!r}")
    return replicas


def _seconds(name: str, raw: str | None, default: float) -> float:
    if not raw:
        return default
    refusal = InvalidArgument(f"{name} must be a number of seconds (0 or more), not {raw!r}")
    try:
        seconds = float(raw)
    except ValueError:
        raise refusal from None
    if not 0 <= seconds < float("inf"):
        raise refusal
    return seconds


def _flag(name: str, raw: str | None, default: bool) -> bool:
    if not raw:
        return default
    if raw.lower() in TRUE_WORDS | FALSE_WORDS:
        return raw.lower() in TRUE_WORDS
    raise InvalidArgument(f"{name} must be one of {', '.join(sorted(TRUE_WORDS | FALSE_WORDS))}, not {raw!r}")


def _log_level(name: str, raw: str | None, default: str) -> str:
    level = (raw or default).lower()
    if level not in LOG_LEVELS:
        raise InvalidArgument(f"{name} must be one of {', '.join(LOG_LEVELS)}, not {raw!r}")
    return level


def _database_url(name: str, raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        make_url(raw)
    except ArgumentError:
        example = "postgresql+asyncpg://user@host/db"
        raise InvalidArgument(f"{name} is not a database URL like {example}") from None
    return raw
