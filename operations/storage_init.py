"""`manage.py init_storage`: make the file store ready and prove this process may use it.

S3 (S3_BUCKET set): create the bucket when it is missing (S3_REGION as its location; an
S3-compatible store such as MinIO takes any), then write, read back and delete a probe object
under S3_PREFIX. Local (MEDIA_ROOT): create the directory, then the same probe. Idempotent: a
bucket or directory that exists is left as it is; the probe leaves nothing behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

PROBE_BYTES = b"selective-speaker storage probe"


class StorageInitError(Exception):
    """The store cannot be made ready, or this process may not write, read or delete in it."""


@dataclass(frozen=True)
class StorageInitResult:
    backend: str
    location: str  # bucket (and prefix) or directory
    created: bool  # the bucket or directory did not exist and was made now


def storage_init() -> StorageInitResult:
    storage = default_storage
    if hasattr(storage, "bucket_name"):
        created = _s3_bucket_ensure(storage)
        location = f"s3://{storage.bucket_name}/{storage.location}".rstrip("/")
    else:
        created = _directory_ensure(storage.location)
        location = str(storage.location)
    _probe(storage)
    return StorageInitResult(storage.__class__.__name__, location, created)


def _directory_ensure(location: str) -> bool:
    path = Path(location)
    if path.is_dir():
        return False
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageInitError(f"cannot create {path}: {exc.strerror or exc}") from exc
    return True


def _s3_bucket_ensure(storage) -> bool:
    """Create the bucket unless it exists; True when it was created."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = storage.connection.meta.client
    name = storage.bucket_name
    try:
        client.head_bucket(Bucket=name)
        return False
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise StorageInitError(f"bucket {name}: {code or exc}") from exc
    except BotoCoreError as exc:
        raise StorageInitError(f"bucket {name}: {exc}") from exc
    options = {"Bucket": name}
    region = client.meta.region_name
    if region and region != "us-east-1":  # us-east-1 refuses an explicit location
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        client.create_bucket(**options)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("BucketAlreadyOwnedByYou",):  # another host made it meanwhile
            return False
        raise StorageInitError(f"cannot create bucket {name}: {code or exc}") from exc
    return True


def _probe(storage) -> None:
    """Write, read back and delete one small file at the store's top (no folder left behind)."""
    saved = _step("write", lambda: storage.save(f"probe-{uuid.uuid4().hex}.txt", ContentFile(PROBE_BYTES)))
    try:
        data = _step("read", lambda: _read(storage, saved))
    finally:
        _step("delete", lambda: storage.delete(saved))
    if data != PROBE_BYTES:
        raise StorageInitError(f"{saved} read back different bytes")
    if _step("check", lambda: storage.exists(saved)):
        raise StorageInitError(f"{saved} is still there after delete")


def _read(storage, name: str) -> bytes:
    with storage.open(name, "rb") as handle:
        return handle.read()


def _step(what: str, action):
    try:
        return action()
    except Exception as exc:
        raise StorageInitError(f"cannot {what} in the store: {type(exc).__name__}: {exc}") from exc
