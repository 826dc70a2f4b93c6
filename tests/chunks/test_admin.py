from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chunks.models import Chunk
from tests.admin_pages import count_queries, messages_of, offered_actions, queued_jobs, run_action
from tests.factories import ChunkFactory, LocationFactory, UserFactory, UtteranceFactory
from utterances.models import Utterance

CHUNKS = reverse("admin:chunks_chunk_changelist")
LOCATIONS = reverse("admin:chunks_location_changelist")


def change_url(chunk: Chunk) -> str:
    return reverse("admin:chunks_chunk_change", args=[chunk.pk])


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


# --- chunk list ---------------------------------------------------------------------------


def test_it_lists_chunks_with_their_columns(admin_client, user):
    location = LocationFactory(address="1 Rue de Rivoli, Paris")
    chunk = ChunkFactory(
        user=user,
        device_id="pixel-7",
        status=Chunk.Status.DONE,
        duration_ms=12_340,
        owner_speech_ms=4_500,
        segments_count=2,
        location=location,
        processed_at=timezone.now(),
    )
    response = admin_client.get(CHUNKS)
    assert response.status_code == 200
    assert listed(response) == {chunk.pk}
    html = response.content.decode()
    for text in ["pixel-7", "12.3", "4.5", "1 Rue de Rivoli, Paris", user.username, "Done"]:
        assert text in html


def test_it_shows_gps_positions_not_yet_geocoded(admin_client):
    ChunkFactory(gps_lat=48.85661, gps_lon=2.35222)
    response = admin_client.get(CHUNKS)
    assert "48.8566, 2.3522 (not geocoded)" in response.content.decode()


def test_it_lists_chunks_without_a_query_per_row(admin_client):
    ChunkFactory(location=LocationFactory())
    few = count_queries(admin_client, CHUNKS)
    for _ in range(5):
        ChunkFactory(location=LocationFactory())  # each with its own user and place
    assert count_queries(admin_client, CHUNKS) == few


def test_it_searches_chunks(admin_client):
    alice = ChunkFactory(user=UserFactory(username="alice", email="alice@example.org"), device_id="watch-2")
    failed = ChunkFactory(status=Chunk.Status.FAILED, error="audio could not be decoded")
    other = ChunkFactory()
    for term, expected in [
        ("alice", {alice.pk}),
        ("alice@example.org", {alice.pk}),
        ("watch-2", {alice.pk}),
        (other.audio_sha256[:16], {other.pk}),
        ("decoded", {failed.pk}),
    ]:
        response = admin_client.get(CHUNKS, {"q": term})
        assert response.status_code == 200
        assert listed(response) == expected, term


def test_it_filters_chunks(admin_client):
    done = ChunkFactory(status=Chunk.Status.DONE, device_id="watch-2", location=LocationFactory(), gps_lat=1, gps_lon=2)
    pending_place = ChunkFactory(gps_lat=48.8, gps_lon=2.3)
    no_gps = ChunkFactory()
    for params, expected in [
        ({"status__exact": "done"}, {done.pk}),
        ({"device_id__exact": "watch-2"}, {done.pk}),
        ({"has_location": "yes"}, {done.pk}),
        ({"has_location": "pending"}, {pending_place.pk}),
        ({"has_location": "no_gps"}, {no_gps.pk}),
        ({"start_ts__year": no_gps.start_ts.year}, {done.pk, pending_place.pk, no_gps.pk}),
        ({"start_ts__gte": "2030-01-01 00:00:00+00:00"}, set()),
    ]:
        response = admin_client.get(CHUNKS, params)
        assert response.status_code == 200, params
        assert listed(response) == expected, params


def test_it_does_not_add_chunks_by_hand(admin_client):
    assert admin_client.get(reverse("admin:chunks_chunk_add")).status_code == 403


def test_it_sends_non_staff_to_the_login_page(client, user):
    client.force_login(user)
    response = client.get(CHUNKS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- chunk page ---------------------------------------------------------------------------


def test_it_shows_a_chunk_with_its_segments_and_audit_record(admin_client):
    chunk = ChunkFactory(
        status=Chunk.Status.DONE,
        decision={"strategy": "voiceprint", "threshold": 0.6, "note": "<b>not html</b>"},
        timings={"asr": 0.05},
    )
    UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3000, text="see you at noon", uncertain=True)
    UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1500, text="hello there friend")
    response = admin_client.get(change_url(chunk))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("hello there friend") < html.index("see you at noon")  # in the chunk's order
    assert "{\n  &quot;note&quot;: &quot;" in html  # pretty-printed
    assert "&lt;b&gt;not html&lt;/b&gt;" in html  # and escaped
    assert chunk.audio_sha256 in html
    formset = response.context["inline_admin_formsets"][0]
    assert not formset.has_add_permission and not formset.has_change_permission
    assert formset.has_delete_permission


def test_it_deletes_a_segment_without_writing_the_chunk(admin_client):
    chunk = ChunkFactory(status=Chunk.Status.DONE, segments_count=2)
    keep = UtteranceFactory(chunk=chunk, start_ms=0)
    drop = UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3000)
    data = {
        "utterances-TOTAL_FORMS": "2",
        "utterances-INITIAL_FORMS": "2",
        "utterances-MIN_NUM_FORMS": "0",
        "utterances-MAX_NUM_FORMS": "1000",
        "utterances-0-id": str(keep.pk),
        "utterances-0-chunk": str(chunk.pk),
        "utterances-1-id": str(drop.pk),
        "utterances-1-chunk": str(chunk.pk),
        "utterances-1-DELETE": "on",
        "_continue": "Save",
    }
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(change_url(chunk), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert list(Utterance.objects.filter(chunk=chunk)) == [keep]
    assert not any(q["sql"].startswith('UPDATE "chunks_chunk"') for q in queries.captured_queries)


# --- actions ------------------------------------------------------------------------------


def test_it_reprocesses_selected_chunks_and_says_what_it_queued(admin_client, django_capture_on_commit_callbacks):
    done = ChunkFactory(status=Chunk.Status.DONE, attempts=1)
    failed = ChunkFactory(status=Chunk.Status.FAILED, attempts=3, error="gave up")
    busy = ChunkFactory(status=Chunk.Status.PROCESSING, claimed_at=timezone.now(), attempts=1)
    untouched = ChunkFactory(status=Chunk.Status.DONE)
    gone = ChunkFactory(status=Chunk.Status.DONE, audio="")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, CHUNKS, "reprocess", [done, failed, busy, gone])
    assert response.status_code == 302
    assert messages_of(response) == [
        "2 chunks queued for processing, 1 skipped (being processed now), 1 skipped (audio no longer kept). "
        "What each new result changes shows in the 'last change' column as it finishes "
        "(filter: last reprocess › Changed segments)."
    ]
    statuses = dict(Chunk.objects.values_list("id", "status"))
    assert statuses == {
        done.pk: "queued",
        failed.pk: "queued",
        busy.pk: "processing",
        untouched.pk: "done",
        gone.pk: "done",
    }
    assert sorted(queued_jobs()) == sorted(
        [("chunks.tasks.process_chunk", (done.pk,)), ("chunks.tasks.process_chunk", (failed.pk,))]
    )


def test_it_skips_chunks_already_queued(admin_client, django_capture_on_commit_callbacks):
    waiting = ChunkFactory(status=Chunk.Status.QUEUED, attempts=2)
    done = ChunkFactory(status=Chunk.Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, CHUNKS, "reprocess", [waiting, done])
    assert messages_of(response)[0].startswith("1 chunk queued for processing, 1 skipped (already queued).")
    assert queued_jobs() == [("chunks.tasks.process_chunk", (done.pk,))]
    waiting.refresh_from_db()
    assert waiting.attempts == 2  # left as it was: not queued a second time


def reprocess_button(html: str) -> str:
    start = html.index('action="/admin/chunks/chunk/')
    return html[start : html.index("</button>", start)]


def test_its_page_offers_reprocess_only_when_it_would_do_something(admin_client):
    cases = [
        (ChunkFactory(status=Chunk.Status.DONE), ""),
        (ChunkFactory(status=Chunk.Status.FAILED), ""),
        (ChunkFactory(status=Chunk.Status.QUEUED), "Already queued: it will be processed soon."),
        (ChunkFactory(status=Chunk.Status.PROCESSING, claimed_at=timezone.now()), "Being processed now."),
        (ChunkFactory(status=Chunk.Status.DONE, audio=""), "Its audio is no longer kept"),
    ]
    for chunk, reason in cases:
        html = admin_client.get(change_url(chunk)).content.decode()
        button = reprocess_button(html)
        assert ("disabled" in button) == bool(reason), chunk.status
        if reason:
            assert reason in html and 'id="reprocess-blocked"' in html
        else:
            assert 'id="reprocess-blocked"' not in html


def test_its_reprocess_button_queues_the_chunk(admin_client, django_capture_on_commit_callbacks):
    chunk = ChunkFactory(status=Chunk.Status.DONE)
    url = reverse("admin:chunks_chunk_reprocess", args=[chunk.pk])
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response.status_code == 302 and response["Location"] == change_url(chunk)
    assert messages_of(response)[0].startswith("1 chunk queued for processing.")
    assert queued_jobs() == [("chunks.tasks.process_chunk", (chunk.pk,))]
    again = admin_client.post(url)
    assert messages_of(again)[-1] == "0 chunks queued for processing, 1 skipped (already queued)."
    assert admin_client.post(reverse("admin:chunks_chunk_reprocess", args=[987654])).status_code == 404


def test_its_reprocess_button_needs_the_change_permission(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_chunk"))
    client.force_login(viewer)
    chunk = ChunkFactory(status=Chunk.Status.DONE)
    assert "Reprocess</button>" not in client.get(change_url(chunk)).content.decode()
    assert client.post(reverse("admin:chunks_chunk_reprocess", args=[chunk.pk])).status_code == 403
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE


def test_it_says_plainly_when_nothing_could_be_queued(admin_client):
    busy = ChunkFactory(status=Chunk.Status.PROCESSING, claimed_at=timezone.now())
    response = run_action(admin_client, CHUNKS, "reprocess", [busy])
    assert messages_of(response) == ["0 chunks queued for processing, 1 skipped (being processed now)."]


# --- what a reprocess changed ---------------------------------------------------------------


def change(added=0, removed=0, changed=0, unchanged=0):
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": unchanged,
        "total": added + removed + changed,
        "previous_processed_at": "2024-05-01T09:00:00+00:00",
    }


def test_it_shows_what_the_last_reprocess_changed(admin_client):
    now = timezone.now()
    ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"change": change(added=1, changed=2)})
    ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"change": change(unchanged=3)})
    ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"strategy": "voiceprint", "change": None})
    response = admin_client.get(CHUNKS)
    html = response.content.decode()
    assert "+1 −0 ~2" in html
    assert 'title="1 added, 0 removed, 2 changed, 0 unchanged segments"' in html
    assert "no change" in html


def test_it_filters_chunks_by_what_their_last_reprocess_changed(admin_client):
    now = timezone.now()
    changed = ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"change": change(removed=1)})
    same = ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"change": change(unchanged=2)})
    first = ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"strategy": "voiceprint", "change": None})
    older = ChunkFactory(status=Chunk.Status.DONE, processed_at=now, decision={"strategy": "voiceprint"})
    ChunkFactory()  # never processed
    for value, expected in [
        ("changed", {changed.pk}),
        ("same", {same.pk}),
        ("first", {first.pk, older.pk}),
    ]:
        response = admin_client.get(CHUNKS, {"last_change": value})
        assert response.status_code == 200
        assert listed(response) == expected, value


def test_it_shows_the_last_change_and_the_review_items_on_the_chunk_page(admin_client):
    from tests.factories import DecisionReviewFactory

    chunk = ChunkFactory(status=Chunk.Status.DONE, processed_at=timezone.now(), decision={"change": change(added=2)})
    DecisionReviewFactory(chunk=chunk)
    DecisionReviewFactory(chunk=chunk, verdict="owner")
    html = admin_client.get(change_url(chunk)).content.decode()
    assert "2 added, 0 removed, 0 changed, 0 unchanged segments" in html
    assert "1 pending, 1 the owner" in html
    assert f"?chunk__id__exact={chunk.pk}&amp;verdict=all" in html


def test_it_regeocodes_selected_chunks_with_a_position(admin_client, django_capture_on_commit_callbacks):
    placed = ChunkFactory(gps_lat=48.8566, gps_lon=2.3522, status=Chunk.Status.DONE)
    nowhere = ChunkFactory(status=Chunk.Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(admin_client, CHUNKS, "regeocode", [placed, nowhere])
    assert messages_of(response) == ["1 chunk queued for geocoding, 1 skipped (no GPS position)."]
    assert queued_jobs() == [("chunks.tasks.geocode_chunk", (placed.pk,))]


def test_it_offers_the_actions_only_to_staff_who_may_change_chunks(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_chunk"))
    client.force_login(viewer)
    ChunkFactory()
    response = client.get(CHUNKS)
    assert response.status_code == 200
    assert offered_actions(response) == []
    viewer.user_permissions.add(Permission.objects.get(codename="change_chunk"))
    assert offered_actions(client.get(CHUNKS)) == ["reprocess", "regeocode"]


# --- locations ----------------------------------------------------------------------------


def test_it_lists_locations_with_their_chunk_counts(admin_client):
    paris = LocationFactory(address="Paris, France", city="Paris", country="France")
    LocationFactory(address="Berlin, Germany", city="Berlin", country="Germany", provider="nominatim")
    ChunkFactory.create_batch(2, location=paris)
    response = admin_client.get(LOCATIONS)
    assert response.status_code == 200
    counts = {location.city: location.chunk_count for location in response.context["cl"].result_list}
    assert counts == {"Paris": 2, "Berlin": 0}
    assert f"?location__id__exact={paris.pk}" in response.content.decode()
    chunks_there = admin_client.get(CHUNKS, {"location__id__exact": paris.pk})
    assert len(listed(chunks_there)) == 2


def test_it_searches_and_filters_locations(admin_client):
    paris = LocationFactory(address="Paris, France", city="Paris", country="France")
    berlin = LocationFactory(address="Berlin, Germany", city="Berlin", country="Germany", provider="nominatim")
    for params, expected in [
        ({"q": "berlin"}, {berlin.pk}),
        ({"q": "France"}, {paris.pk}),
        ({"provider__exact": "nominatim"}, {berlin.pk}),
        ({"country__exact": "France"}, {paris.pk}),
    ]:
        response = admin_client.get(LOCATIONS, params)
        assert response.status_code == 200
        assert listed(response) == expected, params


def test_it_shows_a_location_read_only(admin_client):
    location = LocationFactory(raw={"display_name": "Paris"})
    response = admin_client.get(reverse("admin:chunks_location_change", args=[location.pk]))
    assert response.status_code == 200
    assert "&quot;display_name&quot;: &quot;Paris&quot;" in response.content.decode()
    assert admin_client.get(reverse("admin:chunks_location_add")).status_code == 403
