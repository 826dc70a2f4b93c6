from __future__ import annotations

import hashlib
import hmac

from webhooks.signing import (
    SECRET_PREFIX,
    signature_compute,
    signature_header,
    signature_verify,
)

SECRET = "whsec_" + "k" * 43
BODY = b'{"event":"utterance.created","data":{"utterance":{"text":"caf\xc3\xa9 at noon"}}}'


def test_it_signs_the_time_and_the_raw_body_with_hmac_sha256():
    header = signature_header(SECRET, BODY, timestamp=1714555800)
    expected = hmac.new(SECRET.encode(), b"1714555800." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1714555800,v1={expected}"
    assert signature_compute(SECRET, 1714555800, BODY) == expected


def test_it_verifies_its_own_signature_round_trip():
    header = signature_header(SECRET, BODY)
    assert signature_verify(SECRET, BODY, header)


def test_it_refuses_another_body_another_secret_or_a_forged_time():
    header = signature_header(SECRET, BODY, timestamp=1714555800)
    now = 1714555800 + 10
    assert signature_verify(SECRET, BODY, header, now=now)
    assert not signature_verify(SECRET, BODY + b" ", header, now=now)
    assert not signature_verify("whsec_other", BODY, header, now=now)
    forged = header.replace("t=1714555800", "t=1714555801")
    assert not signature_verify(SECRET, BODY, forged, now=now)
    assert not signature_verify(SECRET, BODY, "garbage", now=now)


def test_it_refuses_a_replay_outside_the_tolerance():
    header = signature_header(SECRET, BODY, timestamp=1714555800)
    assert signature_verify(SECRET, BODY, header, now=1714555800 + 299)
    assert not signature_verify(SECRET, BODY, header, now=1714555800 + 301)


def test_it_accepts_any_of_several_v1_signatures():
    """A receiver may see two v1 values while a secret changes; one good one is enough."""
    good = signature_header(SECRET, BODY, timestamp=1714555800)
    header = good.replace("t=1714555800,", "t=1714555800,v1=" + "0" * 64 + ",")
    assert signature_verify(SECRET, BODY, header, now=1714555800)


def test_the_docs_snippet_verifies_a_real_signature():
    """docs/webhooks.md's receiver code, run as it is printed there."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = docs.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), namespace)
    header = signature_header(SECRET, BODY)
    assert namespace["verify"](BODY, header, SECRET) is True
    assert namespace["verify"](BODY + b"x", header, SECRET) is False


def test_it_generates_long_random_secrets():
    from webhooks.signing import secret_generate

    first, second = secret_generate(), secret_generate()
    assert first.startswith(SECRET_PREFIX) and len(first) > 40 and first != second
