"""The worker-throughput bench (chunks/bench_workers.py): its figures' arithmetic, and a smoke run
of the whole bench with worker clusters whose engine is the stand-in (the speech is not measured)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from chunks.bench_workers import BENCH_USER, ChunkTiming, RunFigures, flac_bytes, percentile, run_bench
from chunks.models import Chunk
from tests.faults_support.cluster import require_postgresql, subprocess_database_url

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_it_takes_the_nearest_rank_percentile():
    assert [percentile([3, 1, 2], share) for share in (0.0, 0.5, 0.95, 1.0)] == [1, 2, 3, 3]
    assert percentile([], 0.5) == 0.0


def test_it_computes_the_figures_of_a_run():
    # three 60 s chunks uploaded at once, one worker: 6 s each, one after the other; one failed
    timings = [
        ChunkTiming(60.0, at(0), at(0), at(6)),
        ChunkTiming(60.0, at(0), at(6), at(12), ok=False),
        ChunkTiming(60.0, at(0), at(12), at(18)),
    ]
    figures = RunFigures.from_timings(1, timings, busy_s=18.0)
    assert (figures.chunks, figures.failed, figures.audio_s, figures.wall_s) == (3, 1, 180.0, 18.0)
    assert figures.chunks_per_minute == pytest.approx(10.0)
    assert (figures.job_rtf, figures.cluster_rtf) == (pytest.approx(0.1), pytest.approx(0.1))
    assert (figures.queue_wait_p50_s, figures.queue_wait_p95_s) == (6.0, 12.0)
    assert figures.row().split() == ["1", "3", "10.00", "0.100", "0.100", "6.0", "12.0", "1"]


def test_it_tells_the_workers_busy_time_from_the_runs_wall_time():
    # two workers, each busy 6 s with one chunk at the same time: the run takes 6 s
    timings = [ChunkTiming(60.0, at(0), at(0), at(6)), ChunkTiming(60.0, at(0), at(0), at(6))]
    figures = RunFigures.from_timings(2, timings, busy_s=12.0)
    assert (figures.job_rtf, figures.cluster_rtf, figures.chunks_per_minute) == (0.1, 0.05, 20.0)
    with pytest.raises(ValueError):
        RunFigures.from_timings(1, [], busy_s=0.0)


def test_it_gives_each_copy_of_a_chunk_its_own_bytes():
    audio = np.zeros(16_000, dtype=np.float32)
    assert len({flac_bytes(audio, tag=tag) for tag in range(3)}) == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_runs_the_bench_with_one_then_two_workers(tmp_path, settings):
    require_postgresql()
    rng = np.random.default_rng(5)
    chunks = [0.1 * rng.standard_normal(32_000).astype(np.float32) for _ in range(2)]
    env = {
        "DATABASE_URL": subprocess_database_url(),
        "REDIS_URL": "",  # the ORM broker, as this process's settings
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "Q_CLUSTER_NAME": settings.Q_CLUSTER["name"],
        "Q_POLL_S": "0.1",
    }
    lines = []
    figures = run_bench(
        chunks,
        0.1 * rng.standard_normal(48_000).astype(np.float32),
        worker_counts=[1, 2],
        workdir=tmp_path / "bench",
        command=[sys.executable, "-m", "tests.faults_support.bench_worker"],
        env=env,
        ready_timeout_s=120,
        log=lines.append,
    )
    assert [(f.workers, f.chunks, f.failed, f.audio_s) for f in figures] == [(1, 2, 0, 4.0), (2, 2, 0, 4.0)]
    assert all(f.wall_s > 0 and f.job_rtf > 0 and f.queue_wait_p95_s >= f.queue_wait_p50_s >= 0 for f in figures)
    assert len(lines) == 2
    # the bench user is gone with its rows and files
    assert not get_user_model().objects.filter(username=BENCH_USER).exists() and not Chunk.objects.exists()
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []
