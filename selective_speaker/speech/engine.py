"""The engine's front door: enroll an owner, process a chunk. Plain Python, no Django.

One `Engine` per config per process (`Engine.shared`); models load on first use and stay.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

import numpy as np

from .asr import ASRBackend, load_asr, transcribe_stretches
from .attribution import (
    Attribution,
    anchor_owner_label,
    apply_answers,
    attribute_anchored,
    attribute_voiceprint,
    confirmed_speech,
    owner_in_doubt,
    refine_boundaries,
    with_regions,
)
from .audio import rms_dbfs
from .band import NARROW_UNMATCHED, chunk_voiceprint, narrow_voiceprint
from .config import EngineConfig
from .decision import AnchorDecision, DecisionRecord, NegativesDecision, RegionDecision
from .embedding import SpeakerEmbedder
from .enroll_checks import second_voice_share
from .intrusions import carve_intrusions
from .noise_level import is_noisy, noisy_reason, speech_snr_db
from .pauses import snap_to_pauses
from .segments import join_words, word_edit_distance
from .timing import Timer
from .transcription import PendingChunk, pending_chunk, transcribe_pending
from .types import (
    ChunkJob,
    ChunkResult,
    ChunkStatus,
    EnrollmentError,
    EnrollmentResult,
    RejectionCode,
    Span,
    SpeechError,
    Word,
    ms_to_samples,
    samples_to_ms,
)
from .vad import speech_spans
from .voiceprint import embed_speech, voiceprint_from_windows
from .windows import total_ms

log = logging.getLogger(__name__)

# Quieter than one step of 16-bit audio (-90.3 dBFS): nothing was recorded at all, so the owner is
# told the recording is silent (a muted or missing microphone), not that they spoke too softly.
SILENT_DBFS = -90.0

UNMATCHED_REASON = (
    "narrow-band audio (a phone line or a low-rate codec) and no telephone-band voiceprint to judge it with: "
    "its speech is asked about instead; recompute the voiceprint or enroll again"
)


class Engine:
    _shared: dict[EngineConfig, Engine] = {}
    _shared_lock = threading.Lock()

    def __init__(self, config: EngineConfig):
        self.config = config
        self._asr: ASRBackend | None = None
        self._embedder: SpeakerEmbedder | None = None
        self._diarizer = None
        self._load_lock = threading.Lock()

    @classmethod
    def shared(cls, config: EngineConfig) -> Engine:
        with cls._shared_lock:
            engine = cls._shared.get(config)
            if engine is None:
                engine = cls._shared[config] = cls(config)
            return engine

    # --- models, loaded once ----------------------------------------------------------------

    @property
    def asr(self) -> ASRBackend:
        if self._asr is None:
            with self._load_lock:
                if self._asr is None:
                    self._asr = load_asr(self.config)
        return self._asr

    @property
    def embedder(self) -> SpeakerEmbedder:
        if self._embedder is None:
            with self._load_lock:
                if self._embedder is None:
                    self._embedder = SpeakerEmbedder(self.config)
        return self._embedder

    @property
    def diarizer(self):
        if self._diarizer is None:
            from .diarization import load_diarizer

            embedder = self.embedder if self.config.diarization_backend == "builtin" else None
            with self._load_lock:
                if self._diarizer is None:
                    self._diarizer = load_diarizer(self.config, embedder)
        return self._diarizer

    def diarize(self, audio: np.ndarray):
        """Who spoke when in `audio` (list of Turn), with the configured backend."""
        return self.diarizer.diarize(audio)

    # --- enrollment -------------------------------------------------------------------------

    def enroll(self, audio: np.ndarray, *, phrase_text: str | None = None) -> EnrollmentResult:
        """A voiceprint from a 10–30 s recording of the owner alone, or EnrollmentError (its
        `code` says which rule refused the recording)."""
        config = self.config
        timer = Timer()
        duration_ms = samples_to_ms(audio.size)
        if duration_ms > config.enroll_max_duration_ms:
            raise EnrollmentError(
                f"the recording is too long ({duration_ms / 1000:.0f} s); "
                f"enroll with at most {config.enroll_max_duration_ms // 1000} s",
                code=RejectionCode.TOO_LONG,
            )
        loudness = rms_dbfs(audio)
        if loudness < SILENT_DBFS:
            raise EnrollmentError(
                "the recording is silent: no sound at all was recorded; check that the microphone is on "
                "and not muted",
                code=RejectionCode.TOO_QUIET,
            )
        if loudness < config.min_rms_dbfs:
            raise EnrollmentError(
                f"the recording is too quiet ({loudness:.0f} dBFS); speak closer to the microphone",
                code=RejectionCode.TOO_QUIET,
            )
        with timer.stage("vad"):
            spans = speech_spans(audio, config)
        speech_ms = total_ms(spans)
        if speech_ms < config.enroll_min_speech_ms:
            raise EnrollmentError(
                f"too little speech: {speech_ms / 1000:.1f} s heard, "
                f"at least {config.enroll_min_speech_ms / 1000:.0f} s are needed",
                code=RejectionCode.TOO_SHORT,
            )
        with timer.stage("embed"):
            emb = embed_speech(audio, spans, self.embedder, config)
        second = second_voice_share(emb.vectors, config)
        if second is not None:
            raise EnrollmentError(
                f"more than one voice: {second:.0%} of the speech sounds like somebody else; "
                "record again alone",
                code=RejectionCode.SEVERAL_VOICES,
            )
        voiceprint, consistency = voiceprint_from_windows(emb.vectors)
        if consistency < config.enroll_min_consistency:
            raise EnrollmentError(
                f"the voice is not consistent enough to learn (consistency {consistency:.2f}); "
                "record again in a quiet place",
                code=RejectionCode.INCONSISTENT_VOICE,
            )
        with timer.stage("embed"):
            voiceprint_narrow = narrow_voiceprint(audio, spans, self.embedder, config)
        with timer.stage("asr"):
            words = [w for w, _ in transcribe_stretches(self.asr, audio, spans, config.asr_pack_gap_ms)]
        transcript = join_words(words)
        distance = word_edit_distance(phrase_text, transcript) if phrase_text else None
        return EnrollmentResult(
            voiceprint=voiceprint,
            speech_ms=speech_ms,
            window_count=len(emb.spans),
            consistency=round(consistency, 4),
            transcript=transcript,
            edit_distance=distance,
            model_id=self.embedder.model_id,
            duration_ms=duration_ms,
            timings=timer.timings,
            voiceprint_narrow=voiceprint_narrow,
        )

    # --- chunks -----------------------------------------------------------------------------

    def process_chunk(
        self,
        audio: np.ndarray,
        *,
        voiceprint: np.ndarray,
        voiceprint_narrow: np.ndarray | None = None,
        enrollment_audio: np.ndarray | None = None,
        negatives: np.ndarray | None = None,
        answers: tuple[Sequence[Span], Sequence[Span]] = ((), ()),
    ) -> ChunkResult:
        """The owner's segments of one chunk; nobody else's speech is transcribed.

        `answers` = (spans the owner confirmed as theirs, spans they said were not): their own
        word overrides the voice match on that speech, "not me" first (attribution.apply_answers).

        The voiceprint strategy needs only the voiceprint; the anchored one also needs the
        owner's enrollment audio. `negatives` (k × dim embeddings of voices confirmed not to be
        the owner's, optional) turn speech that sounds more like one of them than like the
        owner into other (voiceprint strategy only; see attribution.py). None or empty: no
        change at all. `voiceprint_narrow` (EnrollmentResult.voiceprint_narrow, optional): a
        narrow-band chunk is scored against it instead (band matching, see band.py).
        """
        prepared = self._prepare(
            audio,
            voiceprint=voiceprint,
            voiceprint_narrow=voiceprint_narrow,
            enrollment_audio=enrollment_audio,
            negatives=negatives,
            answers=answers,
        )
        if isinstance(prepared, ChunkResult):
            return prepared
        return transcribe_pending(self.asr, [prepared], self.config)[0]

    def process_chunks(self, jobs: Sequence[ChunkJob]) -> list[ChunkResult | Exception]:
        """`process_chunk` for several chunks (one owner's short chunks waiting in the queue),
        with one pass of the recogniser over all their owner stretches (transcription.py): short
        chunks share Whisper's 30 s windows instead of each paying for one. One outcome per job,
        in order: its ChunkResult, or the exception that stopped it — one bad chunk never stops
        the others; a recogniser error stops every chunk that needed it."""
        outcomes: list[ChunkResult | PendingChunk | Exception] = []
        for job in jobs:
            try:
                outcomes.append(self._prepare(job.audio, **job.options()))
            except Exception as exc:  # the caller decides per chunk (permanent or retry)
                outcomes.append(exc)
        pending = [o for o in outcomes if isinstance(o, PendingChunk)]
        if not pending:
            return outcomes
        try:
            done = iter(transcribe_pending(self.asr, pending, self.config))
        except Exception as exc:
            return [exc if isinstance(o, PendingChunk) else o for o in outcomes]
        return [next(done) if isinstance(o, PendingChunk) else o for o in outcomes]

    def _prepare(
        self, audio, *, voiceprint, voiceprint_narrow=None, enrollment_audio=None, negatives=None, answers=((), ())
    ) -> ChunkResult | PendingChunk:
        """Everything before the recogniser: a final result (nothing to transcribe: silent, no
        speech, indeterminate) or the chunk's owner stretches, pending."""
        config = self.config
        timer = Timer()
        started = time.perf_counter()
        duration_ms = samples_to_ms(audio.size)
        voiceprint = np.asarray(voiceprint, dtype=np.float32)
        voiceprint, decision_band, config = chunk_voiceprint(audio, voiceprint, voiceprint_narrow, config)
        if negatives is not None:
            negatives = np.asarray(negatives, dtype=np.float32)
            if negatives.size == 0:
                negatives = None
            elif negatives.ndim != 2 or negatives.shape[1] != voiceprint.size:
                raise ValueError(
                    f"negatives must be k × {voiceprint.size} like the voiceprint, not {negatives.shape}"
                )
        loudness = rms_dbfs(audio)
        decision = DecisionRecord(
            strategy=config.strategy,
            threshold=config.accept_threshold,
            uncertain_margin=config.uncertain_margin,
            uncertain_policy=config.uncertain_policy,
            cluster_weight=config.cluster_weight,
            smoothing_windows=config.smoothing_windows,
            embedding_model=self.embedder.model_id,
            rms_dbfs=round(loudness, 1) if np.isfinite(loudness) else None,
            band=decision_band,
        )
        if loudness < config.min_rms_dbfs:
            return self._empty(duration_ms, decision, timer, started, "the audio is silent")
        if config.strategy == "anchored":
            return self._process_anchored(audio, voiceprint, enrollment_audio, answers, decision, timer, started)
        with timer.stage("vad"):
            spans = speech_spans(audio, config)
        decision.speech_ms = total_ms(spans)
        if not spans:
            return self._empty(duration_ms, decision, timer, started, "no speech found")
        snr = speech_snr_db(audio, spans)
        decision.snr_db = None if snr is None else round(snr, 1)
        with timer.stage("embed"):
            emb = embed_speech(audio, spans, self.embedder, config)
        with timer.stage("attribute"):
            att = decide_owner(emb, self.embedder, voiceprint, duration_ms, config, negatives)
            if decision_band == NARROW_UNMATCHED:
                att = owner_in_doubt(att)
            att = _answered(att, answers, decision)
        decision.windows = len(emb.spans)
        if negatives is not None:
            decision.negatives = NegativesDecision(len(negatives), config.negative_margin, att.vetoed_ms)
        decision.clusters = int(att.cluster_labels.max() + 1) if att.cluster_labels is not None else None
        _record_regions(decision, att)
        reason = None  # why a chunk with nothing accepted cannot be called done-and-empty
        if not att.owner:
            if decision_band == NARROW_UNMATCHED:
                reason = UNMATCHED_REASON
            elif is_noisy(snr, config):
                reason = noisy_reason(snr)
            elif decision.uncertain_ms >= config.indeterminate_uncertain_share * decision.speech_ms:
                reason = "the owner match is uncertain"
        if reason:
            result = self._empty(duration_ms, decision, timer, started, reason)
            result.status = ChunkStatus.INDETERMINATE
            return result
        claimed = confirmed_speech(*answers)
        return self._transcribe_owner(audio, att, att.mean_score, decision, timer, started, claimed)

    def _process_anchored(self, audio, voiceprint, enrollment_audio, answers, decision, timer, started) -> ChunkResult:
        """The original design: diarize enrollment + pad + chunk, the enrollment's label is the owner."""
        config = self.config
        if enrollment_audio is None or enrollment_audio.size == 0:
            raise SpeechError("the anchored strategy needs the owner's enrollment audio, which is not kept")
        duration_ms = samples_to_ms(audio.size)
        enroll_ms = samples_to_ms(enrollment_audio.size)
        pad = np.zeros(ms_to_samples(config.pad_ms), dtype=np.float32)
        with timer.stage("diarize"):
            turns = self.diarize(np.concatenate([enrollment_audio.astype(np.float32), pad, audio]))
        anchor = anchor_owner_label(turns, enroll_ms, config.enroll_dominance)
        decision.anchor = AnchorDecision(
            diarization_model=self.diarizer.model_id,
            enroll_ms=enroll_ms,
            pad_ms=config.pad_ms,
            enroll_dominance=config.enroll_dominance,
            labels=len({t.label for t in turns}),
            dominance=round(anchor.dominance, 4),
            owner_label=anchor.label,
        )
        if anchor.label is None:
            result = self._empty(duration_ms, decision, timer, started, anchor.reason)
            result.status = ChunkStatus.INDETERMINATE
            return result
        att = _answered(attribute_anchored(turns, anchor.label, enroll_ms + config.pad_ms, duration_ms), answers, decision)
        decision.speech_ms = total_ms([Span(r.start_ms, r.end_ms) for r in att.regions])
        _record_regions(decision, att)

        def similarity_of(start_ms: int, end_ms: int) -> float:
            piece = audio[ms_to_samples(start_ms) : ms_to_samples(end_ms)]
            return float(self.embedder.embed_audio(piece) @ voiceprint)

        claimed = confirmed_speech(*answers)
        return self._transcribe_owner(audio, att, similarity_of, decision, timer, started, claimed)

    def _transcribe_owner(
        self, audio, att: Attribution, similarity_of, decision, timer, started, confirmed=()
    ) -> PendingChunk:
        """The owner's stretches (and the uncertain ones when they are kept flagged), for ASR."""
        return pending_chunk(audio, att, similarity_of, decision, timer, started, self.config, confirmed)

    def transcribe_all(self, audio: np.ndarray) -> list[Word]:
        """Every word of the audio, attributed to nobody (the benchmark's baseline)."""
        return self.asr.transcribe(audio)

    @staticmethod
    def _empty(duration_ms, decision, timer, started, reason) -> ChunkResult:
        timer.timings["total"] = round(time.perf_counter() - started, 4)
        return ChunkResult(ChunkStatus.DONE, [], duration_ms, decision, timer.timings, reason=reason)


def decide_owner(emb, embedder, voiceprint, duration_ms: int, config: EngineConfig, negatives=None) -> Attribution:
    """The voiceprint strategy's owner decision on a chunk's window embeddings: windows scored and
    thresholded, hand-overs placed, other voices carved out of owner regions, hand-overs moved onto
    pauses (the engine, and speechlab's region sweep)."""
    att = attribute_voiceprint(emb, voiceprint, duration_ms, config, negatives)
    if config.refine_boundaries:
        att = refine_boundaries(att, emb, embedder, voiceprint, config)
    if config.intrusion_scan:
        att = carve_intrusions(att, emb, embedder, voiceprint, config, negatives)
    if config.pause_snap_ms:
        att = with_regions(att, snap_to_pauses(att.regions, emb.feats, config))
    return att


def _answered(att: Attribution, answers, decision: DecisionRecord) -> Attribution:
    owner, other = answers
    if not owner and not other:
        return att
    att, decision.answered_owner_ms, decision.answered_other_ms = apply_answers(att, owner=owner, other=other)
    return att


def _record_regions(decision: DecisionRecord, att: Attribution) -> None:
    """Per-region decisions and scores into the audit record (no text, ever)."""
    decision.regions = [
        RegionDecision(r.start_ms, r.end_ms, None if np.isnan(r.similarity) else r.similarity, r.decision)
        for r in att.regions
    ]
    decision.owner_ms = total_ms(att.owner)
    decision.uncertain_ms = total_ms(att.uncertain)
