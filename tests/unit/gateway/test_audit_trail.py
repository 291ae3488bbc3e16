"""The audit trail keeps what calls record and writes it in batches; a batch the database refuses waits
for the next try, and a full backlog refuses writes rather than let them through unrecorded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.chassis.errors import ResourceExhausted
from services.gateway.domain.audit import PROTOCOL_GRPC, AuditRecord
from services.gateway.service_layer import audit
from services.gateway.service_layer.audit import AuditTrail
from tests.unit.gateway.fakes import FakeStorage, FakeUnitOfWork


def record(number: int) -> AuditRecord:
    return AuditRecord(
        id=f"r{number:05d}",
        tenant_id="acme",
        actor="e1",
        credential="bearer_token",
        method="fulcrum.org.v1.OrgService.CreateUnit",
        protocol=PROTOCOL_GRPC,
        http_request="",
        status_code="OK",
        request_id=f"req-{number}",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class FlakyStorage(FakeStorage):
    """Refuses the first `failures` transactions, as a database that is down for a while."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def __call__(self) -> FakeUnitOfWork:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the database is down")
        return super().__call__()


async def test_records_are_written_in_batches(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(audit, "BATCH_SIZE", 2)
    storage = FakeStorage()
    trail = AuditTrail(storage)
    for number in range(5):
        trail.record(record(number))

    written = await trail.write_pending()

    assert written == 5
    assert [stored.id for stored in storage.audit_log.records] == [f"r{number:05d}" for number in range(5)]
    assert trail.backlog == 0


async def test_a_refused_batch_waits_for_the_next_try_in_order():
    storage = FlakyStorage(failures=1)
    trail = AuditTrail(storage)
    trail.record(record(1))
    trail.record(record(2))

    with pytest.raises(ConnectionError):
        await trail.write_pending()
    trail.record(record(3))
    await trail.write_pending()

    assert [stored.id for stored in storage.audit_log.records] == ["r00001", "r00002", "r00003"]


def test_a_full_backlog_refuses_writes():
    trail = AuditTrail(FakeStorage(), max_backlog=2)
    trail.check_room()
    trail.record(record(1))
    trail.record(record(2))

    with pytest.raises(ResourceExhausted, match="audit trail is behind"):
        trail.check_room()
