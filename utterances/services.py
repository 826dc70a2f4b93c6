"""Writes of segments: the owner deleting what they said."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from chunks.models import Chunk
from utterances.models import Segment


def segment_delete(*, segment: Segment) -> None:
    """Delete one of the owner's segments. Its time span is remembered on the chunk (no text)
    so that reprocessing the chunk never brings it back."""
    with transaction.atomic():
        chunk = Chunk.objects.select_for_update().only("id", "suppressed_spans").filter(id=segment.chunk_id).first()
        deleted, _ = Segment.objects.filter(id=segment.id).delete()
        if not deleted or chunk is None:
            return
        spans = [*chunk.suppressed_spans, [segment.start_ms, segment.end_ms]]
        Chunk.objects.filter(id=chunk.id).update(
            suppressed_spans=spans, segments_count=Greatest(F("segments_count") - 1, 0)
        )
