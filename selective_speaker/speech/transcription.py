"""The owner's stretches of a decided chunk, transcribed — one chunk, or several in one pass.

After the owner decision a chunk is a `PendingChunk`: the stretches to transcribe and what the
segment rules need. `transcribe_pending` runs the recogniser once over the stretches of every
pending chunk it is given (asr.transcribe_sources packs them into one audio), then builds each
chunk's segments from its own words. Whisper's encoder always sees a 30 s window, however little
audio is in it, so a 5 s chunk transcribed alone pays for 30 s; chunks transcribed together
share windows and pay for what they hold. Nothing is mixed: each word goes back to the chunk and
stretch it was said in (by its middle), and each chunk's segments are built from its words only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .asr import ASRBackend, transcribe_sources
from .attribution import Attribution
from .config import EngineConfig
from .decision import DecisionRecord
from .segments import build_segments
from .timing import Timer
from .types import ChunkResult, ChunkStatus, Decision, Span, samples_to_ms


@dataclass
class PendingChunk:
    """A chunk whose owner is decided and whose stretches wait for the recogniser."""

    audio: np.ndarray
    stretches: list[Span]
    run_of_stretch: list[int]
    uncertain_runs: frozenset[int]
    similarity_of: Callable[[int, int], float]
    decision: DecisionRecord
    timer: Timer
    started: float  # perf_counter() when the chunk's job began
    confirmed: Sequence = ()
    prepared_s: float = field(default=0.0)  # its own time until the owner was decided

    @property
    def stretch_ms(self) -> int:
        return sum(s.duration_ms for s in self.stretches)


def pending_chunk(audio, att: Attribution, similarity_of, decision, timer, started, config: EngineConfig, confirmed=()):
    """The chunk's owner stretches (and the uncertain ones when they are kept flagged)."""
    keep_uncertain = config.uncertain_policy == "flag"
    stretches, run_of_stretch, uncertain_runs = stretch_runs(att, keep_uncertain, config.segment_gap_ms)
    pending = PendingChunk(
        audio, stretches, run_of_stretch, uncertain_runs, similarity_of, decision, timer, started, confirmed
    )
    pending.prepared_s = time.perf_counter() - started
    return pending


def transcribe_pending(asr: ASRBackend, pending: Sequence[PendingChunk], config: EngineConfig) -> list[ChunkResult]:
    """Each pending chunk's result, from one pass of the recogniser over all their stretches.
    The recogniser's time is shared out among the chunks by their seconds of stretches; a
    recogniser error is raised for all of them (none is half done)."""
    speaking = [p for p in pending if p.stretches]
    words_of: dict[int, list] = {}
    shares: dict[int, float] = {}
    if speaking:
        started = time.perf_counter()
        words = transcribe_sources(asr, [(p.audio, p.stretches) for p in speaking], config.asr_pack_gap_ms)
        seconds = time.perf_counter() - started
        total_ms = max(1, sum(p.stretch_ms for p in speaking))
        for p, chunk_words in zip(speaking, words):
            words_of[id(p)] = chunk_words
            p.decision.asr_model = asr.model_id
            if len(speaking) > 1:
                p.decision.asr_chunks = len(speaking)
            shares[id(p)] = seconds * p.stretch_ms / total_ms
            p.timer.timings["asr"] = round(p.timer.timings.get("asr", 0.0) + shares[id(p)], 4)
    return [finish_chunk(p, words_of.get(id(p), []), config, shares.get(id(p), 0.0)) for p in pending]


def finish_chunk(p: PendingChunk, words: list, config: EngineConfig, asr_s: float = 0.0) -> ChunkResult:
    """The segment rules on the chunk's words. Its total time is its own: until its owner was
    decided, its share of the recogniser (`asr_s`), and its segments — not the other chunks'
    time in a shared pass."""
    started = time.perf_counter()
    segments = build_segments(
        words,
        config,
        stretches=p.stretches,
        run_of_stretch=p.run_of_stretch,
        similarity_of=p.similarity_of,
        uncertain_runs=p.uncertain_runs,
        confirmed=p.confirmed,
    )
    p.timer.timings["total"] = round(p.prepared_s + asr_s + time.perf_counter() - started, 4)
    return ChunkResult(ChunkStatus.DONE, segments, samples_to_ms(p.audio.size), p.decision, p.timer.timings)


def stretch_runs(att: Attribution, keep_uncertain: bool, gap_ms: int):
    """The stretches to transcribe, and which silence-joined run each belongs to.

    Two kept stretches share a run when only silence (no other decided speech) and at most
    `gap_ms` separate them. Returns (stretches, run_of_stretch, uncertain_runs).
    """
    wanted = {Decision.OWNER} | ({Decision.UNCERTAIN} if keep_uncertain else set())
    stretches: list[Span] = []
    run_of_stretch: list[int] = []
    uncertain_runs: set[int] = set()
    run = -1
    previous_kept: tuple[Decision, int] | None = None  # (decision, end_ms) of the last region if kept
    for region in att.regions:
        if region.decision not in wanted:
            previous_kept = None
            continue
        joins = (
            previous_kept is not None
            and previous_kept[0] == region.decision
            and region.start_ms - previous_kept[1] <= gap_ms
        )
        if not joins:
            run += 1
            if region.decision == Decision.UNCERTAIN:
                uncertain_runs.add(run)
        stretches.append(Span(region.start_ms, region.end_ms))
        run_of_stretch.append(run)
        previous_kept = (region.decision, region.end_ms)
    return stretches, run_of_stretch, frozenset(uncertain_runs)
