"""manage.py bench_timeline: load a year of speech into the configured database and time the
timeline and search, each against the SQL floor of its own queries.

    DATABASE_URL=postgres://…/selective_speaker_bench python manage.py migrate
    DATABASE_URL=postgres://…/selective_speaker_bench python manage.py bench_timeline --segments 1000000 --yes

Loads --segments utterances for one owner over --days days (three devices, a busy day of up to
8,000 utterances) and a tenth of that for each of --others owners (utterances/bench.py), unless
the database holds that load already; then, through Django's test client in this process — the
views, serializers and templates, not an HTTP server — runs each case --repeat times and prints
p50/p95, and the SQL floor: the case's own queries (captured once) run again straight on the
connection, p50. "ratio" is the request's p50 over its floor. The `before` rows time the queries
this code replaced (substring search, DISTINCT device_id), SQL only.

The bench users (bench-owner, bench-other-N) and their rows stay for the next run; --drop
deletes them. Never point it at a database whose users' timelines matter: it adds rows to it.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from datetime import time as clock
from statistics import median

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from selective_speaker.speech.timing import percentile
from utterances.bench import QUERIES, BenchPlan, bench_drop, bench_load, bench_loaded, bench_users
from utterances.conversations import conversation_containing
from utterances.models import Utterance

API = "/api/v1/utterances/"
PAGE = "/timeline/"
CONVERSATIONS = "/api/v1/conversations/"
WARMUP = 3


class Command(BaseCommand):
    help = "Load N utterances (fast bulk load) and print p50/p95 of the timeline API, the day page and search."

    def add_arguments(self, parser):
        parser.add_argument("--segments", type=int, default=200_000, help="the owner's utterances (default 200,000)")
        parser.add_argument("--others", type=int, default=3, help="other owners, a tenth of that each (default 3)")
        parser.add_argument("--days", type=int, default=365, help="days the utterances spread over (default 365)")
        parser.add_argument("--repeat", type=int, default=30, help="timed runs of each case (default 30)")
        parser.add_argument("--reload", action="store_true", help="load again even if the same load is there")
        parser.add_argument("--drop", action="store_true", help="delete the bench users and their rows, then stop")
        parser.add_argument("--yes", action="store_true", help="agree to write bench rows into this database")

    def handle(self, *args, segments, others, days, repeat, reload, drop, yes, **options):
        self.connection = connections[Utterance.objects.db]
        if drop:
            self.stdout.write(f"deleted the bench users and {bench_drop():,} utterances")
            return
        if segments < 10 or days < 1 or repeat < 1:
            raise CommandError("--segments must be at least 10, --days and --repeat at least 1")
        plan = BenchPlan(segments=segments, others=others, days=days)
        self.stdout.write(self.describe(plan))
        if reload or not bench_loaded(plan):
            if not yes:
                raise CommandError("this writes bench rows into the database above: add --yes")
            started = time.perf_counter()
            self.stdout.write("loading…")
            bench_load(plan, log=self.stdout.write)
            rows = Utterance.objects.count()
            self.stdout.write(f"loaded in {time.perf_counter() - started:.1f} s ({rows:,} utterances in the table)")
        else:
            self.stdout.write("reusing the bench rows already loaded (--reload to load again)")
        owner = bench_users()[0]
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
            self.run_cases(plan, owner, repeat)

    def describe(self, plan: BenchPlan) -> str:
        db = self.connection.settings_dict
        version = ""
        if self.connection.vendor == "postgresql":
            version = f" {self.connection.pg_version // 10000}.{self.connection.pg_version % 10000}"
        return (
            f"database: {self.connection.vendor}{version} {db['NAME']}, CONN_MAX_AGE={db['CONN_MAX_AGE']}; "
            f"load average {self.load_average()}\n"
            f"plan: {plan.segments:,} utterances for the owner over {plan.days} days "
            f"(busy day {plan.busy_day}: {plan.busy:,}), {plan.others} others with "
            f"{max(1, plan.segments // 10):,} each"
        )

    # --- the cases ---------------------------------------------------------------------------

    def run_cases(self, plan: BenchPlan, owner, repeat: int) -> None:
        api = Client(headers={"Authorization": f"Token {Token.objects.get_or_create(user=owner)[0].key}"})
        web = Client()
        web.force_login(owner)
        day = plan.busy_day.isoformat()
        cases: list[tuple[str, Client, str, dict]] = [
            ("api page (200)", api, API, {"page_size": 200}),
            ("api page, busy day (200)", api, API, {"page_size": 200, "since": f"{day}T00:00:00Z"}),
            ("day page (busy day)", web, PAGE, {"day": day}),
            ("api conversations (page)", api, CONVERSATIONS, {}),
            ("api conversations, busy day (page)", api, CONVERSATIONS, {"day": day}),
            ("conversation page (busy day, midday)", web, self.midday_conversation(owner, plan), {}),
        ]
        cases += [(f"api {name} «{q}»", api, API, {"q": q}) for name, q in QUERIES.items()]
        cases += [(f"api {name} «{q}», newest", api, API, {"q": q, "order": "newest"}) for name, q in QUERIES.items()]
        cases += [(f"page {name} «{q}»", web, PAGE, {"q": q}) for name, q in QUERIES.items() if name != "q absent"]
        self.stdout.write(
            f"\n{'case':<44} {'p50 ms':>8} {'p95 ms':>8} {'SQL ms':>8} {'ratio':>6} {'queries':>7} "
            f"{'slowest':>8}  results"
        )
        try:
            for name, client, path, params in cases:
                self.run_case(name, client, path, params, repeat)
            self.run_before(owner, repeat)
        finally:
            web.logout()
        self.stdout.write(
            f"\na new database connection: {self.connect_ms(repeat):.1f} ms (p50), "
            "paid by every request when CONN_MAX_AGE is 0"
        )
        self.stdout.write(
            "\nSQL ms: the case's queries run again straight on the connection (p50); ratio: p50 / SQL ms; "
            f"slowest: the slowest of those queries (p50). Load average now: {self.load_average()}"
        )

    @staticmethod
    def midday_conversation(owner, plan: BenchPlan) -> str:
        """The page of the owner's conversation at noon (UTC) of the busy day."""
        noon = datetime.combine(plan.busy_day, clock(12), tzinfo=UTC)
        utterance = Utterance.objects.filter(user=owner, start_ts__gte=noon).order_by("start_ts", "id").first()
        conversation = conversation_containing(user=owner, utterance_id=utterance.id)
        return reverse("timeline:conversation", args=[conversation.key])

    def connect_ms(self, repeat: int) -> float:
        if self.connection.in_atomic_block:  # a test's transaction: keep its connection
            return float("nan")
        times = []
        for _ in range(repeat):
            self.connection.close()
            started = time.perf_counter()
            self.connection.ensure_connection()
            times.append((time.perf_counter() - started) * 1000)
        return median(times)

    @staticmethod
    def load_average() -> str:
        try:
            return " ".join(f"{value:.1f}" for value in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
        except OSError:
            return "unknown"

    def run_case(self, name: str, client: Client, path: str, params: dict, repeat: int) -> None:
        secure = settings.SECURE_SSL_REDIRECT

        def request():
            response = client.get(path, params, secure=secure)
            # what a WSGI server does after each response (the test client does not): with
            # CONN_MAX_AGE 0 the connection closes and the next request opens a new one (never
            # inside a transaction: a test's)
            if not self.connection.in_atomic_block:
                close_old_connections()
            if response.status_code != 200:
                raise CommandError(f"{name}: {path} answered {response.status_code}: {response.content[:300]!r}")
            return response

        for _ in range(WARMUP):
            request()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            request()
            times.append((time.perf_counter() - started) * 1000)
        with CaptureQueriesContext(self.connection) as captured:
            response = request()
        statements = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip()[:6].upper() in ("SELECT", "WITH R")]
        floor = self.sql_floor(statements, repeat)
        self.report(name, times, floor, len(captured.captured_queries), self.results(response), self.slowest)

    def results(self, response) -> str:
        if response.get("Content-Type", "").startswith("application/json"):
            body = response.json()
            shown = len(body["results"])
            return f"{shown} shown of {body['count']:,}" if "count" in body else f"{shown} shown"
        html = response.content.decode()
        shown = html.count('<li class="bubble')
        count = re.search(r'class="search-count">([0-9,]+) result', html)
        return f"{shown} shown of {int(count[1].replace(',', '')):,}" if count else f"{shown} shown"

    def sql_floor(self, statements: list[str], repeat: int) -> list[float]:
        """The statements run straight on the connection, one after another, `repeat` times: ms
        each time. Remembers the slowest statement's median in `self.slowest`."""
        self.connection.ensure_connection()
        times, each = [], [[] for _ in statements]
        with self.connection.cursor() as cursor:
            for run in range(WARMUP + repeat):
                total = 0.0
                for index, sql in enumerate(statements):
                    started = time.perf_counter()
                    cursor.execute(sql)
                    cursor.fetchall()
                    elapsed = (time.perf_counter() - started) * 1000
                    total += elapsed
                    each[index].append(elapsed)
                if run >= WARMUP:
                    times.append(total)
        self.slowest = max((median(t[WARMUP:]) for t in each), default=0.0)
        return times

    def report(self, name: str, times, floor, queries: int, results: str, slowest: float | None = None) -> None:
        p50, p95, sql = median(times), percentile(times, 0.95), median(floor) if floor else float("nan")
        ratio = p50 / sql if sql else float("nan")
        slowest = sql if slowest is None else slowest
        self.stdout.write(
            f"{name:<44} {p50:8.1f} {p95:8.1f} {sql:8.1f} {ratio:6.1f} {queries:7d} {slowest:8.1f}  {results}"
        )

    # --- before: the queries this code replaced, SQL only ---------------------------------

    def run_before(self, owner, repeat: int) -> None:
        chunks = apps.get_model("chunks", "Chunk").objects.filter(user=owner)
        legacy = [("before: DISTINCT device_id", chunks.order_by("device_id").values_list("device_id").distinct())]
        legacy += [
            # the old q=: the whole query as one case-insensitive substring, newest first
            (f"before: {name} «{q}» (LIKE)", Utterance.objects.filter(user=owner, text__icontains=q)[:51])
            for name, q in QUERIES.items()
            if name != "q rare"
        ]
        runs = max(3, repeat // 5)  # a sequential scan each: fewer runs
        for name, queryset in legacy:
            sql, params = queryset.query.sql_with_params()
            with self.connection.cursor() as cursor:
                statement = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else None
            if statement is None:  # SQLite: run it with its parameters
                floor = self.timed_query(sql, params, runs)
            else:
                floor = self.sql_floor([statement], runs)
            self.report(name, floor, floor, 1, "SQL only")

    def timed_query(self, sql: str, params, runs: int) -> list[float]:
        times = []
        with self.connection.cursor() as cursor:
            for _ in range(runs):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                times.append((time.perf_counter() - started) * 1000)
        return times
