"""The owner deleting a segment (utterances/services.py)."""

from __future__ import annotations

from chunks.models import Chunk
from tests.factories import ChunkFactory, UtteranceFactory
from utterances.models import Utterance
from utterances.services import utterance_delete


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
