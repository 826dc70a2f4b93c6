"""Voice activity detection with the Silero VAD v6 ONNX model that ships in faster-whisper."""

from __future__ import annotations

import numpy as np

from .config import EngineConfig
from .types import SAMPLE_RATE, Span, samples_to_ms


def quiet_level_dbfs(audio: np.ndarray) -> float:
    """How loud the chunk's loud parts are: the 99.5th percentile of |sample|, in dBFS."""
    if audio.size == 0:
        return float("-inf")
    level = float(np.percentile(np.abs(audio), 99.5))
    return 20 * np.log10(level) if level > 0 else float("-inf")


def vad_input(audio: np.ndarray, config: EngineConfig) -> np.ndarray:
    """What the VAD hears. A quiet chunk — a talker across the room, a pendant under a coat — whose
    loud parts (quiet_level_dbfs, after a high-pass at vad_highpass_hz that takes mains hum and
    rumble out) stay below vad_quiet_dbfs is high-passed and raised to that level (at most
    vad_max_gain_db): Silero misses most of quiet speech under hum at -65 dBFS, and finds it all
    once it is raised. Any other chunk is heard as it is. Only the VAD hears this: the voice
    match and the recogniser get the chunk itself."""
    if config.vad_quiet_dbfs is None or audio.size == 0:
        return audio
    from scipy.signal import butter, sosfilt

    filtered = audio
    if config.vad_highpass_hz:
        sos = butter(4, config.vad_highpass_hz, "highpass", fs=SAMPLE_RATE, output="sos")
        filtered = sosfilt(sos, audio.astype(np.float64))
    level = quiet_level_dbfs(filtered)
    if not np.isfinite(level) or level >= config.vad_quiet_dbfs:
        return audio
    gain_db = min(config.vad_quiet_dbfs - level, config.vad_max_gain_db)
    return (filtered * 10 ** (gain_db / 20)).astype(np.float32)


def speech_spans(audio: np.ndarray, config: EngineConfig) -> list[Span]:
    """Stretches of speech in the chunk, in ms, padded by `vad_pad_ms` and never overlapping."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size == 0:
        return []
    audio = vad_input(audio, config)
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
