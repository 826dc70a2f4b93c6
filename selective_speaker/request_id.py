"""A request id on every request, response and log line of the web tier.

An incoming `X-Request-ID` (from a proxy or the app, 1–64 characters of letters, digits and
`._:-`) is kept, anything else is replaced by a new random id; the response carries it back in
`X-Request-ID`, and every log record written while the request is handled has it as
`record.request_id` ("-" outside a request), which the console format prints.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request being handled in this context, "-" outside one."""
    return _current.get()


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
