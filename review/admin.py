"""Staff pages for the owner decisions the engine was not sure about and the voice samples
staff verdicts produce; the enrollment list gains a link to each user's voice summary.

The review list is text-free (uncertain speech is not transcribed by default): staff listen to
the region, served by a staff-only view with a second of the recording on each side and at least
3 s in all (chunks.clips.clip_window: under a second, a voice cannot be judged), the region
marked on a bar under the player, and mark it as the owner or not. The actions
call review.services.decision_review_judge, which feeds the voiceprint or its negatives and
queues the chunks again, and say what happened.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from chunks.clips import clip_window
from enrollment.admin import EnrollmentAdmin
from enrollment.models import DecisionReview, Enrollment, VoiceSample
from review.filters import AudioKeptFilter, SimilarityBandFilter, VerdictFilter
from review.services import decision_review_judge
from review.summary import user_summary_url, user_summary_view
from selective_speaker.admin_display import counted, seconds
from selective_speaker.audio_files import storage_errors, wav_clip
from selective_speaker.http_range import ranged_response
from selective_speaker.speech.types import SpeechError
from selective_speaker.speech_config import speech_config


def _quiet(text: str):
    return format_html('<span style="color: var(--body-quiet-color); white-space: nowrap">{}</span>', text)


def review_clip_window(review: DecisionReview) -> tuple[int, int]:
    """[start, end) ms of the chunk that the review's player plays: the region with context."""
    return clip_window(review.start_ms, review.end_ms, length_ms=review.chunk.duration_ms)


@admin.register(DecisionReview)
class DecisionReviewAdmin(admin.ModelAdmin):
    list_display = ["region", "chunk_shown", "user_summary", "similarity_shown", "player", "verdict", "reviewed"]
    list_display_links = ["region"]
    list_filter = [VerdictFilter, SimilarityBandFilter, AudioKeptFilter, ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "reviewed_by", "chunk"]
    list_per_page = settings.REVIEW_ACTION_MAX
    search_fields = ["user__username", "user__email", "chunk__device_id"]
    ordering = ["-created_at", "-id"]
    actions = ["mark_owner", "mark_not_owner"]

    class Media:
        js = ("js/audio_metadata.js", "js/review_clip.js")
        css = {"all": ["css/review_clip.css"]}

    fields = [
        "user_summary",
        "chunk_shown",
        "region",
        "similarity_shown",
        "threshold",
        "margin",
        "strategy",
        "embedding_model",
        "player",
        "verdict",
        "reviewed",
        "sample",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The chunk's audit record is large and not needed here.
        return super().get_queryset(request).defer("chunk__decision", "chunk__timings")

    def has_add_permission(self, request):
        return False  # items come from the engine's uncertain regions

    def has_change_permission(self, request, obj=None):
        return False  # verdicts are recorded by the actions, which also feed the voiceprint

    def has_delete_permission(self, request, obj=None):
        return False  # a verdict is an audit record; give the other verdict to undo it

    def has_review_permission(self, request) -> bool:
        codename = get_permission_codename("change", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": "Uncertain owner decisions to review", **(extra_context or {})}
        )

    def get_list_display(self, request):
        """The verdict, and who gave it when: not columns of the pending work queue."""
        columns = list(super().get_list_display(request))
        verdict = request.GET.get(VerdictFilter.parameter_name) or DecisionReview.Verdict.PENDING
        if verdict == DecisionReview.Verdict.PENDING:
            columns = [name for name in columns if name not in ("verdict", "reviewed")]
        return columns

    def get_urls(self):
        clip = path(
            "<int:review_id>/clip/",
            self.admin_site.admin_view(self.clip_view),
            name="enrollment_decisionreview_clip",
        )
        return [clip, *super().get_urls()]

    # --- the region's audio -----------------------------------------------------------------

    def clip_view(self, request, review_id: int):
        """The region's audio with its context (review_clip_window) as a WAV (16 kHz mono),
        with HTTP range support for the player."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        review = get_object_or_404(self.get_queryset(request), pk=review_id)
        if not review.chunk.audio:
            raise Http404("the chunk's audio is no longer kept")
        start_ms, end_ms = review_clip_window(review)
        try:
            data = wav_clip(
                review.chunk.audio,
                start_ms=start_ms,
                end_ms=end_ms,
                max_duration_ms=speech_config().max_duration_ms,
            )
        except SpeechError as exc:
            raise Http404(exc.reason) from exc
        except storage_errors():
            return HttpResponse("the audio store is unavailable; try again", status=503, content_type="text/plain")
        return ranged_response(request, data, content_type="audio/wav", filename=f"review-{review.pk}.wav")

    # --- columns ----------------------------------------------------------------------------

    @admin.display(description="user", ordering="user__username")
    def user_summary(self, review: DecisionReview):
        return format_html(
            '<a href="{}" title="voice summary">{}</a>', user_summary_url(review.user_id), review.user
        )

    @admin.display(description="region", ordering="start_ms")
    def region(self, review: DecisionReview):
        return format_html(
            '<span style="white-space: nowrap">{}–{} s</span><br>{}',
            f"{review.start_ms / 1000:.1f}",
            f"{review.end_ms / 1000:.1f}",
            _quiet(f"{seconds(review.duration_ms)} s long"),
        )

    @admin.display(description="chunk", ordering="chunk__start_ts")
    def chunk_shown(self, review: DecisionReview):
        chunk = review.chunk
        return format_html(
            '<a href="{}" title="recorded {}" style="white-space: nowrap">Chunk {}</a><br>{}',
            reverse("admin:chunks_chunk_change", args=[chunk.pk]),
            f"{timezone.localtime(chunk.start_ts):%Y-%m-%d %H:%M:%S}",
            chunk.pk,
            _quiet(chunk.device_id),
        )

    @admin.display(description="similarity", ordering="similarity")
    def similarity_shown(self, review: DecisionReview):
        if review.similarity is None:
            return format_html("—<br>{}", _quiet(f"threshold {review.threshold:.2f}"))
        below = review.threshold - review.similarity
        return format_html(
            "{}<br>{}", f"{review.similarity:.3f}", _quiet(f"{below:.3f} under {review.threshold:.2f}")
        )

    @admin.display(description="listen")
    def player(self, review: DecisionReview):
        if not review.chunk.audio:
            return format_html('<span style="color: var(--body-quiet-color)">{}</span>', "audio no longer kept")
        start_ms, end_ms = review_clip_window(review)
        length = max(end_ms - start_ms, 1)
        region_start, region_end = review.start_ms - start_ms, review.end_ms - start_ms
        return format_html(
            '<div class="review-clip" data-region-start-ms="{}" data-region-end-ms="{}">'
            '<audio controls preload="none" data-load-metadata src="{}"></audio>'
            '<div class="review-clip-bar" aria-hidden="true"><span class="review-clip-region" style="left: {}%; '
            'width: {}%"></span><span class="review-clip-playhead"></span></div>{}</div>',
            region_start,
            region_end,
            reverse("admin:enrollment_decisionreview_clip", args=[review.pk]),
            f"{100 * region_start / length:.1f}",
            f"{100 * (region_end - region_start) / length:.1f}",
            _quiet(f"region {region_start / 1000:.1f}–{region_end / 1000:.1f} s of {length / 1000:.1f} s"),
        )

    @admin.display(description="reviewed", ordering="reviewed_at")
    def reviewed(self, review: DecisionReview):
        if review.reviewed_at is None:
            return None
        return format_html(
            "{}<br>{}",
            review.reviewed_by or "(deleted user)",
            _quiet(f"{timezone.localtime(review.reviewed_at):%Y-%m-%d %H:%M}"),
        )

    @admin.display(description="voice sample")
    def sample(self, review: DecisionReview) -> str:
        sample = VoiceSample.objects.filter(review=review).first()
        if sample is None:
            return "none"
        return f"{sample.get_kind_display()} · {sample.model_id} · {sample.dim}-d · {seconds(sample.duration_ms)} s"

    # --- actions ----------------------------------------------------------------------------

    @admin.action(description="This is the owner (learn the voice, reprocess)", permissions=["review"])
    def mark_owner(self, request, queryset):
        self._judge(request, queryset, DecisionReview.Verdict.OWNER)

    @admin.action(description="Not the owner (keep as another voice, reprocess)", permissions=["review"])
    def mark_not_owner(self, request, queryset):
        self._judge(request, queryset, DecisionReview.Verdict.NOT_OWNER)

    def _judge(self, request, queryset, verdict: str) -> None:
        selected = queryset.count()
        if selected > settings.REVIEW_ACTION_MAX:
            self.message_user(
                request,
                f"Select at most {settings.REVIEW_ACTION_MAX} regions at a time (each one's audio is read and "
                f"embedded now); {selected} were selected and nothing was changed.",
                messages.ERROR,
            )
            return
        outcome = decision_review_judge(
            reviews=list(queryset.select_related(None).only("id")), verdict=verdict, reviewed_by=request.user
        )
        if verdict == DecisionReview.Verdict.OWNER:
            marked = f"{counted(outcome.marked, 'region')} marked as the owner"
            if not outcome.samples:
                learned = "voiceprint unchanged"
            elif settings.VOICEPRINT_SAMPLES_MAX_SHARE > 0:
                learned = f"voiceprint updated with {counted(outcome.samples, 'owner sample')}"
            else:
                learned = (
                    f"{counted(outcome.samples, 'owner sample')} stored, not used "
                    "(VOICEPRINT_SAMPLES_MAX_SHARE is 0)"
                )
        else:
            marked = f"{counted(outcome.marked, 'region')} marked as not the owner"
            learned = (
                f"{counted(outcome.samples, 'voice')} kept as negatives" if outcome.samples else "no negatives added"
            )
        parts = [marked, learned, f"{counted(outcome.chunks_queued, 'chunk')} queued for reprocessing"]
        if outcome.without_sample:
            parts.append(f"{outcome.without_sample} without a sample (audio no longer kept or unreadable)")
        if outcome.chunks_skipped:
            parts.append(
                f"{counted(outcome.chunks_skipped, 'chunk')} not queued (being processed now or audio no longer kept)"
            )
        self.message_user(
            request,
            "; ".join(parts) + ".",
            messages.WARNING if outcome.without_sample or outcome.chunks_skipped else messages.SUCCESS,
        )


@admin.register(VoiceSample)
class VoiceSampleAdmin(admin.ModelAdmin):
    """Read-only: samples are made by verdicts on review items (give the other verdict to turn
    one around). The embedding itself is never shown."""

    list_display = ["id", "user", "kind", "model_id", "dim", "duration", "review_link", "created_at"]
    list_filter = ["kind", "model_id"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "kind", "model_id", "dim", "duration", "review_link", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("embedding")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="duration (s)", ordering="duration_ms")
    def duration(self, sample: VoiceSample) -> float:
        return seconds(sample.duration_ms)

    @admin.display(description="review", ordering="review_id")
    def review_link(self, sample: VoiceSample):
        if sample.review_id is None:
            return None
        url = reverse("admin:enrollment_decisionreview_change", args=[sample.review_id])
        return format_html('<a href="{}">Review {}</a>', url, sample.review_id)


admin.site.unregister(Enrollment)


@admin.register(Enrollment)
class EnrollmentWithSummaryAdmin(EnrollmentAdmin):
    """The enrollment list, with each user's voice summary one click away."""

    list_display = [*EnrollmentAdmin.list_display, "summary"]

    def get_urls(self):
        summary = path(
            "users/<int:user_id>/summary/",
            self.admin_site.admin_view(lambda request, user_id: user_summary_view(self, request, user_id)),
            name="enrollment_user_summary",
        )
        return [summary, *super().get_urls()]

    @admin.display(description="voice summary")
    def summary(self, enrollment: Enrollment):
        return format_html('<a href="{}">Summary</a>', user_summary_url(enrollment.user_id))
