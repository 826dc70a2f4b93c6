"""The owner's webhook endpoints and the log of what was delivered to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    """What an endpoint can subscribe to (docs/webhooks.md describes each payload)."""

    CHUNK_PROCESSED = "chunk.processed", "A recording was processed"
    UTTERANCE_CREATED = "utterance.created", "An utterance was kept"
    UTTERANCE_DELETED = "utterance.deleted", "An utterance was deleted"


# Sent by "send test event" only, whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """A URL of the owner's that receives signed POSTs for the events it subscribes to."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # The HMAC key of the signatures: shown to the owner once (on creation and rotation).
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list)  # Event values
    active = models.BooleanField(default=True)
    # Deliveries in a row that ran out of attempts; WEBHOOK_DISABLE_AFTER_FAILURES of them disable it.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)  # by the server, after failures
    disabled_reason = models.CharField(max_length=300, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="webhook_endpoint_user_idx")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: a job row (selective_speaker.jobs) with its attempts' answers."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # waiting for its (next) attempt
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    subject = models.CharField(max_length=40, blank=True)  # "utterance:42", "chunk:7": what the event is about
    chunk_id = models.BigIntegerField(null=True, blank=True)  # the recording it is about (not a key: data)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_codes = models.JSONField(default=list)  # per attempt: the HTTP status, or null (no answer)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)  # the last attempt's
    error = models.TextField(blank=True)  # the last failed attempt's
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # a retry's time, or a claim's lease
    enqueued_at = models.DateTimeField(null=True, blank=True)  # the broker took its job
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
            models.Index(fields=["subject"], name="webhook_delivery_subject_idx"),
            models.Index(fields=["chunk_id"], name="webhook_delivery_chunk_idx"),
            models.Index(fields=["created_at"], name="webhook_delivery_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
