"""'Was this you?' on the timeline: listen to a stretch the server could not attribute and say
whether it was you; say "not me" about a kept utterance. The same services as the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from chunks.clips import chunk_clip_response
from pages.navigation import back_url, wants_json
from review.selectors import voice_check_get
from review.services import utterance_not_me, voice_check_answer
from utterances.selectors import utterance_get

ANSWERS = {"me": True, "not_me": False}


@login_required
@require_safe
def voice_check_audio(request: HttpRequest, voice_check_id: int) -> HttpResponse:
    check = voice_check_get(user=request.user, check_id=voice_check_id)
    if check is None:
        raise Http404("No such question.")
    return chunk_clip_response(
        request, check.chunk, start_ms=check.start_ms, end_ms=check.end_ms, name=f"voice-check-{check.id}"
    )


@login_required
@require_POST
def voice_check_answer_view(request: HttpRequest, voice_check_id: int) -> HttpResponse:
    check = voice_check_get(user=request.user, check_id=voice_check_id)
    if check is None:
        raise Http404("No such question.")
    answer = request.POST.get("answer", "")
    if answer not in ANSWERS:
        if wants_json(request):
            return JsonResponse({"error": "Answer “me” or “not me”."}, status=400)
        messages.error(request, "Answer “That was me” or “Not me”.")
        return redirect(back_url(request))
    voice_check_answer(check=check, me=ANSWERS[answer], user=request.user)
    said = (
        "Thanks: that stretch is yours. Its words appear once the recording is processed again."
        if ANSWERS[answer]
        else "Thanks: that voice is kept as somebody else's, and nothing of it is transcribed."
    )
    if wants_json(request):
        return JsonResponse({"answered": {"id": check.id, "answer": answer}, "message": said})
    messages.success(request, said)
    return redirect(back_url(request))


@login_required
@require_POST
def utterance_not_me_view(request: HttpRequest, utterance_id: int) -> HttpResponse:
    utterance = utterance_get(user=request.user, utterance_id=utterance_id)
    if utterance is None:
        raise Http404("No such utterance.")
    utterance_not_me(utterance=utterance)
    said = "Removed, and that voice will not be taken for yours again."
    if wants_json(request):
        return JsonResponse({"deleted": {"segments": [utterance_id]}, "message": said})
    messages.success(request, said)
    return redirect(back_url(request))
