"""Staff pages for the owner decisions the engine was not sure about, the voice samples staff
verdicts produce, and one user's voice summary.

The review list is text-free (uncertain speech is not transcribed by default): staff listen to
the region itself, served by a staff-only view, and mark it as the owner or not. The actions
call enrollment.services.decision_review_judge, which feeds the voiceprint or its negatives
and queues the chunks again, and say what happened.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from enrollment.models import DecisionReview, VoiceSample
from enrollment.review_plots import similarity_histogram_svg
from enrollment.review_selectors import FAILURES_SHOWN, HISTOGRAM_CHUNKS, voice_summary
from enrollment.services import decision_review_judge
from selective_speaker.admin_display import counted, seconds
from selective_speaker.audio_files import storage_errors, wav_clip
from selective_speaker.http_range import ranged_response
from selective_speaker.speech.types import SpeechError
from selective_speaker.speech_config import speech_config

# One action reads and embeds the audio of at most this many regions (one page of the list).
REVIEW_ACTION_MAX = 50


def _quiet(text: str):
    return format_html('<span style="color: var(--body-quiet-color); white-space: nowrap">{}</span>', text)


def user_summary_url(user_id: int) -> str:
    return reverse("admin:enrollment_user_summary", args=[user_id])


class VerdictFilter(admin.SimpleListFilter):
    """Pending items by default: the list opens as a work queue."""

    title = "verdict"
    parameter_name = "verdict"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label in DecisionReview.Verdict.choices] + [(self.ALL, "All")]

    def value(self):
        return super().value() or DecisionReview.Verdict.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(verdict=self.value())


class SimilarityBandFilter(admin.SimpleListFilter):
    """Where in the uncertain band [threshold − margin, threshold) the region scored, relative
    to the threshold and margin it was decided with."""

    title = "similarity"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [
            ("upper", "Upper third (nearly the owner)"),
            ("middle", "Middle third"),
            ("lower", "Lower third (nearly another voice)"),
            ("unscored", "No score"),
        ]

    def queryset(self, request, queryset):
        upper = F("threshold") - F("margin") / 3
        lower = F("threshold") - F("margin") * 2 / 3
        match self.value():
            case "upper":
                return queryset.filter(similarity__gte=upper)
            case "middle":
                return queryset.filter(similarity__lt=upper, similarity__gte=lower)
            case "lower":
                return queryset.filter(similarity__lt=lower)
            case "unscored":
                return queryset.filter(similarity__isnull=True)
        return queryset


class AudioKeptFilter(admin.SimpleListFilter):
    title = "audio"
    parameter_name = "audio"

    def lookups(self, request, model_admin):
        return [("kept", "Kept (can be played)"), ("gone", "No longer kept")]

    def queryset(self, request, queryset):
        match self.value():
            case "kept":
                return queryset.exclude(chunk__audio="")
            case "gone":
                return queryset.filter(chunk__audio="")
        return queryset


@admin.register(DecisionReview)
class DecisionReviewAdmin(admin.ModelAdmin):
    list_display = ["region", "chunk_shown", "user_summary", "similarity_shown", "player", "verdict", "reviewed"]
    list_display_links = ["region"]
    list_filter = [VerdictFilter, SimilarityBandFilter, AudioKeptFilter, ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "reviewed_by", "chunk"]
    list_per_page = REVIEW_ACTION_MAX
    search_fields = ["user__username", "user__email", "chunk__device_id"]
    ordering = ["-created_at", "-id"]
    actions = ["mark_owner", "mark_not_owner"]
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
        """The region's audio as a WAV (16 kHz mono), with HTTP range support for the player."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        review = get_object_or_404(self.get_queryset(request), pk=review_id)
        if not review.chunk.audio:
            raise Http404("the chunk's audio is no longer kept")
        try:
            data = wav_clip(
                review.chunk.audio,
                start_ms=review.start_ms,
                end_ms=review.end_ms,
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
        return format_html(
            '<audio controls preload="none" src="{}" style="height: 2.2em; width: 200px"></audio>',
            reverse("admin:enrollment_decisionreview_clip", args=[review.pk]),
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
        if selected > REVIEW_ACTION_MAX:
            self.message_user(
                request,
                f"Select at most {REVIEW_ACTION_MAX} regions at a time (each one's audio is read and "
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


# --- one user's voice summary ------------------------------------------------------------------


def user_summary_view(model_admin: admin.ModelAdmin, request, user_id: int):
    """Enrollments and voiceprint quality, chunks by status, recent failures, review verdicts and
    samples, and the owner-similarity histogram of one user (staff who may view enrollments)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    user = get_object_or_404(get_user_model(), pk=user_id)
    summary = voice_summary(user=user)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Voice summary of {user}",
        "subject": user,
        "summary": summary,
        "histogram_svg": similarity_histogram_svg(summary.histogram) if summary.histogram else None,
        "histogram_chunks": HISTOGRAM_CHUNKS,
        "failures_shown": FAILURES_SHOWN,
        "reviews_url": reverse("admin:enrollment_decisionreview_changelist") + f"?user__id__exact={user.pk}",
        "pending_reviews_url": reverse("admin:enrollment_decisionreview_changelist")
        + f"?user__id__exact={user.pk}&verdict=pending",
        "chunks_url": reverse("admin:chunks_chunk_changelist") + f"?user__id__exact={user.pk}",
        "enrollments_url": reverse("admin:enrollment_enrollment_changelist") + f"?user__id__exact={user.pk}",
        "samples_url": reverse("admin:enrollment_voicesample_changelist") + f"?user__id__exact={user.pk}",
        "samples_max_share": settings.VOICEPRINT_SAMPLES_MAX_SHARE,
    }
    return TemplateResponse(request, "admin/enrollment/user_summary.html", context)
