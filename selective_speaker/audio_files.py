"""Audio files: the checks every upload goes through before anything is stored, and reading a
stored file back for the worker.

Enrollment and chunk ingest share the checks: a size limit (413), a checksum for deduplication,
and a decode so that garbage, empty, truncated or over-long audio is refused with a readable
reason on the `audio` field (400) — for an enrollment a full decode with the speech engine's
decoder, for a chunk the bounded probe of selective_speaker/audio_probe.py (the worker's full
decode judges the rest, and fails the chunk with its reason); and the insert of the row after
its file (`save_with_stored_audio`), which never deletes the file of a committed row.
"""

from __future__ import annotations

import errno
import hashlib
import io
import logging
import os
import re
import struct
import wave
from contextlib import suppress

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile

from selective_speaker.audio_probe import probe_audio
from selective_speaker.speech.audio import AudioInfo, decode_audio
from selective_speaker.speech.types import SAMPLE_RATE, AudioError, RejectionCode

log = logging.getLogger(__name__)

# What PyAV calls a container → the extension the stored file gets (never the client's).
CONTAINER_EXTENSIONS = {
    "wav": "wav",
    "flac": "flac",
    "ogg": "ogg",
    "mp3": "mp3",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
    "matroska,webm": "webm",
    "aac": "aac",
    "caf": "caf",
    "aiff": "aiff",
    "amr": "amr",
}


class UploadTooLarge(Exception):
    """The upload is bigger than the configured limit (HTTP 413)."""

    def __init__(self, *, size: int, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(f"the file is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB")


class StorageUnavailable(Exception):
    """The file store refused the upload; nothing was kept and the client may retry (HTTP 503)."""


class StoreNotThere(OSError):
    """The local file store's directory is missing, unreadable or empty (a volume not mounted):
    an outage, which every reader of stored files takes as a storage error (a job retries)."""


def storage_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the storage backend failed, not our code."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # S3 support not installed
        pass
    else:
        errors += [BotoCoreError, ClientError]
    return tuple(errors)


def save_with_stored_audio(row: Model) -> None:
    """Insert `row`, whose `audio` file is in the store already, in a transaction of its own.

    When that fails the error goes on to the caller (a database outage answers 503) and the file
    is deleted — only where no committed row can point at it. The commit itself can fail after
    the row was written (the connection lost with its acknowledgement), so then the row is
    looked up on a fresh connection: there, the upload is accepted after all and nothing is
    raised; not there, the file goes; the database cannot tell (down), the file stays and the
    client's retry finds the row or stores the file again. An orphan file only costs space until
    the orphan sweep deletes it (orphan_files.py); a file deleted under an accepted row is lost
    for good.
    """
    try:
        with transaction.atomic():
            row.save()
    except BaseException as exc:
        committed = _row_committed(row)
        label = f"{type(row).__name__} {row.pk}"
        if committed and isinstance(exc, Exception):
            log.warning("%s: its commit reported %r, but the row is stored: accepted", label, exc)
            return
        if committed is False:
            try:
                row.audio.delete(save=False)
            except storage_errors():
                log.exception("%s was not stored; deleting its file %s failed", label, row.audio.name)
        else:
            log.error("%s may have been stored: its file %s is kept", label, row.audio.name)
        raise


def _row_committed(row: Model) -> bool | None:
    """Whether `row`, whose save just failed, is in the database as other sessions see it;
    None when the database cannot tell now."""
    if row.pk is None:
        return False  # the INSERT never answered: its transaction cannot have committed
    alias = router.db_for_write(type(row), instance=row)
    database = connections[alias]
    if database.in_atomic_block:
        return False  # a savepoint in the caller's transaction: rolled back (or all of it will be)
    with suppress(DatabaseError):
        database.close()  # a fresh session: the failed one may be broken half-way
    try:
        return type(row)._base_manager.using(alias).filter(pk=row.pk, audio=row.audio.name).exists()
    except DatabaseError:
        log.warning("cannot tell whether %s %s was stored", type(row).__name__, row.pk, exc_info=True)
        return None


def delete_stored_file(stored: FieldFile) -> None:
    """Delete a stored file (nothing to do when there is none, or it is gone already).
    StorageUnavailable when the store fails: the caller keeps the row that points at it."""
    if not stored:
        return
    try:
        stored.storage.delete(stored.name)
    except storage_errors() as exc:
        raise StorageUnavailable(f"could not delete {stored.name}: {exc}") from exc


def delete_file_when_row_deleted(sender, instance, **kwargs) -> None:
    """post_delete receiver for models with an `audio` file: once the deletion commits, the
    file goes too — whichever way the row was deleted (service, admin, a user's cascade). A
    store failure is logged with the file's name (services delete the file first and report
    such failures to the client)."""
    stored = instance.audio
    if not stored:
        return
    storage, name = stored.storage, stored.name

    def delete() -> None:
        try:
            storage.delete(name)
        except storage_errors():
            log.exception("could not delete %s of a deleted %s", name, sender.__name__)

    transaction.on_commit(delete, robust=True)


def check_upload_size(upload: File, *, max_bytes: int) -> None:
    if upload.size is not None and upload.size > max_bytes:
        raise UploadTooLarge(size=upload.size, limit=max_bytes)


def file_sha256(upload: File) -> str:
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    upload.seek(0)
    return digest.hexdigest()


def check_audio(upload: File, *, max_duration_ms: int, bounded: bool = False) -> AudioInfo:
    """Decode the whole upload — or, `bounded`, probe it (its header, first and last half second;
    the whole only where that cannot tell) — ValidationError on `audio` with the reason."""
    if not upload.size:
        raise ValidationError({"audio": "the file is empty"}, code="invalid_audio")
    if hasattr(upload, "temporary_file_path"):
        source = upload.temporary_file_path()
    else:
        source = getattr(upload, "file", upload)
    try:
        _check_wav_complete(upload)
        _check_ogg_complete(upload)
        info = probe_audio(source, max_duration_ms=max_duration_ms) if bounded else None
        if info is None:
            _, info = decode_audio(source, max_duration_ms=max_duration_ms)
    except AudioError as exc:
        raise ValidationError({"audio": exc.reason}, code="invalid_audio") from exc
    finally:
        upload.seek(0)
    return info


# Streaming writers leave these in the data chunk's size while recording.
_UNKNOWN_WAV_SIZES = (0, 0xFFFFFFFF)
_WAV_TOLERANCE_S = 0.25


def _check_wav_complete(upload: File) -> None:
    """AudioError when a WAV's data chunk declares more bytes than the file holds.

    FFmpeg derives a WAV's duration from the file size, so the decoder alone cannot tell a
    cut-off upload from a short recording.
    """
    upload.seek(0)
    head = upload.read(65536)
    upload.seek(0)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return
    offset, byte_rate = 12, 0
    while offset + 8 <= len(head):
        chunk_id, size = head[offset : offset + 4], struct.unpack("<I", head[offset + 4 : offset + 8])[0]
        if chunk_id == b"fmt " and offset + 20 <= len(head):
            byte_rate = struct.unpack("<I", head[offset + 16 : offset + 20])[0]
        if chunk_id == b"data":
            if size in _UNKNOWN_WAV_SIZES or not byte_rate:
                return
            available = upload.size - (offset + 8)
            if available < size - byte_rate * _WAV_TOLERANCE_S:
                raise AudioError(
                    f"the file is truncated: it declares {size / byte_rate:.1f} s "
                    f"but holds {max(available, 0) / byte_rate:.1f} s"
                )
            return
        offset += 8 + size + (size & 1)


_OGG_PAGE_HEADER = 27


def _check_ogg_complete(upload: File) -> None:
    """AudioError when an Ogg file stops inside a page (only the page headers are read).

    Ogg declares no total duration (the decoder takes it from the last page it finds), so a
    transfer cut short would otherwise pass as a shorter recording. A file that ends after a
    whole page without the end-of-stream flag is what a recorder that died leaves: like a
    streaming WAV, it is kept for what it holds.
    """
    upload.seek(0)
    if upload.read(4) != b"OggS":
        upload.seek(0)
        return
    offset = 0
    try:
        while offset < upload.size:
            upload.seek(offset)
            header = upload.read(_OGG_PAGE_HEADER)
            if header[:4] != b"OggS":
                return  # not a page boundary we understand: the decoder judges the rest
            lacing = upload.read(header[26]) if len(header) == _OGG_PAGE_HEADER else b""
            offset += _OGG_PAGE_HEADER + len(lacing) + sum(lacing)
            if len(header) < _OGG_PAGE_HEADER or len(lacing) < header[26] or offset > upload.size:
                raise AudioError("the file is truncated: its last Ogg page is incomplete")
    finally:
        upload.seek(0)


def audio_extension(info: AudioInfo) -> str:
    """The stored file's extension, from what the decoder found (the client's name is not trusted)."""
    known = CONTAINER_EXTENSIONS.get(info.container)
    if known:
        return known
    first = re.sub(r"[^a-z0-9]", "", info.container.split(",")[0].lower())[:8]
    return first or "bin"


def read_stored_audio(stored: FieldFile, *, max_duration_ms: int) -> np.ndarray:
    """Decode a stored upload to 16 kHz mono. AudioError (permanent) when the file is gone or
    unusable; storage outages raise the backend's own (transient) errors, and StoreNotThere
    (an OSError) when the local store is not there to look in."""
    if not stored or not stored.storage.exists(stored.name):
        if stored:
            check_store_there(stored.storage)
        raise AudioError("the audio file is missing from storage", code=RejectionCode.AUDIO_MISSING)
    try:
        source = stored.path  # local storage: let FFmpeg read the file itself
    except NotImplementedError:
        with stored.open("rb") as handle:
            source = handle.read()
    return decode_audio(source, max_duration_ms=max_duration_ms)[0]


def check_store_there(storage: Storage) -> None:
    """StoreNotThere when a local store's directory is missing, unreadable or empty.

    A local directory that went away (an unmounted volume, lost permissions) makes `exists()`
    answer False rather than fail: a file missing from it says nothing about the file. A store
    that holds rows' files is never empty, so an empty one is a mount point without its volume.
    A remote store (S3) raises its own errors when it is down; a key it lacks is really missing.
    """
    if not isinstance(storage, FileSystemStorage):
        return
    root = storage.location
    try:
        with os.scandir(root) as entries:
            if next(entries, None) is not None:
                return
        problem, code = "is empty (a volume not mounted?)", errno.ENOENT
    except OSError as exc:
        problem, code = f"cannot be read ({exc.strerror})", exc.errno or errno.EIO
    raise StoreNotThere(code, f"the file store {root} {problem}")


def wav_clip(stored: FieldFile, *, start_ms: int, end_ms: int, max_duration_ms: int) -> bytes:
    """The part [start_ms, end_ms) of a stored upload as a 16 kHz mono 16-bit PCM WAV file.

    The stored audio is decoded with the speech engine's decoder (as the worker reads it), and
    the range is clamped to the audio: a range past the end gives a WAV with no samples.
    Raises what read_stored_audio raises: AudioError when the file is missing or undecodable,
    the storage backend's own errors during an outage.
    """
    samples = read_stored_audio(stored, max_duration_ms=max_duration_ms)
    first = min(max(start_ms, 0) * SAMPLE_RATE // 1000, samples.size)
    last = min(max(end_ms, 0) * SAMPLE_RATE // 1000, samples.size)
    clip = samples[first:max(first, last)]
    pcm = (np.clip(clip, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
