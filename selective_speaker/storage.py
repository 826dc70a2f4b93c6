"""The local file store (when S3 is not configured).

Django's FileSystemStorage leaves a part-written file behind when a write fails half-way (disk
full, I/O error): the upload is refused with 503 and no row points at the file, so nothing would
ever delete it. This one removes it.
"""

from __future__ import annotations

import logging
import os
import threading

from django.core.files.storage import FileSystemStorage as DjangoFileSystemStorage

log = logging.getLogger(__name__)


class FileSystemStorage(DjangoFileSystemStorage):
    # The file a save in this thread is writing: `_save` asks `path()` for the path of each
    # name it tries and writes the last one; a name taken meanwhile (FileExistsError) moves it on
    # to a new name, so the last path is always one that this save created.
    _writing = threading.local()

    def path(self, name: str) -> str:
        full_path = super().path(name)
        self._writing.path = full_path
        return full_path

    def _save(self, name, content):
        self._writing.path = None
        try:
            return super()._save(name, content)
        except OSError:
            partial = self._writing.path
            if partial and os.path.isfile(partial):
                try:
                    os.remove(partial)
                except OSError:
                    log.exception("could not remove the part-written file %s", partial)
            raise
        finally:
            self._writing.path = None
