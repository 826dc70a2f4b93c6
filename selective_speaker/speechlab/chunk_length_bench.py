"""What a chunk job costs per second of audio, by chunk length; and a long chunk's peak memory.

    python -m selective_speaker.speechlab.chunk_length_bench [--lengths 5,10,30,60,300] [--minutes 5]
        [--batch-seconds 120] [--memory-minutes 15] [--out DIR]

The recording is the benchmark's (benchmark.build_long_recording: the shared conversations back
to back; owner ls3005 by default, enrolled from held-out utterances). For each length it is cut
into chunks of that many seconds, each written as a WAV file's bytes, and every chunk job is
timed from decoding those bytes to its segments, two ways in the same run:

* ``alone`` — one chunk per job (Engine.process_chunk), as a worker does with a chunk that has
  no companions waiting;
* ``batched`` — consecutive chunks grouped as the worker groups an owner's waiting chunks
  (chunks/processing.py: a chunk shorter than the budget takes the next ones while their audio
  stays within `--batch-seconds`), each group through Engine.process_chunks: one pass of the
  recogniser over all their owner stretches. Lengths not shorter than the budget run alone.

Each gets its real-time factor (job seconds / audio seconds), its CPU seconds per audio second
(every thread of the process: steadier than wall time on a shared machine), its stages, its owner
recall and bystander leak, and both costs relative to the same mode's 60 s chunks. With `--memory-minutes`,
a child process loads the models, then decodes and processes one chunk that long, and reports
its peak resident memory (ru_maxrss) after loading and after the job.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from selective_speaker.speech.cli import CommandError, add_engine_flags, check_models, config_from_args, run_command
from selective_speaker.speech.types import SAMPLE_RATE, ChunkJob, samples_to_ms

from .benchmark import BenchSetupError, build_long_recording, owner_enrollment_refs
from .manifest import REPO_ROOT, enrollment_audio, resolve_data_root
from .scoring import owner_coverage

MODULE = "selective_speaker.speechlab.chunk_length_bench"
MODES = ("alone", "batched")
REFERENCE_S = 60.0  # costs are given relative to chunks this long


def wav_bytes(audio: np.ndarray) -> bytes:
    import soundfile

    buffer = io.BytesIO()
    soundfile.write(buffer, audio, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def cut(audio: np.ndarray, seconds: float) -> list[tuple[int, bytes]]:
    """(start sample, WAV bytes) of each `seconds`-long chunk (the last one may be shorter)."""
    step = int(seconds * SAMPLE_RATE)
    return [
        (lo, wav_bytes(audio[lo : lo + step])) for lo in range(0, audio.size, step) if audio.size - lo >= SAMPLE_RATE
    ]


def batches(chunks: list, seconds: float, budget_s: float) -> list[list]:
    """Consecutive chunks grouped as the worker groups waiting ones (budget 0: one per group)."""
    if not budget_s or seconds >= budget_s:
        return [[c] for c in chunks]
    per_batch = max(1, int(budget_s // seconds))
    return [chunks[i : i + per_batch] for i in range(0, len(chunks), per_batch)]


def run_length(engine, chunks, voiceprint, mode: str, seconds: float, budget_s: float) -> dict:
    """Time every job of one mode over the chunks; kept intervals in recording time, stages."""
    from selective_speaker.speech.audio import decode_audio

    stages: dict[str, float] = {}
    kept: list[tuple[int, int]] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for group in batches(chunks, seconds, budget_s if mode == "batched" else 0):
        decoded = []
        for lo, data in group:
            t0 = time.perf_counter()
            decoded.append((lo, decode_audio(data)[0]))
            stages["decode"] = stages.get("decode", 0.0) + time.perf_counter() - t0
        if len(decoded) == 1:
            results = [engine.process_chunk(decoded[0][1], voiceprint=voiceprint)]
        else:
            results = engine.process_chunks([ChunkJob(audio, voiceprint=voiceprint) for _, audio in decoded])
        for (lo, _audio), result in zip(decoded, results):
            if isinstance(result, Exception):
                raise result
            offset = samples_to_ms(lo)
            kept += [(s.start_ms + offset, s.end_ms + offset) for s in result.segments]
            for stage, value in result.timings.items():
                if stage != "total":
                    stages[stage] = stages.get(stage, 0.0) + value
    cpu_s = time.process_time() - cpu_started
    return {"seconds": time.perf_counter() - started, "cpu_seconds": cpu_s, "kept": kept, "stages": stages}


def run_bench(config, *, data_root: Path, lengths, minutes: float, owner: str, budget_s: float, log=print) -> dict:
    from selective_speaker.speech.engine import Engine

    recording = build_long_recording(data_root, minutes)
    audio = recording.audio[: int(minutes * 60 * SAMPLE_RATE)]
    turns = [t for t in recording.turns if t.start_ms < samples_to_ms(audio.size)]
    if owner not in {t.speaker for t in turns}:
        raise BenchSetupError(f"{owner!r} does not speak in the first {minutes:g} minutes")
    engine = Engine.shared(config)
    voiceprint = engine.enroll(enrollment_audio(owner_enrollment_refs(data_root, owner))).voiceprint  # warms the models
    audio_s = audio.size / SAMPLE_RATE
    rows: dict[str, dict] = {}
    for seconds in lengths:
        chunks = cut(audio, seconds)
        row = {"chunks": len(chunks)}
        for mode in MODES:
            if mode == "batched" and budget_s and seconds >= budget_s:
                row[mode] = row["alone"]  # the worker processes such a chunk alone
                continue
            job = run_length(engine, chunks, voiceprint, mode, seconds, budget_s)
            coverage = owner_coverage(turns, owner, job["kept"])
            row[mode] = {
                "rtf": round(job["seconds"] / audio_s, 4),
                "cpu_rtf": round(job["cpu_seconds"] / audio_s, 4),
                "rtf_per_stage": {k: round(v / audio_s, 4) for k, v in sorted(job["stages"].items())},
                "recall": round(coverage.recall, 4),
                "leak": round(coverage.leak or 0.0, 4),
            }
            log(
                f"{seconds:g} s chunks, {mode}: RTF {row[mode]['rtf']:.4f}, CPU {row[mode]['cpu_rtf']:.4f}, recall {coverage.recall:.3f}"
            )
        rows[f"{seconds:g}"] = row
    reference = rows.get(f"{REFERENCE_S:g}")
    if reference:
        for row in rows.values():
            for mode in MODES:
                row[mode]["vs_60s"] = round(row[mode]["rtf"] / reference[mode]["rtf"], 3)
                row[mode]["cpu_vs_60s"] = round(row[mode]["cpu_rtf"] / reference[mode]["cpu_rtf"], 3)
    return {"audio_s": round(audio_s, 1), "owner": owner, "batch_seconds": budget_s, "lengths": rows}


# --- peak memory of one long chunk, in a child process --------------------------------------------


def measure_memory(minutes: float, data_root: Path, owner: str, args) -> dict:
    """Peak RSS of a fresh process that loads the models and processes one `minutes`-long chunk."""
    import soundfile

    recording = build_long_recording(data_root, minutes)
    path = Path(args.work_dir) / f"memory-{minutes:g}min.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, recording.audio[: int(minutes * 60 * SAMPLE_RATE)], SAMPLE_RATE, subtype="PCM_16")
    flags = [f"--set={item}" for item in args.set] + (["--strategy", args.strategy] if args.strategy else [])
    command = [
        sys.executable,
        "-m",
        MODULE,
        "--memory-child",
        str(path),
        "--owner",
        owner,
        "--data-root",
        str(data_root),
    ]
    done = subprocess.run([*command, *flags], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise CommandError(f"the memory measurement failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def memory_child(args) -> int:
    from selective_speaker.speech.audio import decode_audio
    from selective_speaker.speech.engine import Engine

    config = config_from_args(args)
    data_root = resolve_data_root(args.data_root)
    engine = Engine.shared(config)
    voiceprint = engine.enroll(enrollment_audio(owner_enrollment_refs(data_root, args.owner))).voiceprint
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    audio, _ = decode_audio(args.memory_child, max_duration_ms=max(config.max_duration_ms, 3_600_000))
    result = engine.process_chunk(audio, voiceprint=voiceprint)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "chunk_s": round(audio.size / SAMPLE_RATE, 1),
                "peak_rss_mb_after_loading": round(loaded),
                "peak_rss_mb": round(peak),
                "job_peak_above_loading_mb": round(peak - loaded),
                "job_s": round(time.perf_counter() - started, 1),
                "timings": result.timings,
            }
        )
    )
    return 0


def command(args) -> int:
    if args.memory_child:
        return memory_child(args)
    config = config_from_args(args)
    check_models(config)
    data_root = resolve_data_root(args.data_root)
    try:
        lengths = [float(x) for x in args.lengths.split(",")]
    except ValueError as exc:
        raise CommandError(f"--lengths: {exc}") from exc
    out = Path(args.out) if args.out else REPO_ROOT / "artifacts" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    try:
        report = run_bench(
            config,
            data_root=data_root,
            lengths=lengths,
            minutes=args.minutes,
            owner=args.owner,
            budget_s=args.batch_seconds,
        )
        (out / "chunk_length.json").write_text(json.dumps(report, indent=1) + "\n")
        print(format_table(report))
        if args.memory_minutes:
            report["memory"] = measure_memory(args.memory_minutes, data_root, args.owner, args)
    except BenchSetupError as exc:
        raise CommandError(str(exc)) from exc
    (out / "chunk_length.json").write_text(json.dumps(report, indent=1) + "\n")
    if "memory" in report:
        print(f"memory: {json.dumps(report['memory'])}")
    print(f"wrote {out / 'chunk_length.json'}")
    return 0


def format_table(report: dict) -> str:
    header = (
        "chunk s | chunks | RTF alone / batched | vs 60 s alone / batched | CPU-s per s alone / batched "
        "| CPU vs 60 s alone / batched | recall alone / batched"
    )
    lines = [header]
    for seconds, row in report["lengths"].items():
        a, b = row["alone"], row["batched"]
        lines.append(
            f"{seconds} | {row['chunks']} | {a['rtf']:.4f} / {b['rtf']:.4f} | {a.get('vs_60s', '-')} / {b.get('vs_60s', '-')} | "
            f"{a['cpu_rtf']:.4f} / {b['cpu_rtf']:.4f} | {a.get('cpu_vs_60s', '-')} / {b.get('cpu_vs_60s', '-')} | "
            f"{a['recall']:.3f} / {b['recall']:.3f}"
        )
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="5,10,30,60,300", help="chunk lengths in seconds, comma-separated")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the recording cut into chunks")
    parser.add_argument("--owner", default="ls3005", help="the enrolled speaker")
    parser.add_argument("--batch-seconds", type=float, default=120.0, help="the worker's CHUNK_BATCH_SECONDS (0: off)")
    parser.add_argument(
        "--memory-minutes", type=float, default=0.0, help="also measure the peak memory of one chunk this long"
    )
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    parser.add_argument("--data-root", help="shared data folder (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--out", help="where chunk_length.json goes (default artifacts/bench)")
    parser.add_argument(
        "--work-dir", default=str(REPO_ROOT / "var" / "eval-cache"), help="where the long chunk is written"
    )
    add_engine_flags(parser)
    parser.set_defaults(run=command)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
