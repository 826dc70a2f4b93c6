"""chunks/bench_ingest.py and `manage.py bench_ingest`: distinct uploads, timed, all accepted."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from chunks.bench_ingest import distinct_copies, opus_recording, process_tree_cpu_s
from chunks.models import Chunk
from selective_speaker.speech.audio import decode_audio


def test_it_makes_copies_that_differ_in_bytes_not_in_audio():
    recording = opus_recording(1.5)
    copies = distinct_copies(recording, 3)
    assert len({hashlib.sha256(copy).hexdigest() for copy in copies}) == 3
    for copy in copies:
        _, info = decode_audio(io.BytesIO(copy))
        assert (info.codec, info.container, abs(info.duration_ms - 1500) <= 30) == ("opus", "ogg", True)


def test_it_uploads_through_the_request_path_and_cleans_up(transactional_db, media_root):
    out = io.StringIO()
    call_command("bench_ingest", clients=1, uploads=3, seconds=1.5, yes=True, stdout=out)  # SQLite: one writer
    assert "test client: 3 uploads, 1 clients:" in out.getvalue()
    assert "(202: 3)" in out.getvalue()
    assert not get_user_model().objects.filter(username="bench-ingest").exists()
    assert Chunk.objects.count() == 0


def test_it_asks_before_writing_into_the_database(db):
    with pytest.raises(CommandError, match="--yes"):
        call_command("bench_ingest", uploads=1)


def test_it_reads_the_cpu_time_of_a_servers_workers():
    burn = "sum(range(3 * 10**7)); print('burnt', flush=True); input()"  # then waits for its stdin
    worker = subprocess.Popen([sys.executable, "-c", burn], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline() == "burnt\n"
        assert 0.05 <= process_tree_cpu_s(os.getpid()) < 600  # user + system seconds, not some other field
    finally:
        worker.communicate("\n")
