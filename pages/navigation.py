"""Where a page's form goes back to, and whether its caller wants JSON (static/js enhances forms)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def back_url(request: HttpRequest) -> str:
    """Where to go after a form: the page it came from (ours only), else the timeline."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("timeline:index")
