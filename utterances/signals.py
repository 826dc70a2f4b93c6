"""Signals of the utterances app, for the apps above it (which it never imports)."""

from django.dispatch import Signal

# Sent inside the transaction that deletes an utterance at the owner's request, before its row
# goes; argument: utterance. The chunks app records the span so that a reprocess of the chunk
# never brings it back, and counts it out of the chunk's segments_count.
utterance_removing = Signal()
