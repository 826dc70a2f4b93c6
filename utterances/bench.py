"""A synthetic year of speech for `manage.py bench_timeline`: owners, chunks and utterances loaded
straight into the configured database — COPY on PostgreSQL, batched INSERTs elsewhere.

The rows are what the chunk job stores (chunks done, utterances with text, times, device and
place), not a replay of the job. Chunks and places belong to a higher layer (chunks/): they are
loaded through the app registry, as a data migration would, never imported.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Model
from rest_framework.authtoken.models import Token

from utterances.models import Utterance

OWNER = "bench-owner"
OTHER = "bench-other-{}"
EMAIL = "@bench.invalid"  # with the names above, what marks the bench's users (and nobody else)
FIRST_DAY = date(2025, 1, 1)
DEVICES = ("phone", "pendant", "watch")
PLACES = ("Rue de Rivoli, Paris, France", "Kastanienallee, Berlin, Germany", "Calle Mayor, Madrid, Spain")
BATCH = 5000  # rows per INSERT
CHUNK_BATCH = 2000  # chunks (and their utterances) per COPY or bulk_create round
# Common words first: each word's weight is 1/rank (Zipf), so "coffee" is in about 1.5 % of the
# utterances and "zebra" in none. The query words of the bench are in QUERIES.
VOCABULARY = (
    "the", "and", "to", "a", "of", "i", "it", "you", "that", "in", "is", "was", "we", "he", "they", "so", "on", "but",
    "just", "like", "have", "be", "this", "for", "with", "what", "know", "not", "do", "there", "are", "at", "all",
    "my", "me", "then", "one", "she", "if", "get", "go", "yeah", "about", "out", "no", "can", "think", "right",
    "would", "well", "or", "up", "as", "now", "really", "when", "his", "her", "them", "said", "time", "because",
    "people", "okay", "going", "how", "see", "good", "some", "back", "from", "were", "our", "more", "been", "here",
    "very", "which", "who", "want", "said", "make", "something", "thing", "where", "way", "day", "also", "much",
    "work", "even", "things", "over", "could", "look", "say", "two", "other", "little", "today", "need", "take",
    "lot", "new", "come", "why", "maybe", "sure", "talk", "still", "first", "before", "long", "never", "great",
    "home", "yes", "tomorrow", "week", "call", "tell", "many", "down", "year", "after", "last", "tonight", "morning",
    "let", "friend", "three", "everything", "always", "nice", "bit", "feel", "give", "name", "place", "done",
    "school", "money", "house", "night", "meeting", "coffee", "family", "next", "try", "hear", "already", "kids",
    "phone", "car", "water", "food", "lunch", "dinner", "office", "train", "together", "pretty", "doctor", "store",
    "email", "weekend", "problem", "idea", "early", "late", "minute", "hour", "project", "report", "market", "garden",
    "window", "book", "music", "movie", "story", "weather", "city", "street", "team", "plan", "kitchen", "table",
    "paper", "price", "ticket", "party", "game", "letter", "question", "answer", "picture", "garage", "budget",
    "trip", "river", "beach", "mountain", "forest", "bridge", "island", "airport", "station", "museum", "library",
    "hospital", "bakery", "pharmacy", "bicycle", "umbrella", "jacket", "sweater", "pillow", "blanket", "candle",
    "mirror", "ladder", "hammer", "bucket", "basket", "carpet", "curtain", "cushion", "drawer", "kettle", "spoon",
    "saucer", "plate", "bottle", "jar", "lemon", "apple", "banana", "cherry", "peach", "pepper", "garlic", "onion",
    "carrot", "potato", "tomato", "cabbage", "noodle", "pancake", "biscuit", "muffin", "yogurt", "cheese", "butter",
    "honey", "almond", "walnut", "raisin", "cinnamon", "vanilla", "ginger", "oyster", "salmon", "lobster", "turkey",
    "chicken", "sausage", "dentist", "lawyer", "plumber", "painter", "farmer", "teacher", "nurse", "pilot", "sailor",
    "baker", "tailor", "butcher", "violin", "trumpet", "guitar", "piano", "drum", "flute", "harp", "cello", "banjo",
    "accordion", "lips", "mouth",
)
QUERIES = {
    "q present": "coffee",
    "q rare": "accordion",
    "q absent": "zebra",
    "q two words": "coffee meeting",
}


@dataclass(frozen=True)
class BenchPlan:
    segments: int  # the owner's utterances
    others: int = 3  # other owners, with a tenth of that each
    days: int = 365
    seed: int = 7

    @property
    def busy(self) -> int:
        """Utterances on the owner's busy day (BenchPlan.busy_day)."""
        return min(8000, self.segments // 10)

    @property
    def busy_day(self) -> date:
        return FIRST_DAY + timedelta(days=self.days // 2)

    def per_user(self) -> list[tuple[str, int, int]]:
        """(username, utterances, busy-day utterances) of each bench user, the owner first."""
        others = [(OTHER.format(n), max(1, self.segments // 10), 0) for n in range(1, self.others + 1)]
        return [(OWNER, self.segments, self.busy), *others]


def _model(name: str) -> type[Model]:
    return apps.get_model("chunks", name)


def bench_users() -> list:
    """The bench's users already in the database, the owner first."""
    users = get_user_model().objects.filter(username__regex=r"^bench-(owner|other-[0-9]+)$", email__endswith=EMAIL)
    return sorted(users, key=lambda user: (user.username != OWNER, user.username))


def bench_loaded(plan: BenchPlan) -> bool:
    """Whether the database holds exactly `plan`'s rows already (a rerun skips the load)."""
    users = {user.username: user for user in bench_users()}
    expected = plan.per_user()
    if set(users) != {name for name, _, _ in expected}:
        return False
    return all(Utterance.objects.filter(user=users[name]).count() == count for name, count, _ in expected)


def bench_drop() -> int:
    """Delete the bench's users and everything they own; how many utterances went."""
    ids = [user.id for user in bench_users()]
    if not ids:
        return 0
    connection = connections[Utterance.objects.db]
    placeholders = ", ".join(["%s"] * len(ids))
    utterances, chunks = (connection.ops.quote_name(m._meta.db_table) for m in (Utterance, _model("Chunk")))
    with transaction.atomic(), connection.cursor() as cursor:
        # a DELETE per table: the ORM would load a million rows to delete them one by one
        cursor.execute(f"DELETE FROM {utterances} WHERE user_id IN ({placeholders})", ids)
        deleted = cursor.rowcount
        cursor.execute(f"DELETE FROM {chunks} WHERE user_id IN ({placeholders})", ids)
        get_user_model().objects.filter(id__in=ids).delete()
    return deleted


def bench_load(plan: BenchPlan, *, log: Callable[[str], None] = print) -> tuple:
    """Load `plan` (dropping an earlier bench first); the owner and its API token."""
    bench_drop()
    rng = random.Random(plan.seed)
    places = _places()
    user_model = get_user_model()
    weights = [1 / rank for rank in range(1, len(VOCABULARY) + 1)]
    for name, count, busy in plan.per_user():
        user = user_model.objects.create_user(name, email=f"{name}{EMAIL}")
        days = _day_counts(count, busy, plan)
        with transaction.atomic():
            chunks = _load_user(user, days, rng, weights, places)
        log(f"  {name}: {count:,} utterances in {chunks:,} chunks")
    _analyze()
    owner = user_model.objects.get(username=OWNER)
    return owner, Token.objects.get_or_create(user=owner)[0].key


def _places() -> list:
    location_model = _model("Location")
    return [
        location_model.objects.get_or_create(
            lat_round=Decimal("-89.000") + n, lon_round=Decimal("179.000"), defaults={"address": address}
        )[0]
        for n, address in enumerate(PLACES)
    ]


def _day_counts(count: int, busy: int, plan: BenchPlan) -> list[tuple[date, int]]:
    """(day, utterances) over the plan's days: even, plus `busy` more on the busy day."""
    rest = count - busy
    days = [(FIRST_DAY + timedelta(days=n), rest * (n + 1) // plan.days - rest * n // plan.days) for n in range(plan.days)]
    return [(day, n + (busy if day == plan.busy_day else 0)) for day, n in days]


def _sentence(rng: random.Random, weights: list[float]) -> str:
    words = rng.choices(VOCABULARY, weights=weights, k=rng.randint(3, 24))
    return " ".join(words).capitalize() + rng.choice((".", ".", "?", "!"))


def _chunk_rows(user, days, rng, weights, places) -> Iterator[tuple[dict, list[dict]]]:
    """(chunk fields, its utterances' fields) through the user's days: chunks of a minute with
    4–12 utterances each, spread from 07:00 to 23:00 UTC."""
    serial = 0
    for day, count in days:
        sizes = []
        while sum(sizes) < count:
            sizes.append(min(rng.randint(4, 12), count - sum(sizes)))
        step = timedelta(hours=16) / max(1, len(sizes))
        for index, size in enumerate(sizes):
            serial += 1
            start = datetime.combine(day, time(7), tzinfo=UTC) + step * index
            place = rng.choice([*places, None])
            chunk = {
                "user_id": user.id,
                "device_id": rng.choice(DEVICES),
                "start_ts": start,
                "end_ts": start + timedelta(seconds=60),
                "audio_sha256": hashlib.sha256(f"bench-{user.id}-{serial}".encode()).hexdigest(),
                "audio_bytes": 480_000,
                "duration_ms": 60_000,
                "codec": "opus",
                "status": "done",
                "segments_count": size,
                "owner_speech_ms": size * 3000,
                "location_id": place.id if place else None,
                "gps_lat": float(place.lat_round) if place else None,
                "gps_lon": float(place.lon_round) if place else None,
                "processed_at": start + timedelta(seconds=90),
            }
            slot = 60_000 // size
            utterances = [
                {
                    "start_ms": n * slot,
                    "end_ms": n * slot + min(slot, rng.randint(1500, 5000)),
                    "text": _sentence(rng, weights),
                    "confidence": round(rng.uniform(0.6, 0.99), 3),
                    "owner_similarity": round(rng.uniform(0.55, 0.9), 3),
                    "uncertain": rng.random() < 0.03,
                }
                for n in range(size)
            ]
            yield chunk, utterances


def _load_user(user, days, rng, weights, places) -> int:
    chunk_model = _model("Chunk")
    connection = connections[Utterance.objects.db]
    copy = connection.vendor == "postgresql"
    chunks, loaded = [], 0
    for chunk_fields, utterance_fields in _chunk_rows(user, days, rng, weights, places):
        chunks.append((chunk_fields, utterance_fields))
        if len(chunks) >= CHUNK_BATCH:
            loaded += _load_batch(chunk_model, chunks, copy=copy)
            chunks = []
    if chunks:
        loaded += _load_batch(chunk_model, chunks, copy=copy)
    return loaded


def _load_batch(chunk_model, batch: list[tuple[dict, list[dict]]], *, copy: bool) -> int:
    now = datetime.now(UTC)
    chunk_objects = [chunk_model(created_at=now, **fields) for fields, _ in batch]
    if copy:
        ids = _reserve_ids(chunk_model, len(chunk_objects))
        for chunk, chunk_id in zip(chunk_objects, ids, strict=True):
            chunk.id = chunk_id
        _copy(chunk_model, chunk_objects, with_id=True)
    else:
        chunk_model.objects.bulk_create(chunk_objects, batch_size=BATCH)
    rows = [
        Utterance(
            chunk_id=chunk.id,
            user_id=chunk.user_id,
            device_id=chunk.device_id,
            start_ts=chunk.start_ts + timedelta(milliseconds=fields["start_ms"]),
            end_ts=chunk.start_ts + timedelta(milliseconds=fields["end_ms"]),
            created_at=now,
            **fields,
        )
        for chunk, (_, utterances) in zip(chunk_objects, batch, strict=True)
        for fields in utterances
    ]
    if copy:
        _copy(Utterance, rows, with_id=False)
    else:
        Utterance.objects.bulk_create(rows, batch_size=BATCH)
    return len(chunk_objects)


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    with connections[model.objects.db].cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(model: type[Model], objects: list[Model], *, with_id: bool) -> None:
    """COPY the objects' rows: every concrete column (the id only `with_id`), each value as the
    field prepares it for the database — a field another change adds loads its default."""
    connection = connections[model.objects.db]
    fields = [
        field
        for field in model._meta.concrete_fields
        if (with_id or not field.primary_key) and field.name != "search_vector"  # the trigger's
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for obj in objects:
            copy.write_row([field.get_db_prep_save(getattr(obj, field.attname), connection) for field in fields])


def _analyze() -> None:
    """Fresh planner statistics (and, outside a transaction on PostgreSQL, the visibility map
    that index-only scans need), as autovacuum would leave a table that grew slowly."""
    connection = connections[Utterance.objects.db]
    tables = [Utterance._meta.db_table, _model("Chunk")._meta.db_table]
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
            else:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
