"""`manage.py qcluster` with a stand-in speech engine, for the fault tests (never used in production).

    FAULTS_ENGINE=block|answer FAULTS_CALLS=/tmp/calls.log python -m tests.faults_support.worker

Every call of the engine first appends "<pid> <method>" to FAULTS_CALLS (written and fsynced
before the call goes on, so a test that sees the line knows the job is inside the engine).
`block` then blocks that worker until the test kills it; `answer` returns tests.conftest's
FakeEngine result at once, or after FAULTS_ANSWER_AFTER_S seconds (a job that takes a while).
FAULTS_SCHEDULER=off keeps the cluster from running schedules, so that a test knows which
mechanism recovered a job. Everything else comes from the environment like in production
(DATABASE_URL, REDIS_URL, MEDIA_ROOT, Q_*, JOB_*).

The patches are made before the cluster forks its processes (django-q2 uses the `fork` start
method on Linux), so its workers inherit them.
"""

from __future__ import annotations

import os
import threading
import time


def record_call(method: str) -> None:
    fd = os.open(os.environ["FAULTS_CALLS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{os.getpid()} {method}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selective_speaker.settings")
    import django

    django.setup()

    from django.core.management import call_command
    from django_q.conf import Conf

    import chunks.processing
    import enrollment.services
    from tests.conftest import FakeEngine

    blocking = os.environ["FAULTS_ENGINE"] == "block"

    class HarnessEngine(FakeEngine):
        def enroll(self, audio, **kwargs):
            self._arrive("enroll")
            return super().enroll(audio, **kwargs)

        def process_chunk(self, audio, **kwargs):
            self._arrive("process_chunk")
            return super().process_chunk(audio, **kwargs)

        def _arrive(self, method: str) -> None:
            record_call(method)
            if blocking:
                threading.Event().wait()  # until SIGKILL
            time.sleep(float(os.environ.get("FAULTS_ANSWER_AFTER_S", "0")))

    engine = HarnessEngine()
    chunks.processing.speech_engine = lambda: engine
    enrollment.services.speech_engine = lambda: engine
    if os.environ.get("FAULTS_SCHEDULER") == "off":
        Conf.SCHEDULER = False
    call_command("qcluster")


if __name__ == "__main__":
    main()
