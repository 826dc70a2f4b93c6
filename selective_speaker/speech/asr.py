"""Speech recognition behind one small interface, and the packing of owner stretches.

Backends return words with chunk-relative times in ms:

* ``FasterWhisperASR`` (default): CTranslate2, int8 on CPU, word timestamps.
* ``WhisperXASR`` (optional ``gpu`` extra): batched inference and wav2vec2 alignment.

``transcribe_stretches`` packs the owner's stretches back to back (a short silence between
them) so the encoder runs on owner speech only — not on bystanders, not on 30 s of padding
per short turn — and maps each word back to where it was said in the chunk.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .config import EngineConfig
from .models import verify_whisper, whisper_model_source
from .types import ModelError, Span, Word, ms_to_samples, samples_to_ms

log = logging.getLogger(__name__)


class ASRBackend(Protocol):
    model_id: str

    def transcribe(self, audio: np.ndarray) -> list[Word]:
        """Words of 16 kHz mono audio, times in ms from its start."""


class FasterWhisperASR:
    def __init__(self, config: EngineConfig):
        from faster_whisper import WhisperModel

        source, self.model_id = whisper_model_source(config)
        verify_whisper(config, source)
        try:
            self.model = WhisperModel(
                source,
                device=config.asr_device,
                compute_type=config.asr_compute_type,
                cpu_threads=config.cpu_threads,
                num_workers=1,
            )
        except Exception as exc:  # CTranslate2/hub errors are many and untyped
            raise ModelError(f"cannot load ASR model {config.asr_model!r}: {exc}") from exc
        self.beam_size = config.asr_beam_size
        self.language = config.asr_language if not self.model.model.is_multilingual or config.asr_language else None
        if not self.model.model.is_multilingual:
            self.language = "en"

    def transcribe(self, audio: np.ndarray) -> list[Word]:
        segments, _info = self.model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
        )
        words: list[Word] = []
        for segment in segments:
            for w in segment.words or ():
                text = w.word.strip()
                if text:
                    words.append(Word(int(w.start * 1000), int(w.end * 1000), text, round(float(w.probability), 4)))
        return words


class WhisperXASR:
    """whisperx on a GPU host: batched Whisper, then wav2vec2 alignment for word times."""

    def __init__(self, config: EngineConfig):
        try:
            import whisperx
        except ImportError as exc:
            raise ModelError("the whisperx backend needs the gpu extra: `pip install -e .[gpu]`") from exc
        self.whisperx = whisperx
        source, self.model_id = whisper_model_source(config)
        self.device = config.asr_device
        self.batch_size = config.asr_batch_size
        self.language = config.asr_language
        self.align_model = config.asr_align_model
        self.model = whisperx.load_model(
            source, self.device, compute_type=config.asr_compute_type, language=self.language
        )
        self._aligners: dict[str, tuple] = {}

    def _aligner(self, language: str):
        if language not in self._aligners:
            self._aligners[language] = self.whisperx.load_align_model(
                language_code=language, device=self.device, model_name=self.align_model
            )
        return self._aligners[language]

    def transcribe(self, audio: np.ndarray) -> list[Word]:
        result = self.model.transcribe(audio, batch_size=self.batch_size, language=self.language)
        language = result.get("language") or self.language or "en"
        try:
            model_a, metadata = self._aligner(language)
        except Exception as exc:  # no alignment model for this language / offline
            source = self.align_model or "whisperx's default, from its hub"
            raise ModelError(
                f"cannot load the whisperx alignment model for {language!r} ({source}): {exc}. "
                "Allow the host to reach the model hub once, or set SPEECH_ASR_ALIGN_MODEL to a local "
                "wav2vec2 model directory"
            ) from exc
        aligned = self.whisperx.align(
            result["segments"], model_a, metadata, audio, self.device, return_char_alignments=False
        )
        return words_from_alignment(aligned.get("word_segments", []))


def words_from_alignment(word_segments: list[dict]) -> list[Word]:
    """Words of a whisperx alignment, in ms. wav2vec2 cannot place a word without letters it
    knows (numerals, symbols): such a word is kept — never silently dropped — in the gap
    between its neighbours' times (at least 1 ms long), with probability 0."""
    timed: list[tuple[float | None, float | None, str, float]] = []
    for w in word_segments:
        text = str(w.get("word", "")).strip()
        if not text:
            continue
        start, end = w.get("start"), w.get("end")
        known = start is not None and end is not None
        timed.append((start if known else None, end if known else None, text, float(w.get("score", 0.0)) if known else 0.0))
    words: list[Word] = []
    for i, (start, end, text, score) in enumerate(timed):
        if start is None:
            before = words[-1].end_ms if words else None
            after = next((int(t[0] * 1000) for t in timed[i + 1 :] if t[0] is not None), None)
            anchor = before if before is not None else after
            if anchor is None:
                continue  # nothing in the alignment has a time: no place to put it
            words.append(Word(anchor, max(anchor + 1, after or 0), text, 0.0))
            continue
        words.append(Word(int(start * 1000), int(end * 1000), text, round(score, 4)))
    return words


def load_asr(config: EngineConfig) -> ASRBackend:
    if config.asr_backend == "whisperx":
        return WhisperXASR(config)
    return FasterWhisperASR(config)


@dataclass(frozen=True, slots=True)
class Packing:
    """Where each owner stretch sits in the packed audio: (packed_start_ms, stretch)."""

    placed: list[tuple[int, Span]]

    def to_chunk_time(self, packed_ms: int) -> tuple[int, int]:
        """(chunk time, index of the stretch) of a time in the packed audio."""
        best = 0
        for i, (offset, span) in enumerate(self.placed):
            if packed_ms >= offset:
                best = i
        offset, span = self.placed[best]
        inside = min(max(packed_ms - offset, 0), span.duration_ms)
        return span.start_ms + inside, best


def pack_stretches(audio: np.ndarray, stretches: list[Span], gap_ms: int) -> tuple[np.ndarray, Packing]:
    gap = np.zeros(ms_to_samples(gap_ms), dtype=np.float32)
    pieces: list[np.ndarray] = []
    placed: list[tuple[int, Span]] = []
    cursor = 0
    for span in stretches:
        piece = audio[ms_to_samples(span.start_ms) : ms_to_samples(span.end_ms)]
        if pieces:
            pieces.append(gap)
            cursor += gap_ms
        placed.append((cursor, span))
        pieces.append(piece)
        cursor += samples_to_ms(piece.size)
    packed = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return packed, Packing(placed)


def transcribe_stretches(
    asr: ASRBackend, audio: np.ndarray, stretches: list[Span], gap_ms: int
) -> list[tuple[Word, int]]:
    """Words said inside `stretches`, in chunk time, each with the index of its stretch."""
    if not stretches:
        return []
    packed, packing = pack_stretches(audio, stretches, gap_ms)
    out: list[tuple[Word, int]] = []
    for word in asr.transcribe(packed):
        middle = (word.start_ms + word.end_ms) // 2
        _, index = packing.to_chunk_time(middle)
        offset, span = packing.placed[index]
        start = span.start_ms + min(max(word.start_ms - offset, 0), span.duration_ms)
        end = span.start_ms + min(max(word.end_ms - offset, 0), span.duration_ms)
        if end > start:
            out.append((Word(start, end, word.text, word.probability), index))
    return out
