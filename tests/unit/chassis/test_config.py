"""A malformed setting is refused with the name of the variable that set it; good ones are read as given."""

from __future__ import annotations

import pytest

from services.chassis.config import Settings
from services.chassis.errors import InvalidArgument


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FULCRUM_ORG_GRPC_PORT", "fifty"),
        ("FULCRUM_ORG_GRPC_PORT", "70000"),
        ("FULCRUM_ORG_DATABASE_URL", "postgres is at db:5432"),
        ("FULCRUM_DRAIN_SECONDS", "ten"),
        ("FULCRUM_ORG_DRAIN_SECONDS", "-1"),
        ("FULCRUM_MIGRATE_ON_START", "maybe"),
        ("FULCRUM_LOG_LEVEL", "verbose"),
        ("FULCRUM_ORG_LOG_LEVEL", "loud"),
        ("FULCRUM_MAX_MESSAGE_BYTES", "0"),
        ("FULCRUM_MAX_MESSAGE_BYTES", "64MiB"),
        ("FULCRUM_STREAM_REPLICAS", "0"),
        ("FULCRUM_STREAM_REPLICAS", "7"),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(InvalidArgument, match=f"^{variable} "):
        Settings.from_env("org", {variable: value})


def test_the_services_own_setting_is_named_when_it_overrides_a_good_suite_wide_one() -> None:
    environment = {"FULCRUM_MIGRATE_ON_START": "true", "FULCRUM_ORG_MIGRATE_ON_START": "sometimes"}

    with pytest.raises(InvalidArgument, match=r"^FULCRUM_ORG_MIGRATE_ON_START "):
        Settings.from_env("org", environment)


def test_settings_of_a_container_are_read_as_given() -> None:
    settings = Settings.from_env(
        "goals",
        {
            "FULCRUM_GRPC_HOST": "0.0.0.0",
            "FULCRUM_GOALS_GRPC_PORT": "50052",
            "FULCRUM_GOALS_DATABASE_URL": "postgresql+asyncpg://goals:secret@goals-db-rw:5432/goals",
            "FULCRUM_DRAIN_SECONDS": "7.5",
            "FULCRUM_MIGRATE_ON_START": "False",
            "FULCRUM_LOG_LEVEL": "WARNING",
            "FULCRUM_MAX_MESSAGE_BYTES": "1048576",
            "FULCRUM_STREAM_REPLICAS": "3",
        },
    )

    assert (settings.grpc_host, settings.grpc_port) == ("0.0.0.0", 50052)
    assert settings.database_url == "postgresql+asyncpg://goals:secret@goals-db-rw:5432/goals"
    assert (settings.drain_seconds, settings.migrate_on_start) == (7.5, False)
    assert (settings.log_level, settings.max_message_bytes) == ("warning", 1048576)
    assert settings.stream_replicas == 3


def test_without_settings_a_service_runs_the_one_machine_defaults() -> None:
    settings = Settings.from_env("org", {})

    assert (settings.grpc_host, settings.grpc_port) == ("127.0.0.1", 50051)
    assert settings.database_url == "sqlite+aiosqlite:///var/org.db"
    assert (settings.migrate_on_start, settings.log_level, settings.drain_seconds) == (True, "info", 10.0)
    assert settings.stream_replicas == 1
