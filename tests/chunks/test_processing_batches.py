"""The chunk job on several short chunks at once (chunks/processing.py, CHUNK_BATCH_SECONDS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import CHUNK_JOBS
from tests.factories import ChunkFactory, EnrollmentFactory


@pytest.fixture
def enrolled(user):
    return EnrollmentFactory(user=user)


def statuses(*chunks) -> list[str]:
    for chunk in chunks:
        chunk.refresh_from_db()
    return [chunk.status for chunk in chunks]


def test_it_processes_an_owners_waiting_short_chunks_in_one_pass(user, other_user, enrolled, fake_engine, settings):
    settings.CHUNK_BATCH_SECONDS = 30
    head, *mates = [ChunkFactory(user=user, duration_ms=10_000) for _ in range(3)]
    full = ChunkFactory(user=user, duration_ms=5_000)  # would pass the 30 s budget
    others = ChunkFactory(user=other_user, duration_ms=1_000)
    assert chunk_process(chunk_id=head.id) == head
    assert fake_engine.batches == [3]
    assert statuses(head, *mates, full, others) == ["done"] * 3 + ["queued"] * 2
    assert all(chunk.utterances.count() == 2 for chunk in (head, *mates))
    assert [chunk_process(chunk_id=mate.id) for mate in mates] == [None, None]  # their own jobs: nothing to do
    assert fake_engine.batches == [3]


def test_it_leaves_chunks_that_failed_before_retrying_or_long_to_their_own_jobs(user, enrolled, fake_engine, settings):
    settings.CHUNK_BATCH_SECONDS = 60
    head = ChunkFactory(user=user)
    retrying = ChunkFactory(user=user, attempts=1)
    later = ChunkFactory(user=user, next_attempt_at=timezone.now() + timedelta(minutes=5))
    long = ChunkFactory(user=user, duration_ms=60_000)
    gone = ChunkFactory(user=user, audio="")
    chunk_process(chunk_id=head.id)
    assert fake_engine.batches == [1]
    assert statuses(retrying, later, long, gone) == ["queued"] * 4


def test_it_processes_one_chunk_per_job_when_batching_is_off(user, enrolled, fake_engine, settings):
    settings.CHUNK_BATCH_SECONDS = 0
    first, second = ChunkFactory(user=user), ChunkFactory(user=user)
    chunk_process(chunk_id=first.id)
    assert fake_engine.batches == [1] and statuses(first, second) == ["done", "queued"]


def test_it_leases_every_chunk_of_a_batch_for_the_whole_batch(user, enrolled, fake_engine, settings, monkeypatch):
    settings.CHUNK_BATCH_SECONDS = 60
    chunks = [ChunkFactory(user=user, duration_ms=20_000) for _ in range(3)]
    leases = []
    real = fake_engine.process_chunk

    def look(audio, **kwargs):
        if not leases:
            leases.extend(
                Chunk.objects.filter(id__in=[c.id for c in chunks]).values_list("claimed_at", "next_attempt_at")
            )
        return real(audio, **kwargs)

    fake_engine.process_chunk = look
    chunk_process(chunk_id=chunks[0].id)
    assert len(leases) == 3
    assert {round((lease - claimed).total_seconds()) for claimed, lease in leases} == {
        round(CHUNK_JOBS.lease_s(60_000))
    }


def test_a_chunk_with_bad_audio_fails_alone(user, enrolled, fake_engine):
    head, bad, good = ChunkFactory(user=user), ChunkFactory(user=user), ChunkFactory(user=user)
    bad.audio.storage.delete(bad.audio.name)
    bad.audio.storage.save(bad.audio.name, SimpleUploadedFile("x", b"garbage, not audio" * 10))
    chunk_process(chunk_id=head.id)
    assert fake_engine.batches == [2]
    assert statuses(head, bad, good) == ["done", "failed", "done"]
    assert "not audio" in bad.error


def test_a_transient_error_releases_the_whole_batch_for_a_retry(user, enrolled, fake_engine):
    head, mate = ChunkFactory(user=user), ChunkFactory(user=user)
    fake_engine.error = RuntimeError("out of memory")
    with pytest.raises(RuntimeError):
        chunk_process(chunk_id=head.id)
    assert statuses(head, mate) == ["queued", "queued"]
    assert head.error == mate.error == "attempt 1 failed: RuntimeError: out of memory"
    assert head.next_attempt_at > timezone.now() and mate.attempts == 1


def test_each_chunk_of_a_batch_is_stored_under_its_own_uploads_request_id(user, enrolled, fake_engine, settings, monkeypatch):
    import chunks.processing as processing
    from selective_speaker.request_id import current_request_id, request_id_bound

    settings.CHUNK_BATCH_SECONDS = 60
    head, mate = ChunkFactory(user=user, request_id="upload-1"), ChunkFactory(user=user, request_id="upload-2")
    stored_under = {}
    store = processing._chunk_store_result

    def recording_store(chunk, *args):
        stored_under[chunk.id] = current_request_id()
        return store(chunk, *args)

    monkeypatch.setattr(processing, "_chunk_store_result", recording_store)
    with request_id_bound("upload-1"):  # the head's job runs under its own upload's id
        chunk_process(chunk_id=head.id)
    assert fake_engine.batches == [2]
    assert stored_under == {head.id: "upload-1", mate.id: "upload-2"}
