"""Rendering realistic cases from their recipes (selective_speaker/speechlab/manifests/realistic_audio.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from selective_speaker.speechlab.manifests.realistic_audio import case_folder, recipe_digest, render_case
from selective_speaker.speechlab.rttm import read_rttm

from .conftest import DATA_ROOT, needs_shared_data

pytestmark = needs_shared_data


@pytest.fixture(scope="module")
def pool():
    from selective_speaker.speechlab.conversation import voice_pool

    return voice_pool(DATA_ROOT)


def recipe(case_id="t/case/ls1998", owner="ls1998", speakers=("ls1998", "ls2033"), seconds=12, seed=11, absent=False, **build):
    return {
        "id": case_id,
        "owner": owner,
        **({"owner_absent": True} if absent else {}),
        "build": {"seed": seed, "conversation": {"speakers": list(speakers), "seconds": seconds}, **build},
    }


def files(root, raw):
    folder = root / case_folder(raw["id"])
    return folder, {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_it_writes_audio_reference_turns_and_what_ran(tmp_path, pool):
    import soundfile

    raw = recipe(noise=[{"kind": "babble", "snr_db": 10, "voices": ["ls367", "ls533", "id10001", "eagle1", "falcon2"]}],
                 channel=[{"op": "telephone"}])
    built = render_case(raw, pool, tmp_path)
    folder = tmp_path / "realistic" / "t" / "case" / "ls1998"
    assert {p.name for p in folder.iterdir()} == {"audio.wav", "reference.rttm", "build.json"}
    info = soundfile.info(str(folder / "audio.wav"))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    turns = read_rttm(folder / "reference.rttm")
    assert {t.speaker for t in turns} == {"ls1998", "ls2033"}
    assert turns[-1].end_ms <= info.duration * 1000 and info.duration >= 12
    assert built["snr_db"][0]["measured"] == pytest.approx(10, abs=0.5)
    assert built["channel"] == ["telephone 300-3400 Hz via 8 kHz"]
    assert json.loads((folder / "build.json").read_text())["digest"] == recipe_digest(raw)


def test_it_renders_the_same_bytes_from_the_same_seed_and_skips_what_is_built(tmp_path, pool):
    raw = recipe(channel=[{"op": "codec", "codec": "opus", "kbps": 8}], noise=[{"kind": "pink", "snr_db": 20}])
    render_case(raw, pool, tmp_path / "a")
    render_case(raw, pool, tmp_path / "b")
    assert files(tmp_path / "a", raw)[1] == files(tmp_path / "b", raw)[1]
    assert render_case(raw, pool, tmp_path / "a").get("skipped") is True
    other = render_case(recipe(seed=12, channel=raw["build"]["channel"]), pool, tmp_path / "c")
    assert other.get("skipped") is None
    assert files(tmp_path / "c", raw)[1]["audio.wav"] != files(tmp_path / "a", raw)[1]["audio.wav"]


def test_it_sends_the_enrollment_through_the_chain_in_reverse_cases(tmp_path, pool):
    from selective_speaker.speech.audio import decode_audio

    raw = recipe(enroll_channel=[{"op": "telephone"}])
    built = render_case(raw, pool, tmp_path)
    folder = tmp_path / case_folder(raw["id"])
    enroll = decode_audio(folder / "enroll.wav")[0]
    spectrum = np.abs(np.fft.rfft(enroll.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(enroll.size, 1 / 16000)
    assert spectrum[freqs > 4200].sum() < 1e-4 * spectrum.sum()  # telephone band
    assert built["channel"] == [] and built["enroll_channel"] == ["telephone 300-3400 Hz via 8 kHz"]


def test_it_leaves_the_owner_out_of_an_owner_absent_recording(tmp_path, pool):
    raw = recipe(case_id="t/absent/ls1998", speakers=("ls1688", "ls2414"), absent=True)
    render_case(raw, pool, tmp_path)
    turns = read_rttm(tmp_path / case_folder(raw["id"]) / "reference.rttm")
    assert {t.speaker for t in turns} == {"ls1688", "ls2414"}


def test_it_reverberates_a_room_case_with_the_dry_turns(tmp_path, pool):
    pytest.importorskip("pyroomacoustics")
    room = {"dims": [7.5, 6.0, 3.0], "rt60": 0.6, "distances": {"ls1998": "wearer", "ls2033": 2.5}}
    raw = recipe(room=room, noise=[{"kind": "hum", "mains_hz": 50, "snr_db": 15}])
    dry = render_case(recipe(), pool, tmp_path / "dry")
    wet = render_case(raw, pool, tmp_path / "wet")
    assert wet["room"]["rt60_measured"] == pytest.approx(0.6, rel=0.05)
    assert wet["room"]["distance_m"] == {"ls1998": 0.25, "ls2033": 2.5}
    assert wet["conversation"] == dry["conversation"]  # same seed, same turns: the reference stays dry
    assert read_rttm(tmp_path / "wet" / case_folder(raw["id"]) / "reference.rttm") == read_rttm(
        tmp_path / "dry" / case_folder(raw["id"]) / "reference.rttm"
    )
