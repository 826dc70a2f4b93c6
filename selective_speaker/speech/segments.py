"""Group owner words into stored segments, by the original design's rules.

Consecutive words join one segment when the gap between them is at most `segment_gap_ms`
and nothing but silence lies between them. The gap is measured by the VAD where it can be
(a word that opens or closes an owner stretch counts from the stretch's edge, see below):
words of one owner stretch always join, because a stretch holds no silence as long as the
VAD's `vad_min_silence_ms` (>= the gap rule); Whisper's word times open false gaps inside
fluent speech. Words of two stretches join by the gap rule (words of two owner stretches separated by somebody
else's speech never share a segment, or that speech's time would count as the owner's). A
segment is kept when it lasts at least `segment_min_ms` and holds at least
`segment_min_chars` characters — rules for what the voice match decided alone. One that lies
mostly inside speech the owner confirmed as theirs ("Was this you?" → me) needs only a word:
their answer overrides both rules, so a "yes" or an "anon" they claimed is kept.

A segment's edges are the owner stretch's edges where its first (last) word is the first
(last) of its stretch: the VAD and the attribution place speech more accurately than
Whisper's word times, which tend to clip the ends of words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .config import EngineConfig
from .types import Segment, Span, Word

_SPACE = re.compile(r"\s+")
# A word Whisper split at a hyphen: "post" "-mortem", "well-" "known" (a letter on the hyphen's
# other side; a dash on its own, " - ", and a minus sign, "-5", keep their spaces).
_HYPHEN_AFTER = re.compile(r"^-[^\W\d_]")
_HYPHEN_BEFORE = re.compile(r"[^\W\d_]-$")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def join_words(words: list[Word]) -> str:
    """The words' text, one space between words, none at a hyphen inside a word."""
    text = ""
    for word in words:
        part = _SPACE.sub(" ", word.text).strip()
        if not part:
            continue
        if text and not (_HYPHEN_AFTER.match(part) or _HYPHEN_BEFORE.search(text)):
            text += " "
        text += part
    return text


def build_segments(
    words: list[tuple[Word, int]],
    config: EngineConfig,
    *,
    stretches: list[Span],
    run_of_stretch: list[int],
    similarity_of: callable,
    uncertain_runs: frozenset[int] = frozenset(),
    confirmed: Sequence[tuple[int, int]] = (),
) -> list[Segment]:
    """Segments from (word, stretch index) pairs in time order.

    `run_of_stretch[i]` says which silence-joined run stretch i belongs to: words of different
    runs never merge. `similarity_of(start_ms, end_ms)` gives the owner similarity there.
    `uncertain_runs` marks runs kept only for review. `confirmed`: (start, end) ms the owner said
    were theirs; a segment at least half inside them is kept however short, if it holds a word.
    """
    ordered = sorted(words, key=lambda pair: pair[0].start_ms)
    first_of: dict[int, Word] = {}
    last_of: dict[int, Word] = {}
    for word, stretch in ordered:
        first_of.setdefault(stretch, word)
        last_of[stretch] = word

    def start_of(word: Word, stretch: int) -> int:
        return stretches[stretch].start_ms if first_of[stretch] is word else word.start_ms

    def end_of(word: Word, stretch: int) -> int:
        return max(word.end_ms, stretches[stretch].end_ms) if last_of[stretch] is word else word.end_ms

    groups: list[tuple[list[tuple[Word, int]], int]] = []
    for word, stretch in ordered:
        run = run_of_stretch[stretch]
        if groups:
            current, current_run = groups[-1]
            previous, previous_stretch = current[-1]
            same_stretch = stretch == previous_stretch and config.vad_min_silence_ms >= config.segment_gap_ms
            close = start_of(word, stretch) - end_of(previous, previous_stretch) <= config.segment_gap_ms
            if run == current_run and (same_stretch or close):
                current.append((word, stretch))
                continue
        groups.append(([(word, stretch)], run))

    segments = []
    for pairs, run in groups:
        group = [w for w, _ in pairs]
        start = start_of(*pairs[0])
        end = max(max(w.end_ms for w in group), end_of(*pairs[-1]))
        text = join_words(group)
        claimed = 2 * sum(max(0, min(end, hi) - max(start, lo)) for lo, hi in confirmed) >= end - start
        if claimed:
            if not _LETTER_OR_DIGIT.search(text):
                continue
        elif end - start < config.segment_min_ms or len(text) < config.segment_min_chars:
            continue
        confidence = float(np.mean([w.probability for w in group]))
        segments.append(
            Segment(
                start_ms=start,
                end_ms=end,
                text=text,
                words=tuple(group),
                confidence=round(confidence, 4),
                owner_similarity=round(float(similarity_of(start, end)), 4),
                uncertain=run in uncertain_runs,
            )
        )
    return segments


_WORD = re.compile(r"[\w']+")


def word_edit_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance in words, ignoring case and punctuation."""
    ref = _WORD.findall(reference.lower())
    hyp = _WORD.findall(hypothesis.lower())
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1]
