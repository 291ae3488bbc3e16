"""Fixtures shared by every test live in tests/support; each module there is a plugin."""

from pathlib import Path

import pytest

pytest_plugins = [
    "tests.support.leftover_tasks",
    "tests.support.database",
    "tests.support.nats",
    "tests.support.tokens",
    "tests.support.org",
    "tests.support.goals",
    "tests.support.appraisal",
    "tests.support.rewards",
    "tests.support.gateway",
]

_MARK_BY_FOLDER = {"integration": pytest.mark.integration, "e2e": pytest.mark.e2e}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_root = Path(__file__).parent
    for item in items:
        folder = Path(item.fspath).relative_to(tests_root).parts[0]
        if folder in _MARK_BY_FOLDER:
            item.add_marker(_MARK_BY_FOLDER[folder])
