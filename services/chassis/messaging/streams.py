"""The JetStream streams a service needs: its own event stream and the shared dead-letter stream."""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from services.chassis.messaging.envelope import (
    DEAD_LETTER_PREFIX,
    DEAD_LETTER_STREAM,
    stream_name,
    stream_subjects,
)

# Resends of one event id inside this window are dropped by JetStream; the relay resends after a crash.
DUPLICATE_WINDOW_SECONDS = 120.0
_STREAM_NAME_IN_USE = 10058


async def ensure_stream(js: JetStreamContext, service: str, *, replicas: int = 1) -> None:
    """Create or update the service's event stream and the dead-letter stream; safe to call on every start."""
    await _create_or_update(
        js,
        _stream_config(
            stream_name(service),
            f"Events published by the {service} service",
            stream_subjects(service),
            replicas,
        ),
    )
    await _create_or_update(
        js,
        _stream_config(
            DEAD_LETTER_STREAM,
            "Events a consumer gave up on, kept until they are replayed",
            [f"{DEAD_LETTER_PREFIX}.>"],
            replicas,
        ),
    )


def _stream_config(name: str, description: str, subjects: list[str], replicas: int) -> StreamConfig:
    return StreamConfig(
        name=name,
        description=description,
        subjects=subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


async def _create_or_update(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.add_stream(config)
    except BadRequestError as error:
        if error.err_code != _STREAM_NAME_IN_USE:
            raise
        await js.update_stream(config)
