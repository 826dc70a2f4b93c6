"""Channel transforms for the realistic-conditions suite: what a recording chain does to speech.

Each function takes 16 kHz mono float32 audio and returns audio of the same length and rate
(`apply_chain` runs a list of JSON steps, as written in a manifest's ``build`` recipe):

* ``telephone`` — resample to 8 kHz, band-pass 300–3400 Hz (Butterworth, 8 poles), back to 16 kHz.
* ``codec`` — a real low-bitrate codec through PyAV: Opus (libopus, 6–12 kbit/s) or AMR-NB
  (libopencore_amrnb, 8 kHz, 4.75–12.2 kbit/s). Where FFmpeg lacks the encoder, a documented
  stand-in runs instead: 8 kHz, 300–3400 Hz, µ-law companding quantised to 5 bits (a crude
  ADPCM/GSM-like loss); `codec_available` tells which will run.
* ``eq`` — microphone colouring: high-pass, shelves and peaks (RBJ biquads), e.g. a pendant
  under clothing (highs cut) or a cheap MEMS microphone (thin, peaky).
* ``agc`` — automatic gain: 10 ms RMS follower, fast attack, slow release, up to +30 dB, so
  pauses and distant voices are pumped up as a phone's AGC does.
* ``clip`` — gain so that a given share of the samples exceed full scale, then hard clipping.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from scipy.signal import butter, correlate, lfilter, resample_poly, sosfilt

SR = 16_000
PHONE_SR = 8_000
PHONE_BAND_HZ = (300.0, 3400.0)
# FFmpeg encoder, its sample rate and container, per codec name of a recipe.
CODECS = {"opus": ("libopus", 16_000, "ogg"), "amr_nb": ("libopencore_amrnb", 8_000, "amr")}
AMR_RATES = (4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200)
STAND_IN_BITS = 5


class ChannelError(ValueError):
    """A channel step that cannot be built as written."""


def _same_length(audio: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    out[: min(n, audio.size)] = audio[:n]
    return out


# --- telephone band -----------------------------------------------------------------------------


def telephone(audio: np.ndarray, *, low_hz: float = PHONE_BAND_HZ[0], high_hz: float = PHONE_BAND_HZ[1]) -> np.ndarray:
    narrow = resample_poly(audio.astype(np.float64), 1, SR // PHONE_SR)
    sos = butter(4, [low_hz, high_hz], btype="bandpass", fs=PHONE_SR, output="sos")
    back = resample_poly(sosfilt(sos, narrow), SR // PHONE_SR, 1)
    return _same_length(back.astype(np.float32), audio.size)


# --- codecs ---------------------------------------------------------------------------------------


def codec_available(codec: str) -> bool:
    import av

    try:
        av.codec.Codec(CODECS[codec][0], "w")
    except Exception:  # noqa: BLE001 - FFmpeg builds differ; any failure means "not here"
        return False
    return True


def _encode_decode(audio: np.ndarray, encoder: str, rate: int, container: str, bit_rate: int) -> np.ndarray:
    import av

    resampled = audio if rate == SR else resample_poly(audio.astype(np.float64), rate, SR)
    pcm = np.round(np.clip(resampled, -1.0, 1.0) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container) as out:
        stream = out.add_stream(encoder, rate=rate)
        stream.bit_rate = bit_rate
        stream.codec_context.layout = "mono"
        for start in range(0, pcm.size, 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + 4096], format="s16", layout="mono")
            frame.rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    buffer.seek(0)
    pieces = []
    with av.open(buffer, "r") as source:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        for frame in source.decode(source.streams.audio[0]):
            pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(pieces).astype(np.float32)


def align(reference: np.ndarray, audio: np.ndarray, *, max_lag: int = 2000) -> np.ndarray:
    """`audio` shifted to line up with `reference` (codec delay removed), same length."""
    n = min(reference.size, audio.size)
    cc = correlate(audio[:n].astype(np.float64), reference[:n].astype(np.float64), mode="full", method="fft")
    lags = np.arange(-(n - 1), n)
    window = np.abs(lags) <= max_lag
    lag = int(lags[window][np.argmax(cc[window])])
    shifted = audio[lag:] if lag >= 0 else np.concatenate([np.zeros(-lag, dtype=np.float32), audio])
    return _same_length(shifted, reference.size)


def mu_law_stand_in(audio: np.ndarray, *, bits: int = STAND_IN_BITS, mu: float = 255.0) -> np.ndarray:
    """The stand-in for a missing encoder: telephone band, µ-law companded, `bits`-bit quantised."""
    band = telephone(audio)
    x = np.clip(band.astype(np.float64), -1.0, 1.0)
    companded = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    steps = 2 ** (bits - 1)
    quantised = np.round(companded * steps) / steps
    expanded = np.sign(quantised) * np.expm1(np.abs(quantised) * np.log1p(mu)) / mu
    return telephone(expanded.astype(np.float32))


def codec(audio: np.ndarray, *, name: str, kbps: float) -> tuple[np.ndarray, str]:
    """(audio through the codec, what ran: e.g. 'opus 8 kbit/s' or the stand-in)."""
    if name not in CODECS:
        raise ChannelError(f"unknown codec {name!r}; known: {', '.join(CODECS)}")
    bit_rate = round(kbps * 1000)
    if name == "amr_nb" and bit_rate not in AMR_RATES:
        raise ChannelError(f"AMR-NB runs at {', '.join(str(r) for r in AMR_RATES)} bit/s, not {bit_rate}")
    if not codec_available(name):
        return mu_law_stand_in(audio), f"stand-in for {name} (8 kHz, mu-law {STAND_IN_BITS} bit)"
    encoder, rate, container = CODECS[name]
    decoded = _encode_decode(audio, encoder, rate, container, bit_rate)
    return align(audio, decoded), f"{name} {kbps:g} kbit/s"


# --- microphone colouring -------------------------------------------------------------------------


def biquad(kind: str, hz: float, *, gain_db: float = 0.0, q: float = 0.707) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of an RBJ-cookbook filter: highpass, lowpass, peak, lowshelf, highshelf."""
    a_ = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * hz / SR
    cos, alpha = np.cos(w0), np.sin(w0) / (2 * q)
    if kind == "highpass":
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "lowpass":
        b = [(1 - cos) / 2, 1 - cos, (1 - cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "peak":
        b = [1 + alpha * a_, -2 * cos, 1 - alpha * a_]
        a = [1 + alpha / a_, -2 * cos, 1 - alpha / a_]
    elif kind in ("lowshelf", "highshelf"):
        sq = 2 * np.sqrt(a_) * np.sin(w0) / 2 * np.sqrt(2.0)  # shelf slope S = 1
        sign = 1 if kind == "lowshelf" else -1
        b = [
            a_ * ((a_ + 1) - sign * (a_ - 1) * cos + sq),
            sign * 2 * a_ * ((a_ - 1) - sign * (a_ + 1) * cos),
            a_ * ((a_ + 1) - sign * (a_ - 1) * cos - sq),
        ]
        a = [
            (a_ + 1) + sign * (a_ - 1) * cos + sq,
            -sign * 2 * ((a_ - 1) + sign * (a_ + 1) * cos),
            (a_ + 1) + sign * (a_ - 1) * cos - sq,
        ]
    else:
        raise ChannelError(f"unknown filter {kind!r}")
    return np.asarray(b) / a[0], np.asarray(a) / a[0]


def eq(audio: np.ndarray, *, filters: Sequence[dict]) -> np.ndarray:
    out = audio.astype(np.float64)
    for spec in filters:
        b, a = biquad(spec["type"], float(spec["hz"]), gain_db=float(spec.get("gain_db", 0.0)), q=float(spec.get("q", 0.707)))
        out = lfilter(b, a, out)
    return out.astype(np.float32)


MIC_PRESETS = {
    # a pendant under clothing: highs absorbed, a little proximity bass
    "muffled": [{"type": "highshelf", "hz": 1800, "gain_db": -14}, {"type": "lowshelf", "hz": 250, "gain_db": 4}],
    # a cheap MEMS capsule in a small case: no lows, a peaky presence band
    "thin": [{"type": "highpass", "hz": 300, "q": 0.9}, {"type": "peak", "hz": 4500, "gain_db": 9, "q": 1.4}],
}


# --- automatic gain, clipping ---------------------------------------------------------------------


def agc(
    audio: np.ndarray,
    *,
    target_dbfs: float = -20.0,
    max_gain_db: float = 30.0,
    min_gain_db: float = -20.0,
    attack_ms: float = 10.0,
    release_ms: float = 500.0,
    frame_ms: int = 10,
) -> np.ndarray:
    frame = SR * frame_ms // 1000
    n = -(-audio.size // frame)
    padded = np.zeros(n * frame, dtype=np.float64)
    padded[: audio.size] = audio
    level = 10 * np.log10(np.mean(padded.reshape(n, frame) ** 2, axis=1) + 1e-12)
    wanted = np.clip(target_dbfs - level, min_gain_db, max_gain_db)
    attack, release = 1 - np.exp(-frame_ms / attack_ms), 1 - np.exp(-frame_ms / release_ms)
    gain_db = np.empty(n)
    g = 0.0
    for i, w in enumerate(wanted):
        g += (w - g) * (attack if w < g else release)
        gain_db[i] = g
    centres = (np.arange(n) + 0.5) * frame
    gain = 10 ** (np.interp(np.arange(audio.size), centres, gain_db) / 20)
    return np.clip(audio * gain, -1.0, 1.0).astype(np.float32)


def clip(audio: np.ndarray, *, fraction: float) -> np.ndarray:
    """Gain so that `fraction` of the samples exceed full scale, then hard clipping at ±1."""
    if not 0 < fraction < 0.5:
        raise ChannelError("clip fraction must lie in (0, 0.5)")
    threshold = float(np.quantile(np.abs(audio), 1.0 - fraction))
    if threshold <= 0:
        return audio.copy()
    return np.clip(audio / threshold, -1.0, 1.0).astype(np.float32)


def clipped_share(audio: np.ndarray, level: float = 0.999) -> float:
    return float(np.mean(np.abs(audio) >= level))


# --- chains ---------------------------------------------------------------------------------------


def apply_chain(audio: np.ndarray, steps: Sequence[dict]) -> tuple[np.ndarray, list[str]]:
    """Run the recipe's channel steps in order; (audio, a line per step saying what ran)."""
    out, applied = np.asarray(audio, dtype=np.float32), []
    for step in steps:
        op = step.get("op")
        if op == "telephone":
            out = telephone(out)
            applied.append("telephone 300-3400 Hz via 8 kHz")
        elif op == "codec":
            out, what = codec(out, name=step["codec"], kbps=float(step["kbps"]))
            applied.append(what)
        elif op == "eq":
            filters = MIC_PRESETS[step["preset"]] if "preset" in step else step["filters"]
            out = eq(out, filters=filters)
            applied.append(f"eq {step.get('preset', 'custom')}")
        elif op == "agc":
            out = agc(out, **{k: float(v) for k, v in step.items() if k != "op"})
            applied.append("agc")
        elif op == "gain":
            out = out * np.float32(10 ** (float(step["db"]) / 20))
            applied.append(f"gain {float(step['db']):+.0f} dB")
        elif op == "clip":
            out = clip(out, fraction=float(step["fraction"]))
            applied.append(f"clip {step['fraction']:.0%}")
        else:
            raise ChannelError(f"unknown channel step {step!r}")
        out = np.clip(out, -1.0, 1.0).astype(np.float32)
    return out, applied
