"""/account/: the owner's account as a whole — voice enrollments, API token, download or erase
all of their data. Plain forms; the token's key is shown once, in the answer to the POST that
made it, and never stored in the session or the page's URL."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.authtoken.models import Token

from account.selectors import account_export_stream
from account.services import account_erase, account_token_issue, account_token_revoke
from chunks.selectors import chunk_device_ids
from enrollment.selectors import enrollment_active_ids, enrollment_list
from pages.forms import EraseDataForm
from selective_speaker.audio_files import StorageUnavailable

# What account_erase's counts are called on the page (others are shown by their label).
ERASED_NAMES = {
    "files": "audio files",
    "enrollment.enrollment": "voice enrollments",
    "chunks.chunk": "recordings",
    "utterances.utterance": "utterances",
    "places": "places",
}


@login_required
@require_safe
@never_cache
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/account/account.html", _account_context(request))


@login_required
@require_POST
@never_cache
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token, shown on this answer only; any earlier token stops working."""
    replaced = account_token_revoke(user=request.user)
    token = account_token_issue(user=request.user)
    context = _account_context(request)
    context.update(new_token=token.key, token_replaced=replaced)
    return render(request, "pages/account/account.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    if account_token_revoke(user=request.user):
        messages.success(request, "Your API token is revoked: devices that use it can no longer upload.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("account:index")


@login_required
@require_safe
def export(request: HttpRequest) -> StreamingHttpResponse:
    """All of the owner's data as one JSON attachment (the API's /api/v1/me/export document)."""
    response = StreamingHttpResponse(account_export_stream(user=request.user), content_type="application/json")
    filename = f"selective-speaker-{request.user.get_username()}-{timezone.now():%Y%m%d-%H%M%S}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def erase(request: HttpRequest) -> HttpResponse:
    """GET: what erasing removes, and a typed confirmation. POST: erase, then say what went."""
    username = request.user.get_username()
    form = EraseDataForm(request.POST or None, username=username)
    if request.method == "POST" and form.is_valid():
        try:
            counts = account_erase(user=request.user)
        except StorageUnavailable:
            form.add_error(
                None,
                "The file store did not answer, so some recordings could not be deleted yet. Nothing is "
                "lost: press the button again in a moment to finish.",
            )
            return render(request, "pages/account/erase.html", {"form": form}, status=503)
        erased = [(_erased_name(name), count) for name, count in counts.items() if count]
        return render(request, "pages/account/erased.html", {"erased": erased, "total": sum(counts.values())})
    return render(request, "pages/account/erase.html", {"form": form})


def _erased_name(name: str) -> str:
    """What an account_erase count is called: ours, else the model's plural name."""
    if name in ERASED_NAMES:
        return ERASED_NAMES[name]
    try:
        return str(apps.get_model(name)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return name


def _account_context(request: HttpRequest) -> dict:
    user = request.user
    return {
        "enrollments": list(enrollment_list(user=user)[:20]),
        "active_ids": enrollment_active_ids(user=user),
        "device_ids": chunk_device_ids(user=user),
        "token": Token.objects.filter(user=user).only("created").first(),
    }
