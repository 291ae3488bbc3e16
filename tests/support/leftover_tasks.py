"""Tasks a test leaves running are cancelled until they finish, before the test's event loop closes.

The loop's own shutdown cancels each leftover task once and then waits for all of them without a limit.
One cancellation is not always enough: aiosqlite's close() awaits its worker thread again in a `finally`,
and when SQLAlchemy has already stopped that thread (a connection terminated at shutdown), that second
wait never ends; the test run then hung with the loop idle. Cancelling again ends such a task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

ROUNDS = 5
ROUND_SECONDS = 2.0


@pytest.fixture(autouse=True)
async def no_tasks_left_running() -> AsyncIterator[None]:
    yield
    current = asyncio.current_task()
    for _ in range(ROUNDS):
        leftover = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
        if not leftover:
            return
        for task in leftover:
            task.cancel()
        await asyncio.wait(leftover, timeout=ROUND_SECONDS)
