"""The local file store with an outage switch that every process sees: while the file named by
STORE_OUTAGE_FLAG exists, each operation fails with an I/O error, as an unreachable store's do
(S3 down, a hard-mounted NFS server gone). For the chaos suite's web and worker subprocesses,
through tests/faults_support/chaos_settings.py; never used in production.

Why a switch and not the file system: `chmod` cannot take a directory away from a root process,
and a local directory that goes away (an unmounted volume, lost permissions) makes `exists()`
answer False rather than fail, which `read_stored_audio` takes for a file gone for good: the
job then fails the chunk at once ("the audio file is missing from storage"). That is a case of
its own; this switch plays a store that is down and says so.
"""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from pathlib import Path

from selective_speaker.storage import FileSystemStorage

FLAG_ENV = "STORE_OUTAGE_FLAG"


def store_down() -> bool:
    flag = os.environ.get(FLAG_ENV)
    return bool(flag) and os.path.exists(flag)


def _check() -> None:
    if store_down():
        raise OSError(errno.EIO, "Input/output error (the store is cut)")


class OutageFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        _check()
        return super()._save(name, content)

    def _open(self, name, mode="rb"):
        _check()
        return super()._open(name, mode)

    def exists(self, name):
        _check()
        return super().exists(name)

    def delete(self, name):
        _check()
        return super().delete(name)

    def size(self, name):
        _check()
        return super().size(name)

    def listdir(self, path):
        _check()
        return super().listdir(path)


class StoreSwitch:
    """The test's side of the switch: `cut()` and `restore()` the store of every process whose
    environment holds `env`."""

    def __init__(self, flag: Path) -> None:
        self.flag = flag

    @property
    def env(self) -> dict[str, str]:
        return {FLAG_ENV: str(self.flag)}

    def cut(self) -> None:
        self.flag.touch()

    def restore(self) -> None:
        with suppress(FileNotFoundError):
            self.flag.unlink()
