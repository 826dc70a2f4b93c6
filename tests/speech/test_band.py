"""Band matching (selective_speaker/speech/band.py): no models, synthetic audio only."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speech.band import NARROW_UNMATCHED, band_limit, chunk_voiceprint, high_band_ratio_db, is_narrowband
from selective_speaker.speech.config import EngineConfig

SR = 16_000


def noise(seconds: float = 2.0, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1).astype(np.float32)


def test_it_measures_wide_band_audio_as_wide():
    assert high_band_ratio_db(noise()) > -5  # white noise: about as much above the band as in it
    assert not is_narrowband(noise(), -40.0)


def test_band_limiting_leaves_nothing_above_the_telephone_band():
    narrow = band_limit(noise())
    assert narrow.dtype == np.float32 and narrow.size == 2 * SR
    assert high_band_ratio_db(narrow) < -40
    assert is_narrowband(narrow, -40.0)


def test_it_does_not_judge_audio_too_short_or_silent():
    assert np.isnan(high_band_ratio_db(np.zeros(100, dtype=np.float32)))
    assert np.isnan(high_band_ratio_db(np.zeros(SR, dtype=np.float32)))
    assert not is_narrowband(np.zeros(SR, dtype=np.float32), -40.0)


def test_it_judges_the_loud_frames_not_the_hiss_between_words():
    speech = band_limit(noise(1.0))
    hiss = noise(3.0, seed=1) * 0.001  # broadband, 60 dB down
    assert is_narrowband(np.concatenate([speech, hiss]), -40.0)


def _prints():
    wide = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    narrow = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    return wide, narrow


def test_without_a_narrow_band_voiceprint_a_wide_chunk_is_judged_as_always():
    config = EngineConfig()
    wide, _ = _prints()
    chosen, band, used = chunk_voiceprint(noise(), wide, None, config)
    assert chosen is wide and band is None and used is config


def test_without_a_narrow_band_voiceprint_a_narrow_chunk_is_marked_unmatched():
    config = EngineConfig()
    wide, _ = _prints()
    chosen, band, used = chunk_voiceprint(band_limit(noise()), wide, None, config)
    assert chosen is wide and band == NARROW_UNMATCHED and used is config


def test_a_narrow_chunk_is_scored_against_the_narrow_voiceprint_with_its_own_threshold():
    config = EngineConfig(narrowband_accept_threshold=0.7)
    wide, narrow = _prints()
    chosen, band, used = chunk_voiceprint(band_limit(noise()), wide, narrow, config)
    assert band == "narrow" and np.array_equal(chosen, narrow)
    assert used.accept_threshold == 0.7 and used.vad_threshold == config.narrowband_vad_threshold
    chosen, band, used = chunk_voiceprint(noise(), wide, narrow, config)
    assert band == "wide" and chosen is wide and used is config


def test_band_matching_can_be_switched_off():
    config = EngineConfig(narrowband_max_ratio_db=None)
    wide, narrow = _prints()
    assert chunk_voiceprint(band_limit(noise()), wide, narrow, config)[1] is None


def test_a_narrow_voiceprint_of_another_shape_is_refused():
    wide, _ = _prints()
    with pytest.raises(ValueError, match="shape"):
        chunk_voiceprint(noise(), wide, np.zeros(5, dtype=np.float32), EngineConfig())
