"""Staff pages for chunks and the places they were recorded.

Chunks are written by uploads and the pipeline only: every field is read-only here, and staff
act on chunks through actions that call the services (reprocess, re-geocode). A chunk's
utterances show inline; staff may delete one (e.g. words that are not the owner's) but never add
or edit them. Reprocessing is queued; what each new result changed in the utterances (counts from
the audit record's `change`, chunks/result_changes.py) shows in the "last change" column, with
a filter for the chunks whose last reprocess changed something.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from chunks.models import Chunk, Location
from chunks.places import chunk_regeocode
from chunks.services import chunk_reprocess
from enrollment.models import DecisionReview
from selective_speaker.admin_display import counted, pretty_json, seconds
from utterances.models import Utterance


class UtteranceInline(admin.TabularInline):
    model = Utterance
    fields = ["start_ms", "end_ms", "text", "confidence", "owner_similarity", "uncertain"]
    readonly_fields = fields
    ordering = ["start_ms", "id"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).defer("words")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlaceFilter(admin.SimpleListFilter):
    title = "location"
    parameter_name = "has_location"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Geocoded"),
            ("pending", "GPS, not geocoded"),
            ("no_gps", "No GPS position"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "yes":
                return queryset.filter(location__isnull=False)
            case "pending":
                return queryset.filter(location__isnull=True, gps_lat__isnull=False)
            case "no_gps":
                return queryset.filter(gps_lat__isnull=True)
        return queryset


class LastChangeFilter(admin.SimpleListFilter):
    title = "last reprocess"
    parameter_name = "last_change"

    def lookups(self, request, model_admin):
        return [
            ("changed", "Changed segments"),
            ("same", "No change"),
            ("first", "First result only"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "changed":
                return queryset.filter(decision__change__total__gt=0)
            case "same":
                return queryset.filter(decision__change__total=0)
            case "first":
                return queryset.filter(processed_at__isnull=False).filter(
                    Q(decision__change__isnull=True) | Q(decision__change=None)
                )
        return queryset


def reprocess_blocked(chunk: Chunk) -> str:
    """Why reprocessing the chunk now would do nothing, beside the change page's disabled
    Reprocess button; "" when it can be reprocessed. A queued chunk is processed soon anyway,
    with the voiceprint of that moment."""
    if not chunk.audio:
        return "Its audio is no longer kept: it cannot be processed again."
    if chunk.status == Chunk.Status.QUEUED:
        return "Already queued: it will be processed soon."
    if chunk.status == Chunk.Status.PROCESSING:
        return "Being processed now."
    return ""


def change_counts(change: dict | None) -> str | None:
    """'+1 −0 ~2' (added, removed, changed), 'no change', or None before any reprocess."""
    if not isinstance(change, dict):
        return None
    if not change.get("total"):
        return "no change"
    return f"+{change.get('added', 0)} −{change.get('removed', 0)} ~{change.get('changed', 0)}"


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    # Compact columns that all fit a 1280 px screen beside the filters (the id, attempts and
    # processing time are on the chunk's page).
    list_display = [
        "recorded",
        "user_device",
        "status",
        "duration",
        "owner_speech",
        "utterances",
        "last_change",
        "place",
    ]
    list_display_links = ("recorded",)
    list_filter = ["status", LastChangeFilter, "device_id", "start_ts", "created_at", PlaceFilter]
    list_select_related = ["user", "location"]
    search_fields = ["user__username", "user__email", "device_id", "^audio_sha256", "error"]
    date_hierarchy = "start_ts"
    actions = ["reprocess", "regeocode"]
    inlines = [UtteranceInline]
    view_on_site = False  # the chunk's own URL is the owner's API
    fieldsets = [
        (None, {"fields": ["user", "device_id", "start_ts", "end_ts", "duration", "status", "error", "attempts"]}),
        ("Result", {"fields": ["segments_count", "last_change_detail", "owner_speech", "enrollment", "processed_at"]}),
        ("Review", {"fields": ["reviews"]}),
        ("Audit", {"fields": ["request_id", "decision_json", "timings_json"]}),
        ("Place", {"fields": ["gps_lat", "gps_lon", "location"]}),
        ("Audio", {"fields": ["audio_file", "audio_sha256", "audio_bytes", "codec"]}),
        ("Queue", {"fields": ["created_at", "enqueued_at", "claimed_at", "next_attempt_at", "geocode_enqueued_at"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        # The audit records are read on the change page only (loaded there on access); the list
        # reads just the change counts out of the record.
        return super().get_queryset(request).defer("decision", "timings").annotate(change=F("decision__change"))

    def has_add_permission(self, request):
        return False  # chunks arrive through the upload API

    def save_model(self, request, obj, form, change):
        """Nothing of the chunk itself is editable: saving the page saves the inline's deletions
        and must not write the chunk back over what a worker may have stored meanwhile."""

    def changelist_view(self, request, extra_context=None):
        # The list needs the width the navigation sidebar would take (the breadcrumbs lead back).
        return super().changelist_view(request, {"is_nav_sidebar_enabled": False, **(extra_context or {})})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page, with a Reprocess button that is disabled, with the reason, when it would
        do nothing."""
        chunk = self.get_object(request, unquote(object_id))
        context = {
            "can_reprocess": chunk is not None and self.has_change_permission(request, chunk),
            "reprocess_blocked": reprocess_blocked(chunk) if chunk is not None else "",
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        view = self.admin_site.admin_view(require_POST(self.reprocess_view))
        return [path("<path:object_id>/reprocess/", view, name="chunks_chunk_reprocess"), *super().get_urls()]

    def reprocess_view(self, request, object_id):
        """The change page's Reprocess button: the action, on this chunk."""
        chunk = self.get_object(request, unquote(object_id))
        if chunk is None:
            raise Http404("No such chunk.")
        if not self.has_change_permission(request, chunk):
            raise PermissionDenied
        self.reprocess(request, Chunk.objects.filter(pk=chunk.pk))
        return redirect("admin:chunks_chunk_change", chunk.pk)

    # --- columns and audit fields ---------------------------------------------------------

    @admin.display(description="recorded", ordering="start_ts")
    def recorded(self, chunk: Chunk):
        return format_html(
            '<span style="white-space: nowrap">{}</span>', f"{timezone.localtime(chunk.start_ts):%Y-%m-%d %H:%M}"
        )

    @admin.display(description="user · device", ordering="user__username")
    def user_device(self, chunk: Chunk):
        return format_html('{}<br><span style="color: var(--body-quiet-color)">{}</span>', chunk.user, chunk.device_id)

    @admin.display(description="length (s)", ordering="duration_ms")
    def duration(self, chunk: Chunk) -> float:
        return seconds(chunk.duration_ms)

    @admin.display(description="owner speech (s)", ordering="owner_speech_ms")
    def owner_speech(self, chunk: Chunk) -> float:
        return seconds(chunk.owner_speech_ms)

    @admin.display(description="utterances", ordering="segments_count")
    def utterances(self, chunk: Chunk) -> int:
        return chunk.segments_count

    @admin.display(description="last change")
    def last_change(self, chunk: Chunk):
        change = getattr(chunk, "change", None)
        shown = change_counts(change)
        if shown is None or not change.get("total"):
            return shown
        return format_html(
            '<span title="{} added, {} removed, {} changed, {} unchanged segments">{}</span>',
            change.get("added", 0),
            change.get("removed", 0),
            change.get("changed", 0),
            change.get("unchanged", 0),
            shown,
        )

    @admin.display(description="last change")
    def last_change_detail(self, chunk: Chunk) -> str:
        change = (chunk.decision or {}).get("change")
        if not isinstance(change, dict):
            return "first result" if chunk.decision else "not processed yet"
        return (
            f"{change.get('added', 0)} added, {change.get('removed', 0)} removed, "
            f"{change.get('changed', 0)} changed, {change.get('unchanged', 0)} unchanged segments "
            f"(replaced the result of {change.get('previous_processed_at') or 'an earlier run'})"
        )

    @admin.display(description="uncertain regions")
    def reviews(self, chunk: Chunk):
        counts = dict(
            DecisionReview.objects.filter(chunk=chunk).order_by().values_list("verdict").annotate(n=Count("id"))
        )
        if not counts:
            return "none to review"
        url = reverse("admin:enrollment_decisionreview_changelist") + f"?chunk__id__exact={chunk.pk}&verdict=all"
        summary = ", ".join(
            f"{counts[value]} {label.lower()}" for value, label in DecisionReview.Verdict.choices if value in counts
        )
        return format_html('<a href="{}">{}</a>', url, summary)

    @admin.display(description="place", ordering="location__address")
    def place(self, chunk: Chunk):
        if chunk.location_id is not None:
            address = str(chunk.location)
            return format_html('<span title="{}">{}</span>', address, Truncator(address).chars(40))
        if chunk.gps_lat is not None and chunk.gps_lon is not None:
            return f"{chunk.gps_lat:.4f}, {chunk.gps_lon:.4f} (not geocoded)"
        return None

    @admin.display(description="decision")
    def decision_json(self, chunk: Chunk):
        return pretty_json(chunk.decision)

    @admin.display(description="timings (s)")
    def timings_json(self, chunk: Chunk):
        return pretty_json(chunk.timings)

    @admin.display(description="audio file")
    def audio_file(self, chunk: Chunk) -> str | None:
        return chunk.audio.name or None

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="Reprocess selected chunks", permissions=["change"])
    def reprocess(self, request, queryset):
        """Queue the selected chunks again, skipping (and counting) those already queued, being
        processed (the service decides: a stale claim is queued again) or without audio."""
        chunks = list(queryset.select_related(None).only("id", "audio", "status"))
        without_audio = [chunk for chunk in chunks if not chunk.audio]
        already = [chunk for chunk in chunks if chunk.audio and chunk.status == Chunk.Status.QUEUED]
        ready = [chunk for chunk in chunks if chunk.audio and chunk.status != Chunk.Status.QUEUED]
        queued = chunk_reprocess(chunks=ready)
        skipped = {
            "being processed now": len(ready) - queued,
            "already queued": len(already),
            "audio no longer kept": len(without_audio),
        }
        message = f"{counted(queued, 'chunk')} queued for processing"
        message += "".join(f", {count} skipped ({why})" for why, count in skipped.items() if count) + "."
        busy = len(chunks) - queued
        if queued:
            message += (
                " What each new result changes shows in the 'last change' column as it finishes "
                "(filter: last reprocess › Changed segments)."
            )
        self.message_user(request, message, messages.WARNING if busy else messages.SUCCESS)

    @admin.action(description="Re-geocode selected chunks", permissions=["change"])
    def regeocode(self, request, queryset):
        chunks = list(queryset.select_related(None).only("id", "gps_lat", "gps_lon"))
        queued = chunk_regeocode(chunks=chunks)
        skipped = len(chunks) - queued
        self.message_user(
            request,
            f"{counted(queued, 'chunk')} queued for geocoding, {skipped} skipped (no GPS position).",
            messages.WARNING if skipped else messages.SUCCESS,
        )


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    """The geocoding cache. Written by the geocoder only; deleting a place and re-geocoding its
    chunks asks the geocoder again."""

    list_display = ["address", "city", "country", "lat_round", "lon_round", "provider", "chunk_count"]
    list_filter = ["provider", "country"]
    search_fields = ["address", "city", "country"]
    fields = [
        "address",
        "city",
        "country",
        "lat_round",
        "lon_round",
        "provider",
        "chunk_count",
        "created_at",
        "raw_json",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(chunk_count=Count("chunks"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="chunks", ordering="chunk_count")
    def chunk_count(self, location: Location):
        url = reverse("admin:chunks_chunk_changelist") + f"?location__id__exact={location.pk}"
        return format_html('<a href="{}">{}</a>', url, location.chunk_count)

    @admin.display(description="geocoder answer")
    def raw_json(self, location: Location):
        return pretty_json(location.raw)
