import numpy as np
import pytest

from selective_speaker.speech.voiceprint import combine_voiceprints, voiceprint_from_windows


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
