"""Simulated rooms of the realistic suite (selective_speaker/speechlab/rooms.py)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyroomacoustics", reason="pyroomacoustics is in the eval extra: pip install -e '.[eval]'")

from selective_speaker.speechlab.rooms import (
    calibrated_room,
    distance,
    measured_rt60,
    point_at,
    reverberate,
    room_rirs,
    wearer_position,
)

SR = 16_000
DIMS = (8.0, 6.0, 3.0)


@pytest.mark.parametrize("rt60", [0.3, 0.6, 0.9])
def test_it_builds_rooms_that_reverberate_for_about_the_asked_time(rt60):
    rng = np.random.default_rng(3)
    room = calibrated_room(DIMS, rt60, rng)
    assert room.rt60 == pytest.approx(rt60, rel=0.05)  # the calibration source
    # other positions in the same room: roughly as asked too
    rirs = room_rirs(room, [point_at(room.dims, room.mic, d, rng) for d in (1.0, 3.0)])
    for rir in rirs:
        assert measured_rt60(rir) == pytest.approx(rt60, rel=0.25)


def test_it_places_voices_at_the_asked_distance_inside_the_walls():
    rng = np.random.default_rng(0)
    room = calibrated_room(DIMS, 0.4, rng)
    for d in (0.5, 2.0, 4.0):
        p = point_at(room.dims, room.mic, d, rng)
        assert distance(p, room.mic) == pytest.approx(d, abs=0.01)
        assert all(0.4 <= c <= dim - 0.4 for c, dim in zip(p[:2], room.dims[:2]))
    assert distance(wearer_position(room), room.mic) == pytest.approx(0.25, abs=0.01)


def test_it_keeps_the_dry_timing_and_weakens_a_far_voice():
    rng = np.random.default_rng(1)
    room = calibrated_room(DIMS, 0.5, rng)
    click = np.zeros(SR, np.float32)
    click[SR // 2] = 1.0
    near, far = reverberate([click, click], room_rirs(room, [wearer_position(room), point_at(room.dims, room.mic, 3.0, rng)]))
    assert near.shape == far.shape == click.shape
    arrival = lambda y: int(np.argmax(np.abs(y) > 0.5 * np.abs(y).max()))
    assert 0 <= arrival(near) - SR // 2 <= int(SR * 0.3 / 343)  # 0.25 m: under 1 ms
    assert 0 <= arrival(far) - SR // 2 <= int(SR * 3.5 / 343)  # the propagation delay only
    assert np.abs(far).max() < 0.3 * np.abs(near).max()


def test_it_builds_the_same_room_from_the_same_seed():
    a = calibrated_room(DIMS, 0.6, np.random.default_rng(5))
    b = calibrated_room(DIMS, 0.6, np.random.default_rng(5))
    assert a == b
    assert room_rirs(a, [(2.0, 2.0, 1.5)])[0].tobytes() == room_rirs(b, [(2.0, 2.0, 1.5)])[0].tobytes()
