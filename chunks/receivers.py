"""What the chunks app does when other apps' signals fire (connected in chunks/apps.py)."""

from __future__ import annotations

from chunks.services import chunk_forget_utterance, chunk_requeue_waiting


def forget_removed_utterance(sender, *, utterance, **kwargs) -> None:
    """utterances.signals.utterance_removing: the owner deletes an utterance."""
    chunk_forget_utterance(chunk_id=utterance.chunk_id, start_ms=utterance.start_ms, end_ms=utterance.end_ms)


def requeue_waiting_chunks(sender, *, user, **kwargs) -> None:
    """enrollment.signals.voiceprint_ready: chunks that waited for a voiceprint can go."""
    chunk_requeue_waiting(user=user)
