"""The deploy checks: every overlay rendered by `kubectl kustomize`, as objects. Marked `deploy` by folder,
the way tests/conftest.py marks integration and e2e tests."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

OVERLAYS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "overlays"
OVERLAYS = sorted(path.name for path in OVERLAYS_DIR.iterdir() if path.is_dir())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "deploy: renders the Kubernetes overlays (needs kubectl, offline)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.deploy)


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl not found: the deploy tests render the overlays with `kubectl kustomize`")
    result = subprocess.run(
        [kubectl, "kustomize", str(OVERLAYS_DIR / overlay)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"kubectl kustomize deploy/k8s/overlays/{overlay} failed:\n{result.stderr}")
    return [document for document in yaml.safe_load_all(result.stdout) if document]


@pytest.fixture(scope="session", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def rendered(overlay: str) -> list[dict[str, Any]]:
    return render(overlay)


@pytest.fixture
def objects(rendered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The overlay's objects; a test may change its copy."""
    return copy.deepcopy(rendered)
