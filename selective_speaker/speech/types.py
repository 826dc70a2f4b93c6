"""Plain data passed in and out of the speech engine.

Nothing here knows about Django. Times inside a chunk are integer milliseconds from the
chunk's first sample; audio is always 16 kHz mono float32 in [-1, 1].
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .decision import DecisionRecord

SAMPLE_RATE = 16_000  # every sample the engine handles is 16 kHz mono
# The 10 ms frame grid: owner decisions are taken per frame (attribution), diarization votes
# per frame, and the measurement tooling scores DER on the same grid.
FRAME_MS = 10


def ms_to_samples(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


def samples_to_ms(n: int) -> int:
    return n * 1000 // SAMPLE_RATE


class RejectionCode(StrEnum):
    """Why a recording was refused, for machines: stable, unlike the English `reason`.

    One value per kind of rejection an owner is told about. The engine raises the first six;
    the last two name the job's own failures (the engine never raises them) so that every
    rejection an enrollment can show has a code.
    """

    TOO_SHORT = "too_short"  # too little speech, or audio shorter than the decoder accepts
    TOO_QUIET = "too_quiet"  # below min_rms_dbfs
    SEVERAL_VOICES = "several_voices"  # a second voice owns a large share of the windows
    INCONSISTENT_VOICE = "inconsistent_voice"  # windows agree too little with their mean
    TOO_LONG = "too_long"  # over enroll_max_duration_ms, or the decoder's max_duration_ms
    UNREADABLE_AUDIO = "unreadable_audio"  # not audio, empty, damaged, truncated, non-finite
    AUDIO_MISSING = "audio_missing"  # job only: the stored recording is gone
    GAVE_UP = "gave_up"  # job only: attempts exhausted, or the job did not finish


class SpeechError(Exception):
    """Base class of the engine's errors; `reason` is readable by owners and staff, `code`
    (a RejectionCode, or None where no code applies) by machines."""

    permanent = True

    def __init__(self, reason: str, *, code: RejectionCode | None = None):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class AudioError(SpeechError):
    """The audio cannot be used: not audio, empty, truncated, too long, unreadable codec."""


class EnrollmentError(SpeechError):
    """The enrollment recording is not good enough to build a voiceprint from."""


class ModelError(SpeechError):
    """A model is missing, fails its checksum, or cannot be loaded. Not the input's fault."""


class ChunkStatus(StrEnum):
    DONE = "done"
    INDETERMINATE = "indeterminate"


class Decision(StrEnum):
    OWNER = "owner"
    UNCERTAIN = "uncertain"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of a chunk, in milliseconds."""

    start_ms: int
    end_ms: int

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True, slots=True)
class Word:
    start_ms: int
    end_ms: int
    text: str
    probability: float


@dataclass(frozen=True, slots=True)
class Region:
    """A stretch of speech with the owner decision taken on it (the audit record)."""

    start_ms: int
    end_ms: int
    similarity: float
    decision: Decision

    def hands_over_to(self, after: Region) -> bool:
        """True when `after` follows without a gap and exactly one of the two is the owner's: a
        hand-over inside continuous speech (refine_boundaries and pauses.snap_to_pauses move these)."""
        return self.end_ms == after.start_ms and (self.decision == Decision.OWNER) != (after.decision == Decision.OWNER)


@dataclass(frozen=True, slots=True)
class Segment:
    """What is stored: one owner utterance."""

    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]
    confidence: float
    owner_similarity: float
    uncertain: bool = False

    def as_dict(self) -> dict:
        data = asdict(self)
        data["words"] = [asdict(w) for w in self.words]
        return data


@dataclass(slots=True)
class ChunkResult:
    """Everything the engine says about one chunk.

    `decision` is the audit record (strategy, thresholds, model ids, per-region scores; see
    decision.py, `to_dict()` for the stored JSON); it never holds text of anybody but the owner.
    `timings` are seconds per stage.
    """

    status: ChunkStatus
    segments: list[Segment]
    duration_ms: int
    decision: DecisionRecord
    timings: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    @property
    def owner_speech_ms(self) -> int:
        return sum(s.end_ms - s.start_ms for s in self.segments)


@dataclass(slots=True)
class EnrollmentResult:
    voiceprint: np.ndarray  # L2-normalised float32 vector
    speech_ms: int
    window_count: int
    consistency: float  # mean cosine of the enrollment windows to the voiceprint
    transcript: str
    edit_distance: int | None
    model_id: str
    duration_ms: int
    timings: dict[str, float] = field(default_factory=dict)
    # the voiceprint of the same speech passed through the telephone band (speech/band.py);
    # pass it to process_chunk(voiceprint_narrow=...) so narrow-band chunks are band-matched
    voiceprint_narrow: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """One chunk for `Engine.process_chunks`: its audio and what `process_chunk` takes with it."""

    audio: np.ndarray
    voiceprint: np.ndarray
    voiceprint_narrow: np.ndarray | None = None
    enrollment_audio: np.ndarray | None = None
    negatives: np.ndarray | None = None
    answers: tuple = ((), ())

    def options(self) -> dict:
        """process_chunk's keyword arguments."""
        return {
            "voiceprint": self.voiceprint,
            "voiceprint_narrow": self.voiceprint_narrow,
            "enrollment_audio": self.enrollment_audio,
            "negatives": self.negatives,
            "answers": self.answers,
        }
