"""Checks on an enrollment recording beyond its length and loudness: is it one voice?"""

from __future__ import annotations

import numpy as np

from .attribution import cluster_windows
from .config import EngineConfig


def second_voice_share(vectors: np.ndarray, config: EngineConfig) -> float | None:
    """Share of enrollment windows that belong to a clearly different voice, if large."""
    if len(vectors) < config.enroll_second_voice_min_windows:
        return None
    labels = cluster_windows(vectors, config.cluster_distance)
    counts = np.bincount(labels)
    if len(counts) < 2:
        return None
    order = np.argsort(counts)[::-1]
    main, second = order[0], order[1]
    share = counts[second] / counts.sum()
    if share < config.enroll_second_voice_share:
        return None
    a = vectors[labels == main].mean(axis=0)
    b = vectors[labels == second].mean(axis=0)
    cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(share) if cosine < config.enroll_second_voice_max_cosine else None
