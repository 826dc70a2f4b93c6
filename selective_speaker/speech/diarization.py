"""Who spoke when: the built-in diarizer (VAD + CAM++ windows + clustering) and pyannote.

Both return `Turn`s in ms. The built-in one needs no torch and runs on the bundled models;
the pyannote pipeline (optional `gpu` extra) loads a hub pipeline by name with an HF token,
or a local pipeline directory, and recovers more quiet and overlapped speech on a GPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attribution import cluster_windows
from .config import EngineConfig
from .types import FRAME_MS, SAMPLE_RATE, ModelError, samples_to_ms
from .vad import speech_spans
from .voiceprint import embed_speech


@dataclass(frozen=True, slots=True)
class Turn:
    start_ms: int
    end_ms: int
    label: str


def _cluster_with_bounds(vectors: np.ndarray, config: EngineConfig) -> np.ndarray:
    """Threshold clustering, pulled within [min_speakers, max_speakers] when they are set."""
    labels = cluster_windows(vectors, config.cluster_distance)
    count = int(labels.max() + 1) if labels.size else 0
    wanted = None
    if config.max_speakers and count > config.max_speakers:
        wanted = config.max_speakers
    if config.min_speakers and count < config.min_speakers <= len(vectors):
        wanted = config.min_speakers
    if wanted:
        from sklearn.cluster import AgglomerativeClustering

        labels = AgglomerativeClustering(n_clusters=wanted, metric="cosine", linkage="average").fit_predict(vectors)
    return labels


class BuiltinDiarizer:
    model_id = "builtin:silero-vad+campplus+ahc"

    def __init__(self, config: EngineConfig, embedder):
        self.config = config
        self.embedder = embedder

    def diarize(self, audio: np.ndarray) -> list[Turn]:
        config = self.config
        spans = speech_spans(audio, config)
        if not spans:
            return []
        emb = embed_speech(audio, spans, self.embedder, config)
        labels = _cluster_with_bounds(emb.vectors, config)
        n_frames = -(-samples_to_ms(audio.size) // FRAME_MS)  # windows end by the last whole ms
        votes = np.zeros((n_frames, int(labels.max()) + 1))
        for window, label in zip(emb.spans, labels):
            votes[window.start_ms // FRAME_MS : -(-window.end_ms // FRAME_MS), label] += 1
        frame_label = np.where(votes.sum(axis=1) > 0, votes.argmax(axis=1), -1)
        return _turns_from_frames(frame_label)


def _turns_from_frames(frame_label: np.ndarray) -> list[Turn]:
    turns: list[Turn] = []
    if frame_label.size == 0:
        return turns
    change = np.flatnonzero(np.diff(frame_label)) + 1
    for lo, hi in zip(np.concatenate([[0], change]), np.concatenate([change, [frame_label.size]])):
        if frame_label[lo] >= 0:
            turns.append(Turn(int(lo) * FRAME_MS, int(hi) * FRAME_MS, f"S{frame_label[lo]}"))
    return turns


class PyannoteDiarizer:
    """pyannote.audio pipeline (hub name + HF token, or a local directory with config.yaml)."""

    def __init__(self, config: EngineConfig):
        try:
            import torch
            from pyannote.audio import Pipeline
        except ImportError as exc:
            raise ModelError("the pyannote backend needs the gpu extra: `pip install -e .[gpu]`") from exc
        self.torch = torch
        self.config = config
        source = config.pyannote_pipeline
        try:
            pipeline = Pipeline.from_pretrained(source, token=config.hf_token) if config.hf_token else Pipeline.from_pretrained(source)
        except TypeError:  # pyannote.audio 3.x names the argument use_auth_token
            pipeline = Pipeline.from_pretrained(source, use_auth_token=config.hf_token)
        except Exception as exc:
            raise ModelError(f"cannot load the pyannote pipeline {source!r}: {exc}") from exc
        if pipeline is None:
            raise ModelError(f"pyannote pipeline {source!r} is gated or missing: set HF_TOKEN or use a local directory")
        if config.asr_device.startswith("cuda"):
            pipeline.to(torch.device(config.asr_device))
        self.pipeline = pipeline
        self.model_id = f"pyannote:{source}"

    def diarize(self, audio: np.ndarray) -> list[Turn]:
        waveform = self.torch.from_numpy(np.ascontiguousarray(audio)).unsqueeze(0)
        options = {k: v for k, v in (("min_speakers", self.config.min_speakers), ("max_speakers", self.config.max_speakers)) if v}
        output = self.pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **options)
        annotation = getattr(output, "speaker_diarization", output)  # pyannote 4 wraps it
        return [
            Turn(int(segment.start * 1000), int(segment.end * 1000), str(label))
            for segment, _, label in annotation.itertracks(yield_label=True)
        ]


def load_diarizer(config: EngineConfig, embedder):
    if config.diarization_backend == "pyannote":
        return PyannoteDiarizer(config)
    return BuiltinDiarizer(config, embedder)
