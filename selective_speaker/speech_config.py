"""The one bridge from Django settings to the speech engine's frozen configuration.

Engine code never reads settings; services call `speech_config()` and hand the result over.
"""

from __future__ import annotations

from django.conf import settings

from selective_speaker.speech.config import EngineConfig


def speech_config() -> EngineConfig:
    """The engine configuration for the current settings (cheap: a frozen dataclass)."""
    return EngineConfig(
        **settings.SPEECH,
        max_duration_ms=settings.MAX_CHUNK_SECONDS * 1000,
        enroll_max_duration_ms=settings.MAX_ENROLL_SECONDS * 1000,
    )


def speech_engine():
    """The process-wide engine for the current settings (models load once, on first use).

    Imported lazily so that Django starts even where the engine's heavy dependencies are missing.
    """
    from selective_speaker.speech.engine import Engine

    return Engine.shared(speech_config())
