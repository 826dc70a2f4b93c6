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

from chunks.selectors import chunk_device_ids, chunk_with_audio
from chunks.services import chunk_reprocess
from enrollment.models import Enrollment
from enrollment.selectors import enrollment_active_ids, enrollment_get, enrollment_list
from enrollment.services import enrollment_create
from pages.forms import ENROLLMENT_PHRASES, EnrollmentUploadForm
from selective_speaker.audio_files import StorageUnavailable, UploadTooLarge

PENDING_STATUSES = (Enrollment.Status.PENDING, Enrollment.Status.PROCESSING)


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
    context = {
        "form": form,
        "phrase": ENROLLMENT_PHRASES[phrase_index],
        "phrase_index": phrase_index,
        "enrollments": enrollments,
        "active_ids": enrollment_active_ids(user=request.user),
        "latest": enrollments[0] if enrollments else None,
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
    queued = chunk_reprocess(chunks=chunk_with_audio(user=request.user))
    if queued:
        messages.success(
            request,
            f"{queued} recording{'' if queued == 1 else 's'} queued to be processed again with your new "
            "voiceprint. Their utterances are replaced as each one finishes.",
        )
    else:
        messages.info(request, "No recordings were queued: none of them has its audio kept, or all are in progress.")
    return redirect("timeline:index")


def _status_context(request: HttpRequest, enrollment_id: int) -> dict:
    enrollment = enrollment_get(user=request.user, enrollment_id=enrollment_id)
    if enrollment is None:
        raise Http404("No such enrollment.")
    pending = enrollment.status in PENDING_STATUSES
    ready = enrollment.status == Enrollment.Status.READY
    return {
        "enrollment": enrollment,
        "pending": pending,
        "active": ready and enrollment.id in enrollment_active_ids(user=request.user),
        "reprocessable": chunk_with_audio(user=request.user).count() if ready else 0,
    }
