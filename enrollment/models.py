"""A recording of the owner's voice and the voiceprint computed from it."""

from __future__ import annotations

import uuid

import numpy as np
from django.conf import settings
from django.db import models
from django.urls import reverse

VOICEPRINT_DTYPE = np.dtype("<f4")


def enrollment_audio_path(instance: Enrollment, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"enrollments/{instance.user_id}/{uuid.uuid4().hex}.{extension}"


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    audio = models.FileField(upload_to=enrollment_audio_path, max_length=255, blank=True)
    audio_sha256 = models.CharField(max_length=64)
    phrase_text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    transcript = models.TextField(blank=True)
    edit_distance = models.PositiveIntegerField(null=True, blank=True)
    voiceprint = models.BinaryField(null=True, blank=True)  # float32 little-endian
    voiceprint_dim = models.PositiveSmallIntegerField(null=True, blank=True)
    speech_ms = models.PositiveIntegerField(null=True, blank=True)
    window_count = models.PositiveIntegerField(null=True, blank=True)
    consistency = models.FloatField(null=True, blank=True)
    model_id = models.CharField(max_length=128, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"], name="enrollment_user_status_idx"),
            models.Index(fields=["status", "claimed_at"], name="enrollment_status_claim_idx"),
        ]

    def __str__(self) -> str:
        return f"Enrollment {self.pk} of {self.user_id} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("enrollment:detail", kwargs={"enrollment_id": self.pk})

    def voiceprint_array(self) -> np.ndarray:
        """The voiceprint as a float32 vector; a clear error if there is none yet."""
        if self.voiceprint is None:
            raise ValueError(f"enrollment {self.pk} has no voiceprint (status {self.status})")
        return np.frombuffer(bytes(self.voiceprint), dtype=VOICEPRINT_DTYPE).astype(np.float32)

    @staticmethod
    def voiceprint_bytes(vector: np.ndarray) -> bytes:
        return np.asarray(vector, dtype=VOICEPRINT_DTYPE).tobytes()
