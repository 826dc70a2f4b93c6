"""Signals of the utterances app, for the apps above it (which it never imports)."""

from django.dispatch import Signal

# Sent inside the transaction that deletes an utterance at the owner's request, before its row
# goes; argument: utterance. The chunks app records the span so that a reprocess of the chunk
# never brings it back, and counts it out of the chunk's segments_count.
utterance_removing = Signal()

# Sent after the transaction that stored new utterances (a chunk's result) commits; argument:
# utterances (a list, with their ids). The webhooks app sends `utterance.created`.
utterances_created = Signal()

# Sent after the transaction that deleted utterances commits — the owner deleted one, or a new
# result of its chunk replaced them; argument: utterances (a list of the rows as they were, with
# id, chunk_id, user_id, device_id, start_ts and end_ts; never read their text). The webhooks
# app sends `utterance.deleted`.
utterances_deleted = Signal()
