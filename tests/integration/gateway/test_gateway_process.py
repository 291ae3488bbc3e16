"""`python -m services.gateway` refuses to start with a malformed setting, naming it (a pod in
CrashLoopBackOff with the reason in its log), instead of serving half-configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

STARTUP_LIMIT_SECONDS = 20


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("FULCRUM_GATEWAY_HTTP_PORT", "web", "FULCRUM_GATEWAY_HTTP_PORT must be"),
        (
            "FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE",
            "/nonexistent/idp.pem",
            "FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE must",
        ),
    ],
)
def test_the_gateway_with_a_malformed_setting_exits_naming_it(
    variable: str, value: str, says: str, tmp_path: Path
):
    environment = {key: item for key, item in os.environ.items() if not key.startswith("FULCRUM_")}
    result = subprocess.run(
        [sys.executable, "-m", "services.gateway"],
        env={**environment, "FULCRUM_VAR_DIR": str(tmp_path), variable: value},
        capture_output=True,
        text=True,
        timeout=STARTUP_LIMIT_SECONDS,
        check=False,
    )

    assert result.returncode != 0
    assert says in result.stderr.splitlines()[-1]
