"""/account/: the owner's account as a whole — voice enrollments, time zone, API token, download
or erase all of their data. Plain forms, each POST answered with a redirect (post/redirect/get): a reload
never sends a form again. A new token's key is shown once, on the page the POST redirects to;
the session carries only a one-time mark of which token to show (a keyed digest, never the key),
and the key never goes into the page's URL."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework.authtoken.models import Token

from account.selectors import account_export_stream, account_time_zone
from account.services import account_erase, account_time_zone_set, account_token_issue, account_token_revoke
from account.time_zones import time_zone_names
from chunks.selectors import chunk_device_ids
from enrollment.selectors import enrollment_active_ids, enrollment_list
from pages.forms import EraseDataForm, TimeZoneForm
from pages.navigation import wants_json
from selective_speaker.audio_files import StorageUnavailable

# The session's one-time mark of a token to show once, set by token_create, used by account.
NEW_TOKEN_SESSION_KEY = "account.new_token"

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
    context = _account_context(request)
    if request.method == "GET":  # a HEAD must not use up the one showing of a new token
        context.update(_new_token_shown(request, context["token"]))
    return render(request, "pages/account/account.html", context)


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token; any earlier token stops working. The key is shown once, by the page this
    redirects to: reloading that page shows the token's date, and makes no new token."""
    replaced = account_token_revoke(user=request.user)
    token = account_token_issue(user=request.user)
    request.session[NEW_TOKEN_SESSION_KEY] = {"digest": _token_digest(token.key), "replaced": replaced}
    return redirect(reverse("account:index") + "#token")


@login_required
@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    if account_token_revoke(user=request.user):
        messages.success(request, "Your API token is revoked: devices that use it can no longer upload.")
    else:
        messages.info(request, "You had no API token.")
    return redirect("account:index")


@login_required
@require_POST
def time_zone_update(request: HttpRequest) -> HttpResponse:
    """Show the owner's pages in the zone chosen. With `detected` (static/js/time_zone.js sends the
    browser's zone) only while the owner has none: a choice made on this page is never overridden.
    An unknown zone: 400 and the form with its error; nothing is stored."""
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            errors = [str(error) for errors in form.errors.values() for error in errors]
            return JsonResponse({"error": " ".join(errors)}, status=400)
        context = {**_account_context(request), "time_zone_form": form}
        return render(request, "pages/account/account.html", context, status=400)
    chosen = form.cleaned_data["time_zone"]
    current = account_time_zone(user=request.user)
    if form.cleaned_data["detected"] and current:
        chosen = current
    else:
        account_time_zone_set(user=request.user, time_zone=chosen)
    if wants_json(request):
        return JsonResponse({"time_zone": chosen, "changed": chosen != current})
    messages.success(request, f"Times and days are now shown in {chosen}.")
    return redirect(reverse("account:index") + "#time-zone")


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
        "token": Token.objects.filter(user=user).first(),
        "time_zone_form": TimeZoneForm(initial={"time_zone": request.owner_time_zone}),
        "time_zone_names": sorted(time_zone_names()),
    }


def _token_digest(key: str) -> str:
    return salted_hmac(NEW_TOKEN_SESSION_KEY, key).hexdigest()


def _new_token_shown(request: HttpRequest, token: Token | None) -> dict:
    """The new token's key for this one page, when token_create just made it: the session's mark
    is used up here, and names only that token (revoked or replaced since: nothing is shown)."""
    made = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    if not isinstance(made, dict) or token is None:
        return {}
    if not constant_time_compare(made.get("digest", ""), _token_digest(token.key)):
        return {}
    return {"new_token": token.key, "token_replaced": bool(made.get("replaced"))}
