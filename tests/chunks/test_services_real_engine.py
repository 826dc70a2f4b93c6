"""The worker path on the real engine and the bundled models: enroll from real speech, then
process a real two-speaker conversation. Slow (model loading, CPU inference)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.files.uploadedfile import SimpleUploadedFile

from chunks.models import Chunk
from chunks.processing import chunk_process
from chunks.services import chunk_ingest
from enrollment.models import Enrollment
from enrollment.services import enrollment_create, enrollment_process
from selective_speaker.speech.audio import decode_audio
from utterances.models import Utterance

pytestmark = [pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
ENROLLMENT_FILES = [FIXTURES / f"1998-15444-000{i}.flac" for i in (7, 8, 9)]
CONVERSATION = FIXTURES / "sim_ls_2spk_FM_0-34s.flac"
CONVERSATION_RTTM = FIXTURES / "sim_ls_2spk_FM_0-34s.rttm"
OWNER = "ls1998"


def enrollment_wav() -> bytes:
    gap = np.zeros(4800, dtype=np.float32)
    audio = np.concatenate([piece for path in ENROLLMENT_FILES for piece in (decode_audio(path)[0], gap)])
    buffer = io.BytesIO()
    sf.write(buffer, audio, 16_000, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def owner_turns() -> list[tuple[int, int]]:
    turns = []
    for line in CONVERSATION_RTTM.read_text().splitlines():
        parts = line.split()
        if parts[7] == OWNER:
            start = float(parts[3])
            turns.append((round(start * 1000), round((start + float(parts[4])) * 1000)))
    return turns


def share_inside(segments, turns) -> float:
    grid = np.zeros(40_000 // 10, dtype=bool)
    for start, end in turns:
        grid[start // 10 : end // 10] = True
    kept = sum(s.end_ms - s.start_ms for s in segments)
    inside = sum(int(grid[s.start_ms // 10 : s.end_ms // 10].sum()) * 10 for s in segments)
    return inside / kept


def test_it_enrolls_and_keeps_only_the_owners_words(user, real_engine_ready):
    enrollment = enrollment_create(
        user=user,
        audio_file=SimpleUploadedFile("me.wav", enrollment_wav()),
        phrase_text="the best antidote is that which is at hand",
    )
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.READY, enrollment.error
    assert enrollment.voiceprint_dim == 192
    assert np.isclose(np.linalg.norm(enrollment.voiceprint_array()), 1.0, atol=1e-4)
    assert "at hand" in enrollment.transcript.lower()
    assert enrollment.edit_distance is not None

    chunk, created = chunk_ingest(
        user=user,
        audio_file=SimpleUploadedFile("talk.flac", CONVERSATION.read_bytes()),
        device_id="pendant",
        start_ts=datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
    )
    assert created
    chunk_process(chunk_id=chunk.id)
    chunk.refresh_from_db()
    assert chunk.status == Chunk.Status.DONE, chunk.error
    segments = list(Utterance.objects.filter(chunk=chunk).order_by("start_ms"))
    assert len(segments) == chunk.segments_count >= 1
    assert share_inside(segments, owner_turns()) >= 0.95  # bystander time stays out
    assert chunk.owner_speech_ms >= 0.6 * sum(end - start for start, end in owner_turns())
    assert chunk.decision["strategy"] == "voiceprint"
    assert chunk.decision["enrollment_ids"] == [enrollment.id]
    regions = chunk.decision["regions"]
    assert regions and all(r.keys() >= {"start_ms", "end_ms", "similarity", "decision"} for r in regions)
    audit = json.dumps(chunk.decision).lower()
    assert not any(segment.text.lower() in audit for segment in segments)  # the audit record holds no words
    assert chunk.timings["total"] > 0


def test_it_rejects_a_two_voice_enrollment(user, real_engine_ready):
    enrollment = enrollment_create(user=user, audio_file=SimpleUploadedFile("talk.flac", CONVERSATION.read_bytes()))
    enrollment_process(enrollment=enrollment)
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REJECTED
    assert "more than one voice" in enrollment.error
