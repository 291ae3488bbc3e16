"""Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database in CI's second leg.

Set FULCRUM_TEST_POSTGRES_URL (an admin URL such as postgresql://postgres@127.0.0.1:5432/postgres)
to run on PostgreSQL; every database made for the run is dropped at its end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

POSTGRES_ADMIN_URL_VARIABLE = "FULCRUM_TEST_POSTGRES_URL"

NewDatabase = Callable[[str], Awaitable[str]]


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ADMIN_URL_VARIABLE) or None


@pytest.fixture
async def new_database(tmp_path: Path) -> AsyncIterator[NewDatabase]:
    """Makes an empty database named after `purpose` and returns its SQLAlchemy async URL."""
    admin_url = postgres_admin_url()
    created: list[str] = []

    async def make(purpose: str) -> str:
        if admin_url is None:
            return f"sqlite+aiosqlite:///{tmp_path / purpose}-{uuid.uuid4().hex[:8]}.db"
        name = f"fulcrum_test_{purpose}_{uuid.uuid4().hex[:12]}"
        await _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
        created.append(name)
        return (
            make_url(admin_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )

    yield make
    for name in created:
        await _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin_execute(admin_url: str | None, statement: str) -> None:
    url = make_url(admin_url).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
