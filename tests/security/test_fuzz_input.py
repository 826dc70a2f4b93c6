"""Fuzz the two inputs the schema fuzzer (test_fuzz.py) reached least: cursors and JSON bodies.

Generated cursors — random text and bytes in base64, crafted `o`/`r`/`p` tokens with huge,
negative and unicode values and times at the ends of the calendar, raw percent-encoded query
strings — go to every paginated list: each answer is 200 or a 400 naming `cursor`. Generated JSON
bodies — nested up to 100,000 deep, arrays and objects mixed, closed or not, around the size
limit, random values, random bytes — go to every endpoint that parses a body: no answer is a 5xx.
Hypothesis runs derandomized (the same requests every run); SECURITY_FUZZ_INPUT_EXAMPLES makes a
deeper local run.
"""

from __future__ import annotations

import base64
import json
import os
import random
from urllib.parse import quote, urlencode

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import ChunkFactory, DecisionReviewFactory, EnrollmentFactory, UtteranceFactory

EXAMPLES = int(os.getenv("SECURITY_FUZZ_INPUT_EXAMPLES", "150"))
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
PAGED = ["/api/v1/utterances/", "/api/v1/chunks/", "/api/v1/enrollments/", "/api/v1/voice-checks/"]
JSON_LIMIT = 4_096  # API_JSON_MAX_BYTES for the run: "huge" is cheap to make around it

# --- cursors ----------------------------------------------------------------------------------


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode("ascii")


def stamp(year: int, month: int, day: int, sign: str, hours: int, minutes: int, sep: str) -> str:
    """A time as a cursor's position, including impossible dates and offsets."""
    return f"{year:04d}-{month:02d}-{day:02d}{sep}23:59:59{sign}{hours:02d}:{minutes:02d}"


numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["-1", "2147483648", "9223372036854775808", "-9223372036854775809", "9" * 5_000, "1_000"]),
)
times = st.builds(
    stamp,
    st.sampled_from([1, 2, 1970, 2024, 9998, 9999, 10000]),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from([" ", "T"]),
)
token_values = st.one_of(numbers, times, st.text(max_size=40), st.sampled_from(["", "\x00", "true", "1e9", "NaN"]))
tokens = st.dictionaries(st.sampled_from(["o", "r", "p", "x", "P"]), token_values, max_size=4)
cursors = st.one_of(
    tokens.map(lambda t: b64(urlencode(t))),
    st.binary(max_size=120).map(b64),
    st.text(max_size=120).map(b64),
    st.text(max_size=120),
    st.text(max_size=60).map(lambda t: b64(t)[: len(t) // 2]),  # base64 cut short
)
# Raw query strings: percent-escapes valid, invalid and of bytes that are not UTF-8.
raw_queries = st.lists(
    st.one_of(
        st.sampled_from(["%", "%zz", "%ff", "%fe%ff", "%00", "%2B", "+", "=", "&", "cursor=", "%E2%98"]),
        st.text(max_size=20).map(quote),
    ),
    max_size=12,
).map(lambda parts: "cursor=" + "".join(parts))


@pytest.fixture
def owner_data(user):
    EnrollmentFactory(user=user)
    UtteranceFactory(chunk__user=user)
    ChunkFactory(user=user)
    DecisionReviewFactory(chunk__user=user)


def assert_cursor_answer(response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert "cursor" in response.json()["error"]["fields"], response.json()


@FUZZ
@given(url=st.sampled_from(PAGED), value=cursors)
@example(url=PAGED[0], value="cD05OTk5LTEyLTMxVDIzOjU5OjU5LTIzOjU5")  # the one issue 11 reports
def test_no_cursor_gets_a_server_error(api, owner_data, url, value):
    assert_cursor_answer(api.get(url, {"cursor": value}))


@FUZZ
@given(url=st.sampled_from(PAGED), query=raw_queries)
def test_no_percent_encoded_cursor_gets_a_server_error(api, owner_data, url, query):
    assert_cursor_answer(api.get(url, QUERY_STRING=query))


# --- JSON bodies ------------------------------------------------------------------------------


def nested(depth: int, seed: int, closing: str) -> str:
    """Arrays and objects `depth` deep, chosen by `seed`; closed, left open or over-closed."""
    kinds = random.Random(seed).choices(["[", '{"k":'], k=depth)
    inner = "".join(kinds) + "1"
    closers = "".join("]" if kind == "[" else "}" for kind in reversed(kinds))
    return inner + {"closed": closers, "open": "", "extra": closers + "]}" * 3}[closing]


def around_the_limit(extra: int) -> str:
    """A JSON object `extra` bytes off JSON_LIMIT (negative: under it)."""
    frame = json.dumps({"username": "owner", "password": ""})
    return json.dumps({"username": "owner", "password": "x" * (JSON_LIMIT + extra - len(frame))})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)
bodies = st.one_of(
    st.builds(nested, st.integers(1, 100_000), st.integers(0, 2**16), st.sampled_from(["closed", "open", "extra"])),
    st.builds(around_the_limit, st.integers(-64, 64)),
    json_values.map(json.dumps),
    st.sampled_from(["", "{", "[1,]", '{"a": NaN}', '"\\ud800"', "1" * 5_000, '"' + "[" * 3_000]),
    st.binary(max_size=200),
)


@pytest.fixture
def json_endpoints(user, settings):
    """Every endpoint that parses a body, as (client role, URL): the owner's and an anonymous one."""
    settings.API_JSON_MAX_BYTES = JSON_LIMIT
    check = DecisionReviewFactory(chunk__user=user)
    return [
        ("anonymous", "/api/v1/auth/token/"),
        ("owner", f"/api/v1/voice-checks/{check.id}/answer/"),
        ("owner", "/api/v1/chunks/"),
        ("owner", "/api/v1/enrollments/"),
    ]


@FUZZ
@given(choice=st.integers(0, 3), body=bodies)
@example(choice=0, body="[" * 100_000 + "]" * 100_000)  # the RecursionError of issue 11
def test_no_json_body_gets_a_server_error(api, client, json_endpoints, choice, body):
    cache.clear()  # throttle counters: every example gets through to the parser
    role, url = json_endpoints[choice]
    response = (api if role == "owner" else client).generic("POST", url, body, content_type="application/json")
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code == 413:
        assert len(body) > JSON_LIMIT
