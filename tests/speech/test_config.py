"""EngineConfig: the one configuration source — fields, environment, `--set`, and .env.example."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from selective_speaker.speech.config import (
    ENV_NAMES,
    ENV_SECONDS,
    EngineConfig,
    env_name,
    field_default,
    parse_field,
)

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / ".env.example"


# --- one string to one field -------------------------------------------------------------------


def test_it_coerces_settings_to_the_config_field_types():
    assert parse_field("accept_threshold", "0.55") == 0.55
    assert parse_field("smoothing_windows", "5") == 5
    assert parse_field("refine_boundaries", "off") is False
    assert parse_field("refine_boundaries", "Yes") is True
    assert parse_field("asr_model", "bundled:tiny.en") == "bundled:tiny.en"
    assert parse_field("model_cache_dir", "/tmp/models") == Path("/tmp/models")
    assert parse_field("max_speakers", "3") == 3
    assert parse_field("max_speakers", "none") is None
    assert parse_field("asr_language", "null") is None
    assert parse_field("asr_language", "de") == "de"


def test_it_names_the_variable_and_the_type_of_a_bad_value():
    with pytest.raises(ValueError, match=r"SPEECH_SMOOTHING_WINDOWS='three': not a valid int"):
        parse_field("smoothing_windows", "three")
    with pytest.raises(ValueError, match=r"SPEECH_REFINE_BOUNDARIES='maybe': not a valid bool"):
        parse_field("refine_boundaries", "maybe")
    with pytest.raises(ValueError, match=r"--set accept_threshold='high': not a valid float"):
        parse_field("accept_threshold", "high", source="--set accept_threshold")
    with pytest.raises(ValueError, match="threshold: no such setting"):
        parse_field("threshold", "0.5")


# --- from the environment ----------------------------------------------------------------------


def test_it_reads_every_field_from_its_variable():
    config = EngineConfig.from_env(
        {
            "SPEECH_STRATEGY": "anchored",
            "SPEECH_ACCEPT_THRESHOLD": "0.55",
            "SPEECH_SMOOTHING_WINDOWS": "5",
            "SPEECH_REFINE_BOUNDARIES": "false",
            "SPEECH_MAX_SPEAKERS": "4",
            "SPEECH_MIN_OWNER_RUN_MS": "300",
            "HF_TOKEN": "hf-secret",
            "SPEECH_MODEL_DIR": "/srv/models",
            "MAX_CHUNK_SECONDS": "60",
            "MAX_ENROLL_SECONDS": "30",
            "UNRELATED": "x",
        }
    )
    assert (config.strategy, config.accept_threshold, config.smoothing_windows) == ("anchored", 0.55, 5)
    assert config.refine_boundaries is False and config.max_speakers == 4 and config.min_owner_run_ms == 300
    assert config.hf_token == "hf-secret" and config.model_cache_dir == Path("/srv/models")
    assert (config.max_duration_ms, config.enroll_max_duration_ms) == (60_000, 30_000)  # seconds there, ms here


def test_it_keeps_the_defaults_without_variables():
    assert EngineConfig.from_env({}) == EngineConfig()


def test_an_empty_variable_means_none_for_optional_fields_and_the_default_for_others():
    config = EngineConfig.from_env({"SPEECH_ASR_LANGUAGE": "", "HF_TOKEN": "", "SPEECH_ACCEPT_THRESHOLD": " "})
    assert config.asr_language is None  # detect the language per chunk
    assert config.hf_token is None
    assert config.accept_threshold == EngineConfig().accept_threshold


def test_overrides_beat_variables_and_variables_beat_defaults():
    env = {"SPEECH_MODEL_DIR": "/from/env", "MAX_CHUNK_SECONDS": "60"}
    config = EngineConfig.from_env(env, defaults={"model_cache_dir": Path("/fallback")}, max_duration_ms=90_000)
    assert config.model_cache_dir == Path("/from/env") and config.max_duration_ms == 90_000
    assert EngineConfig.from_env({}, defaults={"model_cache_dir": Path("/fallback")}).model_cache_dir == Path("/fallback")


def test_it_reads_another_prefix():
    assert EngineConfig.from_env({"LAB_ACCEPT_THRESHOLD": "0.7"}, prefix="LAB_").accept_threshold == 0.7


def test_it_refuses_bad_values_naming_the_variable():
    with pytest.raises(ValueError, match="SPEECH_CPU_THREADS='two': not a valid int"):
        EngineConfig.from_env({"SPEECH_CPU_THREADS": "two"})
    with pytest.raises(ValueError, match="MAX_CHUNK_SECONDS='15m'"):
        EngineConfig.from_env({"MAX_CHUNK_SECONDS": "15m"})
    with pytest.raises(ValueError, match="smoothing_windows must be a positive odd number"):
        EngineConfig.from_env({"SPEECH_SMOOTHING_WINDOWS": "4"})
    with pytest.raises(ValueError, match="strategy must be one of"):
        EngineConfig.from_env({"SPEECH_STRATEGY": "magic"})
    with pytest.raises(ValueError, match="no such setting: threshold"):
        EngineConfig.from_env({}, threshold=0.5)


def test_it_never_shows_the_token_in_its_repr():
    config = EngineConfig(hf_token="hf-secret-token")
    assert "hf-secret-token" not in repr(config) and "hf_token" not in config.public()


# --- .env.example ------------------------------------------------------------------------------


def documented() -> dict[str, list[str]]:
    """Every `# NAME=value` line of .env.example: name -> the values given (one per line)."""
    values: dict[str, list[str]] = {}
    for match in re.finditer(r"^# ([A-Z][A-Z0-9_]*)=(\S*)", ENV_EXAMPLE.read_text(), flags=re.M):
        values.setdefault(match[1], []).append(match[2])
    return values


def test_env_example_lists_every_engine_variable_once_with_its_default():
    lines = documented()
    for f in fields(EngineConfig):
        name = env_name(f.name)
        assert name in lines, f"{name} (EngineConfig.{f.name}) is missing from .env.example"
        assert len(lines[name]) == 1, f"{name} appears {len(lines[name])} times in .env.example"
        if f.name == "model_cache_dir":
            continue  # documented as the app's ./var/models, which the settings and the CLIs pass
        value = parse_field(f.name, lines[name][0], source=name)
        if f.name in ENV_SECONDS:
            value *= 1000
        assert value == field_default(f.name), f"{name}={lines[name][0]} in .env.example, default {field_default(f.name)!r}"


def test_env_example_names_no_engine_variable_that_does_not_exist():
    known = {env_name(f.name) for f in fields(EngineConfig)}
    speech = {name for name in documented() if name.startswith("SPEECH_")}
    assert speech <= known, f"not EngineConfig fields: {sorted(speech - known)}"
    assert set(ENV_NAMES.values()) <= known
