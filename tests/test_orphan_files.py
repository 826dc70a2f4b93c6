"""The orphan-file sweep: stored audio that no row points at goes after its grace period."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import OperationalError
from django.utils import timezone

from chunks.models import Chunk
from chunks.services import chunk_sweep_orphan_files
from enrollment.services import enrollment_sweep_orphan_files
from selective_speaker.orphan_files import stored_names, sweep_orphan_files
from tests.factories import ChunkFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def stored(name: str, *, age: timedelta) -> str:
    """A file in the default store, last modified `age` ago."""
    name = default_storage.save(name, ContentFile(b"RIFF...."))
    then = (timezone.now() - age).timestamp()
    os.utime(default_storage.path(name), (then, then))
    return name


def age(name: str, by: timedelta) -> None:
    then = (timezone.now() - by).timestamp()
    os.utime(default_storage.path(name), (then, then))


def test_it_deletes_old_files_no_chunk_points_at_and_keeps_the_rest(media_root, settings):
    settings.AUDIO_ORPHAN_GRACE_S = 3600
    chunk = ChunkFactory()
    age(chunk.audio.name, 2 * HOUR)
    # the retry of an upload whose commit was in doubt: the same bytes under a suffixed name
    orphan = stored(f"chunks/{chunk.user_id}/2024/06/01/{chunk.audio_sha256}.wav", age=2 * HOUR)
    young = stored(f"chunks/{chunk.user_id}/2024/06/01/in-flight.wav", age=timedelta(minutes=5))
    other_app = stored(f"enrollments/{chunk.user_id}/x.wav", age=2 * HOUR)
    elsewhere = stored("health/probe.txt", age=2 * HOUR)

    assert chunk_sweep_orphan_files() == 1
    assert not default_storage.exists(orphan)
    assert all(default_storage.exists(n) for n in (chunk.audio.name, young, other_app, elsewhere))
    assert chunk_sweep_orphan_files(now=timezone.now() + HOUR) == 1  # the young one, once old enough
    assert chunk_sweep_orphan_files(now=timezone.now() + 2 * HOUR) == 0
    assert Chunk.objects.get(id=chunk.id).audio.name == chunk.audio.name


def test_it_keeps_the_files_of_deleted_chunks_audio_and_enrollments_apart(media_root, settings):
    settings.AUDIO_ORPHAN_GRACE_S = 0
    enrollment = EnrollmentFactory()
    dropped = ChunkFactory(user=enrollment.user)
    dropped_name = dropped.audio.name
    Chunk.objects.filter(id=dropped.id).update(audio="")  # its row no longer points at the file
    lost = stored(f"enrollments/{enrollment.user_id}/lost.wav", age=HOUR)

    assert enrollment_sweep_orphan_files() == 1
    assert not default_storage.exists(lost) and default_storage.exists(enrollment.audio.name)
    assert chunk_sweep_orphan_files() == 1
    assert not default_storage.exists(dropped_name)


def test_it_walks_every_directory_under_the_prefix_and_none_missing(media_root):
    names = [stored(n, age=HOUR) for n in ("chunks/1/2024/06/01/a.wav", "chunks/1/2024/06/02/b.wav", "chunks/2/c.wav")]
    assert sorted(stored_names(default_storage, "chunks")) == sorted(names)
    assert list(stored_names(default_storage, "nothing-here")) == []


def test_a_store_that_cannot_tell_a_files_age_keeps_it(media_root):
    class NoTimes(FileSystemStorage):
        def get_modified_time(self, name):
            raise NotImplementedError

    storage = NoTimes(location=settings.MEDIA_ROOT)
    name = stored("chunks/1/old.wav", age=24 * HOUR)
    assert sweep_orphan_files(storage=storage, prefix="chunks", referenced=lambda names: [], grace=HOUR) == 0
    assert storage.exists(name)


def test_a_database_outage_stops_the_sweep_and_deletes_nothing(media_root):
    name = stored("chunks/1/old.wav", age=24 * HOUR)

    def down(names):
        raise OperationalError("the database is down")

    with pytest.raises(OperationalError):
        sweep_orphan_files(storage=default_storage, prefix="chunks", referenced=down, grace=HOUR)
    assert default_storage.exists(name)


def test_both_sweeps_are_scheduled():
    scheduled = {func for _name, func, _minutes in settings.JOB_SCHEDULES}
    assert {"chunks.tasks.sweep_orphan_files", "enrollment.tasks.sweep_orphan_files"} <= scheduled
