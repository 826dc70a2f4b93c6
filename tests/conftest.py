"""Fixtures shared by the Django apps' tests: users, API clients, audio uploads, engines."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from selective_speaker.speech.decision import DecisionRecord
from selective_speaker.speech.types import ChunkResult, ChunkStatus, EnrollmentResult, Segment, Word
from tests.audio_samples import wav_bytes
from tests.factories import UserFactory


def pytest_configure(config):
    # whitenoise warns about a STATIC_ROOT that only `collectstatic` creates
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test stores files in its own temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fresh_cache():
    """Throttling counters and cached values never leak from one test into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(user) -> APIClient:
    """An API client authenticated as `user` with a DRF token."""
    return token_client(user)


@pytest.fixture
def other_api(other_user) -> APIClient:
    return token_client(other_user)


@pytest.fixture
def make_wav():
    """make_wav(seconds=1.0, name="clip.wav", **wav_bytes options) -> an uploaded file."""

    def make(seconds: float = 1.0, *, name: str = "clip.wav", **options) -> SimpleUploadedFile:
        return SimpleUploadedFile(name, wav_bytes(seconds, **options), content_type="audio/wav")

    return make


# --- a test double of the speech engine -----------------------------------------------------


def voiceprint(seed: int = 0, dim: int = 192) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def owner_segment(start_ms: int, end_ms: int, text: str) -> Segment:
    words = tuple(Word(start_ms + i * 300, start_ms + i * 300 + 250, word, 0.9) for i, word in enumerate(text.split()))
    return Segment(start_ms, end_ms, text, words, confidence=0.9, owner_similarity=0.8)


@dataclass
class FakeEmbedder:
    """The engine's speaker embedder without a model: one unit vector per clip length."""

    model_id: str = "campplus-192-test"
    clips: list[int] = field(default_factory=list)  # samples of each embedded clip

    def embed_audio(self, audio: np.ndarray) -> np.ndarray:
        self.clips.append(int(audio.size))
        return voiceprint(int(audio.size))


@dataclass
class FakeEngine:
    """Answers like the engine without models; `error` makes the next calls raise it."""

    enroll_result: EnrollmentResult = field(
        default_factory=lambda: EnrollmentResult(
            voiceprint=voiceprint(1),
            speech_ms=12_000,
            window_count=15,
            consistency=0.81,
            transcript="the best antidote is that which is at hand",
            edit_distance=0,
            model_id="campplus-192-test",
            duration_ms=14_000,
            timings={"vad": 0.1, "embed": 0.2},
        )
    )
    chunk_result: ChunkResult = field(
        default_factory=lambda: ChunkResult(
            status=ChunkStatus.DONE,
            segments=[owner_segment(0, 1500, "hello there friend"), owner_segment(2000, 3800, "see you at noon")],
            duration_ms=4000,
            decision=DecisionRecord.from_dict(
                {"strategy": "voiceprint", "threshold": 0.6, "regions": [], "score": np.float32(0.7)}
            ),
            timings={"vad": 0.01, "embed": 0.02, "asr": 0.05, "total": 0.09},
        )
    )
    error: BaseException | None = None
    calls: list[tuple[str, dict]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)  # chunks per process_chunks call
    embedder: FakeEmbedder = field(default_factory=FakeEmbedder)

    def enroll(self, audio: np.ndarray, *, phrase_text: str | None = None) -> EnrollmentResult:
        self.calls.append(("enroll", {"samples": audio.size, "phrase_text": phrase_text}))
        if self.error is not None:
            raise self.error
        return self.enroll_result

    def process_chunk(
        self,
        audio: np.ndarray,
        *,
        voiceprint: np.ndarray,
        enrollment_audio=None,
        negatives=None,
        answers=((), ()),
        voiceprint_narrow=None,
    ) -> ChunkResult:
        call = {"samples": audio.size, "voiceprint": voiceprint, "negatives": negatives, "answers": answers}
        call["voiceprint_narrow"] = voiceprint_narrow
        self.calls.append(("process_chunk", call))
        if self.error is not None:
            raise self.error
        return self.chunk_result

    def process_chunks(self, jobs) -> list:
        """Engine.process_chunks: each job through process_chunk, its exception in its place."""
        self.batches.append(len(jobs))
        outcomes = []
        for job in jobs:
            try:
                outcomes.append(self.process_chunk(job.audio, **job.options()))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes


@pytest.fixture
def fake_engine(monkeypatch) -> FakeEngine:
    """The services' engine accessor answers with a FakeEngine."""
    engine = FakeEngine()
    monkeypatch.setattr("chunks.processing.speech_engine", lambda: engine)
    monkeypatch.setattr("enrollment.services.speech_engine", lambda: engine)
    return engine


# --- the real engine, on the bundled models -------------------------------------------------


@pytest.fixture(scope="session")
def real_engine_ready():
    """The real engine can run: failed (never skipped) when the bundled models are not prepared."""
    from selective_speaker.speech.models import readiness
    from selective_speaker.speech_config import speech_config

    missing = {name: r["detail"] for name, r in readiness(speech_config()).items() if not r["ok"]}
    if missing:
        pytest.fail(f"bundled models are not prepared (make models): {missing}", pytrace=False)
    return True
