"""Kaldi-compatible log-mel filterbank features in numpy (what CAM++ was trained on).

Matches `torchaudio.compliance.kaldi.fbank(wave, num_mel_bins=80, dither=0)`: 25 ms povey
windows every 10 ms, DC removal, pre-emphasis 0.97, 512-point power spectrum, 80 triangular
mel filters from 20 Hz to Nyquist, natural log floored at float32 epsilon, snip_edges=True.
The features of a whole chunk are computed once; windows are slices of them, each mean-
normalised over time as CAM++ expects.
"""

from __future__ import annotations

import functools

import numpy as np

from .types import SAMPLE_RATE

FRAME_LENGTH = 400  # 25 ms
FRAME_SHIFT = 160  # 10 ms
FRAME_SHIFT_MS = FRAME_SHIFT * 1000 // SAMPLE_RATE  # feature frame i starts at i * FRAME_SHIFT_MS
FFT_SIZE = 512
NUM_MEL_BINS = 80
LOW_FREQ = 20.0
PREEMPHASIS = 0.97
# Frames computed at a time: their power spectra (float64, 512-point) are the big intermediate,
# about 2 MB per second of audio; 3000 frames (30 s) keep a 15-minute chunk's features from
# needing a gigabyte on the way (the result itself is 32 KB per second).
BLOCK_FRAMES = 3000
_EPS = np.finfo(np.float32).eps


def _mel(freq: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(freq) / 700.0)


@functools.cache
def _mel_filterbank() -> np.ndarray:
    """(FFT_SIZE // 2 + 1, NUM_MEL_BINS) weights; Kaldi leaves the Nyquist bin out."""
    num_fft_bins = FFT_SIZE // 2
    fft_bin_width = SAMPLE_RATE / FFT_SIZE
    mel_low, mel_high = _mel(LOW_FREQ), _mel(SAMPLE_RATE / 2)
    mel_delta = (mel_high - mel_low) / (NUM_MEL_BINS + 1)
    bins = np.arange(NUM_MEL_BINS)[:, None]
    left = mel_low + bins * mel_delta
    center = left + mel_delta
    right = center + mel_delta
    mel = _mel(fft_bin_width * np.arange(num_fft_bins))[None, :]
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    weights = np.maximum(0.0, np.minimum(up, down))
    full = np.zeros((FFT_SIZE // 2 + 1, NUM_MEL_BINS), dtype=np.float32)
    full[:num_fft_bins] = weights.T
    return full


@functools.cache
def _povey_window() -> np.ndarray:
    n = np.arange(FRAME_LENGTH)
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * n / (FRAME_LENGTH - 1))
    return (hann**0.85).astype(np.float32)


def frame_count(num_samples: int) -> int:
    return 0 if num_samples < FRAME_LENGTH else 1 + (num_samples - FRAME_LENGTH) // FRAME_SHIFT


def fbank(samples: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log-mel energies of 16 kHz mono samples (no mean normalisation),
    computed BLOCK_FRAMES frames at a time (each frame depends only on its own samples, so the
    result is the same as in one go)."""
    n = frame_count(samples.size)
    out = np.zeros((n, NUM_MEL_BINS), dtype=np.float32)
    if n == 0:
        return out
    windows = np.lib.stride_tricks.sliding_window_view(samples, FRAME_LENGTH)[::FRAME_SHIFT][:n]
    for start in range(0, n, BLOCK_FRAMES):
        out[start : start + BLOCK_FRAMES] = _fbank_frames(windows[start : start + BLOCK_FRAMES])
    return out


def _fbank_frames(windows: np.ndarray) -> np.ndarray:
    frames = windows.astype(np.float32, copy=True)
    frames -= frames.mean(axis=1, keepdims=True)
    shifted = np.concatenate([frames[:, :1], frames[:, :-1]], axis=1)
    frames -= PREEMPHASIS * shifted
    frames *= _povey_window()
    power = np.abs(np.fft.rfft(frames, n=FFT_SIZE, axis=1)) ** 2
    energies = power.astype(np.float32) @ _mel_filterbank()
    return np.log(np.maximum(energies, _EPS))
