"""A pod started with a malformed setting exits at once, its log naming the setting (CrashLoopBackOff
with the reason in `kubectl logs`), instead of serving half-configured."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

STARTUP_LIMIT_SECONDS = 20


@pytest.mark.parametrize(
    ("service", "variable", "value"),
    [("org", "FULCRUM_ORG_GRPC_PORT", "grpc"), ("goals", "FULCRUM_MIGRATE_ON_START", "perhaps")],
)
def test_a_service_with_a_malformed_setting_exits_naming_it(service: str, variable: str, value: str) -> None:
    environment = {key: item for key, item in os.environ.items() if not key.startswith("FULCRUM_")}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}"],
        env={**environment, variable: value},
        capture_output=True,
        text=True,
        timeout=STARTUP_LIMIT_SECONDS,
        check=False,
    )

    assert result.returncode != 0
    assert f"{variable} must be" in result.stderr.splitlines()[-1]
    assert time.monotonic() - started < STARTUP_LIMIT_SECONDS
