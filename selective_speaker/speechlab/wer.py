"""Word error rate of the kept text against the owner's reference transcript (jiwer)."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[a-z0-9']+")


def normalise_text(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower().replace("-", " ")))


def word_error(reference: str, hypothesis: str) -> dict:
    import jiwer

    ref, hyp = normalise_text(reference), normalise_text(hypothesis)
    if not ref:
        raise ValueError("the reference transcript has no words")
    if not hyp:
        words = len(ref.split())
        return {"wer": 1.0, "reference_words": words, "substitutions": 0, "deletions": words, "insertions": 0}
    out = jiwer.process_words(ref, hyp)
    return {
        "wer": float(out.wer),
        "reference_words": out.hits + out.substitutions + out.deletions,
        "substitutions": out.substitutions,
        "deletions": out.deletions,
        "insertions": out.insertions,
    }
