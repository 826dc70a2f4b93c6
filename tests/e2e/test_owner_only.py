"""The product's promise, end to end on real voices: enroll the owner, upload a conversation
through the API, run the worker, and find the owner's words — and only the owner's — on the
timeline."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.speech.conftest import (
    BYSTANDER,
    CONVERSATION,
    CONVERSATION_RTTM,
    ENROLLMENT_FILES,
    OWNER,
    coverage,
    load,
    rttm_turns,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

START = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)
LONG_WORD = re.compile(r"[a-z']{5,}")


def enrollment_upload() -> SimpleUploadedFile:
    """The owner's held-out utterances (never in the conversation) as one phone recording."""
    gap = np.zeros(4800, dtype=np.float32)
    audio = np.concatenate([piece for path in ENROLLMENT_FILES for piece in (load(path), gap)])
    buffer = io.BytesIO()
    sf.write(buffer, audio, 16000, format="WAV", subtype="PCM_16")
    return SimpleUploadedFile("enrollment.wav", buffer.getvalue(), content_type="audio/wav")


def distinctive_words(engine, audio: np.ndarray, turns: list[tuple[int, int]]) -> set[str]:
    words: set[str] = set()
    for start, end in turns:
        text = " ".join(w.text for w in engine.transcribe_all(audio[start * 16 : end * 16]))
        words |= set(LONG_WORD.findall(text.lower()))
    return words


def test_it_keeps_the_owners_words_and_not_the_other_speakers(api, drain_jobs, real_engine_ready):
    response = api.post("/api/v1/enrollments/", {"audio": enrollment_upload()}, format="multipart")
    assert response.status_code == 202, response.json()
    enrollment_id = response.json()["id"]
    jobs = drain_jobs()
    assert [job["success"] for job in jobs] == [True], jobs
    enrollment = api.get(f"/api/v1/enrollments/{enrollment_id}/").json()
    assert enrollment["status"] == "ready", enrollment

    with open(CONVERSATION, "rb") as fh:
        upload = SimpleUploadedFile("chunk.flac", fh.read(), content_type="audio/flac")
    response = api.post(
        "/api/v1/chunks/",
        {"audio": upload, "device_id": "pendant-1", "start_ts": START.isoformat(), "gps_lat": 48.8566, "gps_lon": 2.3522},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    chunk_id = response.json()["id"]
    jobs = drain_jobs()
    assert jobs and all(job["success"] for job in jobs), jobs

    chunk = api.get(f"/api/v1/chunks/{chunk_id}/").json()
    assert chunk["status"] == "done", chunk
    assert chunk["segments_count"] > 0
    assert chunk["address"] and "Paris" in chunk["address"]

    bubbles = api.get("/api/v1/utterances/", {"page_size": 200}).json()["results"]
    assert len(bubbles) == chunk["segments_count"]
    assert all(b["chunk_id"] == chunk_id and b["device_id"] == "pendant-1" for b in bubbles)
    assert all("Paris" in b["address"] for b in bubbles)

    # Where the kept bubbles lie, against the conversation's exact speaker turns.
    audio = load(CONVERSATION)
    turns = rttm_turns(CONVERSATION_RTTM)
    n = audio.size // 160 + 1

    def chunk_ms(ts: str) -> int:
        return round((datetime.fromisoformat(ts.replace("Z", "+00:00")) - START) / timedelta(milliseconds=1))

    kept = coverage([(chunk_ms(b["start_ts"]), chunk_ms(b["end_ts"])) for b in bubbles], n)
    owner = coverage([(s, e) for s, e, who in turns if who == OWNER], n)
    bystander = coverage([(s, e) for s, e, who in turns if who == BYSTANDER], n)
    recall = (kept & owner).sum() / owner.sum()
    leak = (kept & bystander & ~owner).sum() / kept.sum()
    assert recall >= 0.75, f"owner recall {recall:.2f}"
    assert leak <= 0.03, f"bystander leak {leak:.3f}"

    # Words only the bystander said never reach the database.
    from selective_speaker.speech.engine import Engine
    from selective_speaker.speech_config import speech_config

    engine = Engine.shared(speech_config())
    owner_words = distinctive_words(engine, audio, [(s, e) for s, e, who in turns if who == OWNER])
    bystander_only = distinctive_words(engine, audio, [(s, e) for s, e, who in turns if who == BYSTANDER]) - owner_words
    stored = " ".join(b["text"].lower() for b in bubbles)
    assert len(bystander_only) >= 5
    assert not {w for w in bystander_only if re.search(rf"\b{re.escape(w)}\b", stored)}
    assert len(set(LONG_WORD.findall(stored)) & owner_words) >= 10

    # The owner decision keeps its audit record — strategy, scores, threshold, models — and the
    # bystander's words are nowhere in the database, not even in that record.
    from chunks.models import Chunk

    stored_chunk = Chunk.objects.get(id=chunk_id)
    audit = stored_chunk.decision
    assert audit["strategy"] == "voiceprint" and audit["threshold"] > 0
    assert audit["embedding_model"] and audit["asr_model"]
    assert audit["enrollment_ids"] == [enrollment_id]
    assert {r["decision"] for r in audit["regions"]} >= {"owner", "other"}
    assert all(r["similarity"] is None or -1 <= r["similarity"] <= 1 for r in audit["regions"])
    everything = " ".join(
        [json.dumps(audit), json.dumps(stored_chunk.timings), stored_chunk.error]
        + [f"{s.text} {json.dumps(s.words)}" for s in stored_chunk.utterances.all()]
    ).lower()
    assert not {w for w in bystander_only if re.search(rf"\b{re.escape(w)}\b", everything)}
