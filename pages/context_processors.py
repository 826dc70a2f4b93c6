"""Values every owner page may show, read from settings (never written into page text), and the
time zone the page's times are in."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from pages.local_time import page_time_zone


@dataclass(frozen=True)
class EnrollLimits:
    """What the pages ask of an enrollment recording, in seconds."""

    advised_min_s: int  # the length the pages advise …
    advised_max_s: int
    min_speech_s: float  # the engine's minimum of speech (SPEECH_ENROLL_MIN_SPEECH_MS)
    max_s: int  # the longest recording the server takes (MAX_ENROLL_SECONDS)

    @property
    def advised(self) -> str:
        """"10–30", as the pages write it."""
        return f"{self.advised_min_s}–{self.advised_max_s}"


def enroll_limits() -> EnrollLimits:
    return EnrollLimits(
        advised_min_s=settings.ENROLL_ADVISED_MIN_S,
        advised_max_s=settings.ENROLL_ADVISED_MAX_S,
        min_speech_s=settings.SPEECH.enroll_min_speech_ms / 1000,
        max_s=settings.MAX_ENROLL_SECONDS,
    )


def limits(request) -> dict:
    """Template context: {{ enroll_limits.advised }} and friends."""
    return {"enroll_limits": enroll_limits()}


def time_zone(request) -> dict:
    """Template context: {{ page_time_zone.name }} (the zone the page's times are in) and
    {{ page_time_zone.chosen }} (False while the owner has not chosen one: the server's)."""
    return {"page_time_zone": page_time_zone(request)}
