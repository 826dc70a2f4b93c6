"""selective_speaker.http_range.ranged_response: single-range requests as RFC 9110 describes."""

import pytest
from django.test import RequestFactory

from selective_speaker.http_range import ranged_response

DATA = bytes(range(100))


def respond(range_header=None, **options):
    headers = {"HTTP_RANGE": range_header} if range_header is not None else {}
    request = RequestFactory().get("/clip.wav", **headers)
    return ranged_response(request, DATA, content_type="audio/wav", **options)


def test_without_range_it_sends_everything():
    response = respond()
    assert response.status_code == 200
    assert response.content == DATA
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Type"] == "audio/wav"
    assert "Content-Range" not in response
    assert "Content-Disposition" not in response


@pytest.mark.parametrize(
    "header, first, last",
    [
        ("bytes=0-9", 0, 9),
        ("bytes=10-19", 10, 19),
        ("bytes=90-", 90, 99),
        ("bytes=-5", 95, 99),
        ("bytes=-500", 0, 99),  # a suffix longer than the body: all of it
        ("bytes=95-1000", 95, 99),  # a last position past the end is clamped
        ("bytes=0-0", 0, 0),
        ("BYTES = 3 - 4", 3, 4),
    ],
)
def test_a_single_range_gets_206(header, first, last):
    response = respond(header)
    assert response.status_code == 206
    assert response.content == DATA[first : last + 1]
    assert response["Content-Range"] == f"bytes {first}-{last}/100"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=100-200", "bytes=-0"])
def test_an_unsatisfiable_range_gets_416(header):
    response = respond(header)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */100"
    assert response.content == b""
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=-", "nonsense", "bytes=a-b"]
)
def test_ranges_it_does_not_serve_are_ignored(header):
    """Several ranges, other units and invalid specs: the whole body (RFC 9110 allows it)."""
    response = respond(header)
    assert response.status_code == 200
    assert response.content == DATA


def test_an_empty_body_has_no_satisfiable_range():
    request = RequestFactory().get("/x", HTTP_RANGE="bytes=0-")
    response = ranged_response(request, b"", content_type="audio/wav")
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */0"


def test_a_filename_makes_it_inline():
    assert respond(filename="segment-12.wav")["Content-Disposition"] == 'inline; filename="segment-12.wav"'
    assert respond("bytes=0-1", filename="a b\".wav")["Content-Disposition"] == 'inline; filename="a_b_.wav"'


def test_416_has_no_content_disposition():
    assert "Content-Disposition" not in respond("bytes=500-", filename="x.wav")
