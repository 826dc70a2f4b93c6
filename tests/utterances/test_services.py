"""The owner deleting a segment (utterances/services.py)."""

from __future__ import annotations

from chunks.models import Chunk
from tests.factories import ChunkFactory, SegmentFactory
from utterances.models import Segment
from utterances.services import segment_delete


def test_it_deletes_a_segment_and_remembers_its_span(user):
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE, segments_count=2)
    first = SegmentFactory(chunk=chunk, start_ms=0, end_ms=1500)
    second = SegmentFactory(chunk=chunk, start_ms=2000, end_ms=3500)

    segment_delete(segment=first)

    assert list(Segment.objects.filter(chunk=chunk)) == [second]
    chunk.refresh_from_db()
    assert chunk.segments_count == 1
    assert chunk.suppressed_spans == [[0, 1500]]
    assert chunk.audio_retained  # deleting words does not touch the recording


def test_it_deletes_a_segment_once(user):
    chunk = ChunkFactory(user=user, status=Chunk.Status.DONE, segments_count=1)
    segment = SegmentFactory(chunk=chunk)

    segment_delete(segment=segment)
    segment_delete(segment=segment)  # a double click

    chunk.refresh_from_db()
    assert chunk.segments_count == 0 and chunk.suppressed_spans == [[0, 1500]]
