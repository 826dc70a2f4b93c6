"""Faults between a chunk's upload and its job that must not lose an accepted chunk (issue 11):

- the database commits the row, then the connection dies before the acknowledgement arrives
  (failover, restart, a proxy cut): the chunk is accepted, so its audio must stay;
- the local file store is briefly not there (an unmounted volume, a directory moved away) while
  the job reads the chunk: a store outage, retried with back-off — not a file gone for good.
"""

from __future__ import annotations

import shutil

import pytest
from django.db import OperationalError, connection

from chunks.models import Chunk
from chunks.processing import chunk_process
from tests.chunks.test_api import stored_files
from tests.chunks.test_faults import EXPECTED_TEXTS, assert_retryable, post_chunk
from tests.factories import ChunkFactory, EnrollmentFactory
from utterances.models import Utterance

# --- the acknowledgement of the commit is lost --------------------------------------------


def commit_then_lose_the_answer(monkeypatch, *, database_stays_down: bool = False) -> None:
    """The next commit is written, then the connection breaks before its answer arrives; with
    `database_stays_down`, every query after it fails too (until the monkeypatch is undone)."""
    real_commit, real_cursor = connection._commit, connection._cursor
    armed, down = [True], []

    def commit_then_lose():
        real_commit()
        if armed:
            armed.clear()
            down.extend([True] if database_stays_down else [])
            if connection.vendor == "postgresql":  # the session goes too (SQLite's in-memory database would)
                connection.connection.close()
            raise OperationalError("server closed the connection unexpectedly")

    def cursor(*args, **kwargs):
        if down:
            raise OperationalError('connection to server at "db" failed: Connection refused')
        return real_cursor(*args, **kwargs)

    monkeypatch.setattr(connection, "_commit", commit_then_lose)
    monkeypatch.setattr(connection, "_cursor", cursor)


def commit_fails(monkeypatch) -> None:
    """The next commit is refused by the server: nothing of its transaction is written."""
    armed = [True]
    real_commit = connection._commit

    def refuse():
        if armed:
            armed.clear()
            raise OperationalError("could not write to the WAL: No space left on device")
        real_commit()

    monkeypatch.setattr(connection, "_commit", refuse)


def assert_processed(chunk: Chunk) -> None:
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.error) == (Chunk.Status.DONE, "")
    texts = list(Utterance.objects.filter(chunk=chunk).order_by("start_ms").values_list("text", flat=True))
    assert texts == EXPECTED_TEXTS


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_accepts_a_chunk_whose_commit_acknowledgement_was_lost(api, user, media_root, fake_engine, monkeypatch):
    EnrollmentFactory(user=user)
    with monkeypatch.context() as m:
        commit_then_lose_the_answer(m)
        response = post_chunk(api)
    assert response.status_code == 202, response.content  # the row is committed: accepted
    chunk = Chunk.objects.get(id=response.json()["id"])
    assert chunk.status == Chunk.Status.QUEUED
    assert chunk.audio.storage.exists(chunk.audio.name)

    assert post_chunk(api).status_code == 200  # a retry all the same: already uploaded
    assert Chunk.objects.count() == 1
    assert_processed(chunk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_keeps_the_audio_when_the_database_cannot_say_whether_the_chunk_was_committed(
    api, user, media_root, fake_engine, monkeypatch
):
    EnrollmentFactory(user=user)
    with monkeypatch.context() as m:
        commit_then_lose_the_answer(m, database_stays_down=True)
        assert_retryable(post_chunk(api))

    retried = post_chunk(api)  # once the database is back
    assert retried.status_code == 200, retried.content  # it had been committed after all
    chunk = Chunk.objects.get(id=retried.json()["id"])
    assert chunk.audio.storage.exists(chunk.audio.name)  # "already uploaded", with its audio
    assert_processed(chunk)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_deletes_the_audio_of_a_chunk_whose_commit_failed(api, user, media_root, monkeypatch):
    with monkeypatch.context() as m:
        commit_fails(m)
        assert_retryable(post_chunk(api))
    assert Chunk.objects.count() == 0
    assert stored_files(media_root) == []  # nothing points at it: no orphan

    assert post_chunk(api).status_code == 202
    assert Chunk.objects.count() == 1 and len(stored_files(media_root)) == 1


# --- the local file store is not there while the job reads the chunk ----------------------


def store_away(media_root) -> None:
    media_root.rename(media_root.with_name("media-away"))


def store_back(media_root) -> None:
    if media_root.exists():
        shutil.rmtree(media_root)  # the empty mount point
    media_root.with_name("media-away").rename(media_root)


def store_unmounted(media_root) -> None:
    """What an unmounted volume leaves: its mount point, an empty directory."""
    store_away(media_root)
    media_root.mkdir()


@pytest.mark.parametrize("outage", [store_away, store_unmounted])
def test_it_retries_a_chunk_while_the_local_store_is_not_there(user, media_root, fake_engine, settings, outage):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    outage(media_root)
    with pytest.raises(OSError, match="the file store"):  # django-q2 records the failed attempt
        chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (Chunk.Status.QUEUED, 1)  # released for a retry
    assert chunk.next_attempt_at is not None and "the file store" in chunk.error
    assert fake_engine.calls == []

    store_back(media_root)
    assert_processed(chunk)  # the retry, once the store is back
    assert chunk.attempts == 2


def test_it_still_fails_a_chunk_whose_file_is_gone_from_a_store_that_is_there(user, fake_engine):
    EnrollmentFactory(user=user)
    ChunkFactory(user=user)  # the store holds other files
    chunk = ChunkFactory(user=user)
    chunk.audio.storage.delete(chunk.audio.name)
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert (chunk.status, chunk.error) == (Chunk.Status.FAILED, "the audio file is missing from storage")
