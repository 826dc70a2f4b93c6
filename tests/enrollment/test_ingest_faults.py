"""Faults between an enrollment's upload and its job that must not lose an accepted recording
(issue 11), as for chunks (tests/chunks/test_ingest_faults.py): a commit whose acknowledgement
is lost, and a local file store that is briefly not there while the voiceprint job reads it.
"""

from __future__ import annotations

import pytest

from enrollment.models import Enrollment
from enrollment.services import enrollment_process
from tests.chunks.test_api import stored_files
from tests.chunks.test_ingest_faults import (
    commit_fails,
    commit_then_lose_the_answer,
    store_away,
    store_back,
    store_unmounted,
)
from tests.enrollment.test_faults import assert_ready, assert_retryable, pending, post_enrollment


def assert_processed(enrollment: Enrollment) -> None:
    enrollment_process(enrollment=enrollment)
    assert_ready(enrollment, attempts=1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_accepts_an_enrollment_whose_commit_acknowledgement_was_lost(
    api, user, media_root, fake_engine, monkeypatch
):
    with monkeypatch.context() as m:
        commit_then_lose_the_answer(m)
        response = post_enrollment(api)
    assert response.status_code == 202, response.content  # the row is committed: accepted
    enrollment = Enrollment.objects.get(id=response.json()["id"])
    assert enrollment.status == Enrollment.Status.PENDING
    assert enrollment.audio.storage.exists(enrollment.audio.name)
    assert_processed(enrollment)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_keeps_the_recording_when_the_database_cannot_say_whether_it_was_committed(
    api, user, media_root, fake_engine, monkeypatch
):
    with monkeypatch.context() as m:
        commit_then_lose_the_answer(m, database_stays_down=True)
        assert_retryable(post_enrollment(api))
    enrollment = Enrollment.objects.get()  # committed after all
    assert enrollment.audio.storage.exists(enrollment.audio.name)
    assert_processed(enrollment)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a real commit
def test_it_deletes_the_recording_of_an_enrollment_whose_commit_failed(api, user, media_root, monkeypatch):
    with monkeypatch.context() as m:
        commit_fails(m)
        assert_retryable(post_enrollment(api))
    assert Enrollment.objects.count() == 0
    assert stored_files(media_root) == []

    assert post_enrollment(api).status_code == 202
    assert Enrollment.objects.count() == 1 and len(stored_files(media_root)) == 1


@pytest.mark.parametrize("outage", [store_away, store_unmounted])
def test_it_retries_an_enrollment_while_the_local_store_is_not_there(user, media_root, fake_engine, outage):
    enrollment = pending(user)
    outage(media_root)
    with pytest.raises(OSError, match="the file store"):  # django-q2 records the failed attempt
        enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.attempts) == (Enrollment.Status.PENDING, 1)  # released for a retry
    assert enrollment.error_code == "" and "the file store" in enrollment.error

    store_back(media_root)
    enrollment_process(enrollment=enrollment)  # the retry, once the store is back
    assert_ready(enrollment, attempts=2)
