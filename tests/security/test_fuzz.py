"""Fuzz every API operation from its OpenAPI schema (schemathesis): no request gets a 5xx.

The schema is the document drf-spectacular serves at /api/schema/, built in-process. Every
operation becomes one pytest test that sends generated requests — schemathesis's examples,
coverage (boundary values) and fuzzing phases, valid and invalid inputs, FUZZ_MAX_EXAMPLES in
the fuzzing phase — through Django's WSGI handler as an owner with an API token, and checks
`not_a_server_error` on every answer. Generation is deterministic (fixed seed, no example
database): CI sends the same requests every run. SECURITY_FUZZ_EXAMPLES / SECURITY_FUZZ_SEED
make a deeper local run (e.g. 300 examples) without editing the file.

Uploads never reach the speech engine: jobs are queued in `transaction.on_commit`, and each test
runs inside a transaction that is rolled back (pytest-django's `db`), so nothing commits.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from tests.audio_samples import silent_wav_bytes, wav_bytes
from tests.factories import ChunkFactory, EnrollmentFactory, UserFactory, UtteranceFactory
from tests.security.openapi import openapi_schema

FUZZ_MAX_EXAMPLES = int(os.getenv("SECURITY_FUZZ_EXAMPLES", "25"))
FUZZ_SEED = int(os.getenv("SECURITY_FUZZ_SEED", "20240501"))

# Uploaded files (`format: binary`): mostly real audio — distinct bytes each time, so the upload
# is not answered as a duplicate — so generated metadata gets past the decoder to the code that
# stores the chunk; any bytes otherwise.
schemathesis.openapi.format(
    "binary",
    st.one_of(
        st.builds(lambda seed: wav_bytes(0.5, seed=seed), st.integers(min_value=0, max_value=2**32 - 1)),
        st.builds(silent_wav_bytes, st.sampled_from([0.2, 0.5, 1.0])),
        st.binary(),
    ),
)
schema = schemathesis.openapi.from_dict(openapi_schema())
schema.config.seed = FUZZ_SEED
schema.config.generation.update(max_examples=FUZZ_MAX_EXAMPLES, deterministic=True, database="none")

FUZZED_OPERATIONS = sorted(f"{op.ok().method.upper()} {op.ok().path}" for op in schema.get_all_operations())
WSGI_APP = WSGIHandler()


@pytest.fixture
def owner(db):
    """The owner the requests come from, with data of each kind (ids the fuzzer tries may exist)."""
    user = UserFactory()
    EnrollmentFactory(user=user)
    UtteranceFactory(chunk__user=user)
    ChunkFactory(user=user)
    return user


@pytest.fixture
def in_test_transaction():
    """Django's WSGI handler closes the database connection around each request (in a test,
    that would end the test's transaction); Django's test client turns that off, and so do we."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call_as(owner, case):
    # DELETE /api/v1/auth/token/ revokes the key: take the current one for every request.
    token, _ = Token.objects.get_or_create(user=owner)
    return case.call(app=WSGI_APP, headers={"Authorization": f"Token {token.key}"})


@schema.parametrize()
@hypothesis_settings(suppress_health_check=list(HealthCheck))  # the fixtures hold for every example, on purpose
def test_it_answers_every_generated_request_without_a_server_error(case, owner, in_test_transaction):
    case.validate_response(call_as(owner, case), checks=[not_a_server_error])


def test_it_fuzzes_every_operation_of_the_api():
    assert len(FUZZED_OPERATIONS) >= 14, FUZZED_OPERATIONS
    for operation in (
        "POST /api/v1/chunks/",
        "DELETE /api/v1/chunks/{chunk_id}/",
        "POST /api/v1/enrollments/",
        "GET /api/v1/utterances/",
        "DELETE /api/v1/me/data",
        "DELETE /api/v1/auth/token/",
    ):
        assert operation in FUZZED_OPERATIONS
    print(f"\nfuzz: {len(FUZZED_OPERATIONS)} operations, {FUZZ_MAX_EXAMPLES} fuzzing examples each, seed {FUZZ_SEED}")


def test_it_would_report_a_server_error(owner, in_test_transaction, monkeypatch):
    """The harness itself: an exception in a view reaches the check as a 500 and fails it."""

    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("chunks.api.chunk_list", broken)
    case = schema["/api/v1/chunks/"]["GET"].Case(query={})
    response = call_as(owner, case)
    assert response.status_code == 500
    with pytest.raises(FailureGroup):
        case.validate_response(response, checks=[not_a_server_error])
