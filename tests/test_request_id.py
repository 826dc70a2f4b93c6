"""selective_speaker/request_id.py: X-Request-ID kept or made, returned, and in the log lines."""

from __future__ import annotations

import logging
import re

import pytest

from selective_speaker.request_id import RequestIdFilter, current_request_id, request_id_bound, stored_request_id


def test_it_returns_the_callers_request_id(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="proxy-7f3a.12:9")
    assert response["X-Request-ID"] == "proxy-7f3a.12:9"


@pytest.mark.parametrize("incoming", [None, "", "a b", "x" * 65, "<script>", "id\r\nSet-Cookie: a=b"])
def test_it_makes_a_new_id_for_a_missing_or_unsafe_one(client, incoming):
    extra = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}
    response = client.get("/health/live", **extra)
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_answer_carries_one_refusals_too(client):
    # refused before a byte of the body is read (request_limits.py), still with an id
    response = client.generic("POST", "/api/v1/chunks/", b"", CONTENT_TYPE="application/json", CONTENT_LENGTH="x")
    assert response.status_code == 400
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_log_lines_written_during_a_request_carry_its_id(client, monkeypatch):
    seen = []
    original = RequestIdFilter.filter

    def spy(self, record):
        original(self, record)
        seen.append((record.getMessage(), record.request_id))
        return True

    monkeypatch.setattr(RequestIdFilter, "filter", spy)
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("selective_speaker.health")
    logger.addHandler(handler)
    monkeypatch.setattr(
        "selective_speaker.health.CHECKS", {"database": lambda: (_ for _ in ()).throw(RuntimeError("db down"))}
    )
    try:
        client.get("/health", HTTP_X_REQUEST_ID="req-42")
    finally:
        logger.removeHandler(handler)
    assert ("health check database failed: db down", "req-42") in seen
    assert current_request_id() == "-"  # nothing leaks past the request


def test_a_job_binds_its_request_id_for_a_block_only():
    with request_id_bound("job-1") as bound:
        assert (bound, current_request_id(), stored_request_id()) == ("job-1", "job-1", "job-1")
        with request_id_bound("bad id\n"):
            assert current_request_id() == "-"  # an unsafe id never reaches a log line
    assert (current_request_id(), stored_request_id()) == ("-", "")
