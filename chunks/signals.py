"""Signals of the chunks app, for the apps above it (which it never imports)."""

from django.dispatch import Signal

# Sent after the transaction that stored a chunk's result (status done or indeterminate, its
# utterances and audit record) commits; argument: chunk. The webhooks app tells the owner's endpoints.
chunk_processed = Signal()
