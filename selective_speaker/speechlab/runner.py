"""Run an engine over evaluation cases and score each: the JSON-ready result of one case."""

from __future__ import annotations

import inspect
import resource
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from selective_speaker.speech.types import SAMPLE_RATE

from .der import diarization_error
from .manifest import AudioRef, EvalCase, case_turns, enrollment_audio, load_audio
from .rttm import SpeakerTurn
from .scoring import owner_coverage, owner_found_by_stage, region_errors, region_samples, word_counts
from .wer import word_error


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process().memory_info().rss / (1 << 20)


def process_with_engine(engine, audio: np.ndarray, voiceprint: np.ndarray, enrollment: np.ndarray | None, **extra):
    """engine.process_chunk, handing over the enrollment audio where the engine takes it (anchored);
    `extra` (negatives=, answers=) is passed on as given."""
    parameters = inspect.signature(engine.process_chunk).parameters
    if enrollment is not None and "enrollment_audio" in parameters:
        return engine.process_chunk(audio, voiceprint=voiceprint, enrollment_audio=enrollment, **extra)
    return engine.process_chunk(audio, voiceprint=voiceprint, **extra)


def diarization_turns(engine, audio: np.ndarray) -> list[SpeakerTurn]:
    """engine.diarize as SpeakerTurns; it may return (start, end, label) tuples or objects."""
    turns = []
    for item in engine.diarize(audio):
        if isinstance(item, (tuple, list)):
            start, end, label = item
        else:
            start, end, label = item.start_ms, item.end_ms, item.label
        turns.append(SpeakerTurn(int(start), int(end), str(label)))
    return turns


def from_time(turns: Sequence[SpeakerTurn], kept: Sequence[tuple[int, int]], regions: Sequence[dict], start_ms: int):
    """Turns, kept intervals and decided regions cut to what lies at or after `start_ms` (times unchanged)."""
    turns = [SpeakerTurn(max(t.start_ms, start_ms), t.end_ms, t.speaker) for t in turns if t.end_ms > start_ms]
    kept = [(max(lo, start_ms), hi) for lo, hi in kept if hi > start_ms]
    regions = [{**r, "start_ms": max(int(r["start_ms"]), start_ms)} for r in regions if int(r["end_ms"]) > start_ms]
    return turns, kept, regions


@dataclass
class Enrollments:
    """Voiceprints computed once per enrollment recording during a run."""

    engine: object
    cache: dict = field(default_factory=dict)
    narrow: dict = field(default_factory=dict)  # the enrollment's telephone-band voiceprint (band.py)

    def get(self, refs: Sequence[AudioRef]) -> tuple[np.ndarray, np.ndarray, dict]:
        key = tuple(refs)
        if key not in self.cache:
            audio = enrollment_audio(refs)
            started = time.perf_counter()
            result = self.engine.enroll(audio)
            info = {
                "seconds": round(time.perf_counter() - started, 3),
                "speech_ms": result.speech_ms,
                "consistency": result.consistency,
                "files": [r.describe() for r in refs],
            }
            self.cache[key] = (np.asarray(result.voiceprint), audio, info)
            self.narrow[key] = getattr(result, "voiceprint_narrow", None)
        return self.cache[key]


def run_case(
    engine,
    case: EvalCase,
    *,
    enrollments: Enrollments,
    diarize: bool = False,
    collar_ms: int = 250,
    diarizations: dict | None = None,
    voiceprint: np.ndarray | None = None,
    regions_out: list | None = None,
    audio: np.ndarray | None = None,
    **extra,
) -> dict:
    """Process one case with the engine and score it; a JSON-ready dict.

    With `diarize`, the engine's diarization of the case audio is scored (DER) too; pass a dict
    as `diarizations` to diarize each recording once when several owners share it. For the
    answers simulation (answers.py): `voiceprint` replaces the enrollment's, `extra` (negatives=,
    answers=) goes to process_chunk, `regions_out` (a list) receives the decision record's regions,
    uncut, and `audio` is the case audio already loaded.
    """
    enrolled, enroll_audio, enroll_info = enrollments.get(case.enroll)
    if voiceprint is None and enrollments.narrow.get(tuple(case.enroll)) is not None:
        extra.setdefault("voiceprint_narrow", enrollments.narrow[tuple(case.enroll)])
    voiceprint = enrolled if voiceprint is None else voiceprint
    audio = load_audio(case.audio, max_duration_ms=None) if audio is None else audio
    turns = case_turns(case)
    audio_s = audio.size / SAMPLE_RATE
    started = time.perf_counter()
    result = process_with_engine(engine, audio, voiceprint, enroll_audio, **extra)
    elapsed = time.perf_counter() - started
    kept = [(s.start_ms, s.end_ms) for s in result.segments]
    record = result.decision.to_dict()
    regions = record["regions"]
    if regions_out is not None:
        regions_out.extend(regions)
    if case.score_from_ms:
        turns, kept, regions = from_time(turns, kept, regions, case.score_from_ms)
    samples = region_samples(regions, turns, case.owner)
    coverage = owner_coverage(turns, case.owner, kept)
    start = case.score_from_ms or 0
    words = [(w.start_ms, w.end_ms) for s in result.segments for w in s.words if (w.start_ms + w.end_ms) // 2 >= start]
    timings = dict(result.timings)
    timings.setdefault("total", elapsed)
    out = {
        "id": case.id,
        "tags": list(case.tags),
        "group": case.group,
        "owner": case.owner,
        "owner_absent": case.owner_absent,
        "score_from_ms": case.score_from_ms,
        "audio": case.audio.describe(),
        "audio_s": round(audio_s, 3),
        "status": str(result.status),
        "reason": result.reason,
        "strategy": record["strategy"],
        "threshold": record["threshold"],
        "segments": len(result.segments),
        "coverage": coverage.as_dict(),
        "words": word_counts(turns, case.owner, words),
        "kept_s": coverage.kept_ms / 1000,
        "owner_found_ms": owner_found_by_stage(turns, case.owner, samples, kept),
        "regions": region_errors(samples).as_dict(),
        "region_samples": [asdict(s) for s in samples],
        "timings_s": timings,
        "rtf": {stage: seconds / audio_s for stage, seconds in timings.items()},
        "enrollment": enroll_info,
        "der": None,
        "wer": None,
    }
    if case.transcript:
        hypothesis = " ".join(s.text for s in sorted(result.segments, key=lambda s: s.start_ms))
        out["wer"] = word_error(case.transcript, hypothesis)
        out["hypothesis"] = hypothesis
    if diarize:
        cache = {} if diarizations is None else diarizations
        if case.audio not in cache:
            started = time.perf_counter()
            cache[case.audio] = (diarization_turns(engine, audio), time.perf_counter() - started)
        hypothesis_turns, seconds = cache[case.audio]
        if case.score_from_ms:
            hypothesis_turns = from_time(hypothesis_turns, [], [], case.score_from_ms)[0]
        out["der"] = diarization_error(turns, hypothesis_turns, collar_ms=collar_ms).as_dict()
        out["der"]["seconds"] = round(seconds, 3)
        out["der"]["rtf"] = seconds / audio_s
    out["rss_mb"] = current_rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()
    return out
