"""AS-norm and its operating points (selective_speaker/speechlab/cohort_check.py)."""

from __future__ import annotations

import numpy as np
import pytest

from selective_speaker.speechlab.cohort_check import as_norm, operating_points


def unit(*values):
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_as_norm_centres_a_score_on_what_the_cohort_scores():
    enrolled, test = unit(1, 0, 0), unit(0.8, 0.6, 0)
    cohort = np.stack([unit(0, 1, 0), unit(0, 0, 1), unit(0.5, 0.5, 0.7)])
    score = float(enrolled @ test)
    expected_e = cohort @ enrolled
    expected_t = cohort @ test
    want = 0.5 * (
        (score - expected_e.mean()) / (expected_e.std() + 1e-6) + (score - expected_t.mean()) / (expected_t.std() + 1e-6)
    )
    assert as_norm(score, enrolled, test, cohort, top=3) == pytest.approx(want, rel=1e-5)
    # only the top-N cohort scores count: the least similar cohort voice is left out with top=2
    assert as_norm(score, enrolled, test, cohort, top=2) != pytest.approx(want, rel=1e-3)


def test_operating_points_keep_nothing_of_absent_owners_and_one_percent_of_others():
    rows = [
        # group, owner absent, truth, ms, raw, normalised
        ("noise", False, "owner", 1000, 0.80, 3.0),
        ("noise", False, "owner", 1000, 0.55, 1.0),
        ("noise", False, "other", 9900, 0.30, -1.0),
        ("noise", False, "other", 100, 0.70, 2.0),
        ("owner_absent", True, "other", 500, 0.60, 2.5),
    ]
    (absent_name, absent_t, absent_s, absent_groups), (other_name, other_t, other_s, other_groups) = operating_points(rows, 4)
    assert absent_t == 0.60 and absent_s == 0.0
    assert absent_groups["noise"] == pytest.approx((50.0, 100 * 100 / 1100))  # the owner at 0.80 and the other at 0.70
    assert other_t == 0.30  # the 100 ms at 0.70 is 1 % of the other speech: accepted; the rest is not
    assert other_groups["noise"][0] == 100.0 and other_s == 0.5  # the absent region (0.60) is accepted there
    (_, t, s, groups), _ = operating_points(rows, 5)
    assert (t, s) == (2.5, 0.0) and groups["noise"][0] == 50.0
