"""The orphan-file sweep: stored audio files that no row points at, deleted after a grace period.

An upload's file is stored before its row is inserted (selective_speaker/audio_files.py,
`save_with_stored_audio`). When the database goes away during that insert and cannot say
whether the row was committed, the file is kept — deleting it under a row that was committed
would lose the owner's audio for good — and the client's retry stores the same bytes again
under another name. A file whose row was deleted while the store was failing is left behind
the same way. Such files cost only space; this sweep (a periodic job of each app that stores
audio) finds them and deletes them.

A file is an orphan when it lies under the app's prefix, no row's `audio` names it, and it is
older than the grace period (`AUDIO_ORPHAN_GRACE_S`): a younger one may belong to an upload
whose row is being inserted now. Rows are looked up in batches, and a file's age is asked only
of the unreferenced ones (one request per file on S3). A store that cannot tell a file's age
keeps it; a database or store error stops the sweep until its next run.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models import Model
from django.utils import timezone

from selective_speaker.audio_files import storage_errors

log = logging.getLogger(__name__)

BATCH = 500


def sweep_model_orphans(model: type[Model], *, prefix: str, now: datetime | None = None) -> int:
    """Delete the orphans under `prefix` among the files of `model.audio` (whose `upload_to`
    puts every file under `prefix`), with the configured grace period."""
    field = model._meta.get_field("audio")

    def referenced(names: list[str]) -> Iterable[str]:
        return model._base_manager.filter(audio__in=names).values_list("audio", flat=True)

    deleted = sweep_orphan_files(
        storage=field.storage,
        prefix=prefix,
        referenced=referenced,
        grace=timedelta(seconds=settings.AUDIO_ORPHAN_GRACE_S),
        now=now,
    )
    if deleted:
        log.info("orphan sweep: deleted %s files under %s/ that no %s points at", deleted, prefix, model.__name__)
    return deleted


def sweep_orphan_files(
    *,
    storage: Storage,
    prefix: str,
    referenced: Callable[[list[str]], Iterable[str]],
    grace: timedelta,
    now: datetime | None = None,
) -> int:
    """Delete the files under `prefix` in `storage` that `referenced` does not name and that
    were last modified before `now - grace`. `referenced(names)` returns those of `names` that a
    row points at. Returns how many files were deleted."""
    cutoff = (now or timezone.now()) - grace
    deleted = 0
    names = stored_names(storage, prefix)
    while batch := list(islice(names, BATCH)):
        kept = set(referenced(batch))
        for name in batch:
            if name in kept or not _older_than(storage, name, cutoff):
                continue
            storage.delete(name)
            log.warning("deleted %s: no row points at it (an upload whose commit was in doubt?)", name)
            deleted += 1
    return deleted


def stored_names(storage: Storage, prefix: str) -> Iterator[str]:
    """Every file's name under the directory `prefix` (recursively); none when it is missing."""
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(prefix, name)
    for directory in sorted(directories):
        yield from stored_names(storage, posixpath.join(prefix, directory))


def _older_than(storage: Storage, name: str, cutoff: datetime) -> bool:
    try:
        modified = storage.get_modified_time(name)
    except NotImplementedError:
        return False  # no way to tell an upload in flight from an orphan: keep it
    except storage_errors():
        if not storage.exists(name):
            return False  # gone meanwhile (deleted with its row)
        raise
    if timezone.is_naive(modified):
        modified = timezone.make_aware(modified, timezone.get_default_timezone())
    return modified < cutoff
