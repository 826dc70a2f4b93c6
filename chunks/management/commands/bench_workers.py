"""manage.py bench_workers: chunks per minute, RTF and queue wait with 1, 2 and 3 worker processes,
on the real bundled engine over real speech (chunks/bench_workers.py says how it measures).

    python manage.py bench_workers                          # 6 chunks of 60 s, workers 1,2,3
    python manage.py bench_workers --chunks 12 --seconds 120 --workers 1,2,4

The chunks are cut from the shared conversations (--data-root, default $SELECTIVE_SPEAKER_DATA or
../shared/data; the owner, --owner, enrolls from held-out utterances). They go through the
configured database and broker as the bench user `bench-workers`, deleted afterwards with its
rows and files. Run it with no other worker on that queue: any worker there would take the
bench's jobs too. The machine's cores and load are printed with the figures: worker processes
share the cores, each engine with SPEECH_CPU_THREADS threads.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chunks.bench_workers import BenchError, RunFigures, owner_enrollment, run_bench, serve_workers, speech_chunks
from selective_speaker.speech.models import readiness
from selective_speaker.speech_config import speech_config


class Command(BaseCommand):
    help = "Process the same real speech chunks with 1, 2, 3 worker processes: chunks/min, RTF, queue wait p50/p95."

    def add_arguments(self, parser):
        parser.add_argument("--chunks", type=int, default=6, help="chunks per run (default 6)")
        parser.add_argument("--seconds", type=float, default=60.0, help="length of each chunk in s (default 60)")
        parser.add_argument("--workers", default="1,2,3", help="worker counts, one run each (default 1,2,3)")
        parser.add_argument("--data-root", help="shared data folder (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
        parser.add_argument("--owner", default="ls3005", help="the speaker who enrolls (default ls3005)")
        parser.add_argument("--serve", metavar="READY_FILE", help="(internal) run a worker cluster for the bench")

    def handle(self, *args, chunks, seconds, workers, data_root, owner, serve: str | None, **options):
        if serve:
            serve_workers(Path(serve))
            return
        try:
            counts = [int(n) for n in workers.split(",") if n.strip()]
        except ValueError:
            counts = []
        if not counts or min(counts) < 1 or chunks < 1 or seconds <= 0:
            raise CommandError("--workers: comma-separated counts ≥ 1; --chunks ≥ 1; --seconds > 0")
        from selective_speaker.speechlab.benchmark import BenchSetupError
        from selective_speaker.speechlab.manifest import resolve_data_root

        missing = {name: r["detail"] for name, r in readiness(speech_config()).items() if not r["ok"]}
        if missing:
            raise CommandError(f"the engine's models are not ready (make models): {missing}")
        root = resolve_data_root(data_root)
        try:
            audio = speech_chunks(root, count=chunks, seconds=seconds)
            enrollment = owner_enrollment(root, owner)
        except BenchSetupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.describe(chunks, seconds, counts))
        self.stdout.write(RunFigures.HEADER)
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as workdir:
            try:
                run_bench(audio, enrollment, worker_counts=counts, workdir=Path(workdir), log=self.stdout.write)
            except BenchError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            "job RTF: the workers' busy time (each job's run time, summed) over all the audio; cluster RTF: "
            "the run's wall time over all the audio; queue wait: upload → claimed, every chunk uploaded at once. "
            f"Load average now: {load_average()}"
        )

    def describe(self, chunks: int, seconds: float, counts: list[int]) -> str:
        config = speech_config()
        return (
            f"machine: {os.cpu_count()} CPU cores, load average {load_average()}; "
            f"engine: {config.asr_model}, {config.cpu_threads} threads per worker process\n"
            f"{chunks} chunks × {seconds:g} s of real speech per run, worker processes: "
            f"{', '.join(map(str, counts))}"
        )


def load_average() -> str:
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"
