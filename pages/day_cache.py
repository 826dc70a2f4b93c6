"""Parts of a day's timeline page that are read from many rows but change only when the day's
recordings do — the day strip's hourly activity (every utterance of the day), the recording rows
(every chunk of the day) — kept in the cache under the day's version: a value that changes with
any of the day's recordings (pages/views_timeline.py: the owner, the zone, the day, the device
and chunks.selectors.chunk_changes_stamp of the day). A busy day (8,000 utterances in 1,300
recordings) is then read once per change, not on every view: about 15 ms a view.

A recording processed, failed, retried or deleted, an utterance deleted, another device's take
merged in: each changes the stamp, so the next view reads the day again. Entries of versions gone
by expire after DAY_CACHE_S.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")

DAY_CACHE_S = 24 * 3600


def day_cached(version: str, part: str, compute: Callable[[], T]) -> T:
    """compute(), or what it returned for this `part` of the day at this `version`."""
    key = f"timeline:day:{part}:{version}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, DAY_CACHE_S)
    return value
