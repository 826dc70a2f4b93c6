"""Command line of the speech engine — no database, no Django.

    python -m selective_speaker.speech prepare-models
    python -m selective_speaker.speech transcribe CHUNK.wav --enroll ME1.flac ME2.flac
    python -m selective_speaker.speech eval shared-conversations [--data-root D] [--out DIR]
    python -m selective_speaker.speech calibrate shared-conversations
    python -m selective_speaker.speech bench [--minutes 10]

Every EngineConfig field can be set with `--set name=value` (repeatable); the model cache is
`$SPEECH_MODEL_DIR`, else var/models in the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import types
import typing
from pathlib import Path

from .config import EngineConfig
from .evaluation import (
    LEAK_GOAL,
    RECALL_GOAL,
    REPO_ROOT,
    AudioRef,
    Enrollments,
    ManifestError,
    all_samples,
    enrollment_audio,
    equal_error_point,
    load_manifest,
    meets_goals,
    peak_rss_mb,
    process_with_engine,
    resolve_data_root,
    run_case,
    select_cases,
    summarise,
    summarise_by_tag,
    threshold_meeting_goals,
    tradeoff_curve,
)

MODEL_DIR_ENV = "SPEECH_MODEL_DIR"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
NONE_WORDS = {"none", "null", ""}
THRESHOLD_GRID = [round(0.30 + 0.01 * i, 2) for i in range(56)]  # 0.30 .. 0.85


class CommandError(Exception):
    """A problem with what the user asked for: printed without a traceback, exit status 2."""


# --- configuration from flags -----------------------------------------------------------------


def _field_types() -> dict[str, object]:
    return typing.get_type_hints(EngineConfig)


def coerce_setting(name: str, text: str):
    """`text` as the type of EngineConfig field `name` (bool, int, float, str, Path, optional)."""
    types_ = _field_types()
    if name not in types_:
        raise CommandError(f"--set {name}: no such setting; known: {', '.join(sorted(types_))}")
    kind = types_[name]
    choices = typing.get_args(kind) if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union else (kind,)
    optional = type(None) in choices
    choices = [c for c in choices if c is not type(None)]
    if optional and text.strip().lower() in NONE_WORDS:
        return None
    base = choices[0]
    try:
        if base is bool:
            word = text.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
            raise ValueError(f"expected one of {sorted(TRUE_WORDS | FALSE_WORDS)}")
        if base is int:
            return int(text)
        if base is float:
            return float(text)
        if base is Path:
            return Path(text).expanduser()
        return str(text)
    except ValueError as exc:
        raise CommandError(f"--set {name}={text}: not a valid {getattr(base, '__name__', base)} ({exc})") from exc


def parse_settings(items: list[str]) -> dict:
    changes = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--set {item}: expected name=value")
        changes[name.strip()] = coerce_setting(name.strip(), value)
    return changes


def default_model_dir() -> Path:
    return Path(os.environ.get(MODEL_DIR_ENV) or REPO_ROOT / "var" / "models")


def config_from_args(args: argparse.Namespace) -> EngineConfig:
    changes: dict = {"model_cache_dir": default_model_dir()}
    if getattr(args, "strategy", None):
        changes["strategy"] = args.strategy
    changes.update(parse_settings(getattr(args, "set", None) or []))
    try:
        return EngineConfig(**changes)
    except ValueError as exc:
        raise CommandError(f"invalid settings: {exc}") from exc


def load_engine(config: EngineConfig):
    try:
        from .engine import Engine
    except ImportError as exc:
        raise CommandError(f"the speech engine cannot be imported: {exc}") from exc
    return Engine.shared(config)


def check_models(config: EngineConfig) -> None:
    from .models import readiness

    missing = {name: r["detail"] for name, r in readiness(config).items() if not r["ok"]}
    if missing:
        details = "; ".join(f"{name}: {detail}" for name, detail in missing.items())
        raise CommandError(f"models not ready in {config.model_cache_dir}: {details}")


# --- formatting ---------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


COLUMNS = ("case", "audio s", "recall", "leak", "unowned", "FA", "FR", "DER", "WER", "RTF", "goals")


def case_row(case: dict) -> list[str]:
    if "error" in case:
        return [case["id"], "—", "—", "—", "—", "—", "—", "—", "—", "—", "ERROR"]
    cov, reg = case["coverage"], case["regions"]
    return [
        case["id"],
        f"{case['audio_s']:.1f}",
        pct(cov["recall"]),
        pct(cov["leak"]),
        pct(cov["unowned"]),
        pct(reg["false_accept_rate"]),
        pct(reg["false_reject_rate"]),
        pct(case["der"]["der"]) if case["der"] else "—",
        pct(case["wer"]["wer"]) if case["wer"] else "—",
        num(case["rtf"].get("total")),
        "ok" if meets_goals(case) else "MISS",
    ]


def _progress_line(case: dict) -> str:
    if "error" in case:
        return f"{case['id']}: ERROR {case['error']}"
    return "  ".join(f"{name} {value}" for name, value in zip(COLUMNS, case_row(case)) if name != "case").join(
        (f"{case['id']}: ", "")
    )


def summary_row(name: str, summary: dict) -> list[str]:
    return [
        f"{name} ({summary['cases']})",
        f"{summary['audio_s']:.1f}",
        pct(summary["recall"]),
        pct(summary["leak"]),
        pct(summary["unowned"]),
        pct(summary["false_accept_rate"]),
        pct(summary["false_reject_rate"]),
        pct(summary["der"]),
        pct(summary["wer"]),
        num(summary["rtf"].get("total")),
        f"{summary['cases_meeting_goals']}/{summary['cases']}",
    ]


def format_table(rows: list[list[str]], header=COLUMNS) -> str:
    widths = [max(len(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(list(header)), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


# --- plots --------------------------------------------------------------------------------------


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise CommandError("plots need matplotlib: pip install -e .[eval]") from exc
    return plt


def plot_similarities(samples, threshold: float | None, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for truth, colour in (("owner", "tab:green"), ("other", "tab:red")):
        chosen = [s for s in samples if s.truth == truth and s.similarity is not None]
        if chosen:
            ax.hist(
                [s.similarity for s in chosen],
                bins=40,
                range=(-0.2, 1.0),
                weights=[s.duration_ms / 1000 for s in chosen],
                alpha=0.6,
                color=colour,
                label=f"{truth} ({len(chosen)} regions)",
            )
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.2f}")
    ax.set_xlabel("region similarity to the owner's voiceprint")
    ax.set_ylabel("seconds of speech")
    ax.set_title("Owner vs others: similarity of decided regions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cases(cases: list[dict], path: Path) -> None:
    plt = _pyplot()
    scored = [c for c in cases if "error" not in c]
    fig, ax = plt.subplots(figsize=(max(8, 0.35 * len(scored)), 5))
    xs = range(len(scored))
    recall = [c["coverage"]["recall"] or 0 for c in scored]
    leak = [c["coverage"]["leak"] or 0 for c in scored]
    ax.bar([x - 0.2 for x in xs], recall, width=0.4, color="tab:green", label="owner recall")
    ax.bar([x + 0.2 for x in xs], leak, width=0.4, color="tab:red", label="bystander leak")
    ax.axhline(RECALL_GOAL, color="tab:green", linestyle=":", linewidth=1)
    ax.axhline(LEAK_GOAL, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xticks(list(xs), [c["id"] for c in scored], rotation=75, ha="right", fontsize=7)
    ax.set_ylim(0, 1.05)
    ax.set_title("Per case: owner recall and bystander leak (dotted: goals)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_tradeoff(curve: list[dict], threshold: float | None, path: Path, *, title: str) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [p["threshold"] for p in curve]
    for key, colour, label in (
        ("false_accept_rate", "tab:red", "false accept (time)"),
        ("false_reject_rate", "tab:green", "false reject (time)"),
        ("leak", "tab:orange", "leak"),
    ):
        ax.plot(xs, [p.get(key) if p.get(key) is not None else float("nan") for p in curve], color=colour, label=label)
    if threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", label=f"configured {threshold:.2f}")
    ax.axhline(LEAK_GOAL, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("accept threshold")
    ax.set_ylabel("rate")
    ax.set_title(title)
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- commands -----------------------------------------------------------------------------------


def command_prepare_models(args) -> int:
    from .models import prepare_models

    config = config_from_args(args)
    print(json.dumps(prepare_models(config), indent=2))
    return 0


def command_transcribe(args) -> int:
    from .audio import decode_audio

    from .evaluation import process_with_engine

    config = config_from_args(args)
    missing = [p for p in (args.audio, *args.enroll) if not Path(p).is_file()]
    if missing:
        raise CommandError(f"file not found: {', '.join(missing)}")
    check_models(config)
    audio, _info = decode_audio(args.audio, max_duration_ms=config.max_duration_ms)
    enrollment = enrollment_audio([AudioRef(Path(p)) for p in args.enroll])
    engine = load_engine(config)
    voiceprint = engine.enroll(enrollment).voiceprint

    result = process_with_engine(engine, audio, voiceprint, enrollment)
    out = {
        "status": str(result.status),
        "reason": result.reason,
        "duration_ms": result.duration_ms,
        "segments": [s.as_dict() for s in result.segments],
        "timings": result.timings,
        "decision": result.decision,
    }
    print(json.dumps(out, indent=2, default=str))
    return 0


def _prepare_cases(args):
    data_root = resolve_data_root(args.data_root)
    manifest = load_manifest(args.manifest, data_root=data_root)
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


def _machine() -> dict:
    return {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()}


def command_eval(args) -> int:
    config = config_from_args(args)
    manifest, data_root, cases = _prepare_cases(args)
    check_models(config)
    engine = load_engine(config)
    diarize = args.diarize or config.strategy == "anchored"
    if diarize and not hasattr(engine, "diarize"):
        raise CommandError("this engine has no diarize(): DER cannot be measured")
    enrollments, diarizations = Enrollments(engine), {}
    started = time.time()
    results: list[dict] = []
    print(f"{manifest.name}: {len(cases)} cases, strategy {config.strategy}, threshold {config.accept_threshold}")
    for case in cases:
        try:
            result = run_case(
                engine, case, enrollments=enrollments, diarize=diarize, collar_ms=args.collar_ms, diarizations=diarizations
            )
        except Exception as exc:  # one bad case must not hide the others' numbers
            if args.fail_fast:
                raise
            result = {"id": case.id, "tags": list(case.tags), "error": f"{type(exc).__name__}: {exc}"}
        results.append(result)
        print(_progress_line(result), flush=True)
    scored = [r for r in results if "error" not in r]
    report = build_report(manifest, data_root, config, scored, results, started)
    out = _out_dir(args, manifest.name)
    write_report(report, scored, config, out)
    print_report(report, results)
    print(f"\nwrote {out / 'results.json'} and plots in {out}")
    return 1 if len(scored) < len(results) else 0


def build_report(manifest, data_root: Path, config: EngineConfig, scored: list[dict], results: list[dict], started: float) -> dict:
    samples = all_samples(scored)
    curve = tradeoff_curve(samples, THRESHOLD_GRID)
    return {
        "manifest": str(manifest.path),
        "data_root": str(data_root),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": _machine(),
        "config": config.public(),
        "goals": {"recall": RECALL_GOAL, "leak": LEAK_GOAL},
        "summary": summarise(scored) if scored else None,
        "by_tag": summarise_by_tag(scored),
        "tradeoff": {
            "note": "re-deciding regions at other thresholds (estimate; `calibrate` is exact for attribution)",
            "curve": curve,
            "meets_goals": threshold_meeting_goals(curve, max_false_accept=LEAK_GOAL, max_leak=LEAK_GOAL),
            "equal_error": equal_error_point(curve),
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "cases": results,
    }


def write_report(report: dict, scored: list[dict], config: EngineConfig, out: Path) -> None:
    (out / "results.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    if not scored:
        return
    samples = all_samples(scored)
    if any(s.similarity is not None for s in samples):
        plot_similarities(samples, config.accept_threshold, out / "similarity.png")
    plot_cases(scored, out / "cases.png")
    if report["tradeoff"]["curve"]:
        plot_tradeoff(
            report["tradeoff"]["curve"], config.accept_threshold, out / "tradeoff.png", title="Region decisions vs threshold"
        )


def print_report(report: dict, results: list[dict]) -> None:
    print()
    print(format_table([case_row(c) for c in results]))
    for case in results:
        if "error" in case:
            print(f"ERROR in {case['id']}: {case['error']}")
    summary = report["summary"]
    if summary is None:
        print("no case could be scored")
        return
    rows = [summary_row(tag, s) for tag, s in report["by_tag"].items()] + [summary_row("TOTAL", summary)]
    print()
    print(format_table(rows, header=("group", *COLUMNS[1:])))
    stages = ", ".join(f"{stage} {rtf:.4f}" for stage, rtf in summary["rtf"].items())
    print(
        "\nrecall: owner speech kept · leak: kept time that is another speaker's speech · unowned: kept time that"
        " is not owner speech (leak + pauses/padding) · FA/FR: region decisions, time-weighted · RTF: chunk job"
    )
    print(f"RTF per stage (seconds per second of audio): {stages}")
    print(f"worst case: recall {pct(summary['min_recall'])}, leak {pct(summary['max_leak'])}")
    stage = summary["recall_by_stage"]
    print(
        f"owner speech found by the VAD {pct(stage['speech'])}, decided owner {pct(stage['owner_regions'])}, "
        f"inside kept segments {pct(stage['kept'])}"
    )
    print(f"peak memory (max RSS): {report['peak_rss_mb']:.0f} MiB")
    goal, eer = report["tradeoff"]["meets_goals"], report["tradeoff"]["equal_error"]
    if not report["tradeoff"]["curve"]:
        print("this strategy records no similarity per region: no threshold trade-off")
    elif goal:
        print(
            f"threshold meeting false accept ≤ {pct(LEAK_GOAL)} and leak ≤ {pct(LEAK_GOAL)} (region estimate): "
            f"{goal['threshold']:.2f} (false reject there {pct(goal['false_reject_rate'])})"
        )
    else:
        print("no threshold on the grid meets the false-accept/leak goals on these regions")
    if eer:
        print(f"equal error point: threshold {eer['threshold']:.2f}, FA {pct(eer['false_accept_rate'])}, FR {pct(eer['false_reject_rate'])}")


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
    report = {"manifest": str(manifest.path), "config": config.public(), "machine": _machine(), **sweep, "recommended": recommendation}
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
    _plot_calibration(sweep["curve"], config.accept_threshold, out / "calibration.png")
    print(f"\nrecommended: {json.dumps(recommendation)}")
    print(f"wrote {out / 'calibration.json'} and {out / 'calibration.png'}")
    return 0


def _plot_calibration(curve: list[dict], threshold: float, path: Path) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    xs = [p["threshold"] for p in curve]
    nan = float("nan")
    ax.plot(xs, [p["recall"] if p["recall"] is not None else nan for p in curve], color="tab:green", label="recall (all)")
    ax.plot(xs, [p["min_recall"] if p["min_recall"] is not None else nan for p in curve], "--", color="tab:green", label="worst case recall")
    ax.plot(xs, [p["leak"] if p["leak"] is not None else nan for p in curve], color="tab:red", label="leak (all)")
    ax.plot(xs, [p["max_leak"] if p["max_leak"] is not None else nan for p in curve], "--", color="tab:red", label="worst case leak")
    ax.axvline(threshold, color="black", linestyle=":", label=f"configured {threshold:.2f}")
    ax.axhline(RECALL_GOAL, color="tab:green", linestyle=":", linewidth=1)
    ax.axhline(LEAK_GOAL, color="tab:red", linestyle=":", linewidth=1)
    ax.set_xlabel("accept threshold")
    ax.set_title("Owner attribution vs threshold (before ASR and segment rules)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
    report["machine"] = _machine()
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


def _add_engine_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", choices=("voiceprint", "anchored"), help="owner attribution strategy")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override an EngineConfig field (repeatable)"
    )


def _add_case_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", help="a manifest file, or the name of a shipped one (shared-conversations, ...)")
    parser.add_argument("--data-root", help="shared data folder for data: paths (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--out", help="where results and plots go (default artifacts/eval/<manifest>)")
    parser.add_argument("--case", action="append", help="only cases whose id matches this glob (repeatable)")
    parser.add_argument("--tag", action="append", help="only cases with this tag (repeatable)")
    parser.add_argument(
        "--work-dir", default=str(REPO_ROOT / "var" / "eval-cache"), help="cache of synthesised test audio"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selective_speaker.speech", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    prepare = sub.add_parser("prepare-models", help="put the bundled models in the model cache (checksummed)")
    _add_engine_flags(prepare)
    prepare.set_defaults(run=command_prepare_models)

    transcribe = sub.add_parser("transcribe", help="print the owner's segments of one recording as JSON")
    transcribe.add_argument("audio")
    transcribe.add_argument("--enroll", nargs="+", required=True, metavar="FILE", help="the owner's enrollment audio")
    _add_engine_flags(transcribe)
    transcribe.set_defaults(run=command_transcribe)

    evaluate = sub.add_parser("eval", help="score a manifest's cases: recall, leak, FA/FR, DER, WER, RTF, memory")
    _add_case_flags(evaluate)
    _add_engine_flags(evaluate)
    evaluate.add_argument("--diarize", action="store_true", help="also score the built-in diarization (DER); on for anchored")
    evaluate.add_argument("--collar-ms", type=int, default=250, help="DER collar either side of reference boundaries")
    evaluate.add_argument("--fail-fast", action="store_true", help="stop at the first case that raises")
    evaluate.set_defaults(run=command_eval)

    calibrate = sub.add_parser("calibrate", help="sweep threshold and margin, re-deciding from the window embeddings")
    _add_case_flags(calibrate)
    _add_engine_flags(calibrate)
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
    _add_engine_flags(bench)
    bench.set_defaults(run=command_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (CommandError, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from .types import SpeechError

        if isinstance(exc, SpeechError):
            print(f"error: {exc.reason}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
