"""API rate limits: per user, per anonymous client and per client address (signed in or not).

Over a limit the API answers 429 with a Retry-After header. Rates come from the environment
(API_THROTTLE_USER / _ANON / _IP); DRF reads them once, into SimpleRateThrottle.THROTTLE_RATES
when the module is imported, so the tests set that class attribute rather than settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from selective_speaker.api.throttling import IpRateThrottle
from tests.conftest import token_client
from tests.factories import UserFactory

URL = "/api/v1/chunks/"
ROOT = Path(__file__).resolve().parents[2]
PLENTY = "1000/minute"


@pytest.fixture
def rates(monkeypatch):
    """rates(user=..., anon=..., ip=...): the limits for this test (PLENTY where not given)."""

    def set_rates(**given: str) -> None:
        limits = {"user": PLENTY, "anon": PLENTY, "ip": PLENTY, **given}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", limits)

    return set_rates


def get(client: APIClient, ip: str = "10.0.0.1", url: str = URL, **headers):
    return client.get(url, REMOTE_ADDR=ip, **headers)


def assert_throttled(response) -> None:
    assert response.status_code == 429, response.content
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "throttled"


def test_it_limits_each_user(db, rates):
    rates(user="3/minute")
    alice, bob = token_client(UserFactory()), token_client(UserFactory())

    assert [get(alice).status_code for _ in range(3)] == [200, 200, 200]
    assert_throttled(get(alice))
    assert_throttled(get(alice, ip="10.0.0.2"))  # a new address does not reset a user's count
    assert get(bob).status_code == 200  # another user from the same address is not held back


def test_it_limits_each_address_across_users_and_tokens(db, rates):
    rates(ip="3/minute")
    alice, bob, carol = (token_client(UserFactory()) for _ in range(3))

    assert [get(alice).status_code, get(alice).status_code, get(bob).status_code] == [200, 200, 200]
    assert_throttled(get(bob))  # alice used up the address's requests
    # anonymous requests count against the address too (on the one view open to them)
    anonymous = APIClient().post("/api/v1/auth/token/", {"username": "x", "password": "y"}, REMOTE_ADDR="10.0.0.1")
    assert_throttled(anonymous)
    assert get(carol, ip="10.0.0.2").status_code == 200


def test_it_limits_anonymous_clients_trying_passwords(db, rates):
    rates(anon="2/minute")
    UserFactory(username="alice")
    client = APIClient()
    attempts = [
        client.post("/api/v1/auth/token/", {"username": "alice", "password": f"guess-{n}"}, REMOTE_ADDR="10.0.0.1")
        for n in range(3)
    ]

    assert [response.status_code for response in attempts[:2]] == [400, 400]
    assert_throttled(attempts[2])
    assert get(APIClient(), ip="10.0.0.2").status_code == 401  # another address may still try


def test_it_ignores_a_forwarded_for_header_the_client_made_up(db, rates):
    rates(ip="2/minute")
    client = token_client(UserFactory())
    assert [get(client).status_code for _ in range(2)] == [200, 200]

    assert_throttled(get(client, HTTP_X_FORWARDED_FOR="203.0.113.7"))


def test_it_takes_the_address_the_proxy_saw_with_api_num_proxies(db, rates, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    rates(ip="2/minute")
    client = token_client(UserFactory())
    behind_proxy = {"ip": "127.0.0.1"}

    for _ in range(2):
        assert get(client, **behind_proxy, HTTP_X_FORWARDED_FOR="forged, 198.51.100.1").status_code == 200
    assert_throttled(get(client, **behind_proxy, HTTP_X_FORWARDED_FOR="other-forgery, 198.51.100.1"))
    assert get(client, **behind_proxy, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200


def test_it_applies_all_three_limits_to_every_api_view_by_default():
    classes = {cls.__name__ for cls in APIView.throttle_classes}
    assert {"AnonRateThrottle", "UserRateThrottle", "IpRateThrottle"} <= classes
    assert IpRateThrottle in api_settings.DEFAULT_THROTTLE_CLASSES
    assert set(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]) >= {"anon", "user", "ip"}
    assert api_settings.NUM_PROXIES == 0


def test_it_reads_the_limits_from_the_environment():
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "API_THROTTLE_ANON": "5/minute",
        "API_THROTTLE_USER": "6/hour",
        "API_THROTTLE_IP": "7/day",
        "API_NUM_PROXIES": "1",
    }
    script = (
        "import json, django; django.setup(); "
        "from rest_framework.throttling import SimpleRateThrottle; from rest_framework.settings import api_settings; "
        "print(json.dumps([SimpleRateThrottle.THROTTLE_RATES, api_settings.NUM_PROXIES, "
        "[c.__name__ for c in api_settings.DEFAULT_THROTTLE_CLASSES]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "selective_speaker.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rates_seen, num_proxies, classes = json.loads(result.stdout.strip().splitlines()[-1])
    assert rates_seen == {"anon": "5/minute", "user": "6/hour", "ip": "7/day"}
    assert num_proxies == 1
    assert classes == ["AnonRateThrottle", "UserRateThrottle", "IpRateThrottle"]
