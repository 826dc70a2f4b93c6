"""Staff pages for enrollments: read-only, with an action that queues a new voiceprint (the
review app adds a link to each user's voice summary, review/admin.py).

Enrollments are written by uploads and the voiceprint job only. The voiceprint itself (binary)
is never shown; its dimension and model are.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError

from enrollment.models import Enrollment
from enrollment.selectors import enrollment_active_ids
from enrollment.services import enrollment_recompute_voiceprint
from selective_speaker.admin_display import counted, pretty_json, seconds


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "user",
        "device_id",
        "status",
        "duration",
        "speech",
        "consistency",
        "edit_distance",
        "model_id",
        "created_at",
        "processed_at",
        "is_active",
    ]
    list_filter = ["status", "device_id", "model_id"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "phrase_text", "transcript", "error"]
    actions = ["recompute_voiceprint"]
    view_on_site = False  # the enrollment's own URL is the owner's API
    fieldsets = [
        (None, {"fields": ["user", "device_id", "status", "is_active", "error", "error_code", "attempts"]}),
        ("Recording", {"fields": ["audio_file", "audio_sha256", "duration", "phrase_text"]}),
        ("Check of the phrase", {"fields": ["transcript", "edit_distance"]}),
        ("Voiceprint", {"fields": ["model_id", "voiceprint_dim", "speech", "window_count", "consistency"]}),
        ("Audit", {"fields": ["request_id", "timings_json"]}),
        (
            "Queue",
            {"fields": ["created_at", "enqueued_at", "claimed_at", "next_attempt_at", "processed_at", "updated_at"]},
        ),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("voiceprint", "voiceprint_narrow")

    def has_add_permission(self, request):
        return False  # enrollments arrive through the upload API

    def has_change_permission(self, request, obj=None):
        return False

    def has_recompute_permission(self, request) -> bool:
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

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
