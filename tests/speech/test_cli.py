"""The speech CLI: argument parsing, `--set` coercion, and real `eval` runs on one short case."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from selective_speaker.speech.__main__ import (
    CommandError,
    build_parser,
    coerce_setting,
    config_from_args,
    format_table,
    main,
    parse_settings,
)
from selective_speaker.speech.evaluation import resolve_data_root

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
DATA_ROOT = resolve_data_root()


def test_it_parses_eval_arguments():
    args = build_parser().parse_args(
        ["eval", "shared-short", "--data-root", "/d", "--out", "/o", "--strategy", "anchored", "--set", "accept_threshold=0.55",
         "--set", "smoothing_windows=5", "--case", "a/*", "--tag", "short", "--diarize"]
    )
    assert args.command == "eval" and args.manifest == "shared-short"
    assert (args.data_root, args.out, args.strategy, args.diarize) == ("/d", "/o", "anchored", True)
    assert args.set == ["accept_threshold=0.55", "smoothing_windows=5"]
    assert (args.case, args.tag, args.collar_ms) == (["a/*"], ["short"], 250)


def test_it_parses_transcribe_and_bench_arguments():
    args = build_parser().parse_args(["transcribe", "chunk.ogg", "--enroll", "a.flac", "b.flac"])
    assert args.audio == "chunk.ogg" and args.enroll == ["a.flac", "b.flac"]
    bench = build_parser().parse_args(["bench", "--minutes", "12", "--only", "voiceprint"])
    assert bench.minutes == 12.0 and bench.only == ["voiceprint"] and bench.chunk_seconds is None


def test_it_refuses_an_unknown_strategy():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["eval", "m.json", "--strategy", "magic"])


def test_it_coerces_settings_to_the_config_field_types():
    assert coerce_setting("accept_threshold", "0.55") == 0.55
    assert coerce_setting("smoothing_windows", "5") == 5
    assert coerce_setting("refine_boundaries", "off") is False
    assert coerce_setting("refine_boundaries", "Yes") is True
    assert coerce_setting("asr_model", "bundled:tiny.en") == "bundled:tiny.en"
    assert coerce_setting("model_cache_dir", "/tmp/models") == Path("/tmp/models")
    assert coerce_setting("max_speakers", "3") == 3
    assert coerce_setting("max_speakers", "none") is None
    assert coerce_setting("asr_language", "null") is None
    assert coerce_setting("asr_language", "de") == "de"


def test_it_names_a_bad_setting():
    with pytest.raises(CommandError, match="no such setting"):
        coerce_setting("threshold", "0.5")
    with pytest.raises(CommandError, match="not a valid int"):
        coerce_setting("smoothing_windows", "three")
    with pytest.raises(CommandError, match="not a valid bool"):
        coerce_setting("refine_boundaries", "maybe")
    with pytest.raises(CommandError, match="expected name=value"):
        parse_settings(["accept_threshold"])


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


def test_it_names_missing_files_for_transcribe(capsys, tmp_path):
    assert main(["transcribe", str(tmp_path / "chunk.wav"), "--enroll", str(tmp_path / "me.flac")]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and "chunk.wav" in err and "me.flac" in err


def test_it_lines_up_table_columns():
    table = format_table([["a", "1.0"], ["long name", "10.5"]], header=("case", "x"))
    lines = table.splitlines()
    assert lines[0].startswith("case     ") and lines[2].endswith(" 1.0") and lines[3].endswith("10.5")


# --- real runs ---------------------------------------------------------------------------------


def _engine_or_skip() -> None:
    if importlib.util.find_spec("selective_speaker.speech.engine") is None:
        pytest.skip("the speech engine (selective_speaker/speech/engine.py) is not importable yet")


def _run_eval(tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "selective_speaker.speech", "eval", *args, "--out", str(out), "--work-dir", str(tmp_path / "work")]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "TOTAL (1)" in done.stdout
    assert {"results.json", "similarity.png", "cases.png", "tradeoff.png"} <= {p.name for p in out.iterdir()}
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_it_evaluates_one_shipped_short_case_end_to_end(tmp_path):
    _engine_or_skip()
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
    _engine_or_skip()
    report = _run_eval(tmp_path, str(FIXTURES / "eval-smoke.json"))
    (case,) = report["cases"]
    assert case["coverage"]["recall"] >= 0.75
    assert case["coverage"]["leak"] <= 0.03
    assert case["regions"]["owner_regions"] > 0 and case["regions"]["other_regions"] > 0
    assert report["summary"]["rtf"]["total"] > 0


def _run_cli(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "selective_speaker.speech", *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_it_transcribes_only_the_owner_from_the_command_line():
    _engine_or_skip()
    audio = FIXTURES / "audio"
    done = _run_cli(
        "transcribe", str(audio / "sim_ls_2spk_FM_0-34s.flac"), "--enroll", *(str(audio / f"1998-15444-000{i}.flac") for i in (7, 8, 9))
    )
    result = json.loads(done.stdout)
    assert result["status"] == "done" and result["segments"]
    assert "poisoning" in " ".join(s["text"] for s in result["segments"]).lower()  # the owner's first sentence
    assert all(s["start_ms"] < s["end_ms"] for s in result["segments"])


@pytest.mark.slow
def test_it_calibrates_from_the_window_embeddings(tmp_path):
    _engine_or_skip()
    out = tmp_path / "cal"
    done = _run_cli("calibrate", str(FIXTURES / "eval-smoke.json"), "--margins", "0.04", "--out", str(out))
    report = json.loads((out / "calibration.json").read_text())
    assert len(report["curve"]) > 10 and report["recommended"]["threshold"] is not None
    recalls = [p["recall"] for p in report["curve"]]
    assert recalls == sorted(recalls, reverse=True) or recalls[0] >= recalls[-1]  # higher threshold, less kept
    assert "recommended" in done.stdout and (out / "calibration.png").is_file()


def test_it_builds_the_bench_recording_from_the_shared_conversations():
    from selective_speaker.speech.benchmark import build_long_recording
    from selective_speaker.speech.evaluation import read_rttm

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


@pytest.mark.slow
def test_it_benchmarks_the_chunk_job_against_transcribing_everything(tmp_path):
    _engine_or_skip()
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
