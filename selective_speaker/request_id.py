"""A request id on every request, response and log line of the web tier.

An incoming `X-Request-ID` (from a proxy or the app, 1–64 characters of letters, digits and
`._:-`) is kept, anything else is replaced by a new random id; the response carries it back in
`X-Request-ID`, and every log record written while the request is handled has it as
`record.request_id` ("-" outside a request), which both log formats print
(selective_speaker/logging_setup.py).

A background job runs under the id of the request that queued it (selective_speaker/jobs.py
passes it along and binds it with `request_id_bound` while the job runs), so an upload's web
and worker log lines share one id; chunks and enrollments also keep it as `request_id`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
NONE = "-"  # outside any request
_current: ContextVar[str] = ContextVar("request_id", default=NONE)


def current_request_id() -> str:
    """The id of the request being handled in this context, "-" outside one."""
    return _current.get()


def stored_request_id() -> str:
    """The current id as a row keeps it: "" outside a request."""
    current = _current.get()
    return "" if current == NONE else current


@contextmanager
def request_id_bound(request_id: str | None) -> Iterator[str]:
    """Make `request_id` the current id inside the block (a job run on behalf of a request);
    an empty or unsafe one binds "-". The id before the block is back after it."""
    value = request_id if request_id and _VALID.fullmatch(request_id) else NONE
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (for the formatter); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
