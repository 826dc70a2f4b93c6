"""How far a chunk's speech stands above its noise, and what that says about a chunk with nothing kept.

Noise does not make bystanders sound like the owner: it makes every voice sound less like anyone.
Measured on the realistic suite's noise recordings and on the same conversations remixed at 0 and
-5 dB (README "Noisy chunks"): in babble and café noise the owner's regions fall from 0.7+ to
0.43–0.55 against the voiceprint while bystanders stay at 0.45–0.55; nothing of a bystander's is
kept (leak ≤ 1.2 %, owner-absent recordings 0 s), but the owner's speech is decided "other" and
lost — 9–17 % of it kept at 0 dB, none at -5 dB. So a chunk whose speech stands less than
EngineConfig.noisy_snr_db above its noise, and in which nothing was accepted, is *indeterminate*
with that reason ("too noisy to tell voices apart"), not done-and-empty: the owner and staff see
why nothing of it was kept. What the voice match accepts in such a chunk is kept as anywhere else.

Turning the rest of a noisy chunk's speech into "Was this you?" cards was measured and not adopted
(README "Noisy chunks"): those cards are mostly bystanders' and take the owner's answers, and where
the VAD hears the whole chunk as one stretch a "me" on it keeps the bystanders' words too.

`speech_snr_db` is a blind estimate in the telephone band (300–3400 Hz, band.py; from each 20 ms
frame's spectrum), where voices carry most of what tells them apart and mains hum and rumble do not
reach (the suite's quiet talkers under hum read 14–18 dB there, and their owners' speech is kept):
the noise is the chunk's quiet stretches (the 10th percentile of frame power averaged over 100 ms),
the speech the mean power of the frames the VAD found, less that noise. Stationary noise reads about
at its mixing SNR (a little above it below 5 dB); babble and café noise, which have no quiet
stretches, read higher: mixed at 5 dB they read 9.5 dB, at 0 dB 5–7.5, at -5 dB 4–6. Where they
read 4–7 dB the match keeps 0–17 % of the owner's speech, where they read 9.5 dB 67–80 %: the
default, 8 dB, lies between. Stationary noise the match survives far lower (pink noise at 0 dB reads
3 dB and 85 % is kept): such chunks keep speech, and are not affected.
"""

from __future__ import annotations

import numpy as np

from .band import NARROW_BAND_HZ, frame_power_spectra
from .types import Span, ms_to_samples

FRAME_MS = 20
NOISE_PERCENTILE = 10
NOISE_FRAMES = 5  # frames averaged for the noise floor (100 ms)
# what a chunk reads when its quietest frames are digital silence
SNR_CEILING_DB = 99.0


def band_frame_power(audio: np.ndarray) -> np.ndarray:
    """Power of each FRAME_MS frame of `audio` inside the telephone band (Hann-windowed spectrum)."""
    frame = ms_to_samples(FRAME_MS)
    count = audio.size // frame
    spectra, freqs = frame_power_spectra(np.asarray(audio[: count * frame], dtype=np.float32).reshape(count, frame))
    inside = (freqs >= NARROW_BAND_HZ[0]) & (freqs <= NARROW_BAND_HZ[1])
    return np.sum(spectra[:, inside], axis=1, dtype=np.float64)


def steady_percentiles(values: np.ndarray, percentiles, frames: int) -> np.ndarray:
    """Percentiles of `values` averaged over `frames` consecutive frames (100 ms stretches: a single
    frame scatters widely about its mean); of the values themselves when there are fewer frames.
    The chunk's noise floor here, and its quiet and speech levels in pauses.py."""
    steady = values
    if values.size >= frames:
        steady = np.convolve(values, np.ones(frames) / frames, mode="valid")
    return np.percentile(steady, percentiles)


def speech_snr_db(audio: np.ndarray, spans: list[Span]) -> float | None:
    """The speech-to-noise ratio of a chunk in dB (see the module docstring), within ±SNR_CEILING_DB;
    None without speech, or when the chunk is digital silence throughout."""
    power = band_frame_power(audio)
    if power.size == 0 or not spans:
        return None
    inside = np.zeros(power.size, dtype=bool)
    for span in spans:
        inside[span.start_ms // FRAME_MS : -(-span.end_ms // FRAME_MS)] = True
    if not inside.any():
        return None
    noise = float(steady_percentiles(power, NOISE_PERCENTILE, NOISE_FRAMES))
    speech = float(power[inside].mean()) - noise
    if noise <= 0:
        return SNR_CEILING_DB if speech > 0 else None
    if speech <= 0:
        return -SNR_CEILING_DB
    return float(np.clip(10 * np.log10(speech / noise), -SNR_CEILING_DB, SNR_CEILING_DB))


def is_noisy(snr_db: float | None, config) -> bool:
    """True when the chunk's speech is less than `noisy_snr_db` above its noise (None: off)."""
    return config.noisy_snr_db is not None and snr_db is not None and snr_db < config.noisy_snr_db


def noisy_reason(snr_db: float) -> str:
    return f"too noisy to tell voices apart (speech {snr_db:.0f} dB above the noise)"
