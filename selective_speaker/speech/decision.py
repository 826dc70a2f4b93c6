"""The audit record of one chunk: what was decided, with which settings and models — no text.

`Engine.process_chunk` fills a `DecisionRecord`; `to_dict()` is the JSON the Django layer stores
(`Chunk.decision`), key for key what the engine wrote before this record was typed, so stored rows
and new ones read the same. `from_dict()` reads any stored row back:

* missing keys (older rows, or a chunk that stopped early: silent, no speech) come back as None
  (or an empty list of regions); a group that is absent (anchored, negatives) comes back as None;
* keys the engine does not write — the job adds ``reason``, ``enrollment_ids`` and ``change`` — are
  kept in `extra`, untouched, and written back last by `to_dict()`;
* a region needs start_ms and end_ms; its other keys than the four below are ignored, a missing
  similarity is None, and an unknown (or missing: "") decision word is kept as a plain string.

So `DecisionRecord.from_dict(d).to_dict() == d` for every record this engine writes, with or
without the job's keys.

Which keys are present depends on how far the chunk got:

* always: strategy, threshold, uncertain_margin, uncertain_policy, cluster_weight,
  smoothing_windows, embedding_model, asr_model (null until the recogniser ran), regions,
  rms_dbfs (null for digital silence);
* anchored strategy, once diarized: diarization_model, enroll_ms, pad_ms, enroll_dominance,
  labels, dominance, owner_label (null when no label dominates the enrollment window);
* when a narrow-band voiceprint was passed (band matching): band ("narrow" or "wide");
* once speech was measured: speech_ms, then (voiceprint strategy) snr_db, how far that speech
  stands above the chunk's noise (noise_level.py);
* voiceprint strategy, once attributed: windows, then (with negatives) negatives,
  negative_margin, vetoed_ms, then clusters (null when the windows were not clustered);
* once regions were decided: owner_ms, uncertain_ms;
* when the owner answered questions about the chunk: answered_owner_ms, answered_other_ms;
* when the recogniser ran on this chunk together with others (Engine.process_chunks): asr_chunks,
  how many chunks shared that pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .types import Decision

# The keys every record starts with, in the order they are written.
COMMON_KEYS = (
    "strategy",
    "threshold",
    "uncertain_margin",
    "uncertain_policy",
    "cluster_weight",
    "smoothing_windows",
    "embedding_model",
    "asr_model",
    "regions",
    "rms_dbfs",
)
ANCHOR_KEYS = ("diarization_model", "enroll_ms", "pad_ms", "enroll_dominance", "labels", "dominance", "owner_label")
NEGATIVES_KEYS = ("negatives", "negative_margin", "vetoed_ms")
# Keys whose absence means "not reached"; written only when not None.
OPTIONAL_KEYS = (
    "band",
    "speech_ms",
    "snr_db",
    "windows",
    "owner_ms",
    "uncertain_ms",
    "answered_owner_ms",
    "answered_other_ms",
    "asr_chunks",
)
KNOWN_KEYS = frozenset(COMMON_KEYS + ANCHOR_KEYS + NEGATIVES_KEYS + OPTIONAL_KEYS + ("clusters",))


def _decision_of(value: Any) -> Decision | str:
    try:
        return Decision(value)
    except ValueError:
        return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class RegionDecision:
    """One decided run of speech: its time in the chunk, its owner score and the decision."""

    start_ms: int
    end_ms: int
    similarity: float | None  # mean owner score; None where the strategy scores none (anchored)
    decision: Decision | str  # owner | uncertain | other (a str only for an unknown stored word)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def to_dict(self) -> dict:
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "similarity": self.similarity,
            "decision": str(self.decision),
        }

    @classmethod
    def from_dict(cls, data: dict) -> RegionDecision:
        similarity = data.get("similarity")
        return cls(
            start_ms=int(data["start_ms"]),
            end_ms=int(data["end_ms"]),
            similarity=None if similarity is None else float(similarity),
            decision=_decision_of(data.get("decision")),
        )


@dataclass(frozen=True, slots=True)
class AnchorDecision:
    """The anchored strategy's diarization of enrollment + pad + chunk."""

    diarization_model: str | None
    enroll_ms: int | None
    pad_ms: int | None
    enroll_dominance: float | None
    labels: int | None  # distinct speaker labels in the diarization
    dominance: float | None  # share of the enrollment window's speech the top label covers
    owner_label: str | None  # None: no label dominates, the chunk is indeterminate


@dataclass(frozen=True, slots=True)
class NegativesDecision:
    """Voices confirmed not to be the owner's, as they were used on this chunk."""

    count: int | None  # stored as "negatives"
    margin: float | None  # stored as "negative_margin"
    vetoed_ms: int | None  # speech the negatives turned to other


@dataclass(slots=True)
class DecisionRecord:
    """The audit record of one chunk; see the module docstring for which keys appear when."""

    strategy: str | None = None
    threshold: float | None = None
    uncertain_margin: float | None = None
    uncertain_policy: str | None = None
    cluster_weight: float | None = None
    smoothing_windows: int | None = None
    embedding_model: str | None = None
    asr_model: str | None = None  # set once the recogniser ran on the chunk
    regions: list[RegionDecision] = field(default_factory=list)
    rms_dbfs: float | None = None  # loudness of the chunk; None for digital silence
    anchor: AnchorDecision | None = None  # anchored strategy only
    band: str | None = None  # "narrow"/"wide" when a narrow-band voiceprint was given (band.py)
    speech_ms: int | None = None  # speech found (VAD, or diarized turns when anchored)
    snr_db: float | None = None  # voiceprint: the speech's level above the noise (noise_level.py)
    windows: int | None = None  # voiceprint: embedding windows scored
    negatives: NegativesDecision | None = None  # voiceprint, only when negatives were passed
    clusters: int | None = None  # voiceprint: written beside `windows` (None there: not clustered)
    owner_ms: int | None = None  # time decided owner
    uncertain_ms: int | None = None  # time decided uncertain
    # speech the owner's own answers decided ("that was me" / "not me"); only when they gave some
    answered_owner_ms: int | None = None
    answered_other_ms: int | None = None
    asr_chunks: int | None = None  # chunks that shared the recogniser's pass, when more than one
    extra: dict[str, Any] = field(default_factory=dict)  # keys the engine does not write

    def to_dict(self) -> dict:
        """The stored JSON shape (key order as the engine has always written it)."""
        data: dict[str, Any] = {
            "strategy": self.strategy,
            "threshold": self.threshold,
            "uncertain_margin": self.uncertain_margin,
            "uncertain_policy": self.uncertain_policy,
            "cluster_weight": self.cluster_weight,
            "smoothing_windows": self.smoothing_windows,
            "embedding_model": self.embedding_model,
            "asr_model": self.asr_model,
            "regions": [r.to_dict() for r in self.regions],
            "rms_dbfs": self.rms_dbfs,
        }
        if self.anchor is not None:
            a = self.anchor
            data.update(
                diarization_model=a.diarization_model,
                enroll_ms=a.enroll_ms,
                pad_ms=a.pad_ms,
                enroll_dominance=a.enroll_dominance,
                labels=a.labels,
                dominance=a.dominance,
                owner_label=a.owner_label,
            )
        if self.band is not None:
            data["band"] = self.band
        if self.speech_ms is not None:
            data["speech_ms"] = self.speech_ms
        if self.snr_db is not None:
            data["snr_db"] = self.snr_db
        if self.windows is not None:
            data["windows"] = self.windows
        if self.negatives is not None:
            n = self.negatives
            data.update(negatives=n.count, negative_margin=n.margin, vetoed_ms=n.vetoed_ms)
        if self.windows is not None:
            data["clusters"] = self.clusters
        if self.owner_ms is not None:
            data["owner_ms"] = self.owner_ms
        if self.uncertain_ms is not None:
            data["uncertain_ms"] = self.uncertain_ms
        if self.answered_owner_ms is not None:
            data["answered_owner_ms"] = self.answered_owner_ms
            data["answered_other_ms"] = self.answered_other_ms
        if self.asr_chunks is not None:
            data["asr_chunks"] = self.asr_chunks
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DecisionRecord:
        """A stored record, tolerant of missing keys; unknown keys go to `extra`."""
        anchor = None
        if any(key in data for key in ANCHOR_KEYS):
            anchor = AnchorDecision(*(data.get(key) for key in ANCHOR_KEYS))
        negatives = None
        if any(key in data for key in NEGATIVES_KEYS):
            negatives = NegativesDecision(*(data.get(key) for key in NEGATIVES_KEYS))
        return cls(
            strategy=data.get("strategy"),
            threshold=data.get("threshold"),
            uncertain_margin=data.get("uncertain_margin"),
            uncertain_policy=data.get("uncertain_policy"),
            cluster_weight=data.get("cluster_weight"),
            smoothing_windows=data.get("smoothing_windows"),
            embedding_model=data.get("embedding_model"),
            asr_model=data.get("asr_model"),
            regions=[RegionDecision.from_dict(r) for r in data.get("regions") or [] if isinstance(r, dict)],
            rms_dbfs=data.get("rms_dbfs"),
            anchor=anchor,
            band=data.get("band"),
            speech_ms=data.get("speech_ms"),
            snr_db=data.get("snr_db"),
            windows=data.get("windows"),
            negatives=negatives,
            clusters=data.get("clusters"),
            owner_ms=data.get("owner_ms"),
            uncertain_ms=data.get("uncertain_ms"),
            answered_owner_ms=data.get("answered_owner_ms"),
            answered_other_ms=data.get("answered_other_ms"),
            asr_chunks=data.get("asr_chunks"),
            extra={key: value for key, value in data.items() if key not in KNOWN_KEYS},
        )
