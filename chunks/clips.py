"""A stretch of a chunk's recording as a playable WAV (utterances, "Was this you?" questions),
and the window to play around a short stretch so that a listener can judge the voice in it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from chunks.models import Chunk
from selective_speaker.http_range import AUDIO_GONE_MESSAGE, stored_clip_response

# A voice is hard to judge from under a second: a stretch is played with CLIP_CONTEXT_MS of the
# recording on each side, and at least CLIP_MIN_MS in all.
CLIP_CONTEXT_MS = 1000
CLIP_MIN_MS = 3000


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


def clip_window(
    start_ms: int, end_ms: int, *, length_ms: int | None, context_ms: int = CLIP_CONTEXT_MS, min_ms: int = CLIP_MIN_MS
) -> tuple[int, int]:
    """[start, end) ms to play for the stretch [start_ms, end_ms): `context_ms` on each side,
    widened evenly to `min_ms`, moved to stay inside a recording of `length_ms` (unknown: None
    or 0) and cut to its length when the recording is shorter."""
    span = max(end_ms - start_ms, 0)
    want = max(min_ms, span + 2 * context_ms)
    start = start_ms - (want - span) // 2
    end = start + want
    if length_ms and end > length_ms:
        start, end = start - (end - length_ms), length_ms
    if start < 0:
        start, end = 0, end - start
        if length_ms:
            end = min(end, length_ms)
    return start, end
