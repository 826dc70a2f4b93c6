"""One user's voice summary, for staff: enrollments and voiceprint quality, chunks by status,
recent failures, review verdicts and samples, and the owner-similarity histogram."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from review.plots import similarity_histogram_svg
from review.selectors import FAILURES_SHOWN, HISTOGRAM_CHUNKS, voice_summary


def user_summary_url(user_id: int) -> str:
    return reverse("admin:enrollment_user_summary", args=[user_id])


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
    return TemplateResponse(request, "admin/review/user_summary.html", context)
