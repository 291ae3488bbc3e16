"""A batching durable pull consumer that applies each event exactly once.

Per fetch: events already in the inbox are skipped, the rest are applied (an event at a time by an
event handler, or all together by a batch handler) and recorded in the inbox in one transaction, and
every message is acked after the commit. When the batch fails, its events are retried one by one to
isolate the poison one: it is nak'd with a growing delay until it has been delivered `max_deliver`
times, then parked on the consumer's dead-letter subject and acked, so it never blocks the events
behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import structlog
from google.protobuf.message import Message
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.chassis.messaging.dead_letters import publish_dead_letter
from services.chassis.messaging.envelope import Envelope
from services.chassis.tables import ChassisTables

_log = structlog.get_logger(__name__)

MessageType = TypeVar("MessageType", bound=Message)


@dataclass(frozen=True)
class IncomingEvent:
    envelope: Envelope
    subject: str
    payload: bytes
    num_delivered: int = 1

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def tenant_id(self) -> str:
        return self.envelope.tenant_id

    def decode(self, message_type: type[MessageType]) -> MessageType:
        return message_type.FromString(self.payload)


# Applies one event's effect in the session; the consumer owns the transaction.
EventHandler = Callable[[AsyncSession, IncomingEvent], Awaitable[None]]
# Applies a batch's events, in their order, together: a consumer whose effects are cheaper set-based
# gives this instead of an EventHandler. A batch that fails is retried an event at a time.
BatchHandler = Callable[[AsyncSession, Sequence[IncomingEvent]], Awaitable[None]]


def one_by_one(handle: EventHandler) -> BatchHandler:
    async def handle_batch(session: AsyncSession, events: Sequence[IncomingEvent]) -> None:
        for event in events:
            await handle(session, event)

    return handle_batch


@dataclass(frozen=True)
class _Delivery:
    message: Msg
    event: IncomingEvent


class EventConsumer:
    def __init__(
        self,
        js: JetStreamContext,
        session_factory: async_sessionmaker[AsyncSession],
        tables: ChassisTables,
        *,
        name: str,
        stream: str,
        subjects: Sequence[str],
        handle: EventHandler | None = None,
        handle_batch: BatchHandler | None = None,
        batch_size: int = 256,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        retry_delay: float = 1.0,
        max_retry_delay: float = 60.0,
        fetch_timeout: float = 5.0,
    ) -> None:
        self.name = name
        self._js = js
        self._session_factory = session_factory
        self._inbox = tables.inbox
        self._stream = stream
        self._subjects = list(subjects)
        if handle_batch is None and handle is not None:
            handle_batch = one_by_one(handle)
        elif handle_batch is None or handle is not None:
            raise ValueError("an EventConsumer takes either an event handler or a batch handler")
        self._handle_batch = handle_batch
        self._batch_size = batch_size
        self._max_deliver = max_deliver
        self._ack_wait = ack_wait
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._fetch_timeout = fetch_timeout
        self._subscription: JetStreamContext.PullSubscription | None = None

    async def run(self) -> None:
        """Fetch and apply batches until cancelled; NATS errors are logged and retried with backoff."""
        failures = 0
        try:
            while True:
                try:
                    await self.process_batch(self._fetch_timeout)
                except Exception:
                    failures += 1
                    delay = min(self._max_retry_delay, self._retry_delay * 2 ** (failures - 1))
                    _log.warning(
                        "event_consumer_failed",
                        consumer=self.name,
                        retry_in_seconds=delay,
                        failures=failures,
                        exc_info=True,
                    )
                    await self._drop_subscription()
                    await asyncio.sleep(delay)
                    continue
                failures = 0
        finally:
            await self._drop_subscription()

    # `timeout` is how long the fetch lingers for messages (nats-py's name), not a deadline on the round.
    async def process_batch(self, timeout: float = 5.0) -> int:  # noqa: ASYNC109
        """One fetch-and-apply round, waiting up to `timeout` seconds for messages; returns how many came."""
        subscription = await self._subscribe()
        try:
            messages = await subscription.fetch(self._batch_size, timeout=timeout)
        except TimeoutError:
            return 0
        deliveries = []
        for message in messages:
            try:
                envelope = Envelope.from_headers(message.headers or {})
            except (KeyError, TypeError, ValueError) as error:
                await self._park(message, f"not a Fulcrum event: {error!r}")
                continue
            event = IncomingEvent(envelope, message.subject, message.data, message.metadata.num_delivered)
            deliveries.append(_Delivery(message, event))
        if deliveries:
            await self._apply_batch(deliveries)
        return len(messages)

    async def _apply_batch(self, deliveries: list[_Delivery]) -> None:
        try:
            await self._apply(deliveries)
        except Exception:
            _log.info("event_batch_failed_retrying_one_by_one", consumer=self.name, size=len(deliveries))
        else:
            for delivery in deliveries:
                await delivery.message.ack()
            return
        for delivery in deliveries:
            try:
                await self._apply([delivery])
            except Exception as error:
                await self._retry_later_or_park(delivery, error)
            else:
                await delivery.message.ack()

    async def _apply(self, deliveries: list[_Delivery]) -> None:
        """Apply the events not yet in the inbox and record them there, in one transaction."""
        async with self._session_factory() as session, session.begin():
            applied = await self._already_applied(
                session, {delivery.event.event_id for delivery in deliveries}
            )
            fresh: dict[str, IncomingEvent] = {}
            for delivery in deliveries:
                event_id = delivery.event.event_id
                if event_id not in applied and event_id not in fresh:
                    fresh[event_id] = delivery.event
            if fresh:
                await self._handle_batch(session, list(fresh.values()))
                now = datetime.now(UTC)
                await session.execute(
                    insert(self._inbox),
                    [{"consumer": self.name, "event_id": event_id, "applied_at": now} for event_id in fresh],
                )

    async def _already_applied(self, session: AsyncSession, event_ids: set[str]) -> set[str]:
        inbox = self._inbox
        result = await session.scalars(
            select(inbox.c.event_id).where(inbox.c.consumer == self.name, inbox.c.event_id.in_(event_ids))
        )
        return set(result)

    async def _retry_later_or_park(self, delivery: _Delivery, error: Exception) -> None:
        event = delivery.event
        log = _log.bind(
            consumer=self.name,
            event_id=event.event_id,
            subject=event.subject,
            delivered=event.num_delivered,
        )
        if event.num_delivered < self._max_deliver:
            delay = min(self._max_retry_delay, self._retry_delay * 2 ** (event.num_delivered - 1))
            log.warning("event_failed_will_retry", retry_in_seconds=delay, exc_info=error)
            await delivery.message.nak(delay=delay)
            return
        log.error("event_failed_dead_lettered", exc_info=error)
        await self._park(delivery.message, f"{type(error).__name__}: {error}")

    async def _park(self, message: Msg, reason: str) -> None:
        await publish_dead_letter(self._js, self.name, message, reason)
        await message.ack()

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        if self._subscription is None:
            # Redelivery is bounded here, not by the server, so no message is left unacked and undelivered.
            config = ConsumerConfig(
                name=self.name,
                durable_name=self.name,
                deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=self._ack_wait,
                filter_subjects=self._subjects,
                max_ack_pending=max(1000, 4 * self._batch_size),
            )
            await self._js.add_consumer(self._stream, config)
            self._subscription = await self._js.pull_subscribe_bind(durable=self.name, stream=self._stream)
        return self._subscription

    async def _drop_subscription(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
