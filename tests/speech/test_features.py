import numpy as np
import pytest

from selective_speaker.speech.features import NUM_MEL_BINS, fbank, frame_count

from .conftest import ENROLLMENT_FILES, load


def test_it_matches_kaldi_fbank_on_real_speech():
    knf = pytest.importorskip("kaldi_native_fbank", reason="kaldi-native-fbank is a dev dependency")
    audio = load(ENROLLMENT_FILES[0])
    options = knf.FbankOptions()
    options.frame_opts.dither = 0
    options.frame_opts.samp_freq = 16000
    options.mel_opts.num_bins = NUM_MEL_BINS
    reference = knf.OnlineFbank(options)
    reference.accept_waveform(16000, audio.tolist())
    reference.input_finished()
    expected = np.stack([reference.get_frame(i) for i in range(reference.num_frames_ready)])
    actual = fbank(audio)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).max() < 5e-3


def test_it_counts_frames_like_kaldi():
    assert frame_count(399) == 0
    assert frame_count(400) == 1
    assert frame_count(16000) == 98
    assert fbank(np.zeros(100, dtype=np.float32)).shape == (0, NUM_MEL_BINS)


def test_it_floors_the_log_of_silence():
    feats = fbank(np.zeros(16000, dtype=np.float32))
    assert np.isfinite(feats).all()


def test_it_computes_a_long_recording_block_by_block_with_the_same_result(monkeypatch):
    from selective_speaker.speech import features

    audio = np.random.default_rng(0).standard_normal(16000 * 7 + 123).astype(np.float32) * 0.1
    whole = fbank(audio)
    monkeypatch.setattr(features, "BLOCK_FRAMES", 97)  # blocks that do not divide the frames
    # the same frames and sums; BLAS may add a block's products in another order than the whole
    # matrix's (float32: a few units in the last place, seen on one CPU and not another)
    np.testing.assert_allclose(fbank(audio), whole, rtol=1e-5, atol=1e-5)
