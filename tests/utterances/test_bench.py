"""manage.py bench_timeline and its synthetic year of speech (utterances/bench.py), at a tiny size.
No timing is asserted: the bench runs, loads what it says, and cleans up."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.factories import UtteranceFactory
from utterances.bench import OWNER, QUERIES, BenchPlan, bench_drop, bench_load, bench_loaded
from utterances.models import Utterance


def bench(*args: str) -> str:
    out = StringIO()
    call_command("bench_timeline", *args, stdout=out)
    return out.getvalue()


def test_it_plans_a_busy_day_and_a_tenth_for_each_other_owner():
    plan = BenchPlan(segments=1_000_000)
    assert plan.busy == 8000
    assert plan.per_user() == [
        (OWNER, 1_000_000, 8000),
        ("bench-other-1", 100_000, 0),
        ("bench-other-2", 100_000, 0),
        ("bench-other-3", 100_000, 0),
    ]


def test_it_loads_the_plan_over_the_days(db):
    plan = BenchPlan(segments=400, others=2, days=10)
    owner, token = bench_load(plan, log=lambda line: None)
    assert bench_loaded(plan) and token
    mine = Utterance.objects.filter(user=owner)
    assert mine.count() == 400
    assert mine.filter(start_ts__date=plan.busy_day).count() == 360 // 10 + 40
    assert mine.values("chunk").distinct().count() < 400 / 3  # 4–12 per chunk
    assert Utterance.objects.count() == 480
    assert mine.filter(text__icontains=QUERIES["q present"]).exists()
    assert not Utterance.objects.filter(text__icontains=QUERIES["q absent"]).exists()


def test_it_runs_every_case_then_reuses_the_load_and_drops_it(db, user):
    UtteranceFactory(chunk__user=user, text="not the bench's")
    out = bench("--segments", "200", "--others", "1", "--days", "5", "--repeat", "2", "--yes")
    assert "loaded in" in out
    for case in ("api page (200)", "day page (busy day)", "api q present «coffee»", "api q absent «zebra»"):
        assert case in out
    assert "api q two words «coffee meeting», newest" in out
    assert "page q present «coffee»" in out and "before: DISTINCT device_id" in out
    assert "a new database connection:" in out
    assert "reusing the bench rows" in bench("--segments", "200", "--others", "1", "--days", "5", "--repeat", "1")
    assert "deleted the bench users and 220 utterances" in bench("--drop")
    assert list(Utterance.objects.values_list("text", flat=True)) == ["not the bench's"]
    assert list(get_user_model().objects.all()) == [user]


def test_it_asks_before_writing_into_the_database(db):
    with pytest.raises(CommandError, match="--yes"):
        bench("--segments", "100", "--days", "2")
    assert bench_drop() == 0
