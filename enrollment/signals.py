"""Signals of the enrollment app, for the apps above it (which it never imports)."""

from django.dispatch import Signal

# Sent after the transaction that made a user's new voiceprint ready commits; argument: user.
# The chunks app queues the user's chunks that were waiting for a voiceprint.
voiceprint_ready = Signal()
