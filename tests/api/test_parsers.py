"""selective_speaker/api/parsers.py: JSON bodies nested too deep answer 400 and too big 413, on
every API view (issue 11, item 5: deep nesting used to be a 500 RecursionError); forms and
multipart uploads still parse."""

from __future__ import annotations

import io
import json
import time

import pytest
from rest_framework.exceptions import ParseError

from selective_speaker.api.parsers import BodyTooLarge, GuardedJSONParser, json_depth, json_loads_guarded

TOKEN = "/api/v1/auth/token/"


def nested(depth: int, *, kind: str = "list") -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


def post_json(client, url: str, body: str | bytes):
    return client.generic("POST", url, body, content_type="application/json")


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
@pytest.mark.parametrize("kind", ["list", "object"])
def test_it_refuses_json_nested_too_deep_with_400(client, db, depth, kind):
    response = post_json(client, TOKEN, nested(depth, kind=kind))
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "nested deeper than 32 levels" in error["message"]


def test_the_depth_limit_is_a_setting(client, db, settings):
    settings.API_JSON_MAX_DEPTH = 2
    body = json.dumps({"username": {"a": {"b": "x"}}, "password": "p"})  # 3 levels
    assert "deeper than 2 levels" in post_json(client, TOKEN, body).json()["error"]["message"]
    settings.API_JSON_MAX_DEPTH = 3
    assert post_json(client, TOKEN, body).json()["error"]["code"] == "invalid"  # parsed, then refused


def test_it_refuses_a_json_body_bigger_than_the_limit_with_413(client, db, settings):
    settings.API_JSON_MAX_BYTES = 1_000
    body = json.dumps({"username": "owner", "password": "x" * 2_000})
    response = post_json(client, TOKEN, body)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "body_too_large"
    assert "the limit is 1,000 bytes" in error["message"]


def test_it_still_answers_a_normal_json_body(client, user):
    body = json.dumps({"username": user.username, "password": "correct horse battery staple"})
    response = post_json(client, TOKEN, body)
    assert response.status_code == 200 and response.json()["token"]


def test_it_still_answers_a_form(client, user):
    response = client.post(TOKEN, {"username": user.username, "password": "correct horse battery staple"})
    assert response.status_code == 200 and response.json()["token"]


@pytest.mark.parametrize(
    "body, says",
    [
        ("{", "JSON parse error"),
        ('{"a": NaN}', "JSON parse error"),
        (b'{"a": "\xff"}', "JSON parse error"),
        ('"' + "[" * 100 + '"', ""),  # brackets inside a string are not nesting
    ],
    ids=["unterminated", "nan", "not-utf-8", "brackets-in-a-string"],
)
def test_it_answers_bad_json_with_400(client, db, body, says):
    response = post_json(client, TOKEN, body)
    assert response.status_code == 400
    assert says in response.json()["error"]["message"]


def test_the_project_parser_is_the_default_and_keeps_the_json_media_type(settings):
    from rest_framework.settings import api_settings

    assert GuardedJSONParser in api_settings.DEFAULT_PARSER_CLASSES
    assert GuardedJSONParser.media_type == "application/json"
    assert {p.media_type for p in api_settings.DEFAULT_PARSER_CLASSES} >= {
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    }


@pytest.mark.parametrize(
    "text, depth",
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "\\"[[["]', 1),
        ('"unterminated [[[[', 0),
        ("[" * 50, 50),
    ],
)
def test_json_depth(text, depth):
    assert json_depth(text) == depth


@pytest.mark.parametrize(
    "text",
    [
        "[" * 1_048_576,
        "[]," * 350_000,
        '\\"' * 524_288,  # backslash-quote pairs outside any string
        '"' + '\\"' * 524_287 + "\\",  # a string never closed, a lone backslash at the end
        '"' * 1_048_575,
    ],
    ids=["deep", "wide", "escaped-quotes", "unterminated-string", "quotes"],
)
def test_json_depth_takes_linear_time_on_a_megabyte_of_any_shape(text):
    started = time.perf_counter()
    json_depth(text)
    assert time.perf_counter() - started < 1.0


def test_json_loads_guarded():
    assert json_loads_guarded(b'{"a": [1]}', max_bytes=100, max_depth=2) == {"a": [1]}
    with pytest.raises(ParseError, match="deeper than 1 level"):
        json_loads_guarded(b'{"a": [1]}', max_bytes=100, max_depth=1)
    with pytest.raises(BodyTooLarge):
        json_loads_guarded(b'{"a": [1]}', max_bytes=5, max_depth=2)


def test_the_parser_reads_no_more_than_the_limit_and_one_byte(settings):
    settings.API_JSON_MAX_BYTES = 10
    stream = io.BytesIO(b"[" + b"1," * 1_000 + b"1]")
    with pytest.raises(BodyTooLarge):
        GuardedJSONParser().parse(stream, "application/json", {})
    assert stream.tell() == 11
