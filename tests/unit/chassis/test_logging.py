from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from services.chassis.logging import configure_logging


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the tests that follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def logged_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_log_lines_are_json_on_stdout_with_the_call_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("org", "info")

    with structlog.contextvars.bound_contextvars(request_id="req-42", tenant="acme"):
        structlog.get_logger("fulcrum.test").info("unit created", unit_id="u-1")

    [line] = logged_lines(capsys)
    assert line["event"] == "unit created"
    assert line["unit_id"] == "u-1"
    assert line["request_id"] == "req-42"
    assert line["tenant"] == "acme"
    assert line["service"] == "org"
    assert line["level"] == "info"
    assert "timestamp" in line


def test_standard_library_warnings_come_out_as_json_with_the_call_context(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("org", "info")

    with structlog.contextvars.bound_contextvars(request_id="req-7"):
        logging.getLogger("sqlalchemy.pool").warning("connection %s was invalidated", "c-3")

    [line] = logged_lines(capsys)
    assert line["event"] == "connection c-3 was invalidated"
    assert line["logger"] == "sqlalchemy.pool"
    assert line["level"] == "warning"
    assert line["request_id"] == "req-7"
    assert line["service"] == "org"


def test_configuring_twice_still_writes_each_line_once(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("org", "info")
    configure_logging("org", "info")

    structlog.get_logger("fulcrum.test").info("once")
    logging.getLogger("grpc").warning("once too")

    assert [line["event"] for line in logged_lines(capsys)] == ["once", "once too"]


def test_lines_below_the_level_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("org", "warning")

    structlog.get_logger("fulcrum.test").info("chatter")
    logging.getLogger("grpc").info("more chatter")
    structlog.get_logger("fulcrum.test").warning("worth reading")

    assert [line["event"] for line in logged_lines(capsys)] == ["worth reading"]


def test_an_exception_is_logged_with_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("org", "info")

    try:
        raise ValueError("weights do not add up")
    except ValueError:
        structlog.get_logger("fulcrum.test").exception("roll-up failed")

    [line] = logged_lines(capsys)
    assert line["level"] == "error"
    assert "Traceback" in str(line["exception"])
    assert "weights do not add up" in str(line["exception"])


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="verbose"):
        configure_logging("org", "verbose")
