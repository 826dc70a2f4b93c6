"""The chaos suite (issue 11): outages during a stream of uploads and reads, then the books.

The service runs as in production, on one machine: a web server and two worker clusters, each a
subprocess, reach PostgreSQL and Redis (broker and cache) only through TCP proxies that the test
cuts, and share a local file store that the test can cut too (tests/faults_support/stack.py says
why the web tier is a subprocess). The workers' engine is the stand-in of the other fault tests
(tests/faults_support/worker.py), answering after ENGINE_S: the real one is too slow for 200
chunks on 2 cores, and the speech is not under test here.

A phone uploads UPLOADS different 1 s chunks and the owner reads the API from three client
threads (tests/faults_support/traffic.py); a 503 or 429 is sent again a moment later. In turn,
each while the stream goes on: Redis is cut, PostgreSQL is cut (web and workers), the store is
cut, a worker cluster is killed with SIGKILL in the middle of a chunk and another is started,
and every byte to PostgreSQL and Redis is delayed. Then everything is restored, the operator
runs the scheduler and the sweep (what each cluster's guard does every 30 s) until the work is
done, then the orphan-file sweep (with no grace), and the test checks:

- every answer was below 500, or a 503 with Retry-After (and none went unanswered);
- every upload was accepted in the end, and the database holds exactly the accepted chunks;
- every accepted chunk is `done` exactly once: one stored result (its audit record has no
  earlier result), the stand-in engine's two utterances, no job reporting `done` twice;
- no stored file is missing, none is orphaned (every file belongs to a row): the orphan sweep
  deleted the files of uploads whose commit was in doubt, and no file a row points at.

The figures (requests, answers, faults, chunks accepted and lost) are printed and kept as the
test's properties (JUnit XML). Job timings are production's, scaled down (stack.TIMINGS).

Cuts here reset connections (a server that is down). A black hole (`TcpProxy.cut(blackhole=True)`,
a partition) is not in the stream: with no connect timeout on the database connection, a request
then waits as long as its client does instead of answering 503.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from rest_framework.authtoken.models import Token

from chunks.models import Chunk
from chunks.services import chunk_sweep_orphan_files
from enrollment.models import Enrollment
from enrollment.services import enrollment_sweep_orphan_files
from selective_speaker.jobs import schedules_sync
from tests.audio_samples import wav_bytes
from tests.chunks.test_faults import EXPECTED_TEXTS
from tests.factories import EnrollmentFactory, UserFactory
from tests.faults_support.books import done_reports_per_chunk, drain, failed_jobs, stored_files
from tests.faults_support.cluster import require_postgresql, wait_for
from tests.faults_support.stack import TIMINGS, Stack, start_stack, wait_for_sessions_to_close
from tests.faults_support.traffic import READ_PATHS, Traffic, make_uploads
from utterances.models import Utterance

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

UPLOADS = 200
WARM_UP = 20  # uploads before the first fault; then FAULT_EVERY more between faults
FAULT_EVERY = 30
FAULT_MIN_S = 1.5  # a fault lasts at least this long ...
FAULT_MIN_REPLIES = 15  # ... and until the clients have had this many answers during it
LATENCY_MS = 10  # the slow network: each block of bytes, each way
ENGINE_S = 0.2  # the stand-in engine's time per chunk
START = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def chaos(transactional_db, tmp_path, monkeypatch, settings):
    """The stack (nothing started behind its proxies yet), and this process's django-q2 broker:
    the workers' Redis queue, reached directly (the operator's side of the service)."""
    require_postgresql("the web server and the workers are subprocesses that open the test database by name")
    url = os.environ.get("REDIS_URL_FOR_TESTS")
    if not url:
        pytest.skip("set REDIS_URL_FOR_TESTS (a Redis database the tests may use): the chaos suite cuts Redis")
    from django_q.brokers import redis_broker
    from django_q.conf import Conf

    for name, value in TIMINGS.items():
        if name.startswith("JOB_"):
            setattr(settings, name, value)  # the sweep this process runs uses the workers' timings
    stack = start_stack(tmp_path / "chaos", url)
    monkeypatch.setattr(Conf, "REDIS", url)
    monkeypatch.setattr(Conf, "PREFIX", stack.queue)  # jobs are signed with the cluster name as salt
    monkeypatch.setattr(Conf, "CLUSTER_NAME", stack.queue)
    broker = redis_broker.Redis(list_key=stack.queue)
    monkeypatch.setattr("django_q.tasks.get_broker", lambda list_key=None: broker)
    try:
        yield stack, broker
    finally:
        stack.stop()
        wait_for_sessions_to_close()
        broker.delete_queue()


# --- the faults -------------------------------------------------------------------------------


@dataclass
class Fault:
    name: str
    seconds: float
    requests: int
    answers: dict[str, int]


def kill_a_worker_mid_chunk(stack: Stack) -> None:
    """SIGKILL a whole cluster once its worker is inside the engine (a lost machine)."""
    victim = stack.live_clusters()[0]
    calls = len(victim.engine_calls())
    wait_for(lambda: len(victim.engine_calls()) > calls, timeout=30, what="a job in the cluster to kill")
    victim.kill()


FAULTS = [  # name, start, end
    ("broker", lambda s: s.redis.cut(), lambda s: s.redis.restore()),
    ("database", lambda s: s.postgresql.cut(), lambda s: s.postgresql.restore()),
    ("store", lambda s: s.store.cut(), lambda s: s.store.restore()),
    ("worker", kill_a_worker_mid_chunk, lambda s: s.start_cluster(answer_after_s=ENGINE_S)),
    (
        "latency",
        lambda s: (s.postgresql.delay(LATENCY_MS), s.redis.delay(LATENCY_MS)),
        lambda s: (s.postgresql.restore(), s.redis.restore()),
    ),
]


def a_chunk_in_progress() -> bool:
    return Chunk.objects.filter(status=Chunk.Status.PROCESSING).exists()


def inject_faults(stack: Stack, traffic: Traffic) -> list[Fault]:
    """Each fault in turn, once the clients have sent the uploads before it (and, for the
    database and the store, once a worker is in the middle of a chunk): half of the next
    FAULT_EVERY uploads are let go while it lasts, the other half after it."""
    done = []
    boundary = WARM_UP
    for name, start, end in FAULTS:
        traffic.allow(boundary)
        wait_for(lambda b=boundary: traffic.taken() >= b, timeout=120, what=f"{boundary} uploads sent")
        if name in ("database", "store"):
            wait_for(a_chunk_in_progress, timeout=60, what=f"a chunk in progress before the {name} fault")
        traffic.phase = name
        traffic.allow(boundary + FAULT_EVERY // 2)
        started = time.monotonic()
        start(stack)
        wait_for(
            lambda t=started, n=name: (
                time.monotonic() - t >= FAULT_MIN_S and len(traffic.replies_in(n)) >= FAULT_MIN_REPLIES
            ),
            timeout=60,
            what=f"the clients' answers during the {name} fault",
        )
        end(stack)
        traffic.phase = f"after {name}"
        boundary += FAULT_EVERY
        traffic.allow(boundary)
        replies = traffic.replies_in(name)
        answers = Counter(f"{r.method} {r.status}" for r in replies)
        done.append(Fault(name, round(time.monotonic() - started, 1), len(replies), dict(sorted(answers.items()))))
    return done


def test_it_keeps_every_accepted_chunk_through_outages(chaos, settings, capsys, record_property):
    stack, broker = chaos
    began = time.monotonic()
    owner = UserFactory()
    token = Token.objects.create(user=owner)
    EnrollmentFactory(user=owner)  # a ready voiceprint: chunks are processed, not `waiting`
    schedules_sync()  # transactional tests flush the schedules: write them again, as migrate does
    stack.start_web()
    for _ in range(2):
        stack.start_cluster(answer_after_s=ENGINE_S)
    stack.wait_until_serving()
    uploads = make_uploads(UPLOADS, wav_bytes(1.0, seed=11), start=START)
    traffic = Traffic(stack.web.base_url, token.key, uploads).start()
    try:
        faults = inject_faults(stack, traffic)
        traffic.phase = "after the faults"
        traffic.allow(UPLOADS)
        wait_for(traffic.finished, timeout=120, what="every upload to get a final answer", details=stack.web.log_tail)
    finally:
        traffic.stop()
    stack.wait_until_serving()  # the replacement cluster too
    accepted = {u.chunk_id for u in uploads if u.chunk_id is not None}
    statuses = drain(accepted, broker)
    # the orphan-file sweep (a daily job): an upload whose commit was in doubt when PostgreSQL
    # went away kept its file, and the client's retry stored it again under another name
    settings.AUDIO_ORPHAN_GRACE_S = 0
    orphans_swept = chunk_sweep_orphan_files() + enrollment_sweep_orphan_files()
    replies = list(traffic.replies)
    chunks = {c.id: c for c in Chunk.objects.all()}
    utterances = Counter(Utterance.objects.values_list("chunk_id", flat=True))

    # the figures
    lost = sorted(i for i in accepted if statuses.get(i) != Chunk.Status.DONE)
    server_errors = [r for r in replies if r.status >= 500]
    figures = {
        "uploads": UPLOADS,
        "requests": len(replies),
        "answers": dict(sorted(Counter(f"{r.method} {r.status}" for r in replies).items())),
        "faults_injected": len(faults),
        "faults": [vars(f) for f in faults],
        "upload_retries": sum(u.tries - 1 for u in uploads),
        "chunks_accepted": len(accepted),
        "chunks_done": sum(s == Chunk.Status.DONE for s in statuses.values()),
        "chunks_lost": len(lost),
        "chunks_retried": sum(c.attempts > 1 for c in chunks.values()),
        "job_failures_reported": failed_jobs(),
        "server_errors": len(server_errors),
        "server_errors_not_503_retry_after": sum(not r.acceptable for r in server_errors),
        "unanswered": sum(r.status == 0 for r in replies),
        "orphan_files_swept": orphans_swept,
        "engine_calls": sum(len(c.engine_calls()) for c in stack.clusters),
        "worker_clusters_started": len(stack.clusters),
        "proxy_connections": {"postgresql": dict(stack.postgresql.stats), "redis": dict(stack.redis.stats)},
        "seconds": round(time.monotonic() - began, 1),
    }
    with capsys.disabled():
        print("\nchaos suite figures:", json.dumps(figures, indent=1))
    for name in ("requests", "faults_injected", "chunks_accepted", "chunks_lost", "server_errors", "seconds"):
        record_property(name, figures[name])

    # no answer was a server error other than 503 with Retry-After, and every request got one
    bad = [r for r in replies if not r.acceptable]
    tracebacks = "\n\n".join(stack.web.tracebacks()[:3])
    assert bad == [], f"{len(bad)} unacceptable answers, e.g. {bad[:5]}\n{tracebacks}"
    assert {r.status for r in replies if r.method == "GET"} <= {200, 429, 503}
    assert {r.path for r in replies if r.method == "GET"} == set(READ_PATHS)

    # every upload was accepted in the end, as one chunk of its own; the database holds those only
    assert [u.index for u in uploads if u.final_status not in (200, 202)] == []
    assert len(accepted) == UPLOADS
    assert set(chunks) == accepted, f"rows of uploads never accepted: {sorted(set(chunks) - accepted)}"

    # every accepted chunk is done exactly once
    lost_rows = {i: (chunks[i].status, chunks[i].attempts, chunks[i].error) for i in lost[:10]}
    assert lost == [], f"accepted chunks not done: {lost_rows}\n{stack.clusters[-1].log_tail()}"
    for chunk in chunks.values():
        assert (chunk.segments_count, chunk.error, chunk.processed_at is not None) == (2, "", True), chunk
        assert chunk.decision.get("change") is None, f"{chunk} stored a result over an earlier one"
        assert utterances[chunk.id] == len(EXPECTED_TEXTS), chunk
    texts = Counter(Utterance.objects.values_list("text", flat=True))
    assert texts == {text: UPLOADS for text in EXPECTED_TEXTS}
    assert max(done_reports_per_chunk().values(), default=0) <= 1

    # no file missing, none orphaned
    media = settings.MEDIA_ROOT
    referenced = {c.audio.name for c in chunks.values() if c.audio}
    referenced |= {e.audio.name for e in Enrollment.objects.exclude(audio="")}
    assert len(referenced) == UPLOADS + 1  # CHUNK_AUDIO_RETENTION=keep (stack.py): every chunk has its file
    on_disk = stored_files(media)
    assert sorted(referenced - on_disk) == [], "files missing"
    assert sorted(on_disk - referenced) == [], "orphaned files"
