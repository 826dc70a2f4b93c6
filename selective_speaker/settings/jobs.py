"""Django settings: background jobs (django-q2) and the job lifecycle (selective_speaker/jobs.py)."""

from __future__ import annotations

from selective_speaker.env import env_bool, env_float, env_int, env_str

from .base import REDIS_URL

# --- background jobs (django-q2) ----------------------------------------------------------

Q_CLUSTER = {
    "name": env_str("Q_CLUSTER_NAME", "selective_speaker"),
    "workers": env_int("Q_WORKERS", 2),
    "recycle": env_int("Q_RECYCLE", 500),
    # A job may run at most `timeout` s; an unacknowledged one is delivered again after
    # `retry` s (> timeout, so a running job is never handed out twice), at most
    # `max_attempts` times in all.
    "timeout": env_int("Q_TIMEOUT_S", 600),
    "retry": env_int("Q_RETRY_S", 720),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3),
    "ack_failures": False,
    "save_limit": env_int("Q_SAVE_LIMIT", 1000),
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    "label": "Jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = env_float("Q_POLL_S", 1.0)

# A job gives up on a chunk or enrollment after this many claims (transient errors).
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", Q_CLUSTER["max_attempts"])
# A failed attempt is retried after BASE s, then 2×, 4×, … BASE, at most MAX s.
JOB_RETRY_BASE_S = env_int("JOB_RETRY_BASE_S", 10)
JOB_RETRY_MAX_S = env_int("JOB_RETRY_MAX_S", 600)
# A claim's lease — how long a job may hold its row before its worker counts as gone — is
# margin + audio length × RTF (pessimistic: measured ≈ 0.06 on 2 CPU cores), at most
# JOB_STALE_AFTER_S (past Q_TIMEOUT_S django-q2 has killed the job anyway).
JOB_STALE_RTF = env_float("JOB_STALE_RTF", 0.5)
JOB_STALE_MARGIN_S = env_int("JOB_STALE_MARGIN_S", 120)
JOB_STALE_AFTER_S = env_int("JOB_STALE_AFTER_S", Q_CLUSTER["timeout"] + 60)
# A chunk job on a chunk shorter than this also takes the owner's other fresh chunks waiting in
# the queue, up to this many seconds of audio in all, and transcribes them in one pass (Whisper
# pays for a 30 s window however short the chunk: chunks/processing.py); 0 turns batching off.
CHUNK_BATCH_SECONDS = env_int("CHUNK_BATCH_SECONDS", 120)
if CHUNK_BATCH_SECONDS < 0:
    raise ValueError("CHUNK_BATCH_SECONDS must be 0 or more")
# The outbox: a waiting row whose job the broker never took (down at upload) is enqueued by
# the sweep after this grace; one enqueued but never started after JOB_RESEND_AFTER_S (a
# broker that lost it) is enqueued again; a duplicate delivery does nothing.
JOB_ENQUEUE_GRACE_S = env_int("JOB_ENQUEUE_GRACE_S", 60)
JOB_RESEND_AFTER_S = env_int("JOB_RESEND_AFTER_S", 3600)
# Stored audio files no row points at (an upload whose commit was in doubt: orphan_files.py)
# are deleted once older than AUDIO_ORPHAN_GRACE_S, by a sweep every AUDIO_ORPHAN_SWEEP_MINUTES.
AUDIO_ORPHAN_GRACE_S = env_int("AUDIO_ORPHAN_GRACE_S", 3600)
AUDIO_ORPHAN_SWEEP_MINUTES = env_int("AUDIO_ORPHAN_SWEEP_MINUTES", 1440)
# Periodic jobs: (schedule name, task, every N minutes); written after every `migrate`.
JOB_SWEEP_MINUTES = env_int("JOB_SWEEP_MINUTES", 1)
JOB_SCHEDULES = [
    ("chunks.requeue_stale_chunks", "chunks.tasks.requeue_stale_chunks", JOB_SWEEP_MINUTES),
    ("enrollment.requeue_stale_enrollments", "enrollment.tasks.requeue_stale_enrollments", JOB_SWEEP_MINUTES),
    ("chunks.sweep_audio_retention", "chunks.tasks.sweep_audio_retention", env_int("AUDIO_RETENTION_SWEEP_MINUTES", 60)),
    ("chunks.sweep_orphan_files", "chunks.tasks.sweep_orphan_files", AUDIO_ORPHAN_SWEEP_MINUTES),
    ("enrollment.sweep_orphan_files", "enrollment.tasks.sweep_orphan_files", AUDIO_ORPHAN_SWEEP_MINUTES),
    ("webhooks.requeue_stale_deliveries", "webhooks.tasks.requeue_stale_deliveries", JOB_SWEEP_MINUTES),
    ("webhooks.prune_deliveries", "webhooks.tasks.prune_deliveries", 60),
]

# --- operations: the Prometheus endpoint (operations/metrics.py) --------------------------------

# GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`; unset, the endpoint answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# The chunk latency and RTF histograms and the upload count cover the last this many seconds.
METRICS_WINDOW_S = env_int("METRICS_WINDOW_S", 900)
