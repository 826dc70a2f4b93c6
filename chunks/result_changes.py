"""What a new result of a chunk changed in its utterances, for staff who reprocess chunks.

Stored in the chunk's audit record as `decision["change"]` (counts only, never text):
{"added", "removed", "changed", "unchanged", "total", "previous_processed_at"}, or None for a
chunk's first result. Segments are compared by (start_ms, end_ms, text): an identical triple is
unchanged; a new segment that overlaps an old one in time, with other times or text, is
changed (each old segment pairs at most once, largest overlap first); the rest are added
(new only) or removed (old only). `total` = added + removed + changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from utterances.selectors import utterance_spans

Triple = tuple[int, int, str]


def utterance_change(previous: Iterable[Triple], current: Iterable[Triple]) -> dict[str, int]:
    """Counts of added, removed, changed and unchanged segments between two results."""
    old, new = Counter(previous), Counter(current)
    same = old & new
    old_rest = list((old - same).elements())
    new_rest = list((new - same).elements())
    pairs = sorted(
        (
            (min(a[1], b[1]) - max(a[0], b[0]), i, j)
            for i, a in enumerate(new_rest)
            for j, b in enumerate(old_rest)
            if min(a[1], b[1]) > max(a[0], b[0])
        ),
        reverse=True,
    )
    used_new: set[int] = set()
    used_old: set[int] = set()
    for _, i, j in pairs:
        if i not in used_new and j not in used_old:
            used_new.add(i)
            used_old.add(j)
    changed = len(used_new)
    added = len(new_rest) - changed
    removed = len(old_rest) - changed
    return {
        "added": added,
        "removed": removed,
        "changed": changed,
        "unchanged": sum(same.values()),
        "total": added + removed + changed,
    }


def result_change(*, chunk, drafts: Iterable) -> dict | None:
    """The change the new utterances (`drafts`: start_ms, end_ms, text) make to the chunk's
    stored ones; None when the chunk had no earlier result (its audit record is still empty).
    Read before the old utterances go."""
    if not chunk.decision:
        return None
    previous = utterance_spans(chunk_id=chunk.id)
    change = utterance_change(previous, [(d.start_ms, d.end_ms, d.text) for d in drafts])
    change["previous_processed_at"] = chunk.processed_at.isoformat() if chunk.processed_at else None
    return change
