"""Serving bytes with HTTP range requests (RFC 9110 §14), for audio players that seek.

Only a single range is honoured; a request for several ranges, or a Range header we cannot
parse, gets the whole body (RFC 9110 allows a server to ignore Range). A range that starts past
the end is answered 416 with `Content-Range: bytes */<length>`.
"""

from __future__ import annotations

import logging
import re

from django.http import HttpRequest, HttpResponse

from selective_speaker.audio_files import storage_errors, wav_clip
from selective_speaker.speech.types import AudioError

log = logging.getLogger(__name__)

_SINGLE_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class _Unsatisfiable(Exception):
    pass


def _parse_range(header: str, length: int) -> tuple[int, int] | None:
    """(first, last) inclusive byte positions, None to send everything; _Unsatisfiable for 416."""
    match = _SINGLE_RANGE.match(header)
    if not match:
        return None  # several ranges, another unit, or garbage: ignore the header
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # bytes=-n: the last n bytes
        suffix = int(last_text)
        if suffix == 0 or length == 0:
            raise _Unsatisfiable
        return max(length - suffix, 0), length - 1
    first = int(first_text)
    last = int(last_text) if last_text else length - 1
    if last_text and last < first:
        return None  # invalid range-spec: ignore the header
    if first >= length:
        raise _Unsatisfiable
    return first, min(last, length - 1)


def ranged_response(
    request: HttpRequest, data: bytes, *, content_type: str, filename: str | None = None
) -> HttpResponse:
    """`data` as the response to a GET/HEAD, honouring a single `Range: bytes=…` request.

    200 with the whole body without Range (or with one we ignore); 206 with `Content-Range:
    bytes a-b/len` for a satisfiable range (`a-b`, `a-`, `-n`); 416 with `Content-Range:
    bytes */len` when the range starts past the end. Every answer says `Accept-Ranges: bytes`
    and `Cache-Control: private, no-store` (the body is personal); `filename` adds an inline
    Content-Disposition.
    """
    length = len(data)
    header = request.headers.get("Range", "")
    try:
        span = _parse_range(header, length) if header else None
    except _Unsatisfiable:
        response = HttpResponse(status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{length}"
    else:
        if span is None:
            response = HttpResponse(data, content_type=content_type)
        else:
            first, last = span
            response = HttpResponse(data[first : last + 1], status=206, content_type=content_type)
            response["Content-Range"] = f"bytes {first}-{last}/{length}"
        if filename:
            safe = re.sub(r'[^A-Za-z0-9._-]', "_", filename)
            response["Content-Disposition"] = f'inline; filename="{safe}"'
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    return response


AUDIO_GONE_MESSAGE = (
    "The recording of this stretch is no longer kept (recordings are deleted after processing or "
    "after a while, as the server is set up to do)."
)


def stored_clip_response(
    request: HttpRequest,
    stored,
    *,
    start_ms: int,
    end_ms: int,
    max_duration_ms: int,
    filename: str,
    log_as: str,
    gone_message: str = AUDIO_GONE_MESSAGE,
) -> HttpResponse:
    """[start_ms, end_ms) of a stored recording as a WAV, with Range support: 410 when the
    recording is gone or unreadable, 503 when the store is down."""
    if not stored:
        return plain_text_response(gone_message, status=410)
    try:
        data = wav_clip(stored, start_ms=start_ms, end_ms=end_ms, max_duration_ms=max_duration_ms)
    except AudioError as exc:
        log.warning("%s: the recording cannot be read: %s", log_as, exc.reason)
        return plain_text_response(gone_message, status=410)
    except storage_errors():
        log.exception("%s: reading the recording failed", log_as)
        return plain_text_response("The recording cannot be read right now. Try again in a moment.", status=503)
    return ranged_response(request, data, content_type="audio/wav", filename=filename)


def plain_text_response(message: str, *, status: int) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response
