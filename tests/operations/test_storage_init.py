"""operations/storage_init.py: the bucket or directory is made when missing, proven writable, left clean."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from operations.storage_init import StorageInitError, storage_init


def s3_storages(settings, *, region: str) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "speaker-ops-test",
                "region_name": region,
                "access_key": "test",
                "secret_key": "test",
                "location": "prefix",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }


def test_it_creates_the_local_directory_once_and_leaves_nothing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not" / "there"
    first = storage_init()
    assert first.created and first.location == str(tmp_path / "not" / "there")
    assert list((tmp_path / "not" / "there").iterdir()) == []  # the probe went, and no folder stayed
    assert storage_init().created is False


def test_it_says_why_when_the_store_refuses_a_write(settings, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr("django.core.files.storage.FileSystemStorage._save", refuse)
    with pytest.raises(StorageInitError, match="cannot write in the store: PermissionError"):
        storage_init()


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_it_creates_the_bucket_once_and_leaves_nothing(settings, region):
    with mock_aws():
        s3_storages(settings, region=region)
        first = storage_init()
        assert first.created and first.location == "s3://speaker-ops-test/prefix"
        client = boto3.client("s3", region_name=region)
        assert client.list_objects_v2(Bucket="speaker-ops-test").get("KeyCount") == 0
        if region != "us-east-1":
            assert client.get_bucket_location(Bucket="speaker-ops-test")["LocationConstraint"] == region
        assert storage_init().created is False


def test_it_refuses_a_bucket_it_may_not_use(settings, monkeypatch):
    from botocore.exceptions import ClientError

    def forbidden(**kwargs):
        raise ClientError({"Error": {"Code": "403", "Message": "Forbidden"}}, "HeadBucket")

    with mock_aws():
        s3_storages(settings, region="us-east-1")
        from django.core.files.storage import default_storage

        monkeypatch.setattr(default_storage.connection.meta.client, "head_bucket", forbidden)
        with pytest.raises(StorageInitError, match="bucket speaker-ops-test: 403"):
            storage_init()
