"""The gateway's settings: defaults for one machine, and each malformed variable refused by its name."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.chassis.errors import InvalidArgument
from services.gateway.config import GatewaySettings, read_key_file
from services.gateway.dev_keys import ensure_dev_keys


def test_the_defaults_are_the_one_machine_setup():
    settings = GatewaySettings.from_env({"FULCRUM_VAR_DIR": "/srv/fulcrum"})

    assert (settings.base.grpc_port, settings.http_port) == (50050, 8080)
    assert settings.upstreams == {
        "org": "127.0.0.1:50051",
        "goals": "127.0.0.1:50052",
        "appraisal": "127.0.0.1:50053",
        "rewards": "127.0.0.1:50054",
    }
    assert settings.people_key_file == Path("/srv/fulcrum/keys/people.pub.pem")
    assert settings.signing_key_file == Path("/srv/fulcrum/keys/token.pem")
    assert settings.people_key_file_is_default
    assert settings.signing_key_file_is_default


def test_each_setting_is_read_from_its_variable():
    settings = GatewaySettings.from_env(
        {
            "FULCRUM_GATEWAY_HTTP_PORT": "9000",
            "FULCRUM_GATEWAY_APPRAISAL_ADDRESS": "dns:///appraisal.fulcrum.svc:50053",
            "FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE": "/keys/idp.pem",
            "FULCRUM_GATEWAY_API_KEY_RATE": "2.5",
            "FULCRUM_GATEWAY_TENANT_BURST": "10",
            "FULCRUM_GATEWAY_MAX_BODY_BYTES": "2048",
        }
    )

    assert settings.http_port == 9000
    assert settings.upstreams["appraisal"] == "dns:///appraisal.fulcrum.svc:50053"
    assert (settings.people_key_file, settings.people_key_file_is_default) == (Path("/keys/idp.pem"), False)
    assert (settings.api_key_rate.rate, settings.tenant_rate.burst, settings.max_body_bytes) == (
        2.5,
        10,
        2048,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FULCRUM_GATEWAY_HTTP_PORT", "http"),
        ("FULCRUM_GATEWAY_HTTP_PORT", "70000"),
        ("FULCRUM_GATEWAY_ORG_ADDRESS", "org"),
        ("FULCRUM_GATEWAY_REWARDS_ADDRESS", "rewards :50054"),
        ("FULCRUM_GATEWAY_API_KEY_RATE", "0"),
        ("FULCRUM_GATEWAY_TENANT_RATE", "fast"),
        ("FULCRUM_GATEWAY_API_KEY_BURST", "0.5"),
        ("FULCRUM_GATEWAY_MAX_BODY_BYTES", "1.5"),
        ("FULCRUM_GATEWAY_MAX_DEADLINE_SECONDS", "-1"),
        ("FULCRUM_GATEWAY_TOKEN_TTL_SECONDS", "inf"),
        ("FULCRUM_GATEWAY_API_KEY_CACHE_SECONDS", "nan"),
        ("FULCRUM_GATEWAY_GRPC_PORT", "grpc"),
    ],
)
def test_a_malformed_setting_is_refused_by_its_name(variable: str, value: str):
    with pytest.raises(InvalidArgument, match=f"^{variable} must be"):
        GatewaySettings.from_env({variable: value})


def test_a_missing_key_file_is_refused_by_the_variable_that_names_it(tmp_path: Path):
    with pytest.raises(
        InvalidArgument, match=r"^FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE must name a readable key file"
    ):
        read_key_file("FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE", tmp_path / "missing.pem")


def test_dev_keys_are_made_only_where_no_file_is_named(tmp_path: Path):
    named = tmp_path / "idp.pub.pem"
    settings = GatewaySettings.from_env(
        {"FULCRUM_VAR_DIR": str(tmp_path), "FULCRUM_GATEWAY_JWT_PUBLIC_KEY_FILE": str(named)}
    )

    ensure_dev_keys(settings)

    assert sorted(path.name for path in (tmp_path / "keys").iterdir()) == ["token.pem", "token.pub.pem"]
    assert not named.exists()
    assert (tmp_path / "keys" / "token.pem").stat().st_mode & 0o777 == 0o600
