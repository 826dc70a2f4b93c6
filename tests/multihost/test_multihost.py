"""The multi-host test (issue 12): worker hosts that share only the database, the broker and the
store; one of them is lost mid-run; every chunk is processed exactly once, its audio read from
the store and deleted from it as CHUNK_AUDIO_RETENTION=processed says.

The deployment (tests/faults_support/hosts.py): a web server and three worker hosts, each a
subprocess tree in a directory of its own (working directory, TMPDIR, VAR_DIR, MEDIA_ROOT),
with production's settings: PostgreSQL (the test database, by name), Redis (REDIS_URL_FOR_TESTS,
a queue of this test's own) and S3 (moto's server, in a thread of pytest's process). Each worker
host runs `manage.py qcluster` with one worker process and the stand-in engine of the fault
tests (the speech is not under test); the host killed later is the slower one (ENGINE_S_LOST),
so that it is surely inside a job when it goes.

A phone uploads UPLOADS different 1 s chunks through the API from three client threads
(tests/faults_support/traffic.py; no reads: the chaos suite covers them). Once the doomed host has done a few chunks, its
whole process group gets SIGKILL while it is inside the engine (a lost machine). The others go on;
then pytest plays the scheduler and the sweep until the work is done, and checks:

- every upload was accepted, every answer below 500, as one chunk of its own;
- every chunk is `done` exactly once: one stored result (its audit record has no earlier result),
  the stand-in engine's two utterances, no job reporting `done` twice; the lost host's chunk was
  taken over (a second attempt);
- each chunk's audio was written to the bucket once and is gone from it now (a delete marker on
  its one version; the bucket lists nothing), and no host kept a local copy;
- work was spread over the hosts (each took chunks).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
from rest_framework.authtoken.models import Token

from chunks.models import Chunk
from selective_speaker.jobs import schedules_sync
from tests.audio_samples import wav_bytes
from tests.chunks.test_faults import EXPECTED_TEXTS
from tests.factories import EnrollmentFactory, UserFactory
from tests.faults_support.books import done_reports_per_chunk, drain
from tests.faults_support.cluster import require_postgresql, wait_for
from tests.faults_support.hosts import start_deployment, start_s3_store
from tests.faults_support.stack import TIMINGS, wait_for_sessions_to_close
from tests.faults_support.traffic import Traffic, make_uploads
from utterances.models import Utterance

pytestmark = [pytest.mark.multihost, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

UPLOADS = 200
HOSTS = ("host-a", "host-b", "host-c")  # the last one is lost mid-run
ENGINE_S = 0.1  # the stand-in engine's time per chunk
ENGINE_S_LOST = 1.0  # ... on the host that is killed: long enough to be caught inside a job
LOST_AFTER = 3  # chunks the doomed host finishes before it goes
START = datetime(2024, 7, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def deployment(transactional_db, tmp_path, monkeypatch, settings):
    """The S3 store, the hosts (nothing started yet), and this process's django-q2 broker: the
    hosts' Redis queue, reached directly (the operator's side)."""
    require_postgresql("the hosts are subprocesses that open the test database by name")
    url = os.environ.get("REDIS_URL_FOR_TESTS")
    if not url:
        pytest.skip("set REDIS_URL_FOR_TESTS (a Redis database the tests may use): the hosts' broker")
    from django_q.brokers import redis_broker
    from django_q.conf import Conf

    for name, value in TIMINGS.items():
        if name.startswith("JOB_"):
            setattr(settings, name, value)  # the sweep this process runs uses the hosts' timings
    store = start_s3_store()
    hosts = start_deployment(tmp_path / "hosts", url, store)
    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "PREFIX", hosts.queue)  # jobs are signed with the cluster name as salt
    monkeypatch.setattr(Conf, "CLUSTER_NAME", hosts.queue)
    broker = redis_broker.Redis(list_key=hosts.queue)
    monkeypatch.setattr("django_q.tasks.get_broker", lambda list_key=None: broker)
    try:
        yield hosts, broker
    finally:
        hosts.stop()
        store.stop()
        wait_for_sessions_to_close()
        broker.delete_queue()


def test_it_processes_every_chunk_once_across_hosts_when_one_is_lost(deployment, capsys, record_property):
    hosts, broker = deployment
    began = time.monotonic()
    owner = UserFactory()
    token = Token.objects.create(user=owner)
    EnrollmentFactory(user=owner)  # a ready voiceprint: chunks are processed, not `waiting`
    schedules_sync()  # transactional tests flush the schedules: write them again, as migrate does
    hosts.start_web()
    *survivors, doomed = [
        hosts.start_worker_host(name, answer_after_s=ENGINE_S_LOST if name == HOSTS[-1] else ENGINE_S)
        for name in HOSTS
    ]
    hosts.wait_until_serving()
    uploads = make_uploads(UPLOADS, wav_bytes(1.0, seed=12), start=START)
    traffic = Traffic(hosts.web.base_url, token.key, uploads, reads=False).start()
    try:
        traffic.allow(UPLOADS)
        # the doomed host has done a few chunks and is inside the next one, uploads still coming
        wait_for(lambda: len(doomed.engine_calls()) > LOST_AFTER, timeout=60, what="the doomed host's jobs")
        sent_before_loss = traffic.taken()
        doomed.kill()
        wait_for(traffic.finished, timeout=120, what="every upload to get a final answer", details=hosts.web.log_tail)
    finally:
        traffic.stop()
    accepted = {u.chunk_id for u in uploads if u.chunk_id is not None}
    statuses = drain(accepted, broker)
    # retention (processed) drops each file just after its result is stored, the file before the row:
    # read the rows once every one of them is released, not while the last job is between the two
    wait_for(
        lambda: not Chunk.objects.filter(id__in=accepted).exclude(audio="").exists(),
        timeout=30,
        what="every chunk's audio to be released",
    )
    chunks = {c.id: c for c in Chunk.objects.all()}
    utterances = Counter(Utterance.objects.values_list("chunk_id", flat=True))
    written, deleted = hosts.store.history()
    listed = hosts.store.keys()
    engine_calls = {h.name: len(c.engine_calls()) for h, c in zip(hosts.hosts[1:], hosts.clusters, strict=True)}

    figures = {
        "uploads": UPLOADS,
        "sent_before_the_loss": sent_before_loss,
        "requests": len(traffic.replies),
        "answers": dict(sorted(Counter(f"{r.method} {r.status}" for r in traffic.replies).items())),
        "upload_s_median": round(sorted(r.elapsed_s for r in traffic.replies)[len(traffic.replies) // 2], 3),
        "chunks_done": sum(s == Chunk.Status.DONE for s in statuses.values()),
        "chunks_retried": sum(c.attempts > 1 for c in chunks.values()),
        "engine_calls_per_host": engine_calls,
        "objects_written": sum(written.values()),
        "objects_listed_at_the_end": len(listed),
        "seconds": round(time.monotonic() - began, 1),
    }
    with capsys.disabled():
        print("\nmulti-host figures:", json.dumps(figures, indent=1))
    for name in ("chunks_done", "chunks_retried", "seconds"):
        record_property(name, figures[name])

    # every upload accepted, once; nothing answered with a server error
    assert [r for r in traffic.replies if r.status >= 500 or r.status == 0] == []
    assert [u.index for u in uploads if u.final_status not in (200, 202)] == []
    assert len(accepted) == UPLOADS and set(chunks) == accepted
    assert 0 < sent_before_loss < UPLOADS  # the host was lost mid-run

    # every chunk done exactly once, the lost host's chunk taken over by another
    not_done = {i: (c.status, c.attempts, c.error) for i, c in chunks.items() if c.status != Chunk.Status.DONE}
    assert not_done == {}, f"{not_done}\n{survivors[0].log_tail()}"
    for chunk in chunks.values():
        assert (chunk.segments_count, chunk.error, chunk.processed_at is not None) == (2, "", True), chunk
        assert chunk.decision.get("change") is None, f"{chunk} stored a result over an earlier one"
        assert utterances[chunk.id] == len(EXPECTED_TEXTS), chunk
    assert Counter(Utterance.objects.values_list("text", flat=True)) == {text: UPLOADS for text in EXPECTED_TEXTS}
    assert max(done_reports_per_chunk().values(), default=0) <= 1
    assert figures["chunks_retried"] >= 1, "the lost host's chunk was not taken over"
    assert all(calls > 0 for calls in engine_calls.values()), engine_calls

    # the audio: written to the store once per chunk, read back from it (no host has a copy), gone now
    chunk_keys = {f"chunks/{owner.id}/{c.start_ts:%Y/%m/%d}/{c.audio_sha256}.wav" for c in chunks.values()}
    assert {key: n for key, n in written.items() if key.startswith("chunks/")} == dict.fromkeys(chunk_keys, 1)
    assert deleted == chunk_keys
    assert listed == set()
    assert all((c.audio.name, c.audio_deleted_at is not None) == ("", True) for c in chunks.values())
    assert {h.name: h.local_files() for h in hosts.hosts} == {h.name: [] for h in hosts.hosts}
