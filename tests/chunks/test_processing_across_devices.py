"""The chunk job with two devices: the same conversation uploaded from a phone and a pendant whose
clocks disagree by 2.5 s is shown once (utterances.merge), reprocessing either changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import chunk_reprocess
from tests.conftest import owner_segment
from tests.factories import EnrollmentFactory

CHUNKS_URL = "/api/v1/chunks/"
UTTERANCES_URL = "/api/v1/utterances/"
# The same moment: the pendant's clock runs 2.5 s ahead of the phone's.
STARTS = {"phone-1": "2024-05-01T09:30:00Z", "pendant-1": "2024-05-01T09:30:02.500Z"}
# How well each device heard the owner (the pendant hangs at the mouth).
OWNER_SIMILARITY = {"phone-1": 0.63, "pendant-1": 0.84}


@pytest.fixture
def engine_hears(fake_engine):
    """engine_hears(device): the fake engine answers with that device's take of the conversation."""

    def hears(device_id: str) -> None:
        fake_engine.chunk_result.segments = [
            replace(owner_segment(0, 1500, "hello there friend"), owner_similarity=OWNER_SIMILARITY[device_id]),
            replace(owner_segment(2000, 3800, "see you at noon"), owner_similarity=OWNER_SIMILARITY[device_id]),
        ]

    return hears


def upload_and_process(api, make_wav, engine_hears, device_id: str) -> int:
    response = api.post(
        CHUNKS_URL,
        {"audio": make_wav(4.0), "device_id": device_id, "start_ts": STARTS[device_id]},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    engine_hears(device_id)
    chunk_process(chunk_id=response.json()["id"])
    return response.json()["id"]


def timeline(api, **params) -> list[tuple]:
    results = api.get(UTTERANCES_URL, params).json()["results"]
    return [(b["text"], b["device_id"], [d["device_id"] for d in b["duplicates"]]) for b in reversed(results)]


ONCE = [("hello there friend", "pendant-1", ["phone-1"]), ("see you at noon", "pendant-1", ["phone-1"])]


@pytest.mark.parametrize("order", [("phone-1", "pendant-1"), ("pendant-1", "phone-1")])
def test_it_shows_a_conversation_two_devices_uploaded_once(api, user, make_wav, engine_hears, order):
    EnrollmentFactory(user=user)
    for device_id in order:
        upload_and_process(api, make_wav, engine_hears, device_id)

    assert Chunk.objects.filter(user=user, status=Chunk.Status.DONE).count() == 2
    assert timeline(api) == ONCE
    assert len(timeline(api, include_duplicates="true")) == 4
    assert [text for text, *_ in timeline(api, device_id="phone-1")] == ["hello there friend", "see you at noon"]


def test_reprocessing_either_chunk_keeps_one_take(api, user, make_wav, engine_hears):
    EnrollmentFactory(user=user)
    chunk_ids = {device_id: upload_and_process(api, make_wav, engine_hears, device_id) for device_id in STARTS}

    for device_id in ("pendant-1", "phone-1", "pendant-1"):
        assert chunk_reprocess(chunks=Chunk.objects.filter(id=chunk_ids[device_id])) == 1
        engine_hears(device_id)
        chunk_process(chunk_id=chunk_ids[device_id])
        assert timeline(api) == ONCE
