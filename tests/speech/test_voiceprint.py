import numpy as np
import pytest

from selective_speaker.speech.voiceprint import combine_voiceprints, voiceprint_from_windows, voiceprint_with_samples


def test_it_combines_voiceprints_by_weight():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    combined = combine_voiceprints([a, b], [3.0, 1.0])
    assert np.isclose(np.linalg.norm(combined), 1.0)
    assert combined[0] > combined[1] > 0


def test_it_normalises_inputs_before_weighting():
    combined = combine_voiceprints([np.array([10.0, 0.0]), np.array([0.0, 1.0])], [1.0, 1.0])
    assert np.isclose(combined[0], combined[1])


@pytest.mark.parametrize(
    "vectors, weights",
    [([], []), ([np.ones(2)], [1.0, 2.0]), ([np.ones(2), np.ones(3)], [1, 1]), ([np.ones(2)], [0.0])],
)
def test_it_refuses_bad_combinations(vectors, weights):
    with pytest.raises(ValueError):
        combine_voiceprints(vectors, weights)


def test_it_reports_how_consistent_the_windows_are():
    same = np.tile(np.array([[0.6, 0.8]]), (5, 1))
    print_, consistency = voiceprint_from_windows(same)
    assert np.allclose(print_, [0.6, 0.8], atol=1e-6)
    assert consistency == pytest.approx(1.0)
    mixed = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert voiceprint_from_windows(mixed)[1] < 0.8


# --- enrollments plus owner-confirmed samples, bounded (voiceprint_with_samples) --------------------


def test_one_enrollment_without_samples_is_its_voiceprint_as_it_is():
    vector = np.array([3.0, 4.0], dtype=np.float32)
    combined, share = voiceprint_with_samples([vector], [10_000.0], max_share=0.3)
    assert np.array_equal(combined, vector) and share == 0.0
    combined, share = voiceprint_with_samples([vector], [10_000.0], [np.array([0.0, 1.0])], [5000], max_share=0.0)
    assert np.array_equal(combined, vector) and share == 0.0


def test_samples_join_by_duration_while_under_the_cap():
    enrolled, sample = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    combined, share = voiceprint_with_samples([enrolled], [9000.0], [sample], [1000], max_share=0.3)
    assert share == pytest.approx(0.1)  # 1 s heard against 9 s enrolled
    assert combined[1] / combined[0] == pytest.approx(1000 / 9000)


def test_samples_never_hold_more_than_the_share():
    enrolled = np.array([1.0, 0.0])
    samples = [np.array([0.0, 1.0]), np.array([0.0, 1.0])]
    combined, share = voiceprint_with_samples([enrolled], [1000.0], samples, [60_000, 30_000], max_share=0.3)
    assert share == pytest.approx(0.3)
    assert combined[1] / combined[0] == pytest.approx(0.3 / 0.7)
    assert np.isclose(np.linalg.norm(combined), 1.0)


def test_several_enrollments_combine_by_their_weights_even_without_samples():
    combined, share = voiceprint_with_samples([np.array([1.0, 0.0]), np.array([0.0, 1.0])], [3.0, 1.0], max_share=0.3)
    assert share == 0.0 and combined[0] / combined[1] == pytest.approx(3.0)


@pytest.mark.parametrize(
    "enrolled, samples, durations, share",
    [([], [], [], 0.3), ([np.ones(2)], [np.ones(2)], [], 0.3), ([np.ones(2)], [], [], 1.0), ([np.ones(2)], [], [], -0.1)],
)
def test_it_refuses_bad_sample_combinations(enrolled, samples, durations, share):
    with pytest.raises(ValueError):
        voiceprint_with_samples(enrolled, [1.0] * len(enrolled), samples, durations, max_share=share)
