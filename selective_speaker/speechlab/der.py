"""Diarization error rate: NIST-style on the 10 ms frame grid, Hungarian speaker mapping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from selective_speaker.speech.types import FRAME_MS

from .rttm import SpeakerTurn, speaker_intervals, speakers_of
from .scoring import ratio


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
