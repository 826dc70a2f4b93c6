"""Audio chunks uploaded by the owner's devices, and the places they were recorded."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from selective_speaker.validators import device_id_validator

latitude_validators = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
longitude_validators = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


# Every chunk's file lies under this directory of the store (the orphan sweep walks it).
CHUNK_AUDIO_DIR = "chunks"


def chunk_audio_path(instance: Chunk, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    day = instance.start_ts.strftime("%Y/%m/%d")
    return f"{CHUNK_AUDIO_DIR}/{instance.user_id}/{day}/{instance.audio_sha256}.{extension}"


class Location(models.Model):
    """A reverse-geocoded place, cached by rounded coordinates and shared by chunks."""

    lat_round = models.DecimalField(max_digits=9, decimal_places=6)
    lon_round = models.DecimalField(max_digits=10, decimal_places=6)
    address = models.CharField(max_length=512, blank=True)
    city = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=255, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    provider = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lat_round", "lon_round"], name="location_unique_rounded_point"),
        ]

    def __str__(self) -> str:
        return self.address or f"{self.lat_round}, {self.lon_round}"


class Chunk(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING = "waiting", "Waiting for a voice enrollment"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        INDETERMINATE = "indeterminate", "Indeterminate"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chunks")
    device_id = models.CharField(max_length=64, validators=[device_id_validator])
    start_ts = models.DateTimeField()
    end_ts = models.DateTimeField()  # the client's, or start_ts + the decoded duration
    gps_lat = models.FloatField(null=True, blank=True, validators=latitude_validators)
    gps_lon = models.FloatField(null=True, blank=True, validators=longitude_validators)
    audio = models.FileField(upload_to=chunk_audio_path, max_length=255, blank=True)
    audio_deleted_at = models.DateTimeField(null=True, blank=True)  # raw audio removed (retention, owner)
    audio_sha256 = models.CharField(max_length=64)
    audio_bytes = models.PositiveBigIntegerField()
    duration_ms = models.PositiveIntegerField()
    codec = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    enrollment = models.ForeignKey(
        "enrollment.Enrollment", on_delete=models.SET_NULL, null=True, blank=True, related_name="chunks"
    )
    decision = models.JSONField(default=dict, blank=True)  # the engine's audit record, never text
    timings = models.JSONField(default=dict, blank=True)
    segments_count = models.PositiveIntegerField(default=0)
    owner_speech_ms = models.PositiveIntegerField(default=0)
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="chunks")
    # [start_ms, end_ms] of segments the owner deleted: a later reprocess never brings them back.
    suppressed_spans = models.JSONField(default=list, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The job's schedule (selective_speaker.jobs): while waiting, when it may run (a retry's
    # back-off; null = since created); while processing, when its claim's lease ends.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)  # its job last reached the broker
    geocode_enqueued_at = models.DateTimeField(null=True, blank=True)  # the geocoding job's
    processed_at = models.DateTimeField(null=True, blank=True)
    # X-Request-ID of the upload (selective_speaker/request_id.py): its jobs log under it too
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_ts", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id", "start_ts"], name="chunk_unique_device_start"),
            models.UniqueConstraint(fields=["user", "audio_sha256"], name="chunk_unique_audio"),
            models.CheckConstraint(condition=models.Q(end_ts__gte=models.F("start_ts")), name="chunk_end_after_start"),
        ]
        indexes = [
            models.Index(fields=["user", "-start_ts", "-id"], name="chunk_user_start_idx"),
            models.Index(fields=["user", "status"], name="chunk_user_status_idx"),
            models.Index(fields=["status", "claimed_at"], name="chunk_status_claim_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="chunk_status_next_idx"),
        ]

    def __str__(self) -> str:
        return f"Chunk {self.pk} {self.device_id} {self.start_ts:%Y-%m-%d %H:%M:%S} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("chunks:detail", kwargs={"chunk_id": self.pk})

    @property
    def audio_retained(self) -> bool:
        """Whether the raw recording is still stored (replay, reprocessing)."""
        return bool(self.audio)
