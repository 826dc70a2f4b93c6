"""The one bridge from Django settings to the speech engine.

`settings.SPEECH` is the engine's frozen `EngineConfig`, read from the environment by
`EngineConfig.from_env` (see selective_speaker/settings/product.py); engine code never reads settings.
Services call `speech_config()` or `speech_engine()` and hand the result over.
"""

from __future__ import annotations

from django.conf import settings

from selective_speaker.speech.config import EngineConfig


def speech_config() -> EngineConfig:
    """The engine configuration of the current settings (cheap: a frozen dataclass)."""
    return settings.SPEECH


def speech_engine():
    """The process-wide engine for the current settings (models load once, on first use).

    Imported lazily so that Django starts even where the engine's heavy dependencies are missing.
    """
    from selective_speaker.speech.engine import Engine

    return Engine.shared(speech_config())
