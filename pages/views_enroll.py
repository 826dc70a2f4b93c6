"""/enroll/: record or upload the owner's voice, follow the voiceprint job, reprocess old chunks.

The page works without JavaScript (a file upload form, a status page that says to reload);
static/js/enroll.js adds recording in the browser (MediaRecorder, level meter, timer, preview)
and refreshes the status in place until the job has an answer.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chunks.models import Chunk
from chunks.selectors import chunk_device_ids, chunk_with_audio
from chunks.services import chunk_reprocess
from enrollment.models import Enrollment
from enrollment.selectors import enrollment_active_ids, enrollment_get, enrollment_list
from enrollment.services import enrollment_create
from pages.forms import ENROLLMENT_PHRASES, EnrollmentUploadForm
from selective_speaker.audio_files import StorageUnavailable, UploadTooLarge

PENDING_STATUSES = (Enrollment.Status.PENDING, Enrollment.Status.PROCESSING)
# Recordings on their way through the worker: they are processed with the newest voiceprint
# anyway, so they are neither offered nor queued again.
IN_PROGRESS = (Chunk.Status.QUEUED, Chunk.Status.PROCESSING)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    """GET: a passage to read, the recorder and the upload form. POST: store the upload and
    queue the voiceprint job, then show its status (POST/redirect/GET)."""
    if request.method == "POST":
        form = EnrollmentUploadForm(request.POST, request.FILES)
        enrollment = _enrollment_from(request, form) if form.is_valid() else None
        if enrollment is not None:
            return redirect("enroll:detail", enrollment_id=enrollment.id)
        phrase_index = form.cleaned_data.get("phrase")  # the passage they were reading
    else:
        form, phrase_index = None, None
    if phrase_index is None:
        phrase_index = secrets.randbelow(len(ENROLLMENT_PHRASES))  # a new one on each visit
    if form is None:
        form = EnrollmentUploadForm(initial={"phrase": phrase_index, "read_phrase": True})
    enrollments = list(enrollment_list(user=request.user)[:10])
    active_ids = enrollment_active_ids(user=request.user)
    latest = enrollments[0] if enrollments else None
    context = {
        "form": form,
        "phrase": ENROLLMENT_PHRASES[phrase_index],
        "phrase_index": phrase_index,
        "enrollments": enrollments,
        "active_ids": active_ids,
        "latest": latest,
        "still_in_use": _still_in_use(request, latest, active_ids)
        if latest and latest.status != Enrollment.Status.READY
        else None,
        "device_ids": chunk_device_ids(user=request.user),
    }
    return render(request, "pages/enroll/enroll.html", context)


def _enrollment_from(request: HttpRequest, form: EnrollmentUploadForm) -> Enrollment | None:
    """The new enrollment, or None with the problem added to the form."""
    try:
        return enrollment_create(
            user=request.user,
            audio_file=form.cleaned_data["audio"],
            phrase_text=form.phrase_text(),
            device_id=form.cleaned_data.get("device_id") or "",
        )
    except UploadTooLarge as exc:
        form.add_error("audio", f"The file is too big: {exc}.")
    except ValidationError as exc:
        for problem in exc.message_dict.get("audio", exc.messages) if hasattr(exc, "error_dict") else exc.messages:
            form.add_error("audio", f"This recording cannot be used: {problem}.")
    except StorageUnavailable:
        form.add_error(None, "The server could not store the recording right now. Try again in a moment.")
    return None


@login_required
@require_safe
def enrollment_detail(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    return render(request, "pages/enroll/detail.html", _status_context(request, enrollment_id))


@login_required
@require_safe
def enrollment_status(request: HttpRequest, enrollment_id: int) -> HttpResponse:
    """The status panel alone, for static/js/enroll.js to refresh in place."""
    return render(request, "pages/enroll/status.html", _status_context(request, enrollment_id))


@login_required
@require_POST
def reprocess_chunks(request: HttpRequest) -> HttpResponse:
    """Process again, with the current voiceprint, every recording whose audio is still kept."""
    queued = chunk_reprocess(chunks=_reprocessable(request))
    if queued:
        messages.success(
            request,
            f"{queued} recording{'' if queued == 1 else 's'} queued to be processed again with your new "
            "voiceprint. Their utterances are replaced as each one finishes.",
        )
    else:
        messages.info(request, "No recordings were queued: none of them has its audio kept, or all are in progress.")
    return redirect("timeline:index")


def _reprocessable(request: HttpRequest):
    """The owner's recordings that processing again would change: audio kept, not under way."""
    return chunk_with_audio(user=request.user).exclude(status__in=IN_PROGRESS)


def _still_in_use(request: HttpRequest, enrollment: Enrollment, active_ids: set[int]) -> Enrollment | None:
    """While `enrollment` is not in use (rejected, or still being checked), the enrollment whose
    voiceprint recordings are compared with: the newest in use for its device, else the newest in
    use; None when none is."""
    if enrollment.id in active_ids or not active_ids:
        return None
    in_use = list(enrollment_list(user=request.user).filter(id__in=active_ids).only("id", "created_at", "device_id"))
    same_device = [e for e in in_use if e.device_id == enrollment.device_id]
    return (same_device or in_use or [None])[0]


def _status_context(request: HttpRequest, enrollment_id: int) -> dict:
    enrollment = enrollment_get(user=request.user, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404("No such enrollment.")
    pending = enrollment.status in PENDING_STATUSES
    ready = enrollment.status == Enrollment.Status.READY
    active_ids = enrollment_active_ids(user=request.user)
    return {
        "enrollment": enrollment,
        "pending": pending,
        "active": ready and enrollment.id in active_ids,
        "still_in_use": None if ready else _still_in_use(request, enrollment, active_ids),
        "reprocessable": _reprocessable(request).count() if ready else 0,
    }
