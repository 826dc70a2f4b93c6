"""Wall-clock time per stage of a job (vad, embed, attribute, asr, total), in seconds."""

from __future__ import annotations

import time
from contextlib import contextmanager


class Timer:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - start, 4)
