"""A stretch of a chunk's recording as a playable WAV (utterances, "Was this you?" questions)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from chunks.models import Chunk
from selective_speaker.http_range import AUDIO_GONE_MESSAGE, stored_clip_response


def chunk_clip_response(
    request: HttpRequest, chunk: Chunk, *, start_ms: int, end_ms: int, name: str, gone_message: str = AUDIO_GONE_MESSAGE
) -> HttpResponse:
    """[start_ms, end_ms) of the chunk's audio as `<name>.wav`, with Range support; 410 once the
    audio is gone, 503 while the store is down. The decoder may read a little past the chunk's
    recorded duration (and at least up to MAX_CHUNK_SECONDS) before it calls the file too long."""
    return stored_clip_response(
        request,
        chunk.audio,
        start_ms=start_ms,
        end_ms=end_ms,
        max_duration_ms=max(chunk.duration_ms, settings.MAX_CHUNK_SECONDS * 1000) + 1000,
        filename=f"{name}.wav",
        log_as=f"{name} (chunk {chunk.id})",
        gone_message=gone_message,
    )
