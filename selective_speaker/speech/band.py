"""Band matching: a narrow-band (telephone, low-rate codec) chunk is scored against a voiceprint
computed from the enrollment passed through the same narrow band.

A speaker embedding of telephone-band speech differs from one of the same voice recorded with
the full 8 kHz band: the owner's similarity to a wide-band voiceprint falls from 0.7+ to about
0.58–0.61, into the uncertain band. Passing the enrollment through a telephone band (300–3400 Hz)
gives a second voiceprint in the chunk's own band. The engine measures each chunk's bandwidth
(`is_narrowband`) and, when it is narrow, scores it against that voiceprint instead.
"""

from __future__ import annotations

import functools

import numpy as np

from .types import SAMPLE_RATE

# The telephone band (ITU-T G.712): what narrow-band codecs and phone lines keep.
NARROW_BAND_HZ = (300.0, 3400.0)
# Energy measured "above the band" lies between these, "in the band" in NARROW_BAND_HZ.
HIGH_BAND_HZ = (4000.0, 7600.0)


@functools.cache
def _band_filter():
    from scipy.signal import butter

    return butter(8, NARROW_BAND_HZ, btype="bandpass", fs=SAMPLE_RATE, output="sos")


def band_limit(audio: np.ndarray) -> np.ndarray:
    """`audio` (16 kHz) passed through the telephone band, same length and dtype float32."""
    from scipy.signal import sosfiltfilt

    audio = np.asarray(audio, dtype=np.float64)
    if audio.size < 64:
        return audio.astype(np.float32)
    return sosfiltfilt(_band_filter(), audio).astype(np.float32)


def frame_power_spectra(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(power spectrum of each Hann-windowed row of `frames`, the bins' frequencies in Hz), in the
    frames' own precision: the one spectrum the band measure here and the noise level
    (noise_level.py) are taken from."""
    frame = frames.shape[1]
    spectra = np.abs(np.fft.rfft(frames * np.hanning(frame).astype(frames.dtype), axis=1)) ** 2
    return spectra, np.fft.rfftfreq(frame, 1.0 / SAMPLE_RATE)


def high_band_ratio_db(audio: np.ndarray, *, frame: int = 512) -> float:
    """Energy above the telephone band relative to the energy in it, dB (-inf: none above).

    Averaged over the loudest quarter of 32 ms frames, so silences and background hiss between
    words do not decide it. NaN when the audio is too short or silent.
    """
    audio = np.asarray(audio, dtype=np.float64)
    n = audio.size // frame
    if n < 4:
        return float("nan")
    frames = audio[: n * frame].reshape(n, frame)
    energy = (frames**2).sum(axis=1)
    loud = frames[energy >= np.quantile(energy, 0.75)]
    spectra, freqs = frame_power_spectra(loud)
    spectrum = spectra.sum(axis=0)
    inside = spectrum[(freqs >= NARROW_BAND_HZ[0]) & (freqs < NARROW_BAND_HZ[1])].sum()
    above = spectrum[(freqs >= HIGH_BAND_HZ[0]) & (freqs < HIGH_BAND_HZ[1])].sum()
    if inside <= 0:
        return float("nan")
    if above <= 0:
        return float("-inf")
    return float(10 * np.log10(above / inside))


def is_narrowband(audio: np.ndarray, max_ratio_db: float) -> bool:
    """Whether `audio` carries (almost) nothing above the telephone band."""
    ratio = high_band_ratio_db(audio)
    return bool(not np.isnan(ratio) and ratio < max_ratio_db)


# a narrow-band chunk with no narrow-band voiceprint to judge it against (an enrollment made
# before band matching): its speech is put to the owner ("Was this you?"), never guessed
NARROW_UNMATCHED = "narrow-unmatched"


def band_of(audio: np.ndarray, config) -> str:
    """"narrow" when band matching is on and `audio` is narrow-band, else "wide": which of the
    owner's two voiceprints a sample of this audio may join."""
    limit = config.narrowband_max_ratio_db
    return "narrow" if limit is not None and is_narrowband(audio, limit) else "wide"


def narrow_voiceprint(audio: np.ndarray, spans, embedder, config) -> np.ndarray:
    """The enrollment's voiceprint in the telephone band (the same speech spans, band-limited)."""
    from .voiceprint import embed_speech, voiceprint_from_windows

    emb = embed_speech(band_limit(audio), spans, embedder, config)
    return voiceprint_from_windows(emb.vectors)[0]


def chunk_voiceprint(audio: np.ndarray, voiceprint: np.ndarray, voiceprint_narrow: np.ndarray | None, config):
    """(the voiceprint to score `audio` against, the band it was chosen for, the config to decide with).

    The band is None when band matching is off, or no narrow-band voiceprint was given and the
    chunk is wide (the wide-band voiceprint and config, as always); NARROW_UNMATCHED when no
    narrow-band voiceprint was given and the chunk is narrow; else "narrow" or "wide" as measured.
    A narrow chunk is decided with `narrowband_accept_threshold` (in the telephone band every
    voice sounds more alike, bystanders' scores rise as much as the owner's) and its speech found
    with `narrowband_vad_threshold` (Silero hears telephone-band speech less surely).
    """
    if config.narrowband_max_ratio_db is None:
        return voiceprint, None, config
    if voiceprint_narrow is not None and np.shape(voiceprint_narrow) != voiceprint.shape:
        raise ValueError(
            f"voiceprint_narrow must have the voiceprint's shape {voiceprint.shape}, not {np.shape(voiceprint_narrow)}"
        )
    band = band_of(audio, config)
    if voiceprint_narrow is None:
        # nothing to match the band with: a narrow chunk cannot be judged (every voice scores
        # alike against a wide-band voiceprint there), so the engine asks the owner instead
        return voiceprint, NARROW_UNMATCHED if band == "narrow" else None, config
    if band == "narrow":
        return np.asarray(voiceprint_narrow, dtype=np.float32), "narrow", narrow_config(config)
    return voiceprint, "wide", config


def narrow_config(config):
    """`config` as a band-matched narrow chunk is decided with: its own accept and VAD thresholds."""
    return config.with_(accept_threshold=config.narrowband_accept_threshold, vad_threshold=config.narrowband_vad_threshold)
