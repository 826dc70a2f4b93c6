"""CORS (django-cors-headers): listed web origins may call the API from a browser; nobody else,
and never outside /api/."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

ALLOWED = "https://app.example.org"


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def preflight(client, path: str, origin: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_a_preflight_from_an_allowed_origin_gets_the_headers(client, cors, db):
    response = preflight(client, "/api/v1/utterances/", ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response  # tokens, never cookies


def test_a_preflight_from_another_origin_gets_none(client, cors, db):
    response = preflight(client, "/api/v1/utterances/", "https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response


def test_an_actual_request_gets_the_origin_and_the_exposed_headers(api, cors):
    response = api.get("/api/v1/utterances/", HTTP_ORIGIN=ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


def test_pages_outside_the_api_never_get_cors_headers(client, cors, db):
    assert "Access-Control-Allow-Origin" not in preflight(client, "/timeline/", ALLOWED)
    assert "Access-Control-Allow-Origin" not in client.get("/health/live", HTTP_ORIGIN=ALLOWED)


def test_no_origin_is_allowed_by_default(client, db):
    assert django_settings.CORS_ALLOWED_ORIGINS == []
    assert "Access-Control-Allow-Origin" not in preflight(client, "/api/v1/utterances/", ALLOWED)


def test_the_middleware_sits_high_and_axes_stays_last():
    middleware = django_settings.MIDDLEWARE
    cors = middleware.index("corsheaders.middleware.CorsMiddleware")
    assert cors < middleware.index("django.middleware.common.CommonMiddleware")
    assert cors < middleware.index("selective_speaker.request_limits.RequestBodyLimitMiddleware")
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
