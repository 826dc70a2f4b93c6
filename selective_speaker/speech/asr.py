"""Speech recognition behind one small interface, and the packing of owner stretches.

Backends return words with chunk-relative times in ms:

* ``FasterWhisperASR`` (default): CTranslate2, int8 on CPU, word timestamps.
* ``WhisperXASR`` (optional ``gpu`` extra): batched inference and wav2vec2 alignment.

Both decode by beam search only (EngineConfig.asr_temperature_fallback off). Whisper's own default
redoes a decoding whose text looks wrong (compression ratio over 2.4, mean log-probability under -1)
by random sampling at rising temperatures. That happens on noisy stretches, and then the same audio
gets different words on every run: a chunk reprocessed after a "Was this you?" answer rewrote
utterances nobody had asked about, and the eval's figures after answers were not reproducible (café
noise at 0 dB, the same answers: 19.7, 43.5 and 47.0 % of the owner's speech kept in three runs).
Seeding CTranslate2's generator does not make the draws repeatable. README "Recognition is
deterministic" has what beam search alone measures against the fallback.

``transcribe_stretches`` packs the owner's stretches back to back (a short silence between
them) so the encoder runs on owner speech only — not on bystanders, not on 30 s of padding
per short turn — and maps each word back to where it was said in the chunk.
``transcribe_sources`` does the same for several chunks in one pass: Whisper's encoder always
sees a 30 s window, so short chunks transcribed together share windows instead of each paying
for a padded one.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .config import EngineConfig
from .models import verify_whisper, whisper_model_source
from .types import ModelError, Span, Word, ms_to_samples, samples_to_ms

log = logging.getLogger(__name__)

# The longest packed audio handed to the recogniser at once (see _transcribe_in_parts).
PART_MS = 120_000
# Whisper's decoding temperatures with the fallback (faster-whisper's and whisperx's default) and without it.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def temperatures(config: EngineConfig) -> list[float]:
    return list(FALLBACK_TEMPERATURES if config.asr_temperature_fallback else FALLBACK_TEMPERATURES[:1])


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
        self.temperature = temperatures(config)
        self.language = config.asr_language if not self.model.model.is_multilingual or config.asr_language else None
        if not self.model.model.is_multilingual:
            self.language = "en"

    def transcribe(self, audio: np.ndarray) -> list[Word]:
        segments, _info = self.model.transcribe(
            audio,
            language=self.language,
            beam_size=self.beam_size,
            temperature=self.temperature,
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
            source,
            self.device,
            compute_type=config.asr_compute_type,
            language=self.language,
            asr_options={"temperatures": temperatures(config)},
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
    """Where each stretch sits in the packed audio: (packed_start_ms, stretch, source), `source`
    the index of the recording (chunk) it was cut from."""

    placed: list[tuple[int, Span, int]]

    def to_chunk_time(self, packed_ms: int) -> tuple[int, int]:
        """(time in its recording, index in `placed`) of a time in the packed audio."""
        best = 0
        for i, (offset, _span, _source) in enumerate(self.placed):
            if packed_ms >= offset:
                best = i
        offset, span, _source = self.placed[best]
        inside = min(max(packed_ms - offset, 0), span.duration_ms)
        return span.start_ms + inside, best


def pack_stretches(audio: np.ndarray, stretches: list[Span], gap_ms: int) -> tuple[np.ndarray, Packing]:
    """One recording's stretches back to back, `gap_ms` of silence between them."""
    return pack_sources([(audio, stretches)], gap_ms)


def pack_sources(sources: list[tuple[np.ndarray, list[Span]]], gap_ms: int) -> tuple[np.ndarray, Packing]:
    """The stretches of several recordings, one recording after the other, back to back with
    `gap_ms` of silence between any two of them."""
    gap = np.zeros(ms_to_samples(gap_ms), dtype=np.float32)
    pieces: list[np.ndarray] = []
    placed: list[tuple[int, Span, int]] = []
    cursor = 0
    for source, (audio, stretches) in enumerate(sources):
        for span in stretches:
            piece = audio[ms_to_samples(span.start_ms) : ms_to_samples(span.end_ms)]
            if pieces:
                pieces.append(gap)
                cursor += gap_ms
            placed.append((cursor, span, source))
            pieces.append(piece)
            cursor += samples_to_ms(piece.size)
    packed = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    return packed, Packing(placed)


def transcribe_stretches(
    asr: ASRBackend, audio: np.ndarray, stretches: list[Span], gap_ms: int
) -> list[tuple[Word, int]]:
    """Words said inside `stretches`, in chunk time, each with the index of its stretch."""
    return transcribe_sources(asr, [(audio, stretches)], gap_ms)[0]


def transcribe_sources(
    asr: ASRBackend, sources: list[tuple[np.ndarray, list[Span]]], gap_ms: int
) -> list[list[tuple[Word, int]]]:
    """`transcribe_stretches` for several recordings (chunks) in one pass of the recogniser: their
    stretches are packed into the same audio, so short chunks share Whisper's 30 s windows
    instead of each paying for one. Per source, its words in its own time with the index of
    their stretch among that source's stretches. A word belongs to the stretch its middle lies
    in, so no word is given to a recording it was not said in."""
    out: list[list[tuple[Word, int]]] = [[] for _ in sources]
    if not any(stretches for _audio, stretches in sources):
        return out
    packed, packing = pack_sources(sources, gap_ms)
    first_of_source: dict[int, int] = {}
    for index, (_offset, _span, source) in enumerate(packing.placed):
        first_of_source.setdefault(source, index)
    for word in _transcribe_in_parts(asr, packed, packing):
        middle = (word.start_ms + word.end_ms) // 2
        _, index = packing.to_chunk_time(middle)
        offset, span, source = packing.placed[index]
        start = span.start_ms + min(max(word.start_ms - offset, 0), span.duration_ms)
        end = span.start_ms + min(max(word.end_ms - offset, 0), span.duration_ms)
        if end > start:
            out[source].append((Word(start, end, word.text, word.probability), index - first_of_source[source]))
    return out


def _transcribe_in_parts(asr: ASRBackend, packed: np.ndarray, packing: Packing) -> list[Word]:
    """The words of the packed audio, in packed time, transcribed at most PART_MS at a time (cut
    between two stretches, never inside one: a longer stretch is a part of its own): the recogniser's features of a whole 15-minute chunk take
    over 600 MB on the way, those of two minutes under 100 MB. Whisper reads 30 s windows and
    does not carry text from one to the next here, so parts change what it hears very little."""
    cuts = [0]
    for offset, span, _source in packing.placed:
        if offset > cuts[-1] and offset + span.duration_ms - cuts[-1] > PART_MS:
            cuts.append(offset)
    cuts.append(samples_to_ms(packed.size))
    words: list[Word] = []
    for start_ms, end_ms in itertools.pairwise(cuts):
        part = packed[ms_to_samples(start_ms) : ms_to_samples(end_ms)]
        words += [Word(w.start_ms + start_ms, w.end_ms + start_ms, w.text, w.probability) for w in asr.transcribe(part)]
    return words
