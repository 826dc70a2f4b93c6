"""/api/v1/auth/token/, /api/v1/me/export and /api/v1/me/data."""

from __future__ import annotations

import json

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from account.selectors import user_owned_models
from chunks.models import Chunk
from tests.chunks.test_api import stored_files
from tests.factories import EnrollmentFactory, UtteranceFactory

TOKEN_URL = "/api/v1/auth/token/"


def test_it_issues_a_token_for_a_username_and_password(db, user):
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": "correct horse battery staple"})

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=user).key


def test_it_refuses_a_wrong_password(db, user):
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": "wrong"})

    assert response.status_code == 400
    assert not Token.objects.filter(user=user).exists()


def test_it_revokes_the_token_in_use(user, api):
    key = Token.objects.get(user=user).key

    assert api.delete(TOKEN_URL).status_code == 204

    assert not Token.objects.filter(key=key).exists()
    assert api.get("/api/v1/chunks/").status_code == 401


def test_it_needs_authentication_to_revoke(db):
    assert APIClient().delete(TOKEN_URL).status_code == 401


def test_it_exports_the_owners_data_as_an_attachment(user, api, other_user):
    mine = UtteranceFactory(chunk__user=user, text="my own words")
    UtteranceFactory(chunk__user=other_user, text="not mine")

    response = api.get("/api/v1/me/export")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(b"".join(response.streaming_content))
    assert [s["id"] for s in data["segments"]] == [mine.id]
    assert [c["id"] for c in data["chunks"]] == [mine.chunk_id]


def test_it_erases_the_owners_data_and_nothing_else(user, api, other_user, media_root):
    UtteranceFactory(chunk__user=user)
    EnrollmentFactory(user=user)
    theirs = UtteranceFactory(chunk__user=other_user)

    response = api.delete("/api/v1/me/data")

    assert response.status_code == 200
    assert response.json()["erased"]["chunks.chunk"] == 1
    for model in user_owned_models():
        assert not model._default_manager.filter(user=user).exists(), model
    assert Chunk.objects.filter(id=theirs.chunk_id).exists()
    assert len(stored_files(media_root)) == 1  # the other user's chunk
    assert api.get("/api/v1/utterances/").json()["results"] == []


def test_it_answers_503_when_the_store_fails_during_erase(user, api, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    UtteranceFactory(chunk__user=user)
    monkeypatch.setattr(FileSystemStorage, "delete", lambda self, name: (_ for _ in ()).throw(OSError("down")))

    response = api.delete("/api/v1/me/data")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert Chunk.objects.filter(user=user).count() == 1
