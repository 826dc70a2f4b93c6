"""What the owner said: one row per kept utterance of a chunk."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models


def promote_a_duplicate(collector, field, sub_objs, using) -> None:
    """on_delete of Utterance.duplicate_of: the best duplicate of a kept utterance that goes is
    kept instead (utterances.merge.duplicates_promote)."""
    from utterances.merge import duplicates_promote  # merge imports this module

    duplicates_promote(collector, field, sub_objs)


promote_a_duplicate.lazy_sub_objs = True  # read once, by duplicates_promote


class Utterance(models.Model):
    chunk = models.ForeignKey("chunks.Chunk", on_delete=models.CASCADE, related_name="utterances")
    # Denormalised from the chunk so that the timeline is one index range scan.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="utterances")
    device_id = models.CharField(max_length=64)
    start_ts = models.DateTimeField()
    end_ts = models.DateTimeField()
    start_ms = models.PositiveIntegerField()  # from the chunk's first sample
    end_ms = models.PositiveIntegerField()
    text = models.TextField()
    words = models.JSONField(default=list, blank=True)  # [{start_ms, end_ms, text, probability}]
    confidence = models.FloatField()
    owner_similarity = models.FloatField(null=True, blank=True)
    uncertain = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The text's lexemes for full-text search, written by a database trigger on PostgreSQL
    # (migration 0003) and read by the database alone (utterances.search; the timeline leaves it
    # out of its rows); NULL and unused elsewhere, where search matches the words in `text`.
    search_vector = SearchVectorField(null=True, editable=False)
    # Another device's take of the same words, kept instead of this one (utterances.merge): set
    # on the worse take, which the timeline hides. Flat: a kept utterance is nobody's duplicate.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=promote_a_duplicate,
        related_name="duplicates",
        db_index=False,  # utterance_duplicates_idx: the few linked rows only
    )

    class Meta:
        ordering = ["-start_ts", "-id"]
        indexes = [
            models.Index(fields=["user", "-start_ts", "-id"], name="segment_timeline_idx"),
            models.Index(fields=["user", "device_id", "-start_ts", "-id"], name="segment_device_timeline_idx"),
            # PostgreSQL only (migration 0003 skips it elsewhere): the owner's rows that hold the
            # words, found in the index alone (btree_gin puts user_id in it), whoever else said them
            GinIndex(fields=["user", "search_vector"], name="utterance_search_idx"),
            # a kept utterance's duplicates (a page's "also heard on", deletes): most rows are kept,
            # so the index holds the linked ones only
            models.Index(
                fields=["duplicate_of"], name="utterance_duplicates_idx", condition=models.Q(duplicate_of__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_ts:%Y-%m-%d %H:%M:%S} {self.text[:60]}"
