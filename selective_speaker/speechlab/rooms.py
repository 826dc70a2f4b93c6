"""Simulated rooms for the realistic-conditions suite: image-source RIRs with pyroomacoustics.

A shoebox room with one microphone (a wearable, 1.3 m up); each speaker stands at a given
distance from it, or — the wearer — 0.25 m away (mouth to chest). The image-source method's
reverberation comes out longer than Sabine's formula asks for, so the absorption is calibrated:
the requested RT60 is adjusted until a reference RIR (a source 2 m away) measures the wanted T30
within 5 % (`measured_rt60`, Schroeder backward integration, -5 to -35 dB extrapolated to 60 dB).

Reverberant tracks keep the dry timing: the RIR's fractional-delay filter offset is removed, so
a voice arrives after its propagation delay only (≤ 12 ms at 4 m); the reference turns stay the
dry ones. pyroomacoustics is in the ``eval`` extra (pip install -e .[eval]).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import fftconvolve

SR = 16_000
MIC_HEIGHT = 1.3
WEARER_OFFSET = (0.05, 0.0, 0.24)  # the wearer's mouth relative to a chest-worn microphone
WALL_MARGIN = 0.4
CALIBRATION_DISTANCE = 2.0


class RoomError(ValueError):
    """The room cannot hold the asked positions, or pyroomacoustics is missing."""


@dataclass(frozen=True)
class Room:
    dims: tuple[float, float, float]
    mic: tuple[float, float, float]
    absorption: float  # energy absorption of every surface (calibrated)
    max_order: int
    rt60: float  # measured T30 of the reference RIR


def _pra():
    try:
        import pyroomacoustics
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise RoomError("pyroomacoustics is not installed: pip install -e '.[eval]'") from exc
    return pyroomacoustics


def measured_rt60(rir: np.ndarray) -> float:
    return float(_pra().experimental.measure_rt60(rir, fs=SR, decay_db=30))


def _rirs(dims, mic, sources, absorption: float, max_order: int) -> list[np.ndarray]:
    pra = _pra()
    room = pra.ShoeBox(list(dims), fs=SR, materials=pra.Material(absorption), max_order=max_order)
    for source in sources:
        room.add_source(list(source))
    room.add_microphone(list(mic))
    room.compute_rir()
    offset = pra.constants.get("frac_delay_length") // 2
    return [np.asarray(r[offset:], dtype=np.float64) for r in room.rir[0]]


def point_at(dims, mic, distance: float, rng: np.random.Generator, *, height: float | None = None) -> tuple[float, float, float]:
    """A point `distance` metres from the microphone, inside the walls, at a random bearing."""
    for _ in range(200):
        z = height if height is not None else float(rng.uniform(1.2, 1.7))
        horizontal = np.sqrt(max(distance**2 - (z - mic[2]) ** 2, 0.0))
        angle = rng.uniform(0, 2 * np.pi)
        x, y = mic[0] + horizontal * np.cos(angle), mic[1] + horizontal * np.sin(angle)
        if WALL_MARGIN <= x <= dims[0] - WALL_MARGIN and WALL_MARGIN <= y <= dims[1] - WALL_MARGIN:
            return (round(float(x), 3), round(float(y), 3), round(float(z), 3))
    raise RoomError(f"no point {distance} m from the microphone fits in a {dims} room")


def calibrated_room(dims: Sequence[float], rt60: float, rng: np.random.Generator, *, tolerance: float = 0.05) -> Room:
    """A room whose reference RIR measures `rt60` (T30) within `tolerance`, microphone placed near the middle."""
    pra = _pra()
    dims = tuple(float(d) for d in dims)
    mic = (
        round(float(dims[0] * rng.uniform(0.4, 0.6)), 3),
        round(float(dims[1] * rng.uniform(0.4, 0.6)), 3),
        MIC_HEIGHT,
    )
    reference = point_at(dims, mic, CALIBRATION_DISTANCE, rng, height=1.5)
    asked, best = rt60, None
    for _ in range(6):
        try:
            absorption, max_order = pra.inverse_sabine(asked, list(dims))
        except ValueError:  # the room is too big for so short a reverberation: absorb all we can
            absorption, max_order = 0.99, 12
        absorption = float(min(absorption, 0.99))
        (rir,) = _rirs(dims, mic, [reference], absorption, max_order)
        measured = measured_rt60(rir)
        if best is None or abs(measured - rt60) < abs(best.rt60 - rt60):
            best = Room(dims, mic, absorption, int(max_order), measured)
        if abs(measured / rt60 - 1) <= tolerance:
            break
        asked *= rt60 / measured
    return best


def room_rirs(room: Room, positions: Sequence[Sequence[float]]) -> list[np.ndarray]:
    return _rirs(room.dims, room.mic, positions, room.absorption, room.max_order)


def wearer_position(room: Room) -> tuple[float, float, float]:
    return tuple(round(m + o, 3) for m, o in zip(room.mic, WEARER_OFFSET))


def reverberate(tracks: Sequence[np.ndarray], rirs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each dry track convolved with its RIR, cut to the dry length (timing kept)."""
    out = []
    for track, rir in zip(tracks, rirs):
        wet = fftconvolve(track.astype(np.float64), rir)[: track.size]
        out.append(wet.astype(np.float32))
    return out


def distance(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
