"""The worker-throughput bench behind `manage.py bench_workers`: the same real speech chunks
processed by a django-q2 cluster of 1, 2, 3 … worker processes in turn, through the real job path
(upload → broker → worker → engine → stored result) on the configured database and broker.

For each worker count W, a cluster (`manage.py bench_workers --serve`) starts with Q_WORKERS=W;
each of its worker processes loads the engine's models as it starts (django-q2's `post_spawn`)
and says so in a ready file, so that model loading never counts. Once all W are ready, the bench
uploads the chunks (`chunk_ingest`, each with bytes of its own so that nothing is a duplicate) and
waits until every one is processed and every job has reported; then the cluster stops. A chunk's
row says when it arrived (`created_at`), when a worker claimed it (`claimed_at`) and when its
result was stored (`processed_at`); each worker process notes how long it ran each job
(django-q2's `pre_execute` / `post_execute_in_worker`, in the same file):

- chunks per minute: chunks / (last stored − first arrived);
- job RTF: the workers' busy time (the jobs' durations, summed) over all the audio — a job that
  takes short chunks' batch mates with it (CHUNK_BATCH_SECONDS) counts once, their own jobs then
  find them done;
- cluster RTF: the run's wall time over all the audio (below 1: faster than real time);
- queue wait p50/p95: arrived → claimed (in a burst upload it grows with the backlog).

Every chunk of one run arrives at once (a burst), so the run measures how fast a backlog drains.
Several worker processes share the machine's cores: each engine runs SPEECH_CPU_THREADS threads,
so W × threads above the core count only splits the same cores further.
"""

from __future__ import annotations

import io
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections

from chunks.models import Chunk
from chunks.services import chunk_delete, chunk_ingest
from enrollment.models import Enrollment
from enrollment.services import enrollment_create, enrollment_delete
from selective_speaker.speech.timing import percentile

BENCH_USER = "bench-workers"
BENCH_EMAIL = "bench-workers@bench.invalid"
DEVICE_ID = "bench-workers"
FIRST_START = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
SAMPLE_RATE = 16_000
FINISHED = (Chunk.Status.DONE, Chunk.Status.INDETERMINATE, Chunk.Status.FAILED)
MANAGE_PY = Path(__file__).resolve().parents[1] / "manage.py"


# --- the figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkTiming:
    """One chunk's way through the queue, from its row."""

    audio_s: float
    arrived: datetime
    claimed: datetime
    stored: datetime
    ok: bool = True  # done or indeterminate (not failed)

    @property
    def queue_wait_s(self) -> float:
        return (self.claimed - self.arrived).total_seconds()


@dataclass(frozen=True)
class RunFigures:
    workers: int
    chunks: int
    failed: int
    audio_s: float
    wall_s: float
    job_rtf: float
    queue_wait_p50_s: float
    queue_wait_p95_s: float

    @classmethod
    def from_timings(cls, workers: int, timings: Sequence[ChunkTiming], *, busy_s: float) -> RunFigures:
        """The figures of a run from its chunks and the workers' busy time (its jobs' durations)."""
        if not timings:
            raise ValueError("a run without chunks has no figures")
        audio_s = sum(t.audio_s for t in timings)
        wall_s = (max(t.stored for t in timings) - min(t.arrived for t in timings)).total_seconds()
        waits = [t.queue_wait_s for t in timings]
        return cls(
            workers=workers,
            chunks=len(timings),
            failed=sum(not t.ok for t in timings),
            audio_s=audio_s,
            wall_s=wall_s,
            job_rtf=busy_s / audio_s,
            queue_wait_p50_s=percentile(waits, 0.50),
            queue_wait_p95_s=percentile(waits, 0.95),
        )

    @property
    def chunks_per_minute(self) -> float:
        return 60 * self.chunks / self.wall_s if self.wall_s > 0 else math.inf

    @property
    def cluster_rtf(self) -> float:
        return self.wall_s / self.audio_s

    HEADER = (
        f"{'workers':>7} {'chunks':>6} {'chunks/min':>10} {'job RTF':>8} {'cluster RTF':>11} "
        f"{'wait p50 s':>10} {'wait p95 s':>10} {'failed':>6}"
    )

    def row(self) -> str:
        return (
            f"{self.workers:>7} {self.chunks:>6} {self.chunks_per_minute:>10.2f} {self.job_rtf:>8.3f} "
            f"{self.cluster_rtf:>11.3f} {self.queue_wait_p50_s:>10.1f} {self.queue_wait_p95_s:>10.1f} {self.failed:>6}"
        )


def chunk_timings(chunk_ids: Sequence[int]) -> list[ChunkTiming]:
    rows = Chunk.objects.filter(id__in=chunk_ids).values_list(
        "duration_ms", "created_at", "claimed_at", "processed_at", "status"
    )
    return [
        ChunkTiming(ms / 1000, created, claimed or created, processed or claimed or created, status != Chunk.Status.FAILED)
        for ms, created, claimed, processed, status in rows
    ]


def job_names(chunk_ids: Sequence[int]) -> set[str]:
    """django-q2's names of the chunks' jobs (selective_speaker.jobs: process-chunk-<id>)."""
    return {f"process-chunk-{chunk_id}" for chunk_id in chunk_ids}


# --- the audio --------------------------------------------------------------------------------


def speech_chunks(data_root: Path, *, count: int, seconds: float) -> list[np.ndarray]:
    """`count` chunks of `seconds` of real multi-speaker speech, cut from the shared conversations
    one after the other (speechlab's long recording: all of them in turn, as long as needed)."""
    from selective_speaker.speechlab.benchmark import build_long_recording

    step = int(seconds * SAMPLE_RATE)
    audio = build_long_recording(data_root, count * seconds / 60).audio
    return [audio[i * step : (i + 1) * step] for i in range(count)]


def owner_enrollment(data_root: Path, owner: str) -> np.ndarray:
    """The owner's held-out enrollment utterances (never inside a conversation)."""
    from selective_speaker.speechlab.benchmark import owner_enrollment_refs
    from selective_speaker.speechlab.manifest import enrollment_audio

    return enrollment_audio(owner_enrollment_refs(data_root, owner))


def flac_bytes(audio: np.ndarray, *, tag: int = 0) -> bytes:
    """The audio as 16-bit FLAC; `tag` nudges the first sample so that each copy's bytes (and
    checksum) differ while its sound does not."""
    import soundfile

    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
    if pcm.size:
        pcm[0] = np.int16((int(pcm[0]) + tag) % 2**15)
    buffer = io.BytesIO()
    soundfile.write(buffer, pcm, SAMPLE_RATE, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


# --- the worker side ------------------------------------------------------------------------


def warm_engine() -> None:
    """Load the models the chunk job uses, in this process (an engine without them has none)."""
    from chunks import processing

    engine = processing.speech_engine()
    for model in ("asr", "embedder"):
        getattr(engine, model, None)


def serve_workers(ready_file: Path) -> None:
    """Run the cluster (`qcluster`). Each worker process loads the models as it starts, then
    appends `ready <pid>` to `ready_file`; after each job, `job <name> <seconds it ran>`."""
    from django.core.management import call_command
    from django_q.signals import post_execute_in_worker, post_spawn, pre_execute

    started: dict[str, float] = {}

    def note(line: str) -> None:
        with open(ready_file, "a") as out:  # one short append per line: lines never mix
            out.write(line + "\n")

    def ready(sender, proc_name, **kwargs):
        warm_engine()
        note(f"ready {os.getpid()}")

    def job_started(sender, func, task, **kwargs):
        started[task["id"]] = time.monotonic()

    def job_done(sender, func, task, **kwargs):
        if task["id"] in started:
            note(f"job {task['name']} {time.monotonic() - started.pop(task['id']):.3f}")

    post_spawn.connect(ready, weak=False)
    pre_execute.connect(job_started, weak=False)
    post_execute_in_worker.connect(job_done, weak=False)
    call_command("qcluster")


@dataclass
class Cluster:
    process: subprocess.Popen
    ready_file: Path
    log: Path

    def _notes(self, kind: str) -> list[list[str]]:
        text = self.ready_file.read_text() if self.ready_file.exists() else ""
        return [line.split() for line in text.splitlines() if line.startswith(kind + " ")]

    def ready(self) -> int:
        return len(self._notes("ready"))

    def jobs(self, names: set[str]) -> list[float]:
        """How long each of these jobs ran (every run of it)."""
        return [float(seconds) for _, name, seconds in self._notes("job") if name in names]

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"the worker cluster exited ({self.process.returncode}):\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the cluster (django-q2 stops its processes in order), then SIGKILL to every
        process of the group if that takes longer."""
        try:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever is left of the group
        except ProcessLookupError:
            pass
        self.process.wait()


class BenchError(RuntimeError):
    """The bench could not run as asked (a cluster that exits, a run that never finishes)."""


def start_cluster(workers: int, workdir: Path, *, command: Sequence[str], env: dict[str, str]) -> Cluster:
    ready_file, log = workdir / f"ready-{workers}.txt", workdir / f"cluster-{workers}.log"
    ready_file.unlink(missing_ok=True)
    child_env = {**os.environ, **env, "Q_WORKERS": str(workers)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*command, str(ready_file)], env=child_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Cluster(process, ready_file, log)


def default_command() -> list[str]:
    return [sys.executable, str(MANAGE_PY), "bench_workers", "--serve"]


# --- the bench --------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, cluster: Cluster) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        cluster.check_running()
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}:\n{cluster.log_tail()}")
        time.sleep(0.2)
        close_old_connections()


def bench_owner():
    """The bench's own user (an earlier run's is dropped first, with its rows and files)."""
    bench_drop()
    return get_user_model().objects.create_user(BENCH_USER, email=BENCH_EMAIL)


def bench_drop() -> None:
    for user in get_user_model().objects.filter(username=BENCH_USER, email=BENCH_EMAIL):
        for chunk in Chunk.objects.filter(user=user):
            chunk_delete(chunk=chunk)
        for enrollment in Enrollment.objects.filter(user=user):
            enrollment_delete(enrollment=enrollment)
        user.delete()


def run_bench(
    chunks: Sequence[np.ndarray],
    enrollment: np.ndarray,
    *,
    worker_counts: Sequence[int],
    workdir: Path,
    command: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    ready_timeout_s: float = 300,
    log: Callable[[str], None] = print,
) -> list[RunFigures]:
    """Process `chunks` once per worker count; the figures of each run."""
    workdir.mkdir(parents=True, exist_ok=True)
    owner = bench_owner()
    audio_s = sum(c.size for c in chunks) / SAMPLE_RATE
    results = []
    try:
        for run, workers in enumerate(worker_counts):
            cluster = start_cluster(workers, workdir, command=command or default_command(), env=env or {})
            try:
                what = f"{workers} worker(s) to load the models"
                wait_until(lambda: cluster.ready() >= workers, timeout=ready_timeout_s, what=what, cluster=cluster)
                if run == 0:
                    _enroll(owner, enrollment, cluster, ready_timeout_s)
                ids = _upload(owner, chunks, run)
                names = job_names(ids)
                wait_until(
                    lambda: Chunk.objects.filter(id__in=ids, status__in=FINISHED).count() == len(ids)
                    and len(cluster.jobs(names)) >= len(ids),
                    timeout=max(600.0, 5 * audio_s),
                    what=f"{len(ids)} chunks to be processed by {workers} worker(s)",
                    cluster=cluster,
                )
            finally:
                cluster.stop()
            figures = RunFigures.from_timings(workers, chunk_timings(ids), busy_s=sum(cluster.jobs(names)))
            log(figures.row())
            results.append(figures)
    finally:
        bench_drop()
    return results


def _enroll(owner, audio: np.ndarray, cluster: Cluster, timeout: float) -> None:
    enrollment = enrollment_create(user=owner, audio_file=SimpleUploadedFile("enroll.flac", flac_bytes(audio)))

    def settled() -> bool:
        enrollment.refresh_from_db()
        return enrollment.status in (Enrollment.Status.READY, Enrollment.Status.REJECTED)

    wait_until(settled, timeout=timeout, what="the owner's enrollment", cluster=cluster)
    if enrollment.status != Enrollment.Status.READY:
        raise BenchError(f"the bench owner's enrollment was rejected: {enrollment.error}")


def _upload(owner, chunks: Sequence[np.ndarray], run: int) -> list[int]:
    """Every chunk at once, as new uploads of this run (own bytes, own start times)."""
    files = [flac_bytes(audio, tag=1 + run * len(chunks) + index) for index, audio in enumerate(chunks)]
    ids = []
    for index, data in enumerate(files):
        start = FIRST_START + timedelta(days=run, minutes=index)
        chunk, created = chunk_ingest(
            user=owner, audio_file=SimpleUploadedFile("chunk.flac", data), device_id=DEVICE_ID, start_ts=start
        )
        if not created:
            raise BenchError(f"chunk {index} of run {run} was taken for a repeat of chunk {chunk.id}")
        ids.append(chunk.id)
    return ids
