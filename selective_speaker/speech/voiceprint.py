"""Voiceprints: the owner's voice as the mean of their enrollment's window embeddings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import EngineConfig
from .embedding import SpeakerEmbedder, normalise
from .features import FRAME_SHIFT_MS, fbank
from .types import Span
from .windows import plan_windows


@dataclass(frozen=True, slots=True)
class WindowEmbeddings:
    """Embeddings of the speech windows of one recording, with where each window lies."""

    spans: list[Span]  # the window spans, ms
    span_index: list[int]  # which VAD span each window belongs to
    vectors: np.ndarray  # (n, dim), L2-normalised
    feats: np.ndarray | None = None  # the recording's filterbank, reused for finer windows


def embed_speech(
    audio: np.ndarray, spans: list[Span], embedder: SpeakerEmbedder, config: EngineConfig
) -> WindowEmbeddings:
    """Embed overlapping windows over every speech span (features computed once)."""
    windows, owners = plan_windows(spans, config.embed_window_ms, config.embed_hop_ms)
    if not windows:
        return WindowEmbeddings([], [], np.zeros((0, 0), dtype=np.float32))
    feats = fbank(audio)
    frames = [
        (w.start_ms // FRAME_SHIFT_MS, max(w.start_ms // FRAME_SHIFT_MS + 1, min(len(feats), w.end_ms // FRAME_SHIFT_MS)))
        for w in windows
    ]
    return WindowEmbeddings(windows, owners, embedder.embed_windows(feats, frames), feats)


def voiceprint_from_windows(vectors: np.ndarray) -> tuple[np.ndarray, float]:
    """(voiceprint, consistency): the normalised mean, and the windows' mean cosine to it."""
    print_ = normalise(vectors.mean(axis=0))
    consistency = float((vectors @ print_).mean())
    return print_.astype(np.float32), consistency


def combine_voiceprints(vectors: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """One voiceprint from several enrollments, weighted (e.g. by seconds of speech)."""
    if not vectors:
        raise ValueError("no voiceprints to combine")
    if len(vectors) != len(weights):
        raise ValueError("one weight per voiceprint")
    dims = {np.asarray(v).shape for v in vectors}
    if len(dims) != 1:
        raise ValueError(f"voiceprints of different shapes cannot be combined: {sorted(dims)}")
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be non-negative and not all zero")
    stacked = np.stack([normalise(np.asarray(v, dtype=np.float64)) for v in vectors])
    return normalise((stacked * w[:, None]).sum(axis=0)).astype(np.float32)


def voiceprint_with_samples(
    enrolled: Sequence[np.ndarray],
    enrolled_weights: Sequence[float],
    samples: Sequence[np.ndarray] = (),
    sample_durations: Sequence[float] = (),
    *,
    max_share: float,
) -> tuple[np.ndarray, float]:
    """(voiceprint, samples_share): enrollment voiceprints combined by their weights (seconds of
    speech), with owner-confirmed samples joining them, each weighted by its duration, their total
    weight capped so that they hold at most `max_share` of the whole — samples refine the
    voiceprint, never replace it. One enrollment and no samples (or `max_share` 0): its voiceprint
    as it is, share 0. The one rule for the server (enrollment.selectors) and the lab (speechlab.answers).
    """
    if not enrolled:
        raise ValueError("no enrollment voiceprint")
    if len(samples) != len(sample_durations):
        raise ValueError("one duration per sample")
    if not 0.0 <= max_share < 1.0:
        raise ValueError("max_share must be in [0, 1)")
    use_samples = bool(len(samples)) and max_share > 0
    if len(enrolled) == 1 and not use_samples:
        return np.asarray(enrolled[0], dtype=np.float32), 0.0
    vectors = list(enrolled)
    weights = [float(w) for w in enrolled_weights]
    samples_share = 0.0
    if use_samples:
        total_enrolled = sum(weights)
        durations = [float(max(d, 1)) for d in sample_durations]
        heard = sum(durations)
        given = min(heard, total_enrolled * max_share / (1 - max_share))
        vectors += list(samples)
        weights += [given * d / heard for d in durations]
        samples_share = given / (total_enrolled + given)
    return combine_voiceprints(vectors, weights), samples_share
