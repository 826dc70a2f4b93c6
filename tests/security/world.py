"""The isolation walker's two users (tests/security/test_isolation.py): A with one object of each
kind, every text of it marked with MARKER, and B with its own."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.authtoken.models import Token

from chunks.models import Chunk
from tests.factories import (
    ChunkFactory,
    DecisionReviewFactory,
    EnrollmentFactory,
    LocationFactory,
    UserFactory,
    UtteranceFactory,
    WebhookDeliveryFactory,
    WebhookEndpointFactory,
)

# Every string A's data holds contains this; no response to anybody else may.
MARKER = "alphasecret"


@dataclass
class World:
    a: object
    b: object
    a_chunk: Chunk
    a_segment: object
    a_enrollment: object
    a_voice_check: object
    a_webhook: object


def world_build() -> World:
    """User A with one object of each kind, every text of it marked; user B with its own."""
    a = UserFactory(username=f"alice-{MARKER}", email=f"alice@{MARKER}.example")
    a_chunk = ChunkFactory(
        user=a,
        device_id=f"{MARKER}-phone",
        gps_lat=48.85,
        gps_lon=2.35,
        location=LocationFactory(address=f"1 {MARKER} St"),
    )
    a_segment = UtteranceFactory(chunk=a_chunk, text=f"{MARKER} words spoken by alice")
    a_enrollment = EnrollmentFactory(user=a, phrase_text=f"{MARKER} phrase", transcript=f"{MARKER} transcript")
    Token.objects.create(user=a)

    b = UserFactory(username="bob")
    UtteranceFactory(chunk__user=b, chunk__device_id="bob-phone", text="bob's own words")
    EnrollmentFactory(user=b, phrase_text="bob's phrase")
    a_voice_check = DecisionReviewFactory(chunk=a_chunk)
    a_webhook = WebhookEndpointFactory(user=a, url=f"https://{MARKER}.example.org/hook", description=f"{MARKER} hook")
    WebhookDeliveryFactory(endpoint=a_webhook, payload={"data": {"utterance": {"text": f"{MARKER} words"}}})
    WebhookEndpointFactory(user=b)
    return World(
        a=a,
        b=b,
        a_chunk=a_chunk,
        a_segment=a_segment,
        a_enrollment=a_enrollment,
        a_voice_check=a_voice_check,
        a_webhook=a_webhook,
    )
