"""Export and erase all of an owner's data (selective_speaker/privacy.py)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from rest_framework.authtoken.models import Token

from account.selectors import EXPORT_FORMAT, account_export, account_export_stream, account_time_zone
from account.services import (
    account_erase,
    account_time_zone_set,
    account_token_issue,
    account_token_revoke,
    user_owned_models,
)
from chunks.models import Chunk, Location
from enrollment.models import Enrollment
from selective_speaker.audio_files import StorageUnavailable
from tests.chunks.test_api import stored_files
from tests.factories import ChunkFactory, EnrollmentFactory, LocationFactory, UtteranceFactory
from utterances.models import Utterance


@pytest.fixture
def owners_data(user):
    place = LocationFactory(address="Lyon, France")
    enrollment = EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE, gps_lat=45.76, gps_lon=4.83, location=place)
    segments = [UtteranceFactory(chunk=chunk, start_ms=i * 2000, end_ms=i * 2000 + 1500) for i in range(3)]
    return {"place": place, "enrollment": enrollment, "chunk": chunk, "segments": segments}


def rows_of(user) -> dict[str, int]:
    return {m._meta.label_lower: m._default_manager.filter(user=user).count() for m in user_owned_models()}


def test_it_knows_every_model_that_holds_owner_data():
    labels = {m._meta.label_lower for m in user_owned_models()}
    assert {"enrollment.enrollment", "chunks.chunk", "utterances.utterance"} <= labels


def test_it_exports_all_of_the_owners_data(user, owners_data):
    data = account_export(user=user)

    assert data["format"] == EXPORT_FORMAT
    assert data["user"]["username"] == user.username
    assert [e["id"] for e in data["enrollments"]] == [owners_data["enrollment"].id]
    assert len(data["enrollments"][0]["voiceprint"]) == 192
    assert [c["id"] for c in data["chunks"]] == [owners_data["chunk"].id]
    assert data["chunks"][0]["audio_retained"] is True
    assert [s["text"] for s in data["segments"]] == [s.text for s in owners_data["segments"]]
    assert data["places"] == [
        {
            "id": owners_data["place"].id,
            "address": "Lyon, France",
            "city": "Paris",
            "country": "France",
            "lat": float(owners_data["place"].lat_round),
            "lon": 20.0,
            "provider": "offline",
        }
    ]
    # every model that holds owner data has a section
    sections = set(data) - {"format", "exported_at", "user", "places"}
    assert len(sections) == len(user_owned_models())


def test_it_exports_nothing_of_anyone_else(user, other_user, owners_data):
    UtteranceFactory(chunk__user=other_user, text="someone else's words")

    text = "".join(account_export_stream(user=user))

    assert "someone else's words" not in text
    assert json.loads(text)["segments"][0]["text"].startswith("owner words")


def test_it_exports_an_empty_account(user):
    data = account_export(user=user)
    assert data["chunks"] == data["segments"] == data["enrollments"] == data["places"] == []


def test_it_erases_everything_and_leaves_nothing(user, other_user, owners_data, media_root):
    theirs = UtteranceFactory(chunk__user=other_user)
    shared_place = LocationFactory()
    ChunkFactory(user=user, location=shared_place)
    ChunkFactory(user=other_user, location=shared_place)

    erased = account_erase(user=user)

    assert erased["files"] == 3  # two chunks and the enrollment
    assert erased["utterances.utterance"] == 3 and erased["chunks.chunk"] == 2
    assert erased["enrollment.enrollment"] == 1 and erased["places"] == 1
    assert set(rows_of(user).values()) == {0}
    assert not Location.objects.filter(id=owners_data["place"].id).exists()
    assert Location.objects.filter(id=shared_place.id).exists()  # still someone else's place
    # only the other user's two files remain
    assert len(stored_files(media_root)) == 2
    assert Utterance.objects.filter(id=theirs.id).exists()
    assert user.__class__.objects.filter(id=user.id).exists()  # the account stays


def test_it_erases_a_long_history_a_batch_at_a_time_with_the_same_counts(user, other_user, monkeypatch):
    from account import services

    monkeypatch.setattr(services, "ERASE_BATCH", 2)
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="pendant"))
    for n in range(5):
        UtteranceFactory(chunk=ChunkFactory(user=user, device_id="phone"), duplicate_of=kept if n == 0 else None)
    theirs = UtteranceFactory(chunk__user=other_user)

    erased = account_erase(user=user)

    assert erased["utterances.utterance"] == 6 and erased["chunks.chunk"] == 6
    assert set(rows_of(user).values()) == {0}
    assert Utterance.objects.filter(id=theirs.id).exists() and Chunk.objects.filter(id=theirs.chunk_id).exists()


def test_it_keeps_the_rows_when_the_store_fails_and_finishes_on_retry(user, owners_data, media_root, monkeypatch):
    monkeypatch.setattr(FileSystemStorage, "delete", _raise_oserror)

    with pytest.raises(StorageUnavailable):
        account_erase(user=user)

    assert Chunk.objects.filter(user=user).count() == 1
    assert Utterance.objects.filter(user=user).count() == 3
    assert Enrollment.objects.filter(user=user).count() == 1
    monkeypatch.undo()
    account_erase(user=user)
    assert set(rows_of(user).values()) == {0}
    assert stored_files(media_root) == []


def test_it_issues_and_revokes_api_tokens(user):
    first = account_token_issue(user=user)
    assert account_token_issue(user=user).key == first.key

    assert account_token_revoke(user=user) is True
    assert not Token.objects.filter(key=first.key).exists()
    assert account_token_revoke(user=user) is False
    assert account_token_issue(user=user).key != first.key


def _raise_oserror(self, name):
    raise OSError("the store is down")


# --- the owner's time zone ----------------------------------------------------------------


def test_it_sets_and_reads_the_owners_time_zone(user, other_user):
    assert account_time_zone(user=user) == ""
    account_time_zone_set(user=user, time_zone="Europe/Berlin")
    account_time_zone_set(user=user, time_zone="America/New_York")
    assert account_time_zone(user=user) == "America/New_York"
    assert account_time_zone(user=other_user) == ""
    assert account_export(user=user)["user"]["time_zone"] == "America/New_York"
    with pytest.raises(ValidationError):
        account_time_zone_set(user=user, time_zone="Mars/Olympus")
    assert account_time_zone(user=user) == "America/New_York"  # nothing stored


def test_it_exports_and_erases_takes_linked_across_devices(user):
    kept = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="pendant"))
    phone = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="phone"), text=kept.text, duplicate_of=kept)
    assert {s["id"]: s["duplicate_of"] for s in account_export(user=user)["segments"]} == {kept.id: None, phone.id: kept.id}
    account_erase(user=user)
    assert not Utterance.objects.filter(user=user).exists()
