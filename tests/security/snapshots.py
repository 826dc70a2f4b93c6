"""What a user has — every owned row and stored file — to compare before and after requests."""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models


def user_rows(user) -> dict:
    """Every row of every model with a `user` relation to this user, and the user's own row."""
    user_model = get_user_model()
    rows = {"account": list(user_model.objects.filter(pk=user.pk).values())}
    for model in apps.get_models():
        field = next((f for f in model._meta.concrete_fields if f.name == "user" and f.is_relation), None)
        if field is None or field.related_model is not user_model:
            continue
        rows[model._meta.label] = list(model.objects.filter(user=user).order_by("pk").values())
    return rows


def user_files(user) -> dict[str, str]:
    """sha256 of every stored file A's rows point at ("missing" if it is gone)."""
    files = {}
    for model in apps.get_models():
        file_fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if not file_fields or not any(f.name == "user" for f in model._meta.concrete_fields):
            continue
        for row in model.objects.filter(user=user).values(*file_fields):
            for name in filter(None, row.values()):
                path = settings.MEDIA_ROOT / name
                files[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
    return files


def snapshot(user) -> tuple[dict, dict]:
    return user_rows(user), user_files(user)


