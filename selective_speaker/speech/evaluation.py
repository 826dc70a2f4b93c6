"""Measure owner-only transcription against ground truth: metrics, manifests, case running.

Plain Python, no Django. The CLI (`python -m selective_speaker.speech eval`) drives it.

Definitions (DESIGN.md §8), computed with exact interval arithmetic in integer milliseconds:

* **owner recall** — (owner RTTM speech ∩ kept segment time) / owner RTTM speech.
* **bystander leak** — kept segment time covered by another speaker's turn and by no owner
  turn / kept segment time: the share of what is kept that is somebody else's speech. Time where
  the owner and somebody else talk at once counts as the owner's.
* **unowned** — all kept time no owner turn covers / kept time = bystander leak + ``nonspeech``
  (covered by nobody's turn: the pauses between owner turns that a segment bridges, and the
  VAD padding at segment edges, since RTTM turns are trimmed at -35 dB). Reported beside the
  leak, not counted in it: kept silence carries nobody's words. Measured with the default engine
  it is 0–6 % of kept time per shared conversation and 7–8 % on the synthetic WER cases, with
  no bystander speech in it, so "not the owner's" read literally would fail chunks that are
  transcribed correctly.
* **region false accept / false reject** — each region of the decision record takes as truth
  the speaker who overlaps it most (regions overlapping no turn are not scored). A false accept
  is a non-owner region decided ``owner``; a false reject is an owner region decided anything
  else (``uncertain`` included: privacy first drops it). Rates are given by region count and
  by time (the time-weighted ones are the headline figures).
* **DER** — NIST-style on a 10 ms grid: (missed + false alarm + confusion) / reference speech,
  speaker labels mapped one-to-one by the Hungarian method, ``collar_ms`` either side of every
  reference boundary not scored. Overlapped speech is scored for every speaker in it.
* **WER** — jiwer on lower-cased words without punctuation: the owner's reference transcript
  against the kept segments' text in time order (bystander words that leak in are insertions).

Manifest paths: ``data:<relative>`` resolves against the data root (``--data-root``, else
``$SELECTIVE_SPEAKER_DATA``, else ``../shared/data`` beside the repository); an absolute path is
itself; any other path is relative to the manifest file.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import resource
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"
DATA_ENV = "SELECTIVE_SPEAKER_DATA"
DATA_PREFIX = "data:"
FRAME_MS = 10
ENROLL_GAP_MS = 300
SAMPLE_RATE = 16_000

# Goals from DESIGN.md §8.
RECALL_GOAL = 0.90
LEAK_GOAL = 0.02
RTF_GOAL = 0.10

Interval = tuple[int, int]


class ManifestError(ValueError):
    """A manifest is malformed or names a file that is not there."""


# --- interval arithmetic (integer ms, half-open) ---------------------------------------------


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union; empty and inverted intervals are dropped."""
    merged: list[Interval] = []
    for start, end in sorted((int(s), int(e)) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    a, b = merge_intervals(a), merge_intervals(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Parts of `a` not covered by `b`."""
    out: list[Interval] = []
    cuts = merge_intervals(b)
    for start, end in merge_intervals(a):
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def intervals_ms(intervals: Iterable[Interval]) -> int:
    return sum(end - start for start, end in merge_intervals(intervals))


def overlap_ms(a: Interval, intervals: Iterable[Interval]) -> int:
    return intervals_ms(intersect_intervals([a], intervals))


# --- RTTM -------------------------------------------------------------------------------------


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


# --- owner recall and bystander leak ------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator > 0 else None


@dataclass(frozen=True, slots=True)
class OwnerCoverage:
    owner_ms: int  # owner speech in the reference
    kept_ms: int  # union of kept segments
    owner_kept_ms: int  # owner speech inside kept segments
    unowned_ms: int  # kept time no owner turn covers
    leak_ms: int  # ...of which another speaker's turn covers: bystander leak
    nonspeech_ms: int  # ...of which nobody's turn covers: pauses, padding

    @property
    def recall(self) -> float | None:
        return ratio(self.owner_kept_ms, self.owner_ms)

    @property
    def leak(self) -> float | None:
        return ratio(self.leak_ms, self.kept_ms)

    @property
    def unowned(self) -> float | None:
        return ratio(self.unowned_ms, self.kept_ms)

    @property
    def nonspeech(self) -> float | None:
        return ratio(self.nonspeech_ms, self.kept_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(recall=self.recall, leak=self.leak, unowned=self.unowned, nonspeech=self.nonspeech)
        return data


def owner_coverage(turns: Sequence[SpeakerTurn], owner: str, kept: Iterable[Interval]) -> OwnerCoverage:
    kept = merge_intervals(kept)
    owner_speech = speaker_intervals(turns, owner)
    others = merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker != owner)
    unowned = subtract_intervals(kept, owner_speech)
    return OwnerCoverage(
        owner_ms=intervals_ms(owner_speech),
        kept_ms=intervals_ms(kept),
        owner_kept_ms=intervals_ms(intersect_intervals(kept, owner_speech)),
        unowned_ms=intervals_ms(unowned),
        leak_ms=intervals_ms(intersect_intervals(unowned, others)),
        nonspeech_ms=intervals_ms(subtract_intervals(unowned, others)),
    )


# --- per-region decisions -----------------------------------------------------------------------


def region_truth(start_ms: int, end_ms: int, turns: Sequence[SpeakerTurn]) -> str | None:
    """The speaker overlapping [start_ms, end_ms) most; None where no turn overlaps it."""
    best, best_ms = None, 0
    for speaker in speakers_of(turns):
        ms = overlap_ms((start_ms, end_ms), speaker_intervals(turns, speaker))
        if ms > best_ms:
            best, best_ms = speaker, ms
    return best


@dataclass(frozen=True, slots=True)
class RegionSample:
    start_ms: int
    end_ms: int
    similarity: float | None
    decision: str
    truth: str  # "owner", "other" or "none" (no reference speech under it)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def region_samples(regions: Sequence[dict], turns: Sequence[SpeakerTurn], owner: str) -> list[RegionSample]:
    samples = []
    for region in regions:
        start, end = int(region["start_ms"]), int(region["end_ms"])
        speaker = region_truth(start, end, turns)
        truth = "none" if speaker is None else ("owner" if speaker == owner else "other")
        similarity = region.get("similarity")
        samples.append(
            RegionSample(start, end, None if similarity is None else float(similarity), str(region["decision"]), truth)
        )
    return samples


@dataclass(frozen=True, slots=True)
class RegionErrors:
    owner_regions: int
    other_regions: int
    unscored_regions: int  # no reference speech under them
    false_accepts: int
    false_rejects: int
    uncertain_owner: int  # owner regions decided "uncertain" (counted in false_rejects)
    owner_ms: int
    other_ms: int
    false_accept_ms: int
    false_reject_ms: int

    @property
    def false_accept_rate(self) -> float | None:
        return ratio(self.false_accept_ms, self.other_ms)

    @property
    def false_reject_rate(self) -> float | None:
        return ratio(self.false_reject_ms, self.owner_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(
            false_accept_rate=self.false_accept_rate,
            false_reject_rate=self.false_reject_rate,
            false_accept_rate_by_count=ratio(self.false_accepts, self.other_regions),
            false_reject_rate_by_count=ratio(self.false_rejects, self.owner_regions),
        )
        return data


def region_errors(samples: Sequence[RegionSample]) -> RegionErrors:
    owner = [s for s in samples if s.truth == "owner"]
    other = [s for s in samples if s.truth == "other"]
    accepts = [s for s in other if s.decision == "owner"]
    rejects = [s for s in owner if s.decision != "owner"]
    return RegionErrors(
        owner_regions=len(owner),
        other_regions=len(other),
        unscored_regions=len(samples) - len(owner) - len(other),
        false_accepts=len(accepts),
        false_rejects=len(rejects),
        uncertain_owner=sum(s.decision == "uncertain" for s in owner),
        owner_ms=sum(s.duration_ms for s in owner),
        other_ms=sum(s.duration_ms for s in other),
        false_accept_ms=sum(s.duration_ms for s in accepts),
        false_reject_ms=sum(s.duration_ms for s in rejects),
    )


def tradeoff_curve(samples: Sequence[RegionSample], thresholds: Sequence[float]) -> list[dict]:
    """Time-weighted false accept / false reject / leak if regions were re-decided at each threshold.

    Regions are runs formed at the configured threshold, so this is an estimate around it; the
    `calibrate` command re-decides from the window embeddings for the exact figures.
    """
    scored = [s for s in samples if s.truth in ("owner", "other") and s.similarity is not None]
    if not scored:
        return []  # the strategy records no similarity per region (anchored)
    sims = np.array([s.similarity for s in scored])
    weights = np.array([s.duration_ms for s in scored], dtype=np.float64)
    is_owner = np.array([s.truth == "owner" for s in scored], dtype=bool)
    owner_total, other_total = weights[is_owner].sum(), weights[~is_owner].sum()
    curve = []
    for threshold in thresholds:
        accepted = sims >= threshold
        fa = weights[accepted & ~is_owner].sum()
        fr = weights[~accepted & is_owner].sum()
        kept = weights[accepted].sum()
        curve.append(
            {
                "threshold": round(float(threshold), 4),
                "false_accept_rate": ratio(fa, other_total),
                "false_reject_rate": ratio(fr, owner_total),
                "leak": ratio(fa, kept),
            }
        )
    return curve


def threshold_meeting_goals(curve: Sequence[dict], *, max_false_accept: float, max_leak: float) -> dict | None:
    """The lowest threshold (most recall) whose false accepts and leak are within the goals."""
    for point in sorted(curve, key=lambda p: p["threshold"]):
        fa, leak = point["false_accept_rate"], point["leak"]
        if (fa is None or fa <= max_false_accept) and (leak is None or leak <= max_leak):
            return point
    return None


def equal_error_point(curve: Sequence[dict]) -> dict | None:
    points = [p for p in curve if p["false_accept_rate"] is not None and p["false_reject_rate"] is not None]
    if not points:
        return None
    return min(points, key=lambda p: abs(p["false_accept_rate"] - p["false_reject_rate"]))


# --- diarization error rate ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DiarizationError:
    reference_ms: int  # scored reference speech (speaker-time, overlap counted per speaker)
    missed_ms: int
    false_alarm_ms: int
    confusion_ms: int
    mapping: dict[str, str]  # reference speaker -> hypothesis label
    collar_ms: int

    @property
    def der(self) -> float | None:
        return ratio(self.missed_ms + self.false_alarm_ms + self.confusion_ms, self.reference_ms)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["der"] = self.der
        return data


def _frame_matrix(turns: Sequence[SpeakerTurn], labels: list[str], n_frames: int) -> np.ndarray:
    matrix = np.zeros((n_frames, len(labels)), dtype=bool)
    column = {label: i for i, label in enumerate(labels)}
    for turn in turns:
        matrix[round(turn.start_ms / FRAME_MS) : round(turn.end_ms / FRAME_MS), column[turn.speaker]] = True
    return matrix


def diarization_error(
    reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn], *, collar_ms: int = 250
) -> DiarizationError:
    from scipy.optimize import linear_sum_assignment

    ref_labels, hyp_labels = speakers_of(reference), speakers_of(hypothesis)
    end_ms = max([t.end_ms for t in [*reference, *hypothesis]], default=0)
    n = -(-end_ms // FRAME_MS) + 1
    ref = _frame_matrix(reference, ref_labels, n)
    hyp = _frame_matrix(hypothesis, hyp_labels, n)
    scored = np.ones(n, dtype=bool)
    if collar_ms > 0:
        for speaker in ref_labels:
            for start, end in speaker_intervals(reference, speaker):
                for boundary in (start, end):
                    scored[max(0, round((boundary - collar_ms) / FRAME_MS)) : round((boundary + collar_ms) / FRAME_MS)] = False
    ref, hyp = ref[scored], hyp[scored]
    n_ref, n_hyp = ref.sum(axis=1), hyp.sum(axis=1)
    cooccurrence = ref.T.astype(np.int64) @ hyp.astype(np.int64)
    mapping: dict[str, str] = {}
    correct = 0
    if ref_labels and hyp_labels:
        rows, cols = linear_sum_assignment(-cooccurrence)
        for r, c in zip(rows, cols):
            if cooccurrence[r, c] > 0:
                mapping[ref_labels[r]] = hyp_labels[c]
                correct += int(cooccurrence[r, c])
    return DiarizationError(
        reference_ms=int(n_ref.sum()) * FRAME_MS,
        missed_ms=int(np.maximum(n_ref - n_hyp, 0).sum()) * FRAME_MS,
        false_alarm_ms=int(np.maximum(n_hyp - n_ref, 0).sum()) * FRAME_MS,
        confusion_ms=(int(np.minimum(n_ref, n_hyp).sum()) - correct) * FRAME_MS,
        mapping=mapping,
        collar_ms=collar_ms,
    )


# --- word error rate ----------------------------------------------------------------------------

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


# --- manifests ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AudioRef:
    """An audio file, or the [start_ms, end_ms) stretch of one."""

    path: Path
    start_ms: int | None = None
    end_ms: int | None = None

    def describe(self) -> str:
        if self.start_ms is None and self.end_ms is None:
            return str(self.path)
        return f"{self.path}[{self.start_ms or 0}:{'' if self.end_ms is None else self.end_ms}]"


@dataclass(frozen=True)
class EvalCase:
    id: str
    owner: str
    enroll: tuple[AudioRef, ...]
    audio: AudioRef | None
    rttm: Path | None
    transcript: str | None = None
    tags: tuple[str, ...] = ()
    synth: dict | None = None  # a recording to synthesise at run time (see materialise_synthetic)


@dataclass(frozen=True)
class Manifest:
    name: str
    path: Path
    description: str
    cases: tuple[EvalCase, ...]


def default_data_root() -> Path:
    return REPO_ROOT.parent / "shared" / "data"


def resolve_data_root(value: str | os.PathLike | None = None) -> Path:
    if value:
        return Path(value).expanduser().resolve()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser().resolve()
    return default_data_root()


def resolve_manifest_path(value: str | os.PathLike) -> Path:
    """A manifest file, or the name of one shipped in selective_speaker/speech/manifests/."""
    path = Path(value)
    if path.is_file():
        return path.resolve()
    shipped = MANIFEST_DIR / (path.name if path.suffix == ".json" else f"{path.name}.json")
    if shipped.is_file() and len(path.parts) == 1:
        return shipped
    names = ", ".join(sorted(p.stem for p in MANIFEST_DIR.glob("*.json")))
    raise ManifestError(f"no manifest {value!r}: give a path or one of the shipped ones ({names})")


def resolve_path(value: str, *, manifest_dir: Path, data_root: Path) -> Path:
    if value.startswith(DATA_PREFIX):
        return data_root / value[len(DATA_PREFIX) :]
    path = Path(value).expanduser()
    return path if path.is_absolute() else (manifest_dir / path).resolve()


def _audio_ref(value, *, where: str, manifest_dir: Path, data_root: Path) -> AudioRef:
    if isinstance(value, str):
        return AudioRef(resolve_path(value, manifest_dir=manifest_dir, data_root=data_root))
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        start, end = value.get("start_ms"), value.get("end_ms")
        for bound in (start, end):
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise ManifestError(f"{where}: start_ms/end_ms must be non-negative integers")
        if start is not None and end is not None and end <= start:
            raise ManifestError(f"{where}: end_ms must be after start_ms")
        return AudioRef(resolve_path(value["path"], manifest_dir=manifest_dir, data_root=data_root), start, end)
    raise ManifestError(f"{where}: expected a path or {{'path', 'start_ms', 'end_ms'}}, got {value!r}")


def _require_file(path: Path, where: str, data_root: Path) -> None:
    if not path.is_file():
        hint = f" (data root {data_root}; set --data-root or ${DATA_ENV})" if str(path).startswith(str(data_root)) else ""
        raise ManifestError(f"{where}: file not found: {path}{hint}")


def _parse_case(raw: dict, index: int, *, manifest_dir: Path, data_root: Path) -> EvalCase:
    where = f"case {index}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected an object")
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise ManifestError(f"{where}: 'id' is required")
    where = f"case {case_id!r}"
    owner = raw.get("owner")
    if not isinstance(owner, str) or not owner:
        raise ManifestError(f"{where}: 'owner' (the owner's speaker label in the RTTM) is required")
    tags = tuple(raw.get("tags", ()))
    synth = raw.get("synth")
    if synth is not None:
        _validate_synth(synth, where)
        turns = [
            {**t, "play": str(resolve_path(t["play"], manifest_dir=manifest_dir, data_root=data_root))} if "play" in t else t
            for t in synth["turns"]
        ]
        return EvalCase(case_id, owner, (), None, None, None, tags, {**synth, "turns": turns})
    for key in ("audio", "rttm", "enroll"):
        if key not in raw:
            raise ManifestError(f"{where}: '{key}' is required")
    enroll = raw["enroll"]
    if not isinstance(enroll, list) or not enroll:
        raise ManifestError(f"{where}: 'enroll' must be a non-empty list of audio files")
    refs = dict(manifest_dir=manifest_dir, data_root=data_root)
    transcript = raw.get("transcript")
    if "transcript_file" in raw:
        path = resolve_path(raw["transcript_file"], **refs)
        _require_file(path, f"{where} transcript_file", data_root)
        transcript = path.read_text()
    if not isinstance(raw["rttm"], str):
        raise ManifestError(f"{where}: 'rttm' must be a path")
    return EvalCase(
        id=case_id,
        owner=owner,
        enroll=tuple(_audio_ref(item, where=f"{where} enroll", **refs) for item in enroll),
        audio=_audio_ref(raw["audio"], where=f"{where} audio", **refs),
        rttm=resolve_path(raw["rttm"], **refs),
        transcript=transcript,
        tags=tags,
    )


def _check_case_files(case: EvalCase, data_root: Path) -> None:
    if case.synth is not None:
        for turn in case.synth["turns"]:
            if "play" in turn:
                _require_file(Path(turn["play"]), f"case {case.id!r} synth", data_root)
        return
    for ref in (case.audio, *case.enroll):
        _require_file(ref.path, f"case {case.id!r}", data_root)
    _require_file(case.rttm, f"case {case.id!r} rttm", data_root)
    speakers = speakers_of(read_rttm(case.rttm))
    if case.owner not in speakers:
        raise ManifestError(f"case {case.id!r}: owner {case.owner!r} has no turn in {case.rttm} (speakers: {speakers})")


def load_manifest(path: str | os.PathLike, *, data_root: Path | None = None, check_files: bool = True) -> Manifest:
    path = resolve_manifest_path(path)
    data_root = resolve_data_root(data_root)
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list) or not raw["cases"]:
        raise ManifestError(f"{path}: expected an object with a non-empty 'cases' list")
    cases = tuple(
        _parse_case(item, i, manifest_dir=path.parent, data_root=data_root) for i, item in enumerate(raw["cases"])
    )
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ManifestError(f"{path}: case id {case.id!r} appears twice")
        seen.add(case.id)
        if check_files:
            _check_case_files(case, data_root)
    return Manifest(raw.get("name", path.stem), path, raw.get("description", ""), cases)


def select_cases(cases: Sequence[EvalCase], patterns: Sequence[str] = (), tags: Sequence[str] = ()) -> list[EvalCase]:
    """Cases whose id matches any glob pattern and that carry any of the tags (no filter = all)."""
    from fnmatch import fnmatchcase

    chosen = [c for c in cases if not patterns or any(fnmatchcase(c.id, p) for p in patterns)]
    return [c for c in chosen if not tags or set(tags) & set(c.tags)]


# --- audio of a case ----------------------------------------------------------------------------


def load_audio(ref: AudioRef, *, max_duration_ms: int | None = None) -> np.ndarray:
    from .audio import decode_audio

    audio, _info = decode_audio(ref.path, max_duration_ms=max_duration_ms)
    lo = 0 if ref.start_ms is None else ref.start_ms * SAMPLE_RATE // 1000
    hi = audio.size if ref.end_ms is None else min(audio.size, ref.end_ms * SAMPLE_RATE // 1000)
    if hi <= lo:
        raise ManifestError(f"{ref.describe()} is empty: the file holds {audio.size * 1000 // SAMPLE_RATE} ms")
    return audio[lo:hi]


def enrollment_audio(refs: Sequence[AudioRef], *, gap_ms: int = ENROLL_GAP_MS) -> np.ndarray:
    """The enrollment files one after the other, `gap_ms` of silence between them."""
    gap = np.zeros(gap_ms * SAMPLE_RATE // 1000, dtype=np.float32)
    pieces: list[np.ndarray] = []
    for ref in refs:
        pieces += [load_audio(ref), gap]
    return np.concatenate(pieces[:-1]).astype(np.float32, copy=False)


def case_turns(case: EvalCase) -> list[SpeakerTurn]:
    turns = read_rttm(case.rttm)
    if case.audio.start_ms is None and case.audio.end_ms is None:
        return turns
    return clip_turns(turns, case.audio.start_ms or 0, case.audio.end_ms if case.audio.end_ms is not None else 10**12)


# --- synthetic cases (voiced at run time by manifests/synthetic.py) ----------------------------


def _validate_synth(spec: dict, where: str) -> None:
    if not isinstance(spec, dict):
        raise ManifestError(f"{where}: 'synth' must be an object")
    if not isinstance(spec.get("voice"), str):
        raise ManifestError(f"{where}: synth needs an espeak-ng 'voice'")
    if not isinstance(spec.get("enroll_text"), list) or not spec["enroll_text"]:
        raise ManifestError(f"{where}: synth needs 'enroll_text' (sentences the owner enrolls with)")
    turns = spec.get("turns")
    if not isinstance(turns, list) or not any("say" in t for t in turns if isinstance(t, dict)):
        raise ManifestError(f"{where}: synth needs 'turns' with at least one owner 'say'")
    for turn in turns:
        if not isinstance(turn, dict) or not (("say" in turn) ^ ("play" in turn and "speaker" in turn)):
            raise ManifestError(f"{where}: each synth turn is {{'say': text}} or {{'play': file, 'speaker': label}}")


# --- running a case -----------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float | None:
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process().memory_info().rss / (1 << 20)


def process_with_engine(engine, audio: np.ndarray, voiceprint: np.ndarray, enrollment: np.ndarray | None):
    """engine.process_chunk, handing over the enrollment audio where the engine takes it (anchored)."""
    parameters = inspect.signature(engine.process_chunk).parameters
    if enrollment is not None and "enrollment_audio" in parameters:
        return engine.process_chunk(audio, voiceprint=voiceprint, enrollment_audio=enrollment)
    return engine.process_chunk(audio, voiceprint=voiceprint)


def diarization_turns(engine, audio: np.ndarray) -> list[SpeakerTurn]:
    """engine.diarize as SpeakerTurns; it may return (start, end, label) tuples or objects."""
    turns = []
    for item in engine.diarize(audio):
        if isinstance(item, (tuple, list)):
            start, end, label = item
        else:
            start, end, label = item.start_ms, item.end_ms, item.label
        turns.append(SpeakerTurn(int(start), int(end), str(label)))
    return turns


@dataclass
class Enrollments:
    """Voiceprints computed once per enrollment recording during a run."""

    engine: object
    cache: dict = field(default_factory=dict)

    def get(self, refs: Sequence[AudioRef]) -> tuple[np.ndarray, np.ndarray, dict]:
        key = tuple(refs)
        if key not in self.cache:
            audio = enrollment_audio(refs)
            started = time.perf_counter()
            result = self.engine.enroll(audio)
            info = {
                "seconds": round(time.perf_counter() - started, 3),
                "speech_ms": result.speech_ms,
                "consistency": result.consistency,
                "files": [r.describe() for r in refs],
            }
            self.cache[key] = (np.asarray(result.voiceprint), audio, info)
        return self.cache[key]


def run_case(
    engine,
    case: EvalCase,
    *,
    enrollments: Enrollments,
    diarize: bool = False,
    collar_ms: int = 250,
    diarizations: dict | None = None,
) -> dict:
    """Process one case with the engine and score it; a JSON-ready dict.

    With `diarize`, the engine's diarization of the case audio is scored (DER) too; pass a dict
    as `diarizations` to diarize each recording once when several owners share it.
    """
    voiceprint, enroll_audio, enroll_info = enrollments.get(case.enroll)
    audio = load_audio(case.audio, max_duration_ms=None)
    turns = case_turns(case)
    audio_s = audio.size / SAMPLE_RATE
    started = time.perf_counter()
    result = process_with_engine(engine, audio, voiceprint, enroll_audio)
    elapsed = time.perf_counter() - started
    kept = [(s.start_ms, s.end_ms) for s in result.segments]
    samples = region_samples(result.decision.get("regions", []), turns, case.owner)
    timings = dict(result.timings)
    timings.setdefault("total", elapsed)
    out = {
        "id": case.id,
        "tags": list(case.tags),
        "owner": case.owner,
        "audio": case.audio.describe(),
        "audio_s": round(audio_s, 3),
        "status": str(result.status),
        "reason": result.reason,
        "strategy": result.decision.get("strategy"),
        "threshold": result.decision.get("threshold"),
        "segments": len(result.segments),
        "coverage": owner_coverage(turns, case.owner, kept).as_dict(),
        "owner_found_ms": owner_found_by_stage(turns, case.owner, samples, kept),
        "regions": region_errors(samples).as_dict(),
        "region_samples": [asdict(s) for s in samples],
        "timings_s": timings,
        "rtf": {stage: seconds / audio_s for stage, seconds in timings.items()},
        "enrollment": enroll_info,
        "der": None,
        "wer": None,
    }
    if case.transcript:
        hypothesis = " ".join(s.text for s in sorted(result.segments, key=lambda s: s.start_ms))
        out["wer"] = word_error(case.transcript, hypothesis)
        out["hypothesis"] = hypothesis
    if diarize:
        cache = {} if diarizations is None else diarizations
        if case.audio not in cache:
            started = time.perf_counter()
            cache[case.audio] = (diarization_turns(engine, audio), time.perf_counter() - started)
        hypothesis_turns, seconds = cache[case.audio]
        out["der"] = diarization_error(turns, hypothesis_turns, collar_ms=collar_ms).as_dict()
        out["der"]["seconds"] = round(seconds, 3)
        out["der"]["rtf"] = seconds / audio_s
    out["rss_mb"] = current_rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def owner_found_by_stage(
    turns: Sequence[SpeakerTurn], owner: str, samples: Sequence[RegionSample], kept: Sequence[Interval]
) -> dict[str, int]:
    """Owner speech (ms) still there after each stage: where recall is lost.

    ``speech``: inside any decided region (found by the VAD); ``owner_regions``: inside regions
    decided owner; ``kept``: inside kept segments (after ASR and the segment rules).
    """
    mine = speaker_intervals(turns, owner)
    return {
        "owner": intervals_ms(mine),
        "speech": intervals_ms(intersect_intervals(mine, [(s.start_ms, s.end_ms) for s in samples])),
        "owner_regions": intervals_ms(
            intersect_intervals(mine, [(s.start_ms, s.end_ms) for s in samples if s.decision == "owner"])
        ),
        "kept": intervals_ms(intersect_intervals(mine, kept)),
    }


def meets_goals(case: dict) -> bool:
    recall, leak = case["coverage"]["recall"], case["coverage"]["leak"]
    return (recall is None or recall >= RECALL_GOAL) and (leak is None or leak <= LEAK_GOAL)


def summarise(cases: Sequence[dict]) -> dict:
    """Totals over cases: time-weighted (micro) rates, worst cases, RTF per stage."""
    def total(key: str, sub: str = "coverage") -> int:
        return sum(c[sub][key] for c in cases)

    recalls = [c["coverage"]["recall"] for c in cases if c["coverage"]["recall"] is not None]
    leaks = [c["coverage"]["leak"] for c in cases if c["coverage"]["leak"] is not None]
    audio_s = sum(c["audio_s"] for c in cases)
    stages = sorted({stage for c in cases for stage in c["timings_s"]})
    summary = {
        "cases": len(cases),
        "cases_meeting_goals": sum(meets_goals(c) for c in cases),
        "audio_s": round(audio_s, 3),
        "recall": ratio(total("owner_kept_ms"), total("owner_ms")),
        "leak": ratio(total("leak_ms"), total("kept_ms")),
        "unowned": ratio(total("unowned_ms"), total("kept_ms")),
        "min_recall": min(recalls, default=None),
        "max_leak": max(leaks, default=None),
        "false_accept_rate": ratio(total("false_accept_ms", "regions"), total("other_ms", "regions")),
        "false_reject_rate": ratio(total("false_reject_ms", "regions"), total("owner_ms", "regions")),
        "rtf": {stage: sum(c["timings_s"].get(stage, 0.0) for c in cases) / audio_s for stage in stages}
        if audio_s
        else {},
        "recall_by_stage": {
            stage: ratio(sum(c["owner_found_ms"][stage] for c in cases), sum(c["owner_found_ms"]["owner"] for c in cases))
            for stage in ("speech", "owner_regions", "kept")
        },
        "der": None,
        "wer": None,
    }
    scored = list({c["audio"]: c["der"] for c in cases if c["der"]}.values())  # each recording once
    if scored:
        errors = sum(d["missed_ms"] + d["false_alarm_ms"] + d["confusion_ms"] for d in scored)
        summary["der"] = ratio(errors, sum(d["reference_ms"] for d in scored))
    transcribed = [c["wer"] for c in cases if c["wer"]]
    if transcribed:
        errors = sum(w["substitutions"] + w["deletions"] + w["insertions"] for w in transcribed)
        summary["wer"] = ratio(errors, sum(w["reference_words"] for w in transcribed))
    return summary


def summarise_by_tag(cases: Sequence[dict]) -> dict[str, dict]:
    tags = sorted({tag for c in cases for tag in c["tags"]})
    return {tag: summarise([c for c in cases if tag in c["tags"]]) for tag in tags}


def all_samples(cases: Sequence[dict]) -> list[RegionSample]:
    return [RegionSample(**s) for c in cases for s in c["region_samples"]]

