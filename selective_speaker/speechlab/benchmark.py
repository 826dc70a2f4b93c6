"""Benchmark of the whole chunk job on a long multi-speaker recording.

The recording is built deterministically from the shared conversations: all of them in name
order, one second of silence between, repeated until it lasts `minutes`; its RTTM is the
conversations' turns shifted into place. The owner (default ls3005, who speaks in two of the
five conversations: about a fifth of the speech) enrolls from held-out utterances.

Timed, in one process and one run, each after its models are loaded (enrollment warms them):

* ``voiceprint`` — decode + engine.process_chunk with the voiceprint strategy;
* ``anchored`` — the same with the anchored strategy;
* ``transcribe-all`` — decode + engine.transcribe_all on everything, then the same voiceprint
  attribution (VAD, embeddings, decision) and the owner's words kept: what the job would cost
  if it transcribed everybody and attributed afterwards.

Each gets its real-time factor (job seconds / audio seconds), its stage timings, and the owner
recall and bystander leak of what it kept; ratios between the RTFs come from the same run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.types import SAMPLE_RATE, ms_to_samples, samples_to_ms
from selective_speaker.speech.windows import Interval, intervals_ms

from .manifest import AudioRef, enrollment_audio
from .rttm import SpeakerTurn, format_rttm, read_rttm, speaker_intervals
from .runner import current_rss_mb, peak_rss_mb, process_with_engine
from .scoring import owner_coverage

CONVERSATIONS = "derived-simulated-conversations"
GAP_MS = 1000
STRATEGIES = ("voiceprint", "anchored", "transcribe-all")


class BenchSetupError(ValueError):
    """The benchmark cannot be built as asked (data missing, owner not in the recording)."""


@dataclass
class LongRecording:
    audio: np.ndarray
    turns: list[SpeakerTurn]
    parts: list[dict]  # which conversation lies where

    @property
    def duration_s(self) -> float:
        return self.audio.size / SAMPLE_RATE


def build_long_recording(data_root: Path, minutes: float, *, gap_ms: int = GAP_MS) -> LongRecording:
    from selective_speaker.speech.audio import decode_audio

    folder = data_root / CONVERSATIONS
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BenchSetupError(f"the shared conversations are not at {folder} (set --data-root or $SELECTIVE_SPEAKER_DATA)")
    conversations = json.loads(manifest_path.read_text())["conversations"]
    sources = []
    for uri in sorted(conversations):
        audio, _ = decode_audio(folder / "conversations" / f"{uri}.wav")
        sources.append((uri, audio, read_rttm(folder / conversations[uri]["rttm"])))
    gap = np.zeros(ms_to_samples(gap_ms), dtype=np.float32)
    wanted = int(minutes * 60 * SAMPLE_RATE)
    pieces, turns, parts, cursor, index = [], [], [], 0, 0
    while cursor < wanted:
        uri, audio, rttm = sources[index % len(sources)]
        offset_ms = samples_to_ms(cursor)
        turns += [SpeakerTurn(t.start_ms + offset_ms, t.end_ms + offset_ms, t.speaker) for t in rttm]
        parts.append({"conversation": uri, "offset_ms": offset_ms, "duration_ms": samples_to_ms(audio.size)})
        pieces += [audio, gap]
        cursor += audio.size + gap.size
        index += 1
    return LongRecording(np.concatenate(pieces), turns, parts)


def owner_enrollment_refs(data_root: Path, owner: str) -> list[AudioRef]:
    enrollment = json.loads((data_root / CONVERSATIONS / "manifest.json").read_text())["enrollment"]
    if owner not in enrollment:
        raise BenchSetupError(f"no held-out enrollment for {owner!r}; speakers: {', '.join(sorted(enrollment))}")
    return [AudioRef(data_root / path) for path in enrollment[owner]]


def chunk_bounds(n_samples: int, chunk_seconds: float | None) -> list[tuple[int, int]]:
    if not chunk_seconds:
        return [(0, n_samples)]
    step = int(chunk_seconds * SAMPLE_RATE)
    return [(lo, min(n_samples, lo + step)) for lo in range(0, n_samples, step)]


def _add_timings(total: dict[str, float], timings: dict[str, float]) -> None:
    for stage, seconds in timings.items():
        total[stage] = total.get(stage, 0.0) + float(seconds)


def _decode(path: Path, config: EngineConfig, duration_s: float, timings: dict[str, float]) -> np.ndarray:
    from selective_speaker.speech.audio import decode_audio

    started = time.perf_counter()
    audio, _ = decode_audio(path, max_duration_ms=max(config.max_duration_ms, int(duration_s * 1000) + 1000))
    timings["decode"] = time.perf_counter() - started
    return audio


def time_chunk_job(engine, path: Path, recording: LongRecording, voiceprint, enrollment, chunk_seconds) -> dict:
    """decode + process_chunk over the recording; kept segment intervals and timings."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    audio = _decode(path, engine.config, recording.duration_s, timings)
    kept: list[Interval] = []
    statuses = []
    for lo, hi in chunk_bounds(audio.size, chunk_seconds):
        result = process_with_engine(engine, audio[lo:hi], voiceprint, enrollment)
        offset = samples_to_ms(lo)
        kept += [(s.start_ms + offset, s.end_ms + offset) for s in result.segments]
        statuses.append(str(result.status))
        _add_timings(timings, {k: v for k, v in result.timings.items() if k != "total"})
    return {"seconds": time.perf_counter() - started, "timings": timings, "kept": kept, "statuses": statuses}


def owner_word_groups(words, owner: Sequence[Interval], config: EngineConfig) -> list[Interval]:
    """The owner's words (midpoint inside an owner stretch) grouped by the segment rules."""
    inside = [w for w in words if any(lo <= (w.start_ms + w.end_ms) // 2 < hi for lo, hi in owner)]
    groups: list[list] = []
    for word in sorted(inside, key=lambda w: w.start_ms):
        if groups and word.start_ms - groups[-1][-1].end_ms <= config.segment_gap_ms:
            groups[-1].append(word)
        else:
            groups.append([word])
    kept = []
    for group in groups:
        text = " ".join(w.text.strip() for w in group).strip()
        start, end = group[0].start_ms, max(w.end_ms for w in group)
        if end - start >= config.segment_min_ms and len(text) >= config.segment_min_chars:
            kept.append((start, end))
    return kept


def time_transcribe_all(engine, path: Path, recording: LongRecording, voiceprint, chunk_seconds) -> dict:
    """decode + transcribe everything + voiceprint attribution + keep the owner's words."""
    from selective_speaker.speech.attribution import attribute_voiceprint, refine_boundaries
    from selective_speaker.speech.vad import speech_spans
    from selective_speaker.speech.voiceprint import embed_speech

    config = engine.config
    timings: dict[str, float] = {}
    started = time.perf_counter()
    audio = _decode(path, config, recording.duration_s, timings)
    kept: list[Interval] = []
    for lo, hi in chunk_bounds(audio.size, chunk_seconds):
        chunk = audio[lo:hi]
        offset = samples_to_ms(lo)
        stage = time.perf_counter()
        words = engine.transcribe_all(chunk)
        timings["asr"] = timings.get("asr", 0.0) + time.perf_counter() - stage
        stage = time.perf_counter()
        spans = speech_spans(chunk, config)
        timings["vad"] = timings.get("vad", 0.0) + time.perf_counter() - stage
        stage = time.perf_counter()
        emb = embed_speech(chunk, spans, engine.embedder, config)
        timings["embed"] = timings.get("embed", 0.0) + time.perf_counter() - stage
        stage = time.perf_counter()
        att = attribute_voiceprint(emb, np.asarray(voiceprint, dtype=np.float32), samples_to_ms(hi - lo), config)
        if config.refine_boundaries and emb.spans:
            att = refine_boundaries(att, emb, engine.embedder, voiceprint, config)
        owner = [(s.start_ms, s.end_ms) for s in att.owner]
        kept += [(a + offset, b + offset) for a, b in owner_word_groups(words, owner, config)]
        timings["attribute"] = timings.get("attribute", 0.0) + time.perf_counter() - stage
    return {"seconds": time.perf_counter() - started, "timings": timings, "kept": kept, "statuses": []}


def run_bench(
    config: EngineConfig,
    *,
    data_root: Path,
    minutes: float = 10.0,
    owner: str = "ls3005",
    chunk_seconds: float | None = None,
    work_dir: Path,
    strategies: Sequence[str] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    import soundfile

    from selective_speaker.speech.engine import Engine

    strategies = list(strategies or STRATEGIES)
    recording = build_long_recording(data_root, minutes)
    if owner not in {t.speaker for t in recording.turns}:
        spoken = sorted({t.speaker for t in recording.turns})
        raise BenchSetupError(f"{owner!r} does not speak in the {minutes:g}-minute recording; pick one of {', '.join(spoken)}")
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / f"bench-{minutes:g}min.wav"
    soundfile.write(path, recording.audio, SAMPLE_RATE, subtype="PCM_16")
    path.with_suffix(".rttm").write_text(format_rttm(recording.turns, path.stem))
    speech_ms = intervals_ms((t.start_ms, t.end_ms) for t in recording.turns)
    owner_ms = intervals_ms(speaker_intervals(recording.turns, owner))
    log(f"recording {path}: {recording.duration_s / 60:.1f} min, owner {owner} speaks {owner_ms / max(speech_ms, 1):.0%} of the speech")
    enrollment = enrollment_audio(owner_enrollment_refs(data_root, owner))

    runs: dict[str, dict] = {}
    for name in strategies:
        engine = Engine.shared(config.with_(strategy="voiceprint" if name == "transcribe-all" else name))
        warm = time.perf_counter()
        voiceprint = engine.enroll(enrollment).voiceprint  # loads the embedder and the recogniser
        warm = time.perf_counter() - warm
        log(f"{name}: models loaded and owner enrolled in {warm:.1f} s; timing the job...")
        if name == "transcribe-all":
            job = time_transcribe_all(engine, path, recording, voiceprint, chunk_seconds)
        else:
            job = time_chunk_job(engine, path, recording, voiceprint, enrollment, chunk_seconds)
        coverage = owner_coverage(recording.turns, owner, job["kept"])
        runs[name] = {
            "rtf": job["seconds"] / recording.duration_s,
            "seconds": round(job["seconds"], 3),
            "rtf_per_stage": {k: v / recording.duration_s for k, v in sorted(job["timings"].items())},
            "recall": coverage.recall,
            "leak": coverage.leak,
            "unowned": coverage.unowned,
            "statuses": sorted(set(job["statuses"])),
            "enroll_and_load_s": round(warm, 2),
            "rss_mb": current_rss_mb(),
        }
        log(f"{name}: RTF {runs[name]['rtf']:.4f}, recall {coverage.recall:.3f}, leak {coverage.leak if coverage.leak is not None else float('nan'):.4f}")
    ratios = {
        f"{a}/{b}": runs[a]["rtf"] / runs[b]["rtf"]
        for a in runs
        for b in runs
        if a != b and runs[b]["rtf"] > 0 and STRATEGIES.index(a) < STRATEGIES.index(b)
    }
    return {
        "recording": {
            "path": str(path),
            "duration_s": round(recording.duration_s, 2),
            "owner": owner,
            "owner_share_of_speech": owner_ms / speech_ms if speech_ms else None,
            "parts": recording.parts,
            "chunk_seconds": chunk_seconds,
        },
        "config": config.public(),
        "runs": runs,
        "ratios": ratios,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
