"""The shared cache with a way down: Redis while it answers, this process's memory while it does not.

Its main users are the API's throttles (selective_speaker/api/throttling.py), which keep their
counters here; with a plain RedisCache a Redis outage turned every API call into a 500. Now a call
that meets a connection error or a timeout is answered by a per-process LocMemCache instead, and so
is every call of the next FALLBACK_RETRY_S seconds (Redis is not asked again until then, so an
outage costs each process one failed connection per period, bounded by the socket timeouts):

- reads (get, get_many, has_key) fail open: memory that does not hold a key answers "not cached";
- writes (set, add, incr, delete, …) go to memory: a throttle keeps counting, per process instead of
  across processes (with N web processes a client may get up to N times its rate during an outage).

What is written or deleted during an outage never reaches Redis: once Redis is back, its older
values are read again. Right for counters that expire within minutes; a cache that must be
invalidated reliably would need more than this. Sessions live in the database (SESSION_ENGINE is
Django's default) and login lockouts too (django-axes' database handler), not here.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any, ClassVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
MEMORY_MAX_ENTRIES = 10_000  # LocMemCache culls a third of its keys when full; counters for many clients


class RedisCacheWithFallback(RedisCache):
    """Django's RedisCache; while Redis is unreachable, a LocMemCache shared by the process's threads.

    Settings: CACHES[alias]["FALLBACK_RETRY_S"] (default 10), and OPTIONS["socket_timeout"], which
    bounds connecting as well as each call (unless socket_connect_timeout is given too), so that an
    unreachable or hung Redis costs little time.
    """

    # LOCATION → monotonic time before which Redis is not asked; one per process, every thread's object
    _down_until: ClassVar[dict[str, float]] = {}

    def __init__(self, server, params: dict) -> None:
        params = dict(params)
        self.fallback_retry_s = float(params.pop("FALLBACK_RETRY_S", 10.0))
        options = params["OPTIONS"] = dict(params.get("OPTIONS") or {})
        if "socket_timeout" in options:  # bounds connecting too, unless that has its own
            options.setdefault("socket_connect_timeout", options["socket_timeout"])
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        memory_params = {name: params[name] for name in ("TIMEOUT", "KEY_PREFIX", "VERSION") if name in params}
        memory_params["OPTIONS"] = {"MAX_ENTRIES": MEMORY_MAX_ENTRIES}
        # LocMemCache instances of one name share their storage: one fallback per Redis location.
        self._memory = LocMemCache(f"redis-fallback:{self._location}", memory_params)

    @classmethod
    def reset_outages(cls) -> None:
        """Forget every outage seen: the next call asks Redis again."""
        cls._down_until.clear()

    def _either(self, name: str, *args: Any) -> Any:
        down_until = self._down_until.get(self._location)
        if down_until is None or monotonic() >= down_until:
            try:
                result = getattr(super(), name)(*args)
            except UNAVAILABLE as error:
                if down_until is None:
                    log.warning("the cache's Redis is unavailable (%s): using this process's memory", error)
                self._down_until[self._location] = monotonic() + self.fallback_retry_s
            else:
                if self._down_until.pop(self._location, None) is not None:
                    log.warning("the cache's Redis answers again")
                return result
        return getattr(self._memory, name)(*args)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._either("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._either("delete", key, version)

    def get_many(self, keys, version=None):
        return self._either("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._either("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._either("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._either("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._either("delete_many", keys, version)

    def clear(self):
        return self._either("clear")
