"""Staff pages for utterances: read-only (the pipeline writes them); each links to its chunk."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from selective_speaker.admin_display import pretty_json
from utterances.models import Utterance
from utterances.services import utterance_delete


@admin.register(Utterance)
class UtteranceAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "device_id",
        "start_ts",
        "short_text",
        "confidence",
        "owner_similarity",
        "uncertain",
        "chunk_link",
    ]
    list_filter = ["uncertain", "device_id", "start_ts"]
    list_select_related = ["user"]
    search_fields = ["text", "user__username", "user__email"]
    date_hierarchy = "start_ts"
    raw_id_fields = ["chunk", "user"]
    show_full_result_count = False  # the largest table: skip the unfiltered COUNT(*)
    fields = [
        "chunk_link",
        "user",
        "device_id",
        "start_ts",
        "end_ts",
        "start_ms",
        "end_ms",
        "text",
        "confidence",
        "owner_similarity",
        "uncertain",
        "duplicate_of",  # another device's take of the same words, shown instead (utterances/merge.py)
        "words_json",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # Word timings are read on the utterance's own page only (loaded there on access).
        return super().get_queryset(request).defer("words")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting goes through the service, as the owner's own deletions do: the chunk's count
    # stays true and a reprocess never brings the utterance back.
    def delete_model(self, request, obj: Utterance) -> None:
        utterance_delete(utterance=obj)

    def delete_queryset(self, request, queryset) -> None:
        for utterance in queryset.select_related(None).only("id", "chunk_id", "start_ms", "end_ms"):
            utterance_delete(utterance=utterance)

    @admin.display(description="text", ordering="text")
    def short_text(self, utterance: Utterance) -> str:
        return Truncator(utterance.text).chars(80)

    @admin.display(description="chunk", ordering="chunk_id")
    def chunk_link(self, utterance: Utterance):
        url = reverse("admin:chunks_chunk_change", args=[utterance.chunk_id])
        return format_html('<a href="{}">Chunk {}</a>', url, utterance.chunk_id)

    @admin.display(description="words")
    def words_json(self, utterance: Utterance):
        return pretty_json(utterance.words)
