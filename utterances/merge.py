"""One voice across devices: when two of the owner's devices (a phone in the pocket, a pendant)
record the same moment, the same words are shown once.

Two utterances are *takes* of the same words when they come from different devices of the same
owner, their times overlap once each is widened by MERGE_CLOCK_TOLERANCE_S (the devices' clocks
disagree by a few seconds), and their texts are alike: the similarity of their normalised word
sequences (2 × the words they share in order ÷ the words of both, `text_similarity`) is at least
MERGE_MIN_TEXT_SIMILARITY.

Of such takes the better one is *kept* (shown) and every other points to it through
`Utterance.duplicate_of` (hidden by utterances.selectors). Better (`take_rank`): not marked
uncertain, then the higher owner similarity (how sure the voice match was), then the higher ASR
confidence, then the more words; the device id breaks a tie, so the same takes always give the same
choice. Links are flat: a kept utterance has duplicates, a duplicate has none.

When they are decided (`utterances_merge`, from utterances.services.utterances_replace): each time
a chunk's utterances are stored, against the kept utterances of the owner's other devices around
them. Each new utterance joins at most one kept utterance, and each kept utterance takes at most one
of the chunk's (the most similar pairs first): words of a chunk are never hidden behind a take that
holds other words. Two workers storing two devices' chunks of the same moment at once take turns
(`merge_lock`: the owner's row, until the transaction commits), so the second sees the first's words.

Re-run safe: a chunk's old utterances go before its new ones are stored; a kept one that goes
hands its place to the best of its duplicates (`duplicates_promote`, the link's on_delete), and
the new ones are matched again — the same result gives the same links. The owner deleting a kept
utterance deletes its duplicates too (the same words: utterances.services.utterance_delete);
deleting a duplicate deletes that take only. Deleting a whole recording (or anything else that
removes a kept utterance) promotes its best duplicate instead: the words were still heard.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Q, QuerySet, Value, When
from rapidfuzz.distance import Indel

from utterances.models import Utterance

WORD = re.compile(r"\w+(?:['’]\w+)*")
# What the choice of the better take reads of an utterance (Take.from_utterance).
TAKE_FIELDS = ("id", "device_id", "start_ts", "end_ts", "text", "owner_similarity", "confidence", "uncertain")


@dataclass(frozen=True)
class MergeRules:
    clock_tolerance: timedelta
    min_text_similarity: float

    @classmethod
    def from_settings(cls) -> MergeRules:
        return cls(
            clock_tolerance=timedelta(seconds=settings.MERGE_CLOCK_TOLERANCE_S),
            min_text_similarity=settings.MERGE_MIN_TEXT_SIMILARITY,
        )


@dataclass(frozen=True)
class Take:
    """What the merge knows of one utterance."""

    id: int
    device_id: str
    start_ts: datetime
    end_ts: datetime
    text: str
    owner_similarity: float | None = None
    confidence: float = 0.0
    uncertain: bool = False

    @classmethod
    def from_utterance(cls, utterance: Utterance) -> Take:
        return cls(**{name: getattr(utterance, name) for name in TAKE_FIELDS})


# --- the rules, as pure functions ------------------------------------------------------------


def words_normalised(text: str) -> tuple[str, ...]:
    """The words of `text`, case-folded, without punctuation ("Hello, there!" → hello there)."""
    return tuple(word.casefold().replace("’", "'") for word in WORD.findall(text))


def text_similarity(a: str, b: str) -> float:
    """How alike two texts are as word sequences, 0–1: 2 × the words they share in order ÷ the
    words of both (1.0: the same words; 0.0 when either has none)."""
    words_a, words_b = words_normalised(a), words_normalised(b)
    if not words_a or not words_b:
        return 0.0
    return Indel.normalized_similarity(words_a, words_b)


def times_overlap(a: Take, b: Take, tolerance: timedelta) -> bool:
    """Whether the two takes' times overlap once each is widened by `tolerance` on both sides
    (their devices' clocks may disagree by up to that much)."""
    return a.start_ts < b.end_ts + tolerance and b.start_ts < a.end_ts + tolerance


def take_rank(take: Take) -> tuple:
    """A sort key, larger for the better take of the same words."""
    similarity = -1.0 if take.owner_similarity is None else take.owner_similarity
    return (not take.uncertain, similarity, take.confidence, len(words_normalised(take.text)), take.device_id)


def take_best(takes: Iterable[Take]) -> Take:
    return max(takes, key=take_rank)


def takes_matched(new: Sequence[Take], kept: Sequence[Take], rules: MergeRules) -> list[tuple[Take, Take]]:
    """(new take, kept take) pairs of the same words: from different devices, overlapping in time
    (with the clock tolerance), alike in text. One-to-one, the most similar pairs first (then the
    most overlapping, then the earliest)."""
    candidates = []
    for n in new:
        for k in kept:
            if n.device_id == k.device_id or not times_overlap(n, k, rules.clock_tolerance):
                continue
            similarity = text_similarity(n.text, k.text)
            if similarity >= rules.min_text_similarity:
                overlap = min(n.end_ts, k.end_ts) - max(n.start_ts, k.start_ts)
                candidates.append((-similarity, -overlap.total_seconds(), n.start_ts, n.id, k.id, n, k))
    pairs, used_new, used_kept = [], set(), set()
    for *_, n, k in sorted(candidates, key=lambda c: c[:5]):
        if n.id not in used_new and k.id not in used_kept:
            pairs.append((n, k))
            used_new.add(n.id)
            used_kept.add(k.id)
    return pairs


# --- applying them ---------------------------------------------------------------------------


def merge_lock(*, user_id: int) -> None:
    """Take the owner's turn to store a chunk's utterances, until the transaction ends (a lock on
    their user row; PostgreSQL — SQLite writes one transaction at a time anyway). Two workers
    storing two devices' chunks of the same moment at once would each miss the other's
    uncommitted words; taken before any utterance row is touched, it also keeps the two from
    waiting on each other's rows."""
    list(get_user_model().objects.select_for_update().filter(id=user_id).values_list("id", flat=True))


def utterances_merge(*, utterances: Sequence[Utterance], rules: MergeRules | None = None) -> int:
    """Link a chunk's just-stored `utterances` (one user, one device) with the same words kept
    from the user's other devices; returns how many links were made. Call inside the transaction
    that stores them, which took merge_lock first. Two queries: the candidates (an index range on
    (user, start_ts)), one UPDATE for every link."""
    if not utterances:
        return 0
    rules = rules or MergeRules.from_settings()
    user_id = utterances[0].user_id
    new = [Take.from_utterance(u) for u in utterances]
    first, last = min(t.start_ts for t in new), max(t.end_ts for t in new)
    # An utterance lasts at most a chunk's longest length: that bounds the index range scanned
    # on (user, start_ts).
    longest = timedelta(seconds=settings.MAX_CHUNK_SECONDS)
    candidates = Utterance.objects.filter(
        user_id=user_id,
        duplicate_of__isnull=True,
        start_ts__gte=first - rules.clock_tolerance - longest,
        start_ts__lt=last + rules.clock_tolerance,
        end_ts__gt=first - rules.clock_tolerance,
    ).exclude(device_id=utterances[0].device_id)
    kept = [Take.from_utterance(u) for u in candidates.only(*TAKE_FIELDS)]
    pairs = takes_matched(new, kept, rules)
    if not pairs:
        return 0
    stored = {u.id: u for u in utterances}
    links = []  # (which rows, the kept take they point to), written in one UPDATE
    for n, k in pairs:
        if take_best((n, k)) is n:  # the new take wins: the old one and its duplicates follow it
            links.append((Q(id=k.id) | Q(duplicate_of_id=k.id), n.id))
        else:
            links.append((Q(id=n.id), k.id))
            stored[n.id].duplicate_of_id = k.id
    rows = reduce(or_, (which for which, _ in links))
    Utterance.objects.filter(rows).update(
        duplicate_of_id=Case(*(When(which, then=Value(kept_id)) for which, kept_id in links))
    )
    return len(pairs)


def duplicates_promote(collector, field, duplicates: QuerySet) -> None:
    """Utterance.duplicate_of's on_delete (models.promote_a_duplicate): when kept utterances go,
    the best of each one's `duplicates` is kept instead and the others point to it (the words
    were still heard)."""
    going = {utterance.pk for utterance in collector.data.get(field.model, ())}  # deleted with them
    groups: dict[int, list[Utterance]] = defaultdict(list)
    for duplicate in duplicates.only(*TAKE_FIELDS, "duplicate_of"):
        if duplicate.pk not in going:
            groups[duplicate.duplicate_of_id].append(duplicate)
    for takes in groups.values():
        best = max(takes, key=lambda u: take_rank(Take.from_utterance(u)))
        collector.add_field_update(field, None, [best])
        if others := [u for u in takes if u is not best]:
            collector.add_field_update(field, best, others)
