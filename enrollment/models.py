"""A recording of the owner's voice and the voiceprint computed from it."""

from __future__ import annotations

import uuid

import numpy as np
from django.conf import settings
from django.db import models
from django.urls import reverse

from selective_speaker.validators import device_id_validator

VOICEPRINT_DTYPE = np.dtype("<f4")


# Every enrollment's recording lies under this directory of the store (the orphan sweep walks it).
ENROLLMENT_AUDIO_DIR = "enrollments"


def enrollment_audio_path(instance: Enrollment, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"{ENROLLMENT_AUDIO_DIR}/{instance.user_id}/{uuid.uuid4().hex}.{extension}"


class Enrollment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        REJECTED = "rejected", "Rejected"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    # The device it was recorded with: its voiceprint judges that device's chunks ("" = any device).
    device_id = models.CharField(max_length=64, blank=True, validators=[device_id_validator])
    audio = models.FileField(upload_to=enrollment_audio_path, max_length=255, blank=True)
    audio_sha256 = models.CharField(max_length=64)
    phrase_text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    # why it was rejected, for machines and pages (a RejectionCode value); "" when not rejected
    error_code = models.CharField(max_length=32, blank=True)
    transcript = models.TextField(blank=True)
    edit_distance = models.PositiveIntegerField(null=True, blank=True)
    voiceprint = models.BinaryField(null=True, blank=True)  # float32 little-endian
    voiceprint_dim = models.PositiveSmallIntegerField(null=True, blank=True)
    # the same voice through the telephone band: narrow-band chunks are judged against it
    voiceprint_narrow = models.BinaryField(null=True, blank=True)
    speech_ms = models.PositiveIntegerField(null=True, blank=True)
    window_count = models.PositiveIntegerField(null=True, blank=True)
    consistency = models.FloatField(null=True, blank=True)
    model_id = models.CharField(max_length=128, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The job's schedule (selective_speaker.jobs): while waiting, when it may run (a retry's
    # back-off; null = since created); while processing, when its claim's lease ends.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # its job last reached the broker
    # X-Request-ID of the upload (selective_speaker/request_id.py): its job logs under it too
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"], name="enrollment_user_status_idx"),
            models.Index(fields=["user", "device_id", "status", "-created_at"], name="enrollment_user_device_idx"),
            models.Index(fields=["status", "claimed_at"], name="enrollment_status_claim_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="enrollment_status_next_idx"),
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

    def voiceprint_narrow_array(self) -> np.ndarray | None:
        """The telephone-band voiceprint, None for enrollments made before it existed."""
        if self.voiceprint_narrow is None:
            return None
        return np.frombuffer(bytes(self.voiceprint_narrow), dtype=VOICEPRINT_DTYPE).astype(np.float32)

    @staticmethod
    def voiceprint_bytes(vector: np.ndarray) -> bytes:
        return np.asarray(vector, dtype=VOICEPRINT_DTYPE).tobytes()


class DecisionReview(models.Model):
    """A stretch of a chunk the engine could not attribute (uncertain owner match), for staff to
    judge. Text-free by design: uncertain speech is not transcribed by default, so staff listen
    to the region's audio instead. A verdict feeds the owner's voiceprint (owner) or its
    negatives (not_owner) through a VoiceSample."""

    class Verdict(models.TextChoices):
        PENDING = "pending", "Pending"
        OWNER = "owner", "The owner"
        NOT_OWNER = "not_owner", "Not the owner"

    chunk = models.ForeignKey("chunks.Chunk", on_delete=models.CASCADE, related_name="decision_reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decision_reviews")
    start_ms = models.PositiveIntegerField()  # from the chunk's first sample
    end_ms = models.PositiveIntegerField()
    similarity = models.FloatField(null=True, blank=True)  # mean owner score of the region
    threshold = models.FloatField()  # the engine's accept threshold when it decided
    margin = models.FloatField()  # its uncertain band: [threshold - margin, threshold)
    strategy = models.CharField(max_length=32)
    embedding_model = models.CharField(max_length=128, blank=True)
    verdict = models.CharField(max_length=16, choices=Verdict.choices, default=Verdict.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "voice decision to review"
        verbose_name_plural = "voice decisions to review"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["verdict", "-created_at", "-id"], name="review_verdict_idx"),
            models.Index(fields=["user", "verdict"], name="review_user_verdict_idx"),
            models.Index(fields=["chunk", "verdict"], name="review_chunk_verdict_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_ms__gt=models.F("start_ms")), name="review_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"Chunk {self.chunk_id} {self.start_ms / 1000:.1f}–{self.end_ms / 1000:.1f} s ({self.verdict})"

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


class VoiceSample(models.Model):
    """The speaker embedding of a judged region: `owner` samples join the active voiceprint,
    `other` samples are its negatives (voices known not to be the owner's)."""

    class Kind(models.TextChoices):
        OWNER = "owner", "Owner"
        OTHER = "other", "Other voice"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_samples")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    device_id = models.CharField(max_length=64, blank=True)  # of the chunk it was cut from
    embedding = models.BinaryField()  # float32 little-endian, L2-normalised
    dim = models.PositiveSmallIntegerField()
    model_id = models.CharField(max_length=128)
    duration_ms = models.PositiveIntegerField()
    # the band of the chunk it was cut from (speech/band.py): an owner sample joins only the
    # voiceprint of its band ("" = recorded before bands were kept: wide)
    band = models.CharField(max_length=8, blank=True, default="")
    # Derived from the review's audio: deleting the chunk (and so the review) deletes it too.
    review = models.OneToOneField(
        DecisionReview, on_delete=models.CASCADE, null=True, blank=True, related_name="voice_sample"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "kind", "model_id", "-created_at"], name="voice_sample_user_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sample {self.pk} of {self.user_id}"

    def embedding_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.embedding), dtype=VOICEPRINT_DTYPE).astype(np.float32)
