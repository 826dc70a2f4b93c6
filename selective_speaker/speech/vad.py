"""Voice activity detection with the Silero VAD v6 ONNX model that ships in faster-whisper."""

from __future__ import annotations

import numpy as np

from .config import EngineConfig
from .types import SAMPLE_RATE, Span, samples_to_ms


def speech_spans(audio: np.ndarray, config: EngineConfig) -> list[Span]:
    """Stretches of speech in the chunk, in ms, padded by `vad_pad_ms` and never overlapping."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size == 0:
        return []
    options = VadOptions(
        threshold=config.vad_threshold,
        min_speech_duration_ms=config.vad_min_speech_ms,
        min_silence_duration_ms=config.vad_min_silence_ms,
        speech_pad_ms=config.vad_pad_ms,
    )
    stamps = get_speech_timestamps(audio, vad_options=options, sampling_rate=SAMPLE_RATE)
    spans: list[Span] = []
    for stamp in stamps:
        start = samples_to_ms(int(stamp["start"]))
        end = samples_to_ms(int(stamp["end"]))
        if spans and start <= spans[-1].end_ms:
            spans[-1] = Span(spans[-1].start_ms, max(end, spans[-1].end_ms))
        elif end > start:
            spans.append(Span(start, end))
    return spans
