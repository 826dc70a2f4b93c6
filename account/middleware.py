"""Every page a signed-in owner asks for speaks the owner's time zone.

For the view's run and its template's rendering, Django's current time zone
(django.utils.timezone.activate) is the one the owner chose on the account page
(account.models.AccountSettings), so that times, "today" and day boundaries on the pages are
local: the timeline's days, its day strip and search result days, the processing panel, the
admin. Without a choice the server's TIME_ZONE stays in force.

The API is left alone: its views (every DRF view) keep answering in UTC with offsets, whoever
asks. request.owner_time_zone says what the owner chose ("" for nothing yet, and on API views)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework.views import APIView

from account.selectors import account_time_zone
from account.time_zones import time_zone_info


class OwnerTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.owner_time_zone = ""
        try:
            return self.get_response(request)
        finally:  # never leak one owner's zone into the next request this thread serves
            timezone.deactivate()

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if issubclass(getattr(view_func, "view_class", object), APIView):
            return
        if not request.user.is_authenticated:
            return
        request.owner_time_zone = account_time_zone(user=request.user)
        zone = time_zone_info(request.owner_time_zone)
        if zone is not None:
            timezone.activate(zone)
