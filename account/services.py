"""Writes of the owner's account data: erase all of it, issue and revoke the API token, set the
owner's time zone.

Erasing is not closing the account: the login and the user row stay."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from account.models import AccountSettings
from account.selectors import user_owned_models
from account.time_zones import time_zone_validator
from chunks.models import Chunk, Location
from enrollment.models import Enrollment
from selective_speaker.audio_files import delete_stored_file

# --- erase --------------------------------------------------------------------------------


def account_erase(*, user) -> dict[str, int]:
    """Erase all of the owner's data: audio files first, then every owned row, then places no
    other chunk refers to. Returns how many of each were erased. StorageUnavailable when the
    file store fails part way: the rows are kept (those whose file is gone say so), and
    calling it again finishes the job."""
    files = 0
    for model in (Chunk, Enrollment):
        for row in model.objects.filter(user=user).exclude(audio="").only("id", "audio").iterator():
            delete_stored_file(row.audio)  # StorageUnavailable stops here, rows intact
            model.objects.filter(id=row.id).update(audio="")
            files += 1
    counts: dict[str, int] = {"files": files}
    with transaction.atomic():
        place_ids = set(Chunk.objects.filter(user=user, location__isnull=False).values_list("location_id", flat=True))
        # children before parents, so that each count is the model's own rows
        for model in sorted(user_owned_models(), key=lambda m: m in (Chunk, Enrollment)):
            _, per_model = model._default_manager.filter(user=user).delete()
            counts[model._meta.label_lower] = per_model.get(model._meta.label, 0)
        counts["places"] = Location.objects.filter(id__in=place_ids, chunks__isnull=True).delete()[0]
    return counts


# --- API tokens ---------------------------------------------------------------------------


def account_token_issue(*, user) -> Token:
    """The user's API token, made on first use (one per user)."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def account_token_revoke(*, user) -> bool:
    """Revoke the user's API token; False if there was none. The next issue makes a new key."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0


# --- the owner's settings -------------------------------------------------------------------


def account_time_zone_set(*, user, time_zone: str) -> None:
    """Show the owner's pages in `time_zone` (an IANA name; "" = the server's default zone).
    ValidationError for a name the tz database does not know; nothing is stored then."""
    if time_zone:
        time_zone_validator(time_zone)
    AccountSettings.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
