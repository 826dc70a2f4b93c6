"""Command line of the measurement tooling — no database, no Django.

    python -m selective_speaker.speechlab eval shared-conversations [--data-root D] [--out DIR]
    python -m selective_speaker.speechlab eval realistic [--audio-root A]   (after manifests.build_realistic)
    python -m selective_speaker.speechlab eval realistic --answers 0,3,10 [--answers-transfer channel]  (answers.py)
    python -m selective_speaker.speechlab calibrate shared-conversations
    python -m selective_speaker.speechlab bench [--minutes 10]

The engine is configured as by `python -m selective_speaker.speech` (selective_speaker/speech/cli.py):
`EngineConfig.from_env(os.environ)` as on the server, then `--strategy` and `--set name=value`
(repeatable); the model cache is `$SPEECH_MODEL_DIR`, else var/models in the repository.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from selective_speaker.speech.cli import (
    CommandError,
    add_engine_flags,
    check_models,
    config_from_args,
    load_engine,
    run_command,
)
from selective_speaker.speech.config import EngineConfig

from .manifest import REPO_ROOT, load_manifest, resolve_audio_root, resolve_data_root, select_cases
from .plots import plot_calibration
from .report import (
    THRESHOLD_GRID,
    answers_line,
    build_report,
    format_table,
    machine,
    pct,
    print_answers,
    print_report,
    progress_line,
    write_report,
)
from .rttm import ManifestError
from .runner import Enrollments, run_case
from .scoring import LEAK_GOAL


def _prepare_cases(args):
    data_root = resolve_data_root(args.data_root)
    manifest = load_manifest(args.manifest, data_root=data_root, audio_root=resolve_audio_root(args.audio_root))
    cases = select_cases(manifest.cases, args.case or (), args.tag or ())
    if not cases:
        raise CommandError(f"no case of {manifest.path} matches --case {args.case} --tag {args.tag}")
    work_dir = Path(args.work_dir)
    if any(c.synth is not None for c in cases):
        from .manifests.synthetic import SynthesisError, materialise_synthetic

        try:
            cases = [materialise_synthetic(c, work_dir=work_dir) if c.synth is not None else c for c in cases]
        except SynthesisError as exc:
            raise CommandError(str(exc)) from exc
    return manifest, data_root, cases


def _out_dir(args, manifest_name: str) -> Path:
    out = Path(args.out) if args.out else REPO_ROOT / "artifacts" / "eval" / manifest_name
    out.mkdir(parents=True, exist_ok=True)
    return out


def command_eval(args) -> int:
    config = config_from_args(args)
    manifest, data_root, cases = _prepare_cases(args)
    check_models(config)
    engine = load_engine(config)
    diarize = args.diarize or config.strategy == "anchored"
    if diarize and not hasattr(engine, "diarize"):
        raise CommandError("this engine has no diarize(): DER cannot be measured")
    enrollments, diarizations = Enrollments(engine), {}
    ks = _answer_counts(args)
    simulated: list[tuple] = []
    started = time.time()
    results: list[dict] = []
    print(f"{manifest.name}: {len(cases)} cases, strategy {config.strategy}, threshold {config.accept_threshold}")
    for case in cases:
        try:
            flags = {"enrollments": enrollments, "diarize": diarize, "collar_ms": args.collar_ms, "diarizations": diarizations}
            if ks is None:
                result = run_case(engine, case, **flags)
            else:
                from .answers import simulate_case

                result, by_k, answered = simulate_case(engine, case, ks=ks, **flags)
                simulated.append((case, result, by_k, answered))
        except Exception as exc:  # one bad case must not hide the others' numbers
            if args.fail_fast:
                raise
            result = {"id": case.id, "tags": list(case.tags), "error": f"{type(exc).__name__}: {exc}"}
        results.append(result)
        print(progress_line(result), flush=True)
        if "answers" in result:
            print(f"  {answers_line(result['answers'])}", flush=True)
    scored = [r for r in results if "error" not in r]
    report = build_report(manifest, data_root, config, scored, results, started)
    if ks is not None:
        from .answers import collect

        transfer = [g for g in (args.answers_transfer or "").split(",") if g]
        report["answers"] = collect(
            engine, simulated, ks=ks, enrollments=enrollments, transfer_groups=transfer, log=lambda line: print(line, flush=True)
        )
        report["seconds"] = round(time.time() - started, 1)
    out = _out_dir(args, manifest.name)
    write_report(report, scored, config, out)
    print_report(report, results)
    print_answers(report.get("answers"))
    print(f"\nwrote {out / 'results.json'} and plots in {out}")
    return 1 if len(scored) < len(results) else 0


def _answer_counts(args) -> list[int] | None:
    if not getattr(args, "answers", None):
        return None
    from .answers import parse_ks

    try:
        return parse_ks(args.answers)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def command_calibrate(args) -> int:
    from .calibration import calibration_sweep, recommend_calibration

    config = config_from_args(args)
    if config.strategy != "voiceprint":
        raise CommandError("calibrate sweeps the voiceprint strategy's threshold and margin")
    manifest, data_root, cases = _prepare_cases(args)
    check_models(config)
    engine = load_engine(config)
    margins = [float(m) for m in args.margins.split(",")]
    sweep = calibration_sweep(engine, cases, enrollments=Enrollments(engine), thresholds=THRESHOLD_GRID, margins=margins)
    recommendation = recommend_calibration(sweep, leak_goal=args.leak_goal, flag_leak_goal=args.flag_leak_goal)
    out = _out_dir(args, f"{manifest.name}-calibration")
    report = {"manifest": str(manifest.path), "config": config.public(), "machine": machine(), **sweep, "recommended": recommendation}
    (out / "calibration.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    rows = [
        [
            f"{p['threshold']:.2f}",
            pct(p["recall"]),
            pct(p["min_recall"]),
            pct(p["leak"]),
            pct(p["max_leak"]),
            f"{p['cases_meeting_goals']}/{p['cases']}",
        ]
        for p in sweep["curve"]
        if 0.4 <= p["threshold"] <= 0.8
    ]
    print(format_table(rows, header=("threshold", "recall", "min recall", "leak", "max leak", "goals")))
    plot_calibration(sweep["curve"], config.accept_threshold, out / "calibration.png")
    print(f"\nrecommended: {json.dumps(recommendation)}")
    print(f"wrote {out / 'calibration.json'} and {out / 'calibration.png'}")
    return 0


def command_bench(args) -> int:
    config = config_from_args(args)
    check_models(config)
    out = Path(args.out) if args.out else REPO_ROOT / "artifacts" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    from .benchmark import BenchSetupError

    try:
        report = _bench(args, config)
    except BenchSetupError as exc:
        raise CommandError(str(exc)) from exc
    report["machine"] = machine()
    (out / "bench.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    print(json.dumps({k: report[k] for k in ("recording", "runs", "ratios")}, indent=1, default=str))
    print(f"wrote {out / 'bench.json'}")
    return 0


def _bench(args, config: EngineConfig) -> dict:
    from .benchmark import run_bench

    return run_bench(
        config,
        data_root=resolve_data_root(args.data_root),
        minutes=args.minutes,
        owner=args.owner,
        chunk_seconds=args.chunk_seconds,
        work_dir=Path(args.work_dir),
        strategies=args.only or None,
        log=lambda line: print(line, flush=True),
    )


# --- argument parsing ---------------------------------------------------------------------------


def _add_case_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", help="a manifest file, or the name of a shipped one (shared-conversations, ...)")
    parser.add_argument("--data-root", help="shared data folder for data: paths (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument(
        "--audio-root", help="generated audio for gen: paths (default $SELECTIVE_SPEAKER_EVAL_AUDIO or var/eval-audio)"
    )
    parser.add_argument("--out", help="where results and plots go (default artifacts/eval/<manifest>)")
    parser.add_argument("--case", action="append", help="only cases whose id matches this glob (repeatable)")
    parser.add_argument("--tag", action="append", help="only cases with this tag (repeatable)")
    parser.add_argument(
        "--work-dir", default=str(REPO_ROOT / "var" / "eval-cache"), help="cache of synthesised test audio"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selective_speaker.speechlab", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    evaluate = sub.add_parser("eval", help="score a manifest's cases: recall, leak, FA/FR, DER, WER, RTF, memory")
    _add_case_flags(evaluate)
    add_engine_flags(evaluate)
    evaluate.add_argument("--diarize", action="store_true", help="also score the built-in diarization (DER); on for anchored")
    evaluate.add_argument("--collar-ms", type=int, default=250, help="DER collar either side of reference boundaries")
    evaluate.add_argument("--fail-fast", action="store_true", help="stop at the first case that raises")
    evaluate.add_argument(
        "--answers", help='simulate the owner answering k "Was this you?" cards per case, e.g. 0,3,10 (answers.py)'
    )
    evaluate.add_argument(
        "--answers-transfer", help="with --answers: groups (comma-separated, or all) where other cases' answers are applied too"
    )
    evaluate.set_defaults(run=command_eval)

    calibrate = sub.add_parser("calibrate", help="sweep threshold and margin, re-deciding from the window embeddings")
    _add_case_flags(calibrate)
    add_engine_flags(calibrate)
    calibrate.add_argument("--margins", default="0.02,0.04,0.06,0.08,0.10", help="uncertain margins to sweep")
    calibrate.add_argument("--leak-goal", type=float, default=LEAK_GOAL, help="worst-case leak allowed")
    calibrate.add_argument(
        "--flag-leak-goal", type=float, default=0.05, help="worst-case leak allowed when the uncertain band is kept flagged"
    )
    calibrate.set_defaults(run=command_calibrate)

    bench = sub.add_parser("bench", help="time the whole chunk job on a long multi-speaker recording")
    bench.add_argument("--minutes", type=float, default=10.0, help="length of the recording built from the shared data")
    bench.add_argument("--owner", default="ls3005", help="the enrolled speaker (appears in two conversations)")
    bench.add_argument("--chunk-seconds", type=float, default=None, help="split into chunks this long (default: one chunk)")
    bench.add_argument(
        "--only", action="append", choices=("voiceprint", "anchored", "transcribe-all"), help="run only these (repeatable)"
    )
    bench.add_argument("--data-root", help="shared data folder (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    bench.add_argument("--out", help="where bench.json goes (default artifacts/bench)")
    bench.add_argument("--work-dir", default=str(REPO_ROOT / "var" / "eval-cache"), help="where the recording is written")
    add_engine_flags(bench)
    bench.set_defaults(run=command_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv), ManifestError)
