"""Writes of utterances (utterances/services.py): the owner deleting one; a chunk's new ones, merged
with the same words another device heard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chunks.models import Chunk
from tests.factories import T0, ChunkFactory, UtteranceFactory
from utterances.models import Utterance
from utterances.selectors import utterance_timeline
from utterances.services import UtteranceDraft, utterance_delete, utterances_replace


def test_it_deletes_a_segment_and_remembers_its_span(user):
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE, segments_count=2)
    first = UtteranceFactory(chunk=chunk, start_ms=0, end_ms=1500)
    second = UtteranceFactory(chunk=chunk, start_ms=2000, end_ms=3500)

    utterance_delete(utterance=first)

    assert list(Utterance.objects.filter(chunk=chunk)) == [second]
    chunk.refresh_from_db()
    assert chunk.segments_count == 1
    assert chunk.suppressed_spans == [[0, 1500]]
    assert chunk.audio_retained  # deleting words does not touch the recording


def test_it_deletes_a_segment_once(user):
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE, segments_count=1)
    segment = UtteranceFactory(chunk=chunk)

    utterance_delete(utterance=segment)
    utterance_delete(utterance=segment)  # a double click

    chunk.refresh_from_db()
    assert chunk.segments_count == 0 and chunk.suppressed_spans == [[0, 1500]]


# --- one voice across devices: storing a chunk's utterances merges them (utterances.merge) --------

PHONE_OFFSET = timedelta(seconds=0)
PENDANT_OFFSET = timedelta(seconds=2.5)  # the pendant's clock runs 2.5 s ahead of the phone's
SAID = [(500, 2300, "Hello there, friend."), (4000, 6200, "See you at noon by the fountain.")]


def draft(start_ms, end_ms, text, owner_similarity) -> UtteranceDraft:
    return UtteranceDraft(start_ms, end_ms, text, [], confidence=0.9, owner_similarity=owner_similarity, uncertain=False)


def recorded(user, device_id, offset, *, owner_similarity, said=SAID):
    """A chunk of the same conversation from one device, its utterances stored."""
    chunk = ChunkFactory(user=user, device_id=device_id, start_ts=T0 + offset, status=Chunk.Status.DONE)
    utterances_replace(chunk=chunk, drafts=[draft(s, e, text, owner_similarity) for s, e, text in said])
    chunk.segments_count = len(said)
    chunk.save(update_fields=["segments_count"])
    return chunk


def visible(user) -> list[tuple[str, str]]:
    return [(u.device_id, u.text) for u in utterance_timeline(user=user).order_by("start_ts")]


def links(user) -> dict[str, str | None]:
    """{device: text} → the device of the take each one is linked to."""
    return {
        f"{u.device_id}:{u.text}": u.duplicate_of.device_id if u.duplicate_of else None
        for u in Utterance.objects.filter(user=user).select_related("duplicate_of")
    }


@pytest.mark.parametrize("pendant_first", [False, True])
def test_it_shows_words_two_devices_heard_once_the_better_take(user, pendant_first):
    devices = [("phone", PHONE_OFFSET, 0.64), ("pendant", PENDANT_OFFSET, 0.83)]
    for device_id, offset, similarity in reversed(devices) if pendant_first else devices:
        recorded(user, device_id, offset, owner_similarity=similarity)

    assert visible(user) == [("pendant", text) for _, _, text in SAID]
    for kept in Utterance.objects.filter(user=user, device_id="pendant"):
        (duplicate,) = kept.duplicates.all()  # linked both ways
        assert duplicate.device_id == "phone" and duplicate.text == kept.text and duplicate.duplicate_of == kept


def test_it_keeps_words_only_one_device_heard(user):
    recorded(user, "phone", PHONE_OFFSET, owner_similarity=0.64)
    recorded(user, "pendant", PENDANT_OFFSET, owner_similarity=0.83, said=SAID[:1] + [(4000, 6200, "The garden needs water.")])
    assert visible(user) == [("pendant", "Hello there, friend."), ("phone", SAID[1][2]), ("pendant", "The garden needs water.")]


def test_it_decides_the_links_again_when_a_chunk_is_reprocessed(user):
    phone = recorded(user, "phone", PHONE_OFFSET, owner_similarity=0.64)
    pendant = recorded(user, "pendant", PENDANT_OFFSET, owner_similarity=0.83)
    before = links(user)

    for chunk, similarity in [(phone, 0.64), (pendant, 0.83), (pendant, 0.83), (phone, 0.64)]:
        utterances_replace(chunk=chunk, drafts=[draft(s, e, text, similarity) for s, e, text in SAID])
        assert links(user) == before and len(visible(user)) == 2

    # a new result in which the phone hears the owner better takes the lead
    utterances_replace(chunk=phone, drafts=[draft(s, e, text, 0.9) for s, e, text in SAID])
    assert visible(user) == [("phone", text) for _, _, text in SAID]


def test_it_shows_the_other_take_when_a_new_result_drops_the_kept_one(user):
    recorded(user, "phone", PHONE_OFFSET, owner_similarity=0.64)
    pendant = recorded(user, "pendant", PENDANT_OFFSET, owner_similarity=0.83)
    utterances_replace(chunk=pendant, drafts=[draft(*SAID[0][:2], SAID[0][2], 0.83)])
    assert visible(user) == [("pendant", SAID[0][2]), ("phone", SAID[1][2])]


def test_deleting_a_kept_utterance_deletes_its_duplicates_for_good(user):
    phone = recorded(user, "phone", PHONE_OFFSET, owner_similarity=0.64)
    pendant = recorded(user, "pendant", PENDANT_OFFSET, owner_similarity=0.83)
    kept = Utterance.objects.get(chunk=pendant, start_ms=500)

    utterance_delete(utterance=kept)

    assert visible(user) == [("pendant", SAID[1][2])]
    assert Utterance.objects.filter(user=user).count() == 2
    for chunk in (phone, pendant):  # each chunk remembers the span: a reprocess never brings them back
        chunk.refresh_from_db()
        assert chunk.suppressed_spans == [[500, 2300]] and chunk.segments_count == 1


def test_deleting_a_duplicate_deletes_that_take_only(user):
    phone = recorded(user, "phone", PHONE_OFFSET, owner_similarity=0.64)
    recorded(user, "pendant", PENDANT_OFFSET, owner_similarity=0.83)

    utterance_delete(utterance=Utterance.objects.get(chunk=phone, start_ms=500))

    assert visible(user) == [("pendant", text) for _, _, text in SAID]
    assert Utterance.objects.get(user=user, device_id="pendant", start_ms=500).duplicates.count() == 0


def test_storing_a_chunks_utterances_takes_the_owners_turn_first(user):
    """Two workers storing the phone's and the pendant's chunk at once: the second waits for the
    first to commit, then sees its words (utterances.merge.merge_lock)."""
    chunk = ChunkFactory(user=user, device_id="phone", start_ts=T0, status=Chunk.Status.DONE)
    with CaptureQueriesContext(connection) as captured:
        utterances_replace(chunk=chunk, drafts=[draft(s, e, text, 0.6) for s, e, text in SAID])
    lock, *_ = (q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SAVEPOINT"))
    assert '"auth_user"' in lock and ("FOR UPDATE" in lock or not connection.features.has_select_for_update)


def test_erasing_deletes_every_utterance_of_the_owner_in_one_statement(user, other_user):
    from utterances.services import utterances_erase

    kept = UtteranceFactory(chunk=ChunkFactory(user=user, device_id="pendant"))
    UtteranceFactory(chunk=ChunkFactory(user=user, device_id="phone"), duplicate_of=kept)
    UtteranceFactory.create_batch(3, chunk=ChunkFactory(user=user))
    theirs = UtteranceFactory(chunk__user=other_user)
    with CaptureQueriesContext(connection) as queries:
        assert utterances_erase(user=user) == 5
    statements = [q["sql"].split()[0].upper() for q in queries]
    assert statements.count("DELETE") == 1 and "SELECT" not in statements  # no row loaded
    assert not Utterance.objects.filter(user=user).exists()
    assert list(Utterance.objects.values_list("id", flat=True)) == [theirs.id]
    assert utterances_erase(user=user) == 0
