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
from utterances.models import Utterance
from utterances.services import utterances_erase

# Rows deleted at a time when erasing (each table but the utterances, which go in one statement).
ERASE_BATCH = 2000

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
        # the largest table in one statement (utterances_erase says why), before the chunks
        counts[Utterance._meta.label_lower] = utterances_erase(user=user)
        # children before parents, so that each count is the model's own rows
        for model in sorted(user_owned_models(), key=lambda m: m in (Chunk, Enrollment)):
            if model is not Utterance:
                counts[model._meta.label_lower] = _delete_in_batches(model._default_manager.filter(user=user))
        counts["places"] = Location.objects.filter(id__in=place_ids, chunks__isnull=True).delete()[0]
    return counts


def _delete_in_batches(rows) -> int:
    """Delete `rows` ERASE_BATCH at a time (their delete signals run, as for one delete: a recording's
    file, webhook payloads), so that a year of recordings never sits in memory at once."""
    deleted = 0
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:ERASE_BATCH]):
        _, per_model = rows.model._default_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(rows.model._meta.label, 0)
    return deleted


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
