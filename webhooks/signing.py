"""The signature of a webhook request, Stripe-like (docs/webhooks.md shows how to check it).

    X-Selective-Speaker-Signature: t=1714555800,v1=5257a869e7ec…

`v1` is the hex HMAC-SHA256, keyed with the endpoint's secret, of f"{t}.{body}" — the unix time
of the attempt, a dot and the raw request body. Signing the time with the body lets a receiver
refuse a replayed request: check the signature, then that `t` is recent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SIGNATURE_HEADER = "X-Selective-Speaker-Signature"
SECRET_PREFIX = "whsec_"
# A receiver's default tolerance for the signed time, either way (seconds).
DEFAULT_TOLERANCE_S = 300


def secret_generate() -> str:
    """A new endpoint secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature_compute(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The signature header's value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature_compute(secret, t, body)}"


def signature_verify(secret: str, body: bytes, header: str, *, tolerance_s: int = DEFAULT_TOLERANCE_S,
                     now: float | None = None) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance_s` of now — what a receiver
    does (docs/webhooks.md has the same in a dozen lines without this package)."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = signature_compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", []))
