"""manage.py status: the job queue and the worker clusters, as an operator reads them.

    python manage.py status          # text
    python manage.py status --json   # the same, for a script

Rows per status of chunks and enrollments (queued/waiting/pending/processing are the queue), the
age of the oldest row in each pending status, the rows stuck under a claim past its lease (their
worker is gone: the one-minute sweep takes them over), and the django-q2 clusters that reported
to the broker in the last seconds. Reads only; exits 1 when the database does not answer.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from operations.queue_report import clusters_seen, queue_state


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Command(BaseCommand):
    help = "Show the job queue by status, the oldest waiting rows, stuck jobs and the worker clusters seen."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON document")

    def handle(self, *args, **options):
        try:
            states = queue_state(now=timezone.now())
        except DatabaseError as exc:
            raise CommandError(f"the database did not answer: {exc}", returncode=1) from exc
        clusters = clusters_seen()
        if options["json"]:
            document = {
                "queues": [asdict(state) for state in states],
                "clusters": None if clusters is None else [asdict(cluster) for cluster in clusters],
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        for state in states:
            counts = "  ".join(f"{status} {count}" for status, count in state.counts.items())
            self.stdout.write(f"{state.job}s: {counts}")
            for status, age in state.oldest_age_s.items():
                self.stdout.write(f"  oldest {status}: {_age(age)}")
            if state.stuck_count:
                ids = ", ".join(str(i) for i in state.stuck_ids)
                more = " …" if state.stuck_count > len(state.stuck_ids) else ""
                line = f"  stuck (claim past its lease): {state.stuck_count}: {ids}{more}"
                self.stdout.write(self.style.WARNING(line))
            else:
                self.stdout.write("  stuck (claim past its lease): 0")
        if clusters is None:
            self.stdout.write(self.style.WARNING("workers: the broker's statistics cannot be read"))
        elif not clusters:
            self.stdout.write("workers: no cluster reported in the last seconds (without REDIS_URL only our own)")
        else:
            self.stdout.write(f"workers: {len(clusters)} clusters, {sum(c.workers for c in clusters)} processes")
            for cluster in clusters:
                uptime = "" if cluster.uptime_s is None else f", up {_age(cluster.uptime_s)}"
                what = f"{cluster.status}, {cluster.workers} workers{uptime}"
                self.stdout.write(f"  {cluster.host} {cluster.cluster_id}: {what}")
