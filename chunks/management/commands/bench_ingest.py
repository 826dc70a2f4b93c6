"""manage.py bench_ingest: how many chunk uploads per second the web tier takes, and how fast
each is answered (p50/p95), with N clients uploading at once.

    # against a running server (gunicorn) on the same database:
    python manage.py bench_ingest --url http://127.0.0.1:8000 --server-pid <gunicorn master pid> --clients 8 \
        --uploads 400 --yes
    # or in this process, through Django's test client (no server):
    python manage.py bench_ingest --clients 8 --uploads 100 --yes

Every upload is a new --seconds long Ogg Opus chunk (chunks/bench_ingest.py) of the bench user
`bench-ingest`, made with its API token in the configured database; the chunks' jobs are queued
as for any upload (start no worker against a bench database you do not want processed).
Afterwards the bench user is deleted with its chunks and files, unless --keep.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from chunks.bench_ingest import (
    distinct_copies,
    http_client,
    ingest_bench,
    opus_recording,
    process_tree_cpu_s,
    test_client,
)

BENCH_USER = "bench-ingest"
DEVICE_ID = "bench-phone"


class Command(BaseCommand):
    help = "Upload N distinct Opus chunks from C client threads; print uploads/s and p50/p95 latency."

    def add_arguments(self, parser):
        parser.add_argument("--url", help="a running server's base URL; default: Django's test client in-process")
        parser.add_argument("--clients", type=int, default=8, help="client threads (default 8)")
        parser.add_argument("--uploads", type=int, default=200, help="uploads in all (default 200)")
        parser.add_argument("--seconds", type=float, default=60.0, help="length of each chunk (default 60)")
        parser.add_argument(
            "--server-pid", type=int, help="the gunicorn master's pid: report its workers' CPU time per upload"
        )
        parser.add_argument("--keep", action="store_true", help="keep the bench user and its chunks")
        parser.add_argument("--yes", action="store_true", help="agree to write bench rows into this database")

    def handle(self, *args, url, clients, uploads, seconds, server_pid, keep, yes, **options):
        if not yes:
            raise CommandError("this adds a user and its chunks to the configured database: pass --yes")
        if clients < 1 or uploads < 1 or seconds <= 0:
            raise CommandError("--clients, --uploads and --seconds must be positive")
        started = time.perf_counter()
        files = distinct_copies(opus_recording(seconds), uploads)
        self.stdout.write(f"made {uploads} distinct {seconds:g} s Opus files in {time.perf_counter() - started:.1f} s")
        user, _ = get_user_model().objects.get_or_create(
            username=BENCH_USER, defaults={"email": "ingest@bench.invalid"}
        )
        token, _ = Token.objects.get_or_create(user=user)
        post = http_client(url, token.key, device_id=DEVICE_ID) if url else test_client(user, device_id=DEVICE_ID)
        # a start time of its own for every run: chunks a kept run left never make these repeats
        first_start = datetime.fromtimestamp(int(time.time()), tz=UTC).replace(year=2020)
        cpu_before = process_tree_cpu_s(server_pid) if server_pid else 0.0
        try:
            result = ingest_bench(post, files, clients=clients, first_start=first_start, spacing_s=seconds)
            cpu_s = process_tree_cpu_s(server_pid) - cpu_before if server_pid else 0.0
        finally:
            if not keep:
                user.delete()  # its chunks go with it, and their files once the deletion commits
        self.stdout.write(f"{'HTTP ' + url if url else 'test client'}: {result.summary()}")
        if cpu_s:
            per_upload_ms = cpu_s / uploads * 1000
            capacity = 2000 / per_upload_ms
            self.stdout.write(f"server CPU per upload: {per_upload_ms:.1f} ms (≈ {capacity:.0f} uploads/s on 2 idle cores)")
        if set(result.statuses) != {202}:
            raise CommandError(f"not every upload was accepted (202): {result.statuses}")
