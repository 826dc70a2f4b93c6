"""Login lockout (django-axes, account/lockout.py): repeated failures lock an account and an address.

Every way in counts toward one lockout — the site's login form, the admin's and the API's token
endpoint — and, once locked, even the right password is refused until the cool-off has passed or
staff lift the lock in the admin. The failure limit is LOGIN_FAILURE_LIMIT (5 by default); the
tests set it through AXES_FAILURE_LIMIT.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
SITE_LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN_URL = "/api/v1/auth/token/"
LIMIT = 3


@pytest.fixture(autouse=True)
def lockout(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def site_login(username: str, password: str, ip: str = "10.0.0.1", **headers):
    return Client().post(SITE_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def admin_login(username: str, password: str, ip: str = "10.0.0.1"):
    return Client().post(ADMIN_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def token_login(username: str, password: str, ip: str = "10.0.0.1"):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(response) -> bool:
    return "_auth_user_id" in response.wsgi_request.session


def assert_locked_page(response) -> None:
    assert response.status_code == 429, response.status_code
    assert "registration/locked_out.html" in [template.name for template in response.templates]
    text = response.content.decode()
    assert "Too many failed sign-ins" in text
    assert "15 minutes" in text
    assert response["Retry-After"] == "900"


def assert_locked_api(response) -> None:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "locked_out"
    assert "Too many failed sign-ins" in error["message"]
    assert response["Retry-After"] == "900"
    assert "token" not in response.json()


def test_it_locks_the_site_login_after_the_failure_limit(db):
    UserFactory(username="alice")

    answers = [site_login("alice", f"guess-{n}") for n in range(LIMIT)]

    assert [response.status_code for response in answers[:-1]] == [200] * (LIMIT - 1)
    assert_locked_page(answers[-1])
    right = site_login("alice", PASSWORD)
    assert_locked_page(right)
    assert not signed_in(right)


def test_it_locks_the_admin_login_after_the_failure_limit(db):
    UserFactory(username="root", is_staff=True, is_superuser=True)

    answers = [admin_login("root", f"guess-{n}") for n in range(LIMIT)]

    assert [response.status_code for response in answers[:-1]] == [200] * (LIMIT - 1)
    assert_locked_page(answers[-1])
    right = admin_login("root", PASSWORD)
    assert_locked_page(right)
    assert not signed_in(right)


def test_it_locks_the_token_endpoint_with_a_json_answer(db):
    UserFactory(username="alice")

    answers = [token_login("alice", f"guess-{n}") for n in range(LIMIT)]

    assert [response.status_code for response in answers[:-1]] == [400] * (LIMIT - 1)
    assert_locked_api(answers[-1])
    assert_locked_api(token_login("alice", PASSWORD))


def test_it_counts_failures_from_every_login_toward_one_lockout(db):
    UserFactory(username="alice")

    assert site_login("alice", "guess-1").status_code == 200
    assert admin_login("alice", "guess-2").status_code == 200
    assert_locked_api(token_login("alice", "guess-3"))

    assert_locked_page(site_login("alice", PASSWORD))
    assert_locked_page(admin_login("alice", PASSWORD))


def test_it_locks_an_account_tried_from_many_addresses(db):
    UserFactory(username="alice")
    for n in range(LIMIT - 1):
        assert site_login("alice", "guess", ip=f"10.0.1.{n}").status_code == 200

    assert_locked_page(site_login("alice", "guess", ip="10.0.2.1"))
    assert_locked_page(site_login("alice", PASSWORD, ip="10.0.2.2"))


def test_it_locks_an_address_that_tries_many_accounts(db):
    UserFactory(username="alice")
    for n in range(LIMIT - 1):
        assert site_login(f"someone-{n}", "guess").status_code == 200

    assert_locked_page(site_login("someone-else", "guess"))
    assert_locked_page(site_login("alice", PASSWORD))  # a real account, from the same address
    assert signed_in(site_login("alice", PASSWORD, ip="10.0.0.2"))  # elsewhere it still works


def test_it_lets_the_right_password_in_below_the_limit(db):
    UserFactory(username="alice")
    for n in range(LIMIT - 1):
        site_login("alice", f"guess-{n}")

    response = site_login("alice", PASSWORD)

    assert response.status_code == 302
    assert signed_in(response)
    assert AccessLog.objects.filter(username="alice", ip_address="10.0.0.1").exists()  # audited


def test_it_unlocks_after_the_cool_off(db):
    UserFactory(username="alice")
    for n in range(LIMIT):
        site_login("alice", f"guess-{n}")
    assert_locked_page(site_login("alice", PASSWORD))

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))

    assert signed_in(site_login("alice", PASSWORD))


def test_it_records_every_failure_for_staff_who_can_lift_the_lock(db):
    UserFactory(username="alice")
    staff = UserFactory(is_staff=True, is_superuser=True)
    for n in range(LIMIT):
        site_login("alice", f"guess-{n}")
    attempt = AccessAttempt.objects.get(username="alice")
    assert attempt.failures_since_start == LIMIT
    assert attempt.ip_address == "10.0.0.1"
    assert PASSWORD not in attempt.post_data and "guess" not in attempt.post_data  # passwords are masked
    assert AccessFailureLog.objects.filter(username="alice").count() == LIMIT

    admin = Client()
    admin.force_login(staff)
    changelist = admin.get("/admin/axes/accessattempt/")
    assert changelist.status_code == 200
    assert "alice" in changelist.content.decode()
    assert admin.get("/admin/axes/accessfailurelog/").status_code == 200
    delete = admin.post(f"/admin/axes/accessattempt/{attempt.id}/delete/", {"post": "yes"})
    assert delete.status_code == 302

    assert signed_in(site_login("alice", PASSWORD))


def test_it_takes_the_address_the_proxy_saw_with_api_num_proxies(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    UserFactory(username="alice")
    for n in range(LIMIT):
        site_login(f"someone-{n}", "guess", ip="127.0.0.1", HTTP_X_FORWARDED_FOR=f"forged-{n}, 198.51.100.1")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.1"}
    assert_locked_page(site_login("alice", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1"))
    assert signed_in(site_login("alice", PASSWORD, ip="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2"))


def test_it_ignores_a_forwarded_for_header_the_client_made_up(db):
    for n in range(LIMIT):
        site_login(f"someone-{n}", "guess", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}


def test_it_keeps_an_address_it_cannot_parse_out_of_the_records(db, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    response = site_login("alice", "guess", ip="10.0.0.9", HTTP_X_FORWARDED_FOR="not-an-address")

    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "10.0.0.9"


def test_it_locks_out_by_default_and_reads_its_limits_from_the_environment():
    assert "axes" in django_settings.INSTALLED_APPS
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert django_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert django_settings.AXES_ENABLED is True
    assert django_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_LOCKOUT_PARAMETERS]))"
    )
    environment = {"LOGIN_FAILURE_LIMIT": "7", "LOGIN_COOLOFF_MINUTES": "30", "LOGIN_LOCKOUT_BY": "username+ip_address"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "selective_speaker.settings", **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [7, 1800.0, [["username", "ip_address"]]]
