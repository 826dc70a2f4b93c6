"""Login lockout (django-axes): what a locked-out client is told, and for how long it waits.

Failed sign-ins on the site's login form, the admin's and the API's token endpoint count toward
one lockout, per account and per client address (settings: LOGIN_FAILURE_LIMIT,
LOGIN_COOLOFF_MINUTES, LOGIN_LOCKOUT_BY). django-axes' backend refuses a locked-out sign-in before
the password is checked and keeps the failures in the database (Axes in the admin: staff see them,
and deleting an access attempt lifts its lock). The forms answer with `lockout_response`
(AXES_LOCKOUT_CALLABLE), the token endpoint with `LockedOut`: both 429 with Retry-After.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import Throttled

LOCKED_MESSAGE = "Too many failed sign-ins for this account or from this address."


def lockout_seconds(request: HttpRequest | None = None) -> int | None:
    """How long a lock lasts after the last failed try, in seconds; None: until staff lift it."""
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page a login form answers with once its account or address is locked (AXES_LOCKOUT_CALLABLE)."""
    seconds = lockout_seconds(request)
    context = {"message": LOCKED_MESSAGE, "minutes": None if seconds is None else max(1, round(seconds / 60))}
    response = render(request, "registration/locked_out.html", context, status=429)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response


class LockedOut(Throttled):
    """The token endpoint's answer once its account or address is locked: 429, code locked_out."""

    default_detail = LOCKED_MESSAGE
    default_code = "locked_out"
    extra_detail_singular = extra_detail_plural = "Try again in {wait} seconds."

    def __init__(self, request=None) -> None:
        seconds = lockout_seconds(request)
        detail = None if seconds is not None else f"{LOCKED_MESSAGE} Ask the server's staff to lift the lock."
        super().__init__(wait=seconds, detail=detail)
