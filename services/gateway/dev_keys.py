"""Key pairs for running the gateway on one machine: made under <var dir>/keys on first start when the
settings name no key files of their own. A deployment names its files, and a missing one is an error.

people.pem / people.pub.pem stand in for the identity provider (sign people's tokens with the first);
token.pem / token.pub.pem are the internal pair `fulcrum up` makes too, the services verifying with the
second.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.chassis.auth import generate_signing_keys
from services.gateway.config import GatewaySettings

PEOPLE_PRIVATE_KEY_FILE = "people.pem"
INTERNAL_PUBLIC_KEY_FILE = "token.pub.pem"


def ensure_dev_keys(settings: GatewaySettings) -> None:
    if settings.people_key_file_is_default:
        ensure_key_pair(settings.people_key_file.with_name(PEOPLE_PRIVATE_KEY_FILE), settings.people_key_file)
    if settings.signing_key_file_is_default:
        ensure_key_pair(
            settings.signing_key_file, settings.signing_key_file.with_name(INTERNAL_PUBLIC_KEY_FILE)
        )


def ensure_key_pair(private_file: Path, public_file: Path) -> None:
    """An Ed25519 pair in these files unless both are there; a half pair is replaced."""
    if private_file.exists() and public_file.exists():
        return
    private_pem, public_pem = generate_signing_keys()
    private_file.parent.mkdir(parents=True, exist_ok=True)
    private_file.unlink(missing_ok=True)
    # Created with mode 0600 from the start, so the key is never readable by others, not even briefly.
    with os.fdopen(os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as private:
        private.write(private_pem)
    public_file.write_bytes(public_pem)
