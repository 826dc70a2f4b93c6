"""Speaker embeddings: the bundled CAM++ model (ONNX, 192-d) run with onnxruntime.

`SpeakerEmbedder.embed_windows` takes the filterbank of a whole chunk and a list of frame
ranges, mean-normalises each window and runs them in batches of equal length, so the
features are computed once per chunk however many windows overlap.
"""

from __future__ import annotations

import numpy as np

from .config import EngineConfig
from .features import fbank
from .models import embedding_model_id, verify_campplus

BATCH = 32
# CAM++ needs some context; shorter windows are padded by repeating the frames.
MIN_FRAMES = 50


class SpeakerEmbedder:
    def __init__(self, config: EngineConfig):
        import onnxruntime as ort

        path = verify_campplus(config)
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.cpu_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.model_id = embedding_model_id(config)
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 0) or None

    def embed_windows(self, feats: np.ndarray, windows: list[tuple[int, int]]) -> np.ndarray:
        """L2-normalised embeddings, one row per (start_frame, end_frame) window of `feats`."""
        if not windows:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        out = np.zeros((len(windows), 0), dtype=np.float32)
        rows: dict[int, np.ndarray] = {}
        by_length: dict[int, list[int]] = {}
        for i, (start, end) in enumerate(windows):
            by_length.setdefault(end - start, []).append(i)
        for length, indices in by_length.items():
            for batch_start in range(0, len(indices), BATCH):
                batch_idx = indices[batch_start : batch_start + BATCH]
                batch = np.stack([self._window(feats, *windows[i]) for i in batch_idx])
                embeddings = self.session.run(None, {"feats": batch})[0]
                for i, row in zip(batch_idx, embeddings):
                    rows[i] = row
        out = np.stack([rows[i] for i in range(len(windows))]).astype(np.float32)
        return normalise(out)

    def embed_audio(self, audio: np.ndarray) -> np.ndarray:
        """One embedding of a whole clip."""
        feats = fbank(audio)
        return self.embed_windows(feats, [(0, len(feats))])[0]

    @staticmethod
    def _window(feats: np.ndarray, start: int, end: int) -> np.ndarray:
        window = feats[start:end]
        if len(window) < MIN_FRAMES:
            repeats = -(-MIN_FRAMES // max(1, len(window)))
            window = np.tile(window, (repeats, 1))[:MIN_FRAMES]
        return (window - window.mean(axis=0, keepdims=True)).astype(np.float32)


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
