"""An independent Standard Webhooks verifier, written from the specification
(https://www.standardwebhooks.com): the signed content is `<webhook-id>.<webhook-timestamp>.<body>`,
the key is the base64 part of a `whsec_` secret, each signature in `webhook-signature` is
`v1,<base64 HMAC-SHA256>` and signatures are separated by spaces; a receiver rejects timestamps
more than the tolerance (5 minutes) away from its clock, which stops replays of old requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TOLERANCE_S = 5 * 60


class VerificationError(Exception):
    """The request is not a valid signed webhook."""


def key_of(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret."""
    if not secret.startswith("whsec_"):
        raise VerificationError("secret must start with whsec_")
    return base64.b64decode(secret[len("whsec_"):], validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one message."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key_of(secret), content, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Raises ``VerificationError`` unless one of the header's signatures is `secret`'s and the
    timestamp is within the tolerance. Header names are matched case-insensitively."""
    lower = {name.lower(): value for name, value in headers.items()}
    try:
        message_id = lower["webhook-id"]
        timestamp_text = lower["webhook-timestamp"]
        signatures = lower["webhook-signature"]
    except KeyError as missing:
        raise VerificationError(f"missing header {missing}") from None
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise VerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if timestamp < current - TOLERANCE_S:
        raise VerificationError("timestamp too old")
    if timestamp > current + TOLERANCE_S:
        raise VerificationError("timestamp too new")
    expected = sign(secret, message_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return
    raise VerificationError("no matching signature")
