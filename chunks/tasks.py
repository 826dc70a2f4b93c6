"""django-q2 entry points for chunks: load by id, call a service. No logic here."""

from __future__ import annotations

from chunks.models import Chunk
from chunks.places import chunk_geocode
from chunks.processing import chunk_process
from chunks.services import chunk_requeue_stale, chunk_sweep_audio_retention, chunk_sweep_orphan_files
from selective_speaker.jobs import request_scoped


@request_scoped
def process_chunk(chunk_id: int) -> str:
    chunk = chunk_process(chunk_id=chunk_id)
    return "skipped" if chunk is None else chunk.status


@request_scoped
def geocode_chunk(chunk_id: int) -> str:
    chunk = Chunk.objects.filter(id=chunk_id).first()
    if chunk is None:
        return "gone"
    location = chunk_geocode(chunk=chunk)
    return "no position" if location is None else (location.address or "no place found")


def requeue_stale_chunks() -> int:
    return chunk_requeue_stale()


def sweep_audio_retention() -> int:
    return chunk_sweep_audio_retention()


def sweep_orphan_files() -> int:
    return chunk_sweep_orphan_files()
