"""API tokens: issued for a username and password, refused otherwise, revoked by their holder."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"


def test_it_issues_a_token_for_a_username_and_password(db):
    user = UserFactory(username="carol")
    response = APIClient().post(
        TOKEN_URL, {"username": "carol", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200, response.json()
    key = response.json()["token"]
    assert Token.objects.get(user=user).key == key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/chunks/").status_code == 200


@pytest.mark.parametrize(
    "username, password",
    [
        ("carol", "wrong password"),
        ("nobody", "correct horse battery staple"),
        ("carol", ""),
        ("", ""),
    ],
)
def test_it_refuses_a_token_without_valid_credentials(db, username, password):
    UserFactory(username="carol")
    response = APIClient().post(TOKEN_URL, {"username": username, "password": password})
    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["error"]["code"] == "invalid"
    assert Token.objects.count() == 0


def test_it_refuses_a_token_to_an_inactive_user(db):
    UserFactory(username="carol", is_active=False)
    response = APIClient().post(
        TOKEN_URL, {"username": "carol", "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert Token.objects.count() == 0


def test_it_revokes_the_token_in_use(db):
    carol, dave = UserFactory(), UserFactory()
    key = Token.objects.create(user=carol).key
    other_key = Token.objects.create(user=dave).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.delete(TOKEN_URL)

    assert response.status_code == 204
    assert client.get("/api/v1/chunks/").status_code == 401
    assert client.delete(TOKEN_URL).status_code == 401
    assert not Token.objects.filter(key=key).exists()
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert (
        other.get("/api/v1/chunks/").status_code == 200
    )  # only the caller's own token goes


def test_it_needs_a_login_to_revoke_a_token(db):
    Token.objects.create(user=UserFactory())
    assert APIClient().delete(TOKEN_URL).status_code == 401
    assert Token.objects.count() == 1


def test_it_issues_a_new_key_after_a_revoke(db):
    user = UserFactory(username="carol")
    old = Token.objects.create(user=user).key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
    assert client.delete(TOKEN_URL).status_code == 204
    response = APIClient().post(
        TOKEN_URL, {"username": "carol", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert response.json()["token"] != old
