"""The benchmark's long recording (selective_speaker/speechlab/benchmark.py)."""

from __future__ import annotations

import pytest

from .conftest import DATA_ROOT


def test_it_builds_the_bench_recording_from_the_shared_conversations():
    from selective_speaker.speechlab.benchmark import build_long_recording
    from selective_speaker.speechlab.rttm import read_rttm

    if not (DATA_ROOT / "derived-simulated-conversations" / "manifest.json").is_file():
        pytest.skip(f"the shared data is not at {DATA_ROOT} (set SELECTIVE_SPEAKER_DATA)")
    recording = build_long_recording(DATA_ROOT, minutes=3.0)
    assert recording.duration_s >= 180
    assert [p["conversation"] for p in recording.parts] == ["sim_ls_2spk_FM", "sim_ls_2spk_MM"]
    second = recording.parts[1]
    rttm = read_rttm(DATA_ROOT / "derived-simulated-conversations" / "conversations" / "sim_ls_2spk_MM.rttm")
    shifted = [t for t in recording.turns if t.start_ms >= second["offset_ms"]]
    assert [(t.start_ms - second["offset_ms"], t.speaker) for t in shifted] == [(t.start_ms, t.speaker) for t in rttm]
    again = build_long_recording(DATA_ROOT, minutes=3.0)
    assert (again.audio == recording.audio).all()
