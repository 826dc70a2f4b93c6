"""selective_speaker/request_limits.py: a body bigger than its path takes answers 413 by its
Content-Length, before a byte of it is read or stored (issue 11, item 6: an over-limit upload
used to reach the temporary disk whole first); an invalid Content-Length answers 400."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from chunks.models import Chunk
from enrollment.models import Enrollment
from selective_speaker.request_limits import UPLOAD_FIELDS_ALLOWANCE, UPLOAD_ROUTES
from tests.audio_samples import wav_bytes

MB = 1024 * 1024
UPLOADS = {"chunks": "/api/v1/chunks/", "enrollments": "/api/v1/enrollments/"}
TOKEN = "/api/v1/auth/token/"  # its view reads any body it is sent


class WatchedBody(io.RawIOBase):
    """A request body that says whether anything tried to read it (and ends at once)."""

    touched = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.touched = True
        return 0


def send(client, url: str, content_length: str, method: str = "POST", *, read: bool = False):
    """Send a request that claims `content_length` bytes; check whether its body was `read`."""
    body = WatchedBody()
    response = client.generic(
        method,
        url,
        b"-",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=content_length,
        **{"wsgi.input": body},
    )
    assert body.touched is read, f"the body was {'not ' if read else ''}read"
    return response


@pytest.mark.parametrize("url", UPLOADS.values(), ids=UPLOADS.keys())
def test_it_refuses_an_upload_over_the_limit_before_reading_it(api, settings, media_root, url):
    settings.MAX_UPLOAD_MB = 1
    response = send(api, url, str(500 * MB))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error == {"code": "upload_too_large", "message": "the request is 500.0 MB; the limit is 1 MB"}
    assert not Chunk.objects.exists() and not Enrollment.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*"))


def test_the_upload_limit_leaves_room_for_the_other_fields(api, settings):
    settings.MAX_UPLOAD_MB = 1
    assert send(api, UPLOADS["chunks"], str(MB + UPLOAD_FIELDS_ALLOWANCE + 1)).status_code == 413
    send(api, UPLOADS["chunks"], str(MB + UPLOAD_FIELDS_ALLOWANCE), read=True)  # let through to the view


def test_an_upload_within_the_limit_goes_through(api, settings, django_capture_on_commit_callbacks):
    settings.MAX_UPLOAD_MB = 1
    audio = wav_bytes(30.0)  # 0.96 MB
    with django_capture_on_commit_callbacks():
        response = api.post(
            UPLOADS["chunks"],
            {"audio": io.BytesIO(audio), "device_id": "phone-1", "start_ts": "2024-05-01T09:30:00Z"},
            format="multipart",
        )
    assert response.status_code == 202, response.content[:300]


def test_the_enroll_page_answers_in_plain_words(client, user, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(user)
    response = send(client, "/enroll/", str(3 * MB))
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "The file is too big: the request is 3.0 MB; the limit is 1 MB.\n"


def test_a_path_without_uploads_takes_what_django_takes(api, client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * MB
    settings.API_JSON_MAX_BYTES = MB
    response = send(api, "/api/v1/utterances/", str(2 * MB + 1))
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "body_too_large",
        "message": "the request body is 2,097,153 bytes; the limit here is 2,097,152 bytes",
    }
    page = send(client, "/accounts/login/", str(5 * MB))
    assert page.status_code == 413
    assert page.content.decode() == "The request is too large: 5,242,880 bytes; the limit here is 2,097,152 bytes.\n"


def test_a_json_limit_above_djangos_raises_the_api_limit(client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = MB
    settings.API_JSON_MAX_BYTES = 3 * MB
    send(client, TOKEN, str(2 * MB), read=True)
    assert send(client, TOKEN, str(3 * MB + 1)).status_code == 413


def test_without_a_django_limit_other_paths_take_any_size(client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    send(client, TOKEN, str(50 * MB), read=True)


def test_a_content_length_of_40_digits_is_too_large(api):
    assert send(api, UPLOADS["chunks"], "9" * 40).status_code == 413


@pytest.mark.parametrize("value", ["abc", "-1", "1e6", "10, 10", "0x10", "1.5", "\u0661\u0662", "+5"])
def test_it_refuses_an_invalid_content_length_with_400(api, client, db, value):
    response = send(api, UPLOADS["chunks"], value)
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid", "message": "the Content-Length header is not a number"}
    page = send(client, "/accounts/login/", value)
    assert page.status_code == 400
    assert page.content.decode() == "Bad request: the Content-Length header is not a number.\n"


@pytest.mark.parametrize("value", ["", "0", " 0 "])
def test_no_content_length_or_zero_means_no_body(api, value):
    assert send(api, "/api/v1/utterances/", value, method="GET").status_code == 200


def test_every_upload_route_exists():
    """The limit applies to the views that take files: a renamed route must not escape it."""
    assert {reverse(name) for name in UPLOAD_ROUTES} == {"/api/v1/chunks/", "/api/v1/enrollments/", "/enroll/"}
