"""A file store failing the way the services meet it, for the fault tests."""

from __future__ import annotations

import errno
import os

import pytest

FILESYSTEM = "django.core.files.storage.FileSystemStorage"


class _DiskFillsUp:
    """`os` as Django's FileSystemStorage sees it, on a disk that fills up half-way through
    writing a file: the file exists, part-written, when the error comes."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(fd, mode):
        return _HalfWritten(os.fdopen(fd, mode))


class _HalfWritten:
    def __init__(self, file):
        self._file = file

    def write(self, data):
        self._file.write(data[: len(data) // 2])
        self._file.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self._file.close()


def _raise(error: BaseException):
    def fail(*args, **kwargs):
        raise error

    return fail


def _s3_unreachable() -> BaseException:
    from botocore.exceptions import EndpointConnectionError

    return EndpointConnectionError(endpoint_url="https://s3.example.org/bucket")


# how an upload's write fails: name -> break(monkeypatch)
WRITE_FAULTS = {
    "refused": lambda m: m.setattr(f"{FILESYSTEM}._save", _raise(OSError(errno.EIO, "Input/output error"))),
    "disk-full-mid-write": lambda m: m.setattr("django.core.files.storage.filesystem.os", _DiskFillsUp()),
    "s3-unreachable": lambda m: m.setattr(f"{FILESYSTEM}._save", _raise(_s3_unreachable())),
}

# how reading a stored file back fails in a job: name -> break(monkeypatch)
READ_FAULTS = {
    "io-error": lambda m: m.setattr(f"{FILESYSTEM}.exists", _raise(OSError(errno.EIO, "Input/output error"))),
    "s3-unreachable": lambda m: m.setattr(f"{FILESYSTEM}.exists", _raise(_s3_unreachable())),
}

write_faults = pytest.mark.parametrize("write_fault", list(WRITE_FAULTS))
read_faults = pytest.mark.parametrize("read_fault", list(READ_FAULTS))
