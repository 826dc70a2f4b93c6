"""RTTM reference turns: parse, read, write, clip, and who spoke when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from selective_speaker.speech.windows import Interval, merge_intervals


class ManifestError(ValueError):
    """A manifest, or an RTTM file it names, is malformed or names a file that is not there."""


@dataclass(frozen=True, slots=True)
class SpeakerTurn:
    start_ms: int
    end_ms: int
    speaker: str


def parse_rttm(text: str, *, source: str = "RTTM") -> list[SpeakerTurn]:
    """SPEAKER lines of an RTTM file as turns in ms; other record types are ignored."""
    turns: list[SpeakerTurn] = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith((";", "#")) or parts[0] != "SPEAKER":
            continue
        if len(parts) < 8:
            raise ManifestError(f"{source} line {number}: a SPEAKER line needs 8+ fields, got {len(parts)}")
        try:
            onset, duration = float(parts[3]), float(parts[4])
        except ValueError as exc:
            raise ManifestError(f"{source} line {number}: onset/duration are not numbers: {line!r}") from exc
        if onset < 0 or duration < 0:
            raise ManifestError(f"{source} line {number}: negative onset or duration")
        start = round(onset * 1000)
        turns.append(SpeakerTurn(start, start + round(duration * 1000), parts[7]))
    return sorted(turns, key=lambda t: (t.start_ms, t.end_ms, t.speaker))


def read_rttm(path: Path) -> list[SpeakerTurn]:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ManifestError(f"cannot read RTTM {path}: {exc.strerror}") from exc
    return parse_rttm(text, source=str(path))


def format_rttm(turns: Sequence[SpeakerTurn], uri: str) -> str:
    return "".join(
        f"SPEAKER {uri} 1 {t.start_ms / 1000:.3f} {(t.end_ms - t.start_ms) / 1000:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
        for t in turns
    )


def clip_turns(turns: Iterable[SpeakerTurn], start_ms: int, end_ms: int) -> list[SpeakerTurn]:
    """The turns inside [start_ms, end_ms), shifted so that start_ms becomes 0."""
    out = []
    for turn in turns:
        lo, hi = max(turn.start_ms, start_ms), min(turn.end_ms, end_ms)
        if hi > lo:
            out.append(SpeakerTurn(lo - start_ms, hi - start_ms, turn.speaker))
    return out


def speaker_intervals(turns: Iterable[SpeakerTurn], speaker: str) -> list[Interval]:
    return merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker == speaker)


def speakers_of(turns: Iterable[SpeakerTurn]) -> list[str]:
    return sorted({t.speaker for t in turns})
