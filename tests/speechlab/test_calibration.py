"""Choosing threshold and margin from a sweep (selective_speaker/speechlab/calibration.py)."""

from __future__ import annotations

import numpy as np

from selective_speaker.speechlab.calibration import mask_intervals, recommend_calibration


def test_it_turns_a_frame_mask_into_intervals():
    mask = np.array([0, 1, 1, 0, 0, 1], dtype=bool)
    assert mask_intervals(mask) == [(10, 30), (50, 60)]
    assert mask_intervals(np.zeros(0, dtype=bool)) == []


def test_it_recommends_the_lowest_threshold_with_safe_worst_case_leak():
    sweep = {
        "curve": [
            {"threshold": 0.5, "recall": 0.99, "min_recall": 0.97, "leak": 0.03, "max_leak": 0.05},
            {"threshold": 0.55, "recall": 0.97, "min_recall": 0.93, "leak": 0.01, "max_leak": 0.02},
            {"threshold": 0.6, "recall": 0.95, "min_recall": 0.90, "leak": 0.0, "max_leak": 0.01},
        ],
        "flagged": [
            {"threshold": 0.55, "margin": 0.02, "recall": 0.98, "max_leak": 0.03},
            {"threshold": 0.55, "margin": 0.06, "recall": 0.99, "max_leak": 0.08},
        ],
    }
    rec = recommend_calibration(sweep, leak_goal=0.02, flag_leak_goal=0.05)
    assert rec["threshold"] == 0.55 and rec["meets_leak_goal"]
    assert rec["margin"] == 0.02
