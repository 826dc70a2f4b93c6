"""The API's JSON parser: bounded in size and in nesting before a byte is decoded.

Python's json module recurses once per level of nesting, so `[[[[…]]]]` a few thousand deep
ends in RecursionError (a 500), and a body is read whole whatever its size. GuardedJSONParser,
the default JSON parser (REST_FRAMEWORK's DEFAULT_PARSER_CLASSES), reads at most
API_JSON_MAX_BYTES (one byte more, to tell) — more answers 413 — then counts the nesting with a
linear scan that does not recurse — deeper than API_JSON_MAX_DEPTH answers 400 — and only then
decodes. Anything else that decodes a request body as JSON calls `json_loads_guarded`.
"""

from __future__ import annotations

import itertools
import json
import re

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class BodyTooLarge(APIException):
    """413 (its own class here: errors.py imports DRF's views, which import the parsers)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


# A string, through its closing quote; an unterminated one runs to the end of the text. The match
# cannot fail (whatever follows the loop is a quote, a last lone backslash or the end), so no
# start is retried: linear time whatever the text.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_depth(text: str) -> int:
    """How deep the arrays and objects of `text` nest (0 for a scalar); brackets inside strings
    do not count. Linear and recursion-free, for text of any shape, JSON or not."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(itertools.accumulate(map(_STEP.__getitem__, brackets.encode("ascii"))), default=0)


def json_loads_guarded(raw: bytes | str, *, max_bytes: int, max_depth: int, encoding: str = "utf-8"):
    """Decode a JSON request body: BodyTooLarge (413) over `max_bytes`, ParseError (400) when
    nested deeper than `max_depth` or not JSON (NaN and Infinity included)."""
    if len(raw) > max_bytes:
        raise BodyTooLarge(f"the JSON body is too large: the limit is {max_bytes:,} bytes")
    try:
        text = raw.decode(encoding) if isinstance(raw, bytes) else raw
    except (UnicodeDecodeError, LookupError) as exc:
        raise ParseError(f"JSON parse error - the body is not {encoding} text") from exc
    if json_depth(text) > max_depth:
        level = "level" if max_depth == 1 else "levels"
        raise ParseError(f"JSON parse error - nested deeper than {max_depth} {level}")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError as exc:  # cannot happen below the depth limit; never a 500 if it does
        raise ParseError("JSON parse error - nested too deep") from exc
    except ValueError as exc:
        raise ParseError(f"JSON parse error - {exc}") from exc


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


class GuardedJSONParser(JSONParser):
    """DRF's JSONParser (media type application/json) with the limits of `json_loads_guarded`."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        max_bytes = settings.API_JSON_MAX_BYTES
        return json_loads_guarded(
            stream.read(max_bytes + 1),  # one byte more than allowed tells a body too large
            max_bytes=max_bytes,
            max_depth=settings.API_JSON_MAX_DEPTH,
            encoding=parser_context.get("encoding") or settings.DEFAULT_CHARSET,
        )
