"""selective_speaker/cache.py: a Redis outage degrades the cache to this process's memory, never to a 500.

The API's throttles keep their counters in the cache. With Redis down they count in a per-process
memory cache instead: reads are served, writes are still limited (per process), nothing answers 500.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.throttling import SimpleRateThrottle

from selective_speaker.cache import RedisCacheWithFallback
from tests.conftest import token_client
from tests.factories import UtteranceFactory

ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT = "redis://127.0.0.1:6390/0"  # nothing listens there


def redis_cache(location: str, **params) -> dict:
    return {
        "default": {
            "BACKEND": "selective_speaker.cache.RedisCacheWithFallback",
            "LOCATION": location,
            "OPTIONS": {"socket_timeout": 0.5},
            **params,
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = redis_cache(CLOSED_PORT)
    RedisCacheWithFallback.reset_outages()
    cache.clear()  # the process's fallback memory: nothing left from another test
    yield
    cache.clear()
    RedisCacheWithFallback.reset_outages()


@pytest.fixture
def rates(monkeypatch):
    def set_rates(**given: str) -> None:
        limits = {"user": "1000/minute", "anon": "1000/minute", "ip": "1000/minute", **given}
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", limits)

    return set_rates


def test_it_serves_api_reads_while_redis_is_down(user, redis_down):
    UtteranceFactory(chunk__user=user, text="still here")

    response = token_client(user).get("/api/v1/utterances/", REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 200, response.content
    assert [item["text"] for item in response.json()["results"]] == ["still here"]


def test_it_takes_uploads_while_redis_is_down(user, redis_down, make_wav):
    upload = {"audio": make_wav(1.0), "device_id": "phone-1", "start_ts": "2024-05-01T10:00:00Z"}

    response = token_client(user).post("/api/v1/chunks/", upload, format="multipart", REMOTE_ADDR="10.0.0.1")

    assert response.status_code == 202, response.content


def test_it_still_limits_each_client_in_this_process_while_redis_is_down(user, redis_down, rates):
    rates(user="2/minute")
    client = token_client(user)

    answers = [client.get("/api/v1/utterances/", REMOTE_ADDR="10.0.0.1") for _ in range(3)]

    assert [response.status_code for response in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) >= 1


def test_it_answers_from_memory_and_stops_asking_redis_for_a_while(settings, monkeypatch):
    settings.CACHES = redis_cache(CLOSED_PORT, FALLBACK_RETRY_S=30)
    RedisCacheWithFallback.reset_outages()
    tries = []
    real_get = RedisCache.get
    monkeypatch.setattr(RedisCache, "get", lambda self, *args, **kw: tries.append(args) or real_get(self, *args, **kw))
    clock = [1000.0]
    monkeypatch.setattr("selective_speaker.cache.monotonic", lambda: clock[0])

    assert cache.get("k", "default") == "default"
    cache.set("k", "v")
    assert cache.get("k") == "v"
    assert cache.add("n", 1) is True
    assert cache.incr("n") == 2
    assert cache.get_many(["k", "n"]) == {"k": "v", "n": 2}
    assert len(tries) == 1  # the first call found Redis down; the others went straight to memory

    clock[0] += 31
    assert cache.get("k") == "v"
    assert len(tries) == 2  # tried again after FALLBACK_RETRY_S
    RedisCacheWithFallback.reset_outages()


def test_it_falls_back_within_the_timeout_when_redis_hangs(settings):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.CACHES = redis_cache(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", OPTIONS={"socket_timeout": 0.2})
        RedisCacheWithFallback.reset_outages()
        started = time.monotonic()

        cache.set("k", "v")
        assert cache.get("k") == "v"

        assert time.monotonic() - started < 2
        RedisCacheWithFallback.reset_outages()


def test_it_shares_the_memory_fallback_between_cache_objects_of_one_process(redis_down):
    caches["default"].set("shared", 1)

    other = RedisCacheWithFallback(CLOSED_PORT, {"OPTIONS": {"socket_timeout": 0.5}})

    assert other.get("shared") == 1


def test_it_lets_other_errors_through(redis_down, monkeypatch):
    def broken(self, *args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(RedisCache, "get", broken)
    RedisCacheWithFallback.reset_outages()  # Redis is asked, and answers with a bug

    with pytest.raises(ValueError):
        cache.get("k")


def test_it_uses_redis_while_redis_is_up(settings):
    url = os.environ.get("REDIS_URL_FOR_TESTS")
    if not url:
        pytest.skip("set REDIS_URL_FOR_TESTS (a Redis database the tests may use) to run this against Redis")
    settings.CACHES = redis_cache(url)
    RedisCacheWithFallback.reset_outages()
    plain = RedisCache(url, {})
    try:
        cache.set("cache-test-key", "in redis", 30)
        assert plain.get("cache-test-key") == "in redis"
    finally:
        plain.delete("cache-test-key")


def test_it_is_the_cache_settings_choose_with_redis_url():
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps(s.CACHES['default'], default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "selective_speaker.settings",
            "REDIS_URL": CLOSED_PORT,
            "REDIS_CACHE_TIMEOUT_S": "0.25",
            "CACHE_FALLBACK_RETRY_S": "5",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    default = json.loads(result.stdout.strip().splitlines()[-1])
    assert default["BACKEND"] == "selective_speaker.cache.RedisCacheWithFallback"
    assert default["LOCATION"] == CLOSED_PORT
    assert default["FALLBACK_RETRY_S"] == 5.0
    assert default["OPTIONS"] == {"socket_timeout": 0.25}  # connecting too (RedisCacheWithFallback)


def test_it_raises_redis_connection_errors_as_redis_does():
    """The control: the plain RedisCache does raise for a closed port (what the fallback catches)."""
    with pytest.raises(RedisConnectionError):
        RedisCache(CLOSED_PORT, {}).get("k")
