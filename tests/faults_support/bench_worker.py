"""`manage.py bench_workers --serve` with the stand-in engine of the other fault tests, for the
bench's smoke test (tests/chunks/test_bench_workers.py); never used in production.

    python -m tests.faults_support.bench_worker READY_FILE

The engine is patched before the cluster forks its worker processes (django-q2 forks on Linux),
so they inherit it; everything else comes from the environment, as for the bench's own workers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "selective_speaker.settings")
    import django

    django.setup()

    import chunks.processing
    import enrollment.services
    from chunks.bench_workers import serve_workers
    from tests.conftest import FakeEngine

    engine = FakeEngine()
    chunks.processing.speech_engine = lambda: engine
    enrollment.services.speech_engine = lambda: engine
    serve_workers(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
