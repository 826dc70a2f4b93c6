"""Events fired by the lower apps' signals reach a real receiver: a chunk processed, its
utterances created, an utterance deleted — through the real job path (django-q2 in-process)."""

from __future__ import annotations

import pytest

from chunks.processing import chunk_process
from tests.factories import ChunkFactory, EnrollmentFactory, WebhookEndpointFactory
from webhooks.models import Event, WebhookDelivery
from webhooks.signing import SIGNATURE_HEADER, signature_verify


@pytest.fixture
def endpoint(user, receiver):
    return WebhookEndpointFactory(user=user, url=receiver.url)


def process(chunk, capture):
    with capture(execute=True):
        chunk_process(chunk_id=chunk.id)


def test_a_processed_chunk_sends_its_utterances_then_itself(
    user, endpoint, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user, device_id="pendant-1")
    process(chunk, django_capture_on_commit_callbacks)
    assert receiver.events == ["utterance.created", "utterance.created", "chunk.processed"]
    for request in receiver.requests:
        assert signature_verify(endpoint.secret, request.body, request.headers[SIGNATURE_HEADER])
    texts = [r.json["data"]["utterance"]["text"] for r in receiver.requests[:2]]
    assert sorted(texts) == ["hello there friend", "see you at noon"]
    first = receiver.requests[0].json["data"]["utterance"]
    assert first["chunk_id"] == chunk.id and first["device_id"] == "pendant-1"
    processed = receiver.requests[2].json["data"]["chunk"]
    assert processed["id"] == chunk.id and processed["status"] == "done" and processed["utterances_count"] == 2
    assert "text" not in receiver.requests[2].body.decode()  # a chunk's record carries no words
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_reprocess_deletes_the_old_utterances_and_creates_the_new(
    user, endpoint, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    process(chunk, django_capture_on_commit_callbacks)
    old_ids = sorted(r.json["data"]["utterance"]["id"] for r in receiver.requests[:2])
    receiver.requests.clear()
    chunk.refresh_from_db()
    chunk.status = "queued"
    chunk.save(update_fields=["status"])
    process(chunk, django_capture_on_commit_callbacks)
    assert receiver.events == ["utterance.deleted"] * 2 + ["utterance.created"] * 2 + ["chunk.processed"]
    assert sorted(r.json["data"]["utterance"]["id"] for r in receiver.requests[:2]) == old_ids
    assert all("text" not in r.json["data"]["utterance"] for r in receiver.requests[:2])
    # the words of the replaced utterances are gone from the delivery log too
    logged = WebhookDelivery.objects.filter(subject__in=[f"utterance:{i}" for i in old_ids], event="utterance.created")
    assert [d.payload["data"]["utterance"]["text"] for d in logged] == ["", ""]


def test_deleting_an_utterance_sends_it_without_text(
    user, api, endpoint, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    EnrollmentFactory(user=user)
    process(ChunkFactory(user=user), django_capture_on_commit_callbacks)
    utterance = receiver.requests[0].json["data"]["utterance"]
    receiver.requests.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/utterances/{utterance['id']}/").status_code == 204
    [request] = receiver.requests
    assert request.json["event"] == "utterance.deleted"
    assert request.json["data"]["utterance"]["id"] == utterance["id"]
    assert utterance["text"] not in request.body.decode()
    created = WebhookDelivery.objects.get(subject=f"utterance:{utterance['id']}", event="utterance.created")
    assert created.payload["data"]["utterance"]["text"] == ""  # redacted in the log


def test_only_subscribed_active_endpoints_of_the_owner_hear(
    user, other_user, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    WebhookEndpointFactory(user=user, url=receiver.url, events=[Event.CHUNK_PROCESSED])
    WebhookEndpointFactory(user=user, url=receiver.url + "/off", active=False)
    WebhookEndpointFactory(user=other_user, url=receiver.url + "/other")
    EnrollmentFactory(user=user)
    process(ChunkFactory(user=user), django_capture_on_commit_callbacks)
    assert receiver.events == ["chunk.processed"]
    assert [r.path for r in receiver.requests] == ["/hooks/selective-speaker"]


def test_nothing_is_made_without_endpoints(user, fake_engine, django_capture_on_commit_callbacks):
    EnrollmentFactory(user=user)
    process(ChunkFactory(user=user), django_capture_on_commit_callbacks)
    assert not WebhookDelivery.objects.exists()


def test_deleting_a_recording_takes_its_words_out_of_the_log(
    user, api, endpoint, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    EnrollmentFactory(user=user)
    chunk = ChunkFactory(user=user)
    process(chunk, django_capture_on_commit_callbacks)
    logged = WebhookDelivery.objects.filter(chunk_id=chunk.id)
    assert logged.count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/v1/chunks/{chunk.id}/").status_code == 204
    texts = [d.payload["data"]["utterance"]["text"] for d in logged if d.event == "utterance.created"]
    assert texts == ["", ""]


def test_erasing_everything_takes_the_words_out_of_the_log(
    user, endpoint, receiver, fake_engine, q_sync, django_capture_on_commit_callbacks
):
    from account.services import account_erase

    EnrollmentFactory(user=user)
    process(ChunkFactory(user=user), django_capture_on_commit_callbacks)
    account_erase(user=user)
    created = WebhookDelivery.objects.filter(event="utterance.created")
    assert created.count() == 2 and all(d.payload["data"]["utterance"]["text"] == "" for d in created)


def test_deleting_many_recordings_at_once_redacts_the_log_in_one_query_per_owner(user, other_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chunks.models import Chunk
    from tests.factories import WebhookDeliveryFactory

    def logged(chunk, owner):
        return WebhookDeliveryFactory(
            endpoint__user=owner,
            event=Event.UTTERANCE_CREATED,
            chunk_id=chunk.id,
            subject=f"utterance:{chunk.id}",
            payload={"event": "utterance.created", "data": {"utterance": {"text": f"words of {chunk.id}"}}},
        )

    going = [ChunkFactory(user=user) for _ in range(4)]
    staying, theirs = ChunkFactory(user=user), ChunkFactory(user=other_user)
    deliveries = {chunk.id: logged(chunk, chunk.user) for chunk in [*going, staying, theirs]}
    with CaptureQueriesContext(connection) as queries:
        Chunk.objects.filter(id__in=[c.id for c in going]).delete()
    reads = [q for q in queries if q["sql"].startswith("SELECT") and "webhooks_webhookdelivery" in q["sql"]]
    assert len(reads) == 1  # not one per recording
    text = {cid: WebhookDelivery.objects.get(id=d.id).payload["data"]["utterance"]["text"] for cid, d in deliveries.items()}
    assert [text[c.id] for c in going] == ["", "", "", ""]
    assert text[staying.id] == f"words of {staying.id}" and text[theirs.id] == f"words of {theirs.id}"
    last = deliveries[staying.id]
    staying.delete()  # one recording: its own payloads
    assert WebhookDelivery.objects.get(id=last.id).payload["data"]["utterance"]["text"] == ""
