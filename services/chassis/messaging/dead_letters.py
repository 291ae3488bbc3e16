"""Dead letters: events a consumer gave up on, parked on its dead-letter subject until replayed.

A dead letter is the original message (payload and headers) plus headers saying why it was parked.
Replaying republishes it to its original subject; consumers' inboxes make that safe for those that
had already applied it.
"""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from services.chassis.messaging.envelope import DEAD_LETTER_STREAM, dead_letter_subject

REASON_HEADER = "fulcrum-dead-letter-reason"
ORIGINAL_SUBJECT_HEADER = "fulcrum-original-subject"
CONSUMER_HEADER = "fulcrum-dead-letter-consumer"
DELIVERIES_HEADER = "fulcrum-deliveries"
_MESSAGE_ID_HEADER = "Nats-Msg-Id"
_ADDED_HEADERS = frozenset({REASON_HEADER, ORIGINAL_SUBJECT_HEADER, CONSUMER_HEADER, DELIVERIES_HEADER})
_MAX_REASON_LENGTH = 500


async def publish_dead_letter(js: JetStreamContext, consumer: str, message: Msg, reason: str) -> None:
    """Park `message` on the consumer's dead-letter subject; returns once JetStream has stored it."""
    metadata = message.metadata
    headers = dict(message.headers or {})
    headers.update(
        {
            # One id per delivered message: a redelivery parks it once, a replayed copy can be parked again.
            _MESSAGE_ID_HEADER: f"{consumer}:{metadata.stream}:{metadata.sequence.stream}",
            REASON_HEADER: _header_value(reason),
            ORIGINAL_SUBJECT_HEADER: message.subject,
            CONSUMER_HEADER: consumer,
            DELIVERIES_HEADER: str(metadata.num_delivered),
        }
    )
    await js.publish(dead_letter_subject(consumer), message.data, headers=headers)


async def replay_dead_letters(js: JetStreamContext, consumer_name: str, *, limit: int | None = None) -> int:
    """Republish the consumer's dead letters to their original subjects, oldest first, and remove them."""
    subject = dead_letter_subject(consumer_name)
    replayed = 0
    next_sequence = 1
    while limit is None or replayed < limit:
        try:
            dead_letter = await js.get_msg(DEAD_LETTER_STREAM, seq=next_sequence, subject=subject, next=True)
        except NotFoundError:
            break
        assert dead_letter.seq is not None
        headers = {
            name: value for name, value in (dead_letter.headers or {}).items() if name not in _ADDED_HEADERS
        }
        # The original event id is still inside JetStream's duplicate window for a recent event.
        headers[_MESSAGE_ID_HEADER] = f"replay:{dead_letter.seq}:{headers.get('ce-id', '')}"
        await js.publish(
            dead_letter.headers[ORIGINAL_SUBJECT_HEADER], dead_letter.data or b"", headers=headers
        )
        await js.delete_msg(DEAD_LETTER_STREAM, dead_letter.seq)
        replayed += 1
        next_sequence = dead_letter.seq + 1
    return replayed


def _header_value(text: str) -> str:
    # A header value cannot span lines.
    return " ".join(text.split())[:_MAX_REASON_LENGTH]
