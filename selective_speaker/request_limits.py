"""Refuse a request body by its Content-Length, before a byte of it is read.

Without this, an upload over MAX_UPLOAD_MB reaches the temporary disk whole before the
upload's own check answers 413 — and any view that parses multipart would take a file of
any size. RequestBodyLimitMiddleware, placed before every middleware that may read the body
(CSRF reads a form's), answers:

- 413 when Content-Length is over the largest body the path takes: MAX_UPLOAD_MB plus
  UPLOAD_FIELDS_ALLOWANCE on the routes that take audio (UPLOAD_ROUTES), elsewhere
  DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own limit on a body without files; None = none) or
  API_JSON_MAX_BYTES, whichever is larger;
- 400 when Content-Length is not a number.

Under /api/ the answer is the API's error body ({"error": {"code", "message"}}), elsewhere a
line of plain text. A missing or empty Content-Length is no body (Django reads none); the
per-file size and length checks of the upload services stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

MB = 1024 * 1024
# The routes whose views take an audio file (chunks.api, enrollment.api, pages.views_enroll).
UPLOAD_ROUTES = frozenset({"chunks:list", "enrollment:list", "enroll:index"})
# An upload's other fields and multipart boundaries, on top of the file itself.
UPLOAD_FIELDS_ALLOWANCE = 64 * 1024
_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = 18  # more is more than any limit here; int() of a header of any length is not


def request_body_limit(request: HttpRequest) -> tuple[int | None, bool]:
    """The largest body the request's path takes (None: no limit), and whether it takes uploads."""
    try:
        view_name = resolve(request.path_info, getattr(request, "urlconf", None)).view_name
    except Resolver404:
        view_name = None
    if view_name in UPLOAD_ROUTES:
        return settings.MAX_UPLOAD_MB * MB + UPLOAD_FIELDS_ALLOWANCE, True
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        return None, False
    return max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.API_JSON_MAX_BYTES), False


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.refusal(request) or self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        declared = (request.META.get("CONTENT_LENGTH") or "").strip(" \t")
        if not declared:
            return None
        if not _DIGITS.fullmatch(declared):
            problem = "the Content-Length header is not a number"
            return _answer(request, 400, "invalid", problem, f"Bad request: {problem}.")
        digits = declared.lstrip("0")
        if not digits:
            return None
        limit, upload = request_body_limit(request)
        size = int(digits) if len(digits) <= _MAX_DIGITS else None
        if limit is None or (size is not None and size <= limit):
            return None
        if upload:
            said = f"{size / MB:.1f} MB" if size is not None else "more than any limit"
            message = f"the request is {said}; the limit is {settings.MAX_UPLOAD_MB} MB"
            return _answer(request, 413, "upload_too_large", message, f"The file is too big: {message}.")
        said = f"{size:,} bytes" if size is not None else "more than any limit"
        detail = f"{said}; the limit here is {limit:,} bytes"
        return _answer(
            request, 413, "body_too_large", f"the request body is {detail}", f"The request is too large: {detail}."
        )


def _answer(request: HttpRequest, status: int, code: str, message: str, page_text: str) -> HttpResponse:
    """The API's error body under /api/, a line of plain text elsewhere."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return HttpResponse(f"{page_text}\n", status=status, content_type="text/plain; charset=utf-8")
