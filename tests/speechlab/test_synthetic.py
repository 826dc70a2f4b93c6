"""Synthetic cases voiced by espeak-ng (selective_speaker/speechlab/manifests/synthetic.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def test_it_trims_leading_and_trailing_silence():
    from selective_speaker.speechlab.manifests.synthetic import trim_silence

    tone = 0.5 * np.sin(np.linspace(0, 2000 * np.pi, 16000)).astype(np.float32)
    audio = np.concatenate([np.zeros(8000, np.float32), tone, np.zeros(4000, np.float32)])
    trimmed = trim_silence(audio)
    assert abs(trimmed.size - 16000) <= 160


def test_it_voices_a_synthetic_case_with_known_words(tmp_path):
    from selective_speaker.speech.audio import decode_audio
    from selective_speaker.speechlab.manifest import EvalCase
    from selective_speaker.speechlab.manifests.synthetic import espeak_available, materialise_synthetic
    from selective_speaker.speechlab.rttm import read_rttm

    if espeak_available() is None:
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): it voices the WER cases")
    bystander = Path(__file__).resolve().parents[1] / "fixtures" / "audio" / "1998-15444-0007.flac"
    spec = {
        "voice": "en-us+m3",
        "gap_ms": 500,
        "enroll_text": ["The birch canoe slid on the smooth planks."],
        "turns": [{"say": "Glue the sheet to the dark blue background."}, {"play": str(bystander), "speaker": "guest"}],
    }
    case = materialise_synthetic(EvalCase("s", "owner", (), None, None, synth=spec), work_dir=tmp_path)
    turns = read_rttm(case.rttm)
    assert [t.speaker for t in turns] == ["owner", "guest"]
    assert turns[0].start_ms == 500 and turns[1].start_ms == turns[0].end_ms + 500
    audio, _ = decode_audio(case.audio.path)
    assert abs(audio.size / 16 - (turns[1].end_ms + 500)) <= 20
    assert case.transcript == "Glue the sheet to the dark blue background."
    assert case.enroll[0].path.is_file()
    again = materialise_synthetic(EvalCase("s", "owner", (), None, None, synth=spec), work_dir=tmp_path)
    assert again.audio.path == case.audio.path  # cached by the spec's hash
