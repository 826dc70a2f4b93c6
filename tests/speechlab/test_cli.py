"""The measurement CLI: argument parsing, errors, and real `eval`, `calibrate` and `bench` runs
(selective_speaker/speechlab/cli.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from selective_speaker.speech.cli import config_from_args
from selective_speaker.speechlab.cli import build_parser, main

from .conftest import DATA_ROOT, FIXTURES, REPO


def test_it_parses_eval_arguments():
    args = build_parser().parse_args(
        ["eval", "shared-short", "--data-root", "/d", "--out", "/o", "--strategy", "anchored", "--set", "accept_threshold=0.55",
         "--set", "smoothing_windows=5", "--case", "a/*", "--tag", "short", "--diarize"]
    )
    assert args.command == "eval" and args.manifest == "shared-short"
    assert (args.data_root, args.out, args.strategy, args.diarize) == ("/d", "/o", "anchored", True)
    assert args.set == ["accept_threshold=0.55", "smoothing_windows=5"]
    assert (args.case, args.tag, args.collar_ms) == (["a/*"], ["short"], 250)


def test_it_parses_bench_arguments():
    bench = build_parser().parse_args(["bench", "--minutes", "12", "--only", "voiceprint"])
    assert bench.minutes == 12.0 and bench.only == ["voiceprint"] and bench.chunk_seconds is None


def test_it_refuses_an_unknown_strategy():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "m.json", "--strategy", "magic"])


def test_it_builds_the_engine_config_from_flags(monkeypatch, tmp_path):
    monkeypatch.setenv("SPEECH_MODEL_DIR", str(tmp_path))
    args = build_parser().parse_args(["eval", "m", "--strategy", "anchored", "--set", "accept_threshold=0.5"])
    config = config_from_args(args)
    assert (config.strategy, config.accept_threshold, config.model_cache_dir) == ("anchored", 0.5, tmp_path)


def test_it_reports_an_invalid_config_without_a_traceback(capsys):
    assert main(["eval", "shared-short", "--set", "smoothing_windows=2"]) == 2
    assert "smoothing_windows must be a positive odd number" in capsys.readouterr().err


def test_it_reports_a_missing_manifest_without_a_traceback(capsys, tmp_path):
    assert main(["eval", str(tmp_path / "nope.json")]) == 2
    assert "no manifest" in capsys.readouterr().err


# --- real runs ---------------------------------------------------------------------------------


def _run_eval(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "selective_speaker.speechlab", "eval", *args, "--out", str(out), "--work-dir", str(tmp_path / "work")]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "TOTAL (1)" in done.stdout
    assert {"results.json", "similarity.png", "cases.png", "tradeoff.png"} <= {p.name for p in out.iterdir()}
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_it_evaluates_one_shipped_short_case_end_to_end(tmp_path):
    if not (DATA_ROOT / "derived-simulated-conversations" / "manifest.json").is_file():
        pytest.skip(f"the shared data is not at {DATA_ROOT} (set SELECTIVE_SPEAKER_DATA)")
    report = _run_eval(tmp_path, "shared-short", "--case", "sim_ls_2spk_FM/ls1998/owner_only")
    (case,) = report["cases"]
    assert case["id"] == "sim_ls_2spk_FM/ls1998/owner_only"
    assert case["coverage"]["owner_ms"] == 4000
    assert case["coverage"]["recall"] >= 0.9
    assert case["coverage"]["leak"] == 0.0  # nobody else speaks in it
    assert case["rtf"]["total"] > 0 and report["peak_rss_mb"] > 0


@pytest.mark.slow
def test_it_evaluates_the_fixture_conversation_without_the_shared_data(tmp_path):
    report = _run_eval(tmp_path, str(FIXTURES / "eval-smoke.json"))
    (case,) = report["cases"]
    assert case["coverage"]["recall"] >= 0.75
    assert case["coverage"]["leak"] <= 0.03
    assert case["regions"]["owner_regions"] > 0 and case["regions"]["other_regions"] > 0
    assert case["words"]["words"] > 0 and case["words"]["bystander_words"] == 0  # the owner's words only
    assert report["summary"]["bystander_words"] == [0, case["words"]["words"]]
    assert report["summary"]["rtf"]["total"] > 0


def _run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "selective_speaker.speechlab", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_it_calibrates_from_the_window_embeddings(tmp_path):
    out = tmp_path / "cal"
    done = _run_cli("calibrate", str(FIXTURES / "eval-smoke.json"), "--margins", "0.04", "--out", str(out))
    report = json.loads((out / "calibration.json").read_text())
    assert len(report["curve"]) > 10 and report["recommended"]["threshold"] is not None
    recalls = [p["recall"] for p in report["curve"]]
    assert recalls == sorted(recalls, reverse=True) or recalls[0] >= recalls[-1]  # higher threshold, less kept
    assert "recommended" in done.stdout and (out / "calibration.png").is_file()


@pytest.mark.slow
def test_it_benchmarks_the_chunk_job_against_transcribing_everything(tmp_path):
    if not (DATA_ROOT / "derived-simulated-conversations" / "manifest.json").is_file():
        pytest.skip(f"the shared data is not at {DATA_ROOT} (set SELECTIVE_SPEAKER_DATA)")
    out = tmp_path / "bench"
    _run_cli(
        "bench", "--minutes", "0.5", "--owner", "ls1998", "--only", "voiceprint", "--only", "transcribe-all", "--out", str(out),
        "--work-dir", str(tmp_path / "work"),
    )
    report = json.loads((out / "bench.json").read_text())
    assert set(report["runs"]) == {"voiceprint", "transcribe-all"}
    assert report["recording"]["duration_s"] >= 30
    runs = report["runs"]
    assert runs["voiceprint"]["rtf"] > 0 and runs["transcribe-all"]["rtf"] > 0
    assert report["ratios"]["voiceprint/transcribe-all"] == pytest.approx(runs["voiceprint"]["rtf"] / runs["transcribe-all"]["rtf"])
    assert runs["voiceprint"]["rtf_per_stage"]["asr"] < runs["transcribe-all"]["rtf_per_stage"]["asr"]
