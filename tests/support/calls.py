"""What integration tests of any service share: expected errors, paging, field masks, and the service's
database read back to prove that a refused call changed nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from sqlalchemy import Table, select

from services.chassis.database import create_engine

Metadata = tuple[tuple[str, str], ...]


def mask(*paths: str) -> FieldMask:
    return FieldMask(paths=list(paths))


async def rpc_error(call: Awaitable[object], code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    """The error `call` fails with, which must carry `code`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, f"{caught.value.code()}: {caught.value.details()}"
    return caught.value


def field_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The google.rpc.BadRequest field violations of an error, field -> description."""
    bad_request = error_details_pb2.BadRequest()
    assert _detail(error).Unpack(bad_request), "the error detail is not a google.rpc.BadRequest"
    return {violation.field: violation.description for violation in bad_request.field_violations}


def precondition_violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    """The google.rpc.PreconditionFailure violations of an error, subject -> description."""
    failure = error_details_pb2.PreconditionFailure()
    assert _detail(error).Unpack(failure), "the error detail is not a google.rpc.PreconditionFailure"
    return {violation.subject: violation.description for violation in failure.violations}


def _detail(error: grpc.aio.AioRpcError) -> Any:
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status on {error.details()}"
    assert len(status.details) == 1, f"not one error detail on {error.details()}"
    return status.details[0]


async def every_page(method: Any, request: Message, items_field: str, metadata: Metadata) -> list[list[Any]]:
    """Each page of a list call, following next_page_token to the end."""
    request = type(request).FromString(request.SerializeToString())
    pages = []
    while True:
        response = await method(request, metadata=metadata)
        pages.append(list(getattr(response, items_field)))
        if not response.next_page_token:
            return pages
        request.page_token = response.next_page_token


@dataclass(frozen=True)
class StoredState:
    rows: dict[str, list[tuple[Any, ...]]]
    event_ids: list[str]


async def read_state(database_url: str, state_tables: Sequence[Table], outbox: Table) -> StoredState:
    """Every row of `state_tables`, and the ids of the events in the outbox."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = {}
            for table in state_tables:
                result = await connection.execute(select(table).order_by(*table.primary_key.columns))
                rows[table.name] = [tuple(row) for row in result]
            event_ids = list(
                (await connection.execute(select(outbox.c.event_id).order_by(outbox.c.seq))).scalars()
            )
    finally:
        await engine.dispose()
    return StoredState(rows, event_ids)


@asynccontextmanager
async def state_unchanged(
    database_url: str, state_tables: Sequence[Table], outbox: Table
) -> AsyncIterator[None]:
    """Asserts that what runs inside changes no row of `state_tables` and writes no event."""
    before = await read_state(database_url, state_tables, outbox)
    yield
    after = await read_state(database_url, state_tables, outbox)
    assert after.event_ids == before.event_ids, "an event was written"
    for table, rows in before.rows.items():
        assert after.rows[table] == rows, f"{table} changed"
