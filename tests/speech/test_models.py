from pathlib import Path

import pytest

from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.models import (
    WHISPER_BASE_SHA256,
    prepare_models,
    readiness,
    sha256_file,
    verify_campplus,
    verify_whisper,
    whisper_model_source,
)
from selective_speaker.speech.types import ModelError


def test_it_reports_unprepared_models_without_loading_anything(tmp_path):
    report = readiness(EngineConfig(model_cache_dir=tmp_path))
    assert report["asr"]["ok"] is False and "prepare-models" in report["asr"]["detail"]
    assert report["embedding"]["ok"] is False
    assert report["vad"]["ok"] is True


def test_it_resolves_bundled_local_and_hub_whisper_models(tmp_path):
    tiny_path, tiny_id = whisper_model_source(EngineConfig(asr_model="bundled:tiny.en"))
    assert (Path(tiny_path) / "model.bin").exists() and "tiny.en" in tiny_id
    local = tmp_path / "my-model"
    local.mkdir()
    (local / "model.bin").write_bytes(b"x")
    assert whisper_model_source(EngineConfig(asr_model=str(local)))[1] == "ct2-local:my-model"
    assert whisper_model_source(EngineConfig(asr_model="large-v3")) == ("large-v3", "faster-whisper-hub:large-v3")
    with pytest.raises(ModelError, match="unknown bundled"):
        whisper_model_source(EngineConfig(asr_model="bundled:huge"))
    with pytest.raises(ModelError, match="not prepared"):
        whisper_model_source(EngineConfig(model_cache_dir=tmp_path))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no model.bin"):
        whisper_model_source(EngineConfig(asr_model=str(empty)))


def test_it_refuses_a_bundled_model_that_fails_its_checksum(tmp_path):
    fake = tmp_path / "whisper-base-ct2"
    fake.mkdir()
    (fake / "model.bin").write_bytes(b"not the model")
    with pytest.raises(ModelError, match="checksum mismatch"):
        verify_whisper(EngineConfig(model_cache_dir=tmp_path), str(fake))


def test_it_refuses_an_embedding_model_without_a_valid_stamp(tmp_path):
    (tmp_path / "campplus-192.onnx").write_bytes(b"onnx?")
    with pytest.raises(ModelError, match="stamp"):
        verify_campplus(EngineConfig(model_cache_dir=tmp_path))


def test_it_has_prepared_and_verified_the_bundled_models(engine_config):
    prepared = prepare_models(engine_config)  # idempotent: verifies, rebuilds nothing
    assert sha256_file(Path(prepared["asr"]) / "model.bin") == WHISPER_BASE_SHA256
    assert verify_campplus(engine_config) == Path(prepared["embedding"])
