"""The engine's runtime CLI: argument parsing, `--set`, and a real `transcribe` run
(selective_speaker/speech/cli.py). Measurement commands: tests/speechlab/test_cli.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selective_speaker.speech.cli import CommandError, build_parser, main, parse_settings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def test_it_parses_transcribe_arguments():
    args = build_parser().parse_args(["transcribe", "chunk.ogg", "--enroll", "a.flac", "b.flac"])
    assert args.audio == "chunk.ogg" and args.enroll == ["a.flac", "b.flac"]


def test_it_names_a_bad_setting():
    with pytest.raises(CommandError, match="no such setting"):
        parse_settings(["threshold=0.5"])
    with pytest.raises(CommandError, match="not a valid int"):
        parse_settings(["smoothing_windows=three"])
    with pytest.raises(CommandError, match="not a valid bool"):
        parse_settings(["refine_boundaries=maybe"])
    with pytest.raises(CommandError, match="expected name=value"):
        parse_settings(["accept_threshold"])


def test_it_names_missing_files_for_transcribe(capsys, tmp_path):
    assert main(["transcribe", str(tmp_path / "chunk.wav"), "--enroll", str(tmp_path / "me.flac")]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and "chunk.wav" in err and "me.flac" in err


def _run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "selective_speaker.speech", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_it_transcribes_only_the_owner_from_the_command_line():
    audio = FIXTURES / "audio"
    done = _run_cli(
        "transcribe", str(audio / "sim_ls_2spk_FM_0-34s.flac"), "--enroll", *(str(audio / f"1998-15444-000{i}.flac") for i in (7, 8, 9))
    )
    result = json.loads(done.stdout)
    assert result["status"] == "done" and result["segments"]
    assert "poisoning" in " ".join(s["text"] for s in result["segments"]).lower()  # the owner's first sentence
    assert all(s["start_ms"] < s["end_ms"] for s in result["segments"])
