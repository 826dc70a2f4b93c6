"""factory_boy factories of the Django models."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
import numpy as np
from django.contrib.auth import get_user_model

from chunks.models import Chunk, Location
from enrollment.models import DecisionReview, Enrollment, VoiceSample
from tests.audio_samples import wav_bytes
from utterances.models import Utterance
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _sha(n: int) -> str:
    return hashlib.sha256(f"chunk-{n}".encode()).hexdigest()


def _voiceprint(n: int) -> bytes:
    vector = np.random.default_rng(n).standard_normal(192).astype(np.float32)
    return Enrollment.voiceprint_bytes(vector / np.linalg.norm(vector))


def _tone_wav(n: int) -> bytes:
    return wav_bytes(1.0, seed=n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"owner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A ready enrollment with a voiceprint (use status=... for others)."""

    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    audio = factory.django.FileField(filename="enrollment.wav", data=factory.Sequence(lambda n: _tone_wav(10_000 + n)))
    audio_sha256 = factory.Sequence(lambda n: _sha(10_000 + n))
    status = Enrollment.Status.READY
    voiceprint = factory.Sequence(_voiceprint)
    voiceprint_dim = 192
    speech_ms = 12_000
    window_count = 15
    consistency = 0.8
    model_id = "campplus-192-test"
    duration_ms = 14_000


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    lat_round = factory.Sequence(lambda n: Decimal("10.000") + Decimal(n) / 1000)
    lon_round = Decimal("20.000")
    address = "Paris, France"
    city = "Paris"
    country = "France"
    provider = "offline"


class ChunkFactory(factory.django.DjangoModelFactory):
    """A queued chunk with a real (one-second tone) audio file in storage."""

    class Meta:
        model = Chunk

    user = factory.SubFactory(UserFactory)
    device_id = "phone-1"
    start_ts = factory.Sequence(lambda n: T0 + timedelta(minutes=n))
    end_ts = factory.LazyAttribute(lambda c: c.start_ts + timedelta(seconds=1))
    audio = factory.django.FileField(filename="chunk.wav", data=factory.Sequence(_tone_wav))
    audio_sha256 = factory.Sequence(_sha)
    audio_bytes = 32_044
    duration_ms = 1000
    codec = "pcm_s16le"
    status = Chunk.Status.QUEUED


class UtteranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Utterance

    chunk = factory.SubFactory(ChunkFactory, status=Chunk.Status.DONE)
    user = factory.SelfAttribute("chunk.user")
    device_id = factory.SelfAttribute("chunk.device_id")
    start_ms = 0
    end_ms = 1500
    start_ts = factory.LazyAttribute(lambda s: s.chunk.start_ts + timedelta(milliseconds=s.start_ms))
    end_ts = factory.LazyAttribute(lambda s: s.chunk.start_ts + timedelta(milliseconds=s.end_ms))
    text = factory.Sequence(lambda n: f"owner words number {n}")
    words = factory.LazyFunction(list)
    confidence = 0.9
    owner_similarity = 0.8


class DecisionReviewFactory(factory.django.DjangoModelFactory):
    """A pending review item: an uncertain region of a done chunk (its audio: a 1 s tone)."""

    class Meta:
        model = DecisionReview

    chunk = factory.SubFactory(ChunkFactory, status=Chunk.Status.DONE)
    user = factory.SelfAttribute("chunk.user")
    start_ms = 200
    end_ms = 900
    similarity = 0.57
    threshold = 0.6
    margin = 0.06
    strategy = "voiceprint"
    embedding_model = "campplus-192-test"


class VoiceSampleFactory(factory.django.DjangoModelFactory):
    """An owner sample (kind=VoiceSample.Kind.OTHER for a negative), 192-d like the enrollments."""

    class Meta:
        model = VoiceSample

    user = factory.SubFactory(UserFactory)
    kind = VoiceSample.Kind.OWNER
    embedding = factory.Sequence(lambda n: _voiceprint(50_000 + n))
    dim = 192
    model_id = "campplus-192-test"
    duration_ms = 2000


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An active endpoint subscribed to every event (its URL is not checked: tests pick theirs)."""

    class Meta:
        model = WebhookEndpoint

    user = factory.SubFactory(UserFactory)
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.org/selective-speaker")
    secret = factory.Sequence(lambda n: f"whsec_test{n:040d}")
    events = factory.LazyFunction(lambda: list(Event.values))


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """A pending delivery of a chunk.processed event."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event = Event.CHUNK_PROCESSED
    subject = "chunk:1"
    payload = factory.LazyFunction(lambda: {"id": "evt_test", "event": "chunk.processed", "data": {"chunk": {"id": 1}}})
