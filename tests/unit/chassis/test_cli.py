"""The `fulcrum` command line: its arguments and the development signing keys it keeps."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from services.chassis.auth import TokenVerifier
from services.chassis.cli import main, parser
from services.chassis.devstack import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    SERVICES,
    ensure_signing_keys,
    port_is_free,
    token_issuer,
)


def test_signing_keys_are_made_once_and_only_the_owner_can_read_the_private_key(tmp_path: Path) -> None:
    private_file, public_file = ensure_signing_keys(tmp_path / "keys")
    first = (private_file.read_bytes(), public_file.read_bytes())

    again = ensure_signing_keys(tmp_path / "keys")

    assert again == (private_file, public_file)
    assert (private_file.read_bytes(), public_file.read_bytes()) == first
    assert stat.S_IMODE(private_file.stat().st_mode) == 0o600
    assert (private_file.name, public_file.name) == (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE)


def test_half_a_key_pair_is_replaced_by_a_matching_pair(tmp_path: Path) -> None:
    private_file, public_file = ensure_signing_keys(tmp_path / "keys")
    public_file.unlink()

    ensure_signing_keys(tmp_path / "keys")
    token = token_issuer(private_file).issue("autoparts", "someone", ["employee"])

    verifier = TokenVerifier.from_file(public_file, "fulcrum-gateway", "fulcrum-services")
    assert verifier.verify(token).subject == "someone"


def test_token_command_refuses_an_unknown_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "--tenant", "autoparts", "--subject", "e1", "--role", "boss"])

    assert exit_info.value.code == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err


@pytest.mark.parametrize("ttl", ["0", "-5", "soon"])
def test_token_command_refuses_a_lifetime_that_is_not_a_positive_number(ttl: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["token", "--tenant", "t", "--subject", "s", "--role", "hr", "--ttl", ttl])

    assert exit_info.value.code == 2


def test_up_runs_the_whole_suite_unless_told_which_services() -> None:
    assert parser().parse_args(["up"]).services == SERVICES
    assert parser().parse_args(["up", "--demo", "--services", " org "]).services == ("org",)


@pytest.mark.parametrize("argv", [["up", "--services", "org,payroll"], ["migrate", "payroll"]])
def test_unknown_services_are_refused_by_name(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(argv)

    assert "unknown service 'payroll'" in capsys.readouterr().err


def test_a_port_someone_listens_on_is_not_free() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)
