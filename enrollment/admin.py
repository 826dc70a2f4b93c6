"""Staff pages for enrollments: read-only, with an action that queues a new voiceprint, and a
link to each user's voice summary (enrollment/review_admin.py, with the review list).

Enrollments are written by uploads and the voiceprint job only. The voiceprint itself (binary)
is never shown; its dimension and model are.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.html import format_html

from enrollment.models import Enrollment
from enrollment.review_admin import user_summary_url, user_summary_view
from enrollment.selectors import enrollment_active_ids
from enrollment.services import enrollment_recompute_voiceprint
from selective_speaker.admin_display import counted, pretty_json, seconds


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "status",
        "duration",
        "speech",
        "consistency",
        "edit_distance",
        "model_id",
        "created_at",
        "processed_at",
        "is_active",
        "summary",
    ]
    list_filter = ["status", "model_id"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "phrase_text", "transcript", "error"]
    actions = ["recompute_voiceprint"]
    view_on_site = False  # the enrollment's own URL is the owner's API
    fieldsets = [
        (None, {"fields": ["user", "status", "is_active", "error", "attempts"]}),
        ("Recording", {"fields": ["audio_file", "audio_sha256", "duration", "phrase_text"]}),
        ("Check of the phrase", {"fields": ["transcript", "edit_distance"]}),
        ("Voiceprint", {"fields": ["model_id", "voiceprint_dim", "speech", "window_count", "consistency"]}),
        ("Audit", {"fields": ["timings_json"]}),
        ("Queue", {"fields": ["created_at", "claimed_at", "processed_at", "updated_at"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("voiceprint")

    def has_add_permission(self, request):
        return False  # enrollments arrive through the upload API

    def has_change_permission(self, request, obj=None):
        return False

    def has_recompute_permission(self, request) -> bool:
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def get_urls(self):
        summary = path(
            "users/<int:user_id>/summary/",
            self.admin_site.admin_view(lambda request, user_id: user_summary_view(self, request, user_id)),
            name="enrollment_user_summary",
        )
        return [summary, *super().get_urls()]

    def get_changelist_instance(self, request):
        """Mark which enrollments of the page make up their owner's active voiceprint: one
        selector call per user on the page, not per row."""
        changelist = super().get_changelist_instance(request)
        enrollments = list(changelist.result_list)  # fills the page's cache, which the template reuses
        active_ids: set[int] = set()
        for user in {enrollment.user for enrollment in enrollments}:
            active_ids |= enrollment_active_ids(user=user)
        for enrollment in enrollments:
            enrollment.in_active_voiceprint = enrollment.id in active_ids
        return changelist

    # --- columns and audit fields ---------------------------------------------------------

    @admin.display(description="duration (s)", ordering="duration_ms")
    def duration(self, enrollment: Enrollment) -> float | None:
        return seconds(enrollment.duration_ms)

    @admin.display(description="speech (s)", ordering="speech_ms")
    def speech(self, enrollment: Enrollment) -> float | None:
        return seconds(enrollment.speech_ms)

    @admin.display(description="active", boolean=True)
    def is_active(self, enrollment: Enrollment) -> bool:
        """Part of the voiceprint the owner's chunks are compared with."""
        active = getattr(enrollment, "in_active_voiceprint", None)
        if active is None:
            active = enrollment.id in enrollment_active_ids(user=enrollment.user)
        return active

    @admin.display(description="voice summary")
    def summary(self, enrollment: Enrollment):
        return format_html('<a href="{}">Summary</a>', user_summary_url(enrollment.user_id))

    @admin.display(description="timings (s)")
    def timings_json(self, enrollment: Enrollment):
        return pretty_json(enrollment.timings)

    @admin.display(description="audio file")
    def audio_file(self, enrollment: Enrollment) -> str | None:
        return enrollment.audio.name or None

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="Recompute voiceprint", permissions=["recompute"])
    def recompute_voiceprint(self, request, queryset):
        queued = busy = impossible = 0
        for enrollment in queryset.select_related(None).only("id", "audio", "status"):
            try:
                if enrollment_recompute_voiceprint(enrollment=enrollment):
                    queued += 1
                else:
                    busy += 1
            except ValidationError:
                impossible += 1
        self.message_user(
            request,
            f"{counted(queued, 'enrollment')} queued for a new voiceprint, {busy} skipped (being processed now), "
            f"{impossible} impossible (recording no longer kept).",
            messages.WARNING if busy or impossible else messages.SUCCESS,
        )
