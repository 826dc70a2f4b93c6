"""The `gpu` extra for real: whisperx and pyannote.audio exactly as `pip install -e .[gpu]`
installs them, run on CPU over the bundled Whisper base model — no stand-in module.

The worker's default runtime has no torch, so the main environment skips this file; `.ci/gpu-extra`
builds the extra's own environment (CUDA torch from PyPI, run here on CPU) and runs it there, in
CI. On a GPU host the same file runs with SPEECH_ASR_DEVICE=cuda (README "GPU hosts").

What it proves: the recogniser loads a local CTranslate2 directory through whisperx and hears the
same words as the default faster-whisper path on the same weights; and where a model must come
from a hub that cannot be reached (wav2vec2 alignment, the pyannote pipeline), the engine answers
with its own ModelError naming what is missing and how to provide it — never a raw URLError.
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

whisperx = pytest.importorskip(
    "whisperx", reason="the gpu extra is not installed here: .ci/gpu-extra builds its environment and runs this file"
)

from selective_speaker.speech.asr import FasterWhisperASR, WhisperXASR, load_asr  # noqa: E402
from selective_speaker.speech.audio import decode_audio, join_clips  # noqa: E402
from selective_speaker.speech.diarization import PyannoteDiarizer  # noqa: E402
from selective_speaker.speech.types import ModelError  # noqa: E402
from selective_speaker.speechlab.wer import word_error  # noqa: E402

from .conftest import ENROLLMENT_FILES  # noqa: E402

DEVICE = os.environ.get("SPEECH_ASR_DEVICE", "cpu")


@pytest.fixture(scope="module")
def audio():
    """The owner's three read utterances (14.6 s), half a second apart: one clean voice."""
    return join_clips([decode_audio(path)[0] for path in ENROLLMENT_FILES], 500)


@pytest.fixture(scope="module")
def whisperx_asr(engine_config):
    config = replace(engine_config, asr_backend="whisperx", asr_device=DEVICE, asr_batch_size=4)
    asr = load_asr(config)
    assert isinstance(asr, WhisperXASR)
    return asr


def test_whisperx_hears_what_the_default_recogniser_hears_on_the_bundled_weights(whisperx_asr, engine_config, audio):
    recognised = whisperx_asr.model.transcribe(audio, batch_size=4, language="en")
    heard = " ".join(segment["text"] for segment in recognised["segments"])
    reference = " ".join(word.text for word in FasterWhisperASR(engine_config).transcribe(audio))

    assert len(heard.split()) >= 25  # 35 words are read
    assert word_error(reference, heard)["wer"] <= 0.1, (reference, heard)
    assert whisperx_asr.model_id == "whisper-base-ct2-f16@bundled"


@pytest.mark.skipif(
    os.environ.get("HF_HUB_OFFLINE") != "1", reason="checks the offline error: run with HF_HUB_OFFLINE=1 (.ci/gpu-extra does)"
)
def test_an_alignment_model_out_of_reach_is_the_engines_own_error(whisperx_asr, audio):
    with pytest.raises(ModelError, match="(?s)alignment model for .en..*SPEECH_ASR_ALIGN_MODEL"):
        whisperx_asr.transcribe(audio[: 16000 * 5])


@pytest.mark.skipif(
    os.environ.get("HF_HUB_OFFLINE") != "1", reason="checks the offline error: run with HF_HUB_OFFLINE=1 (.ci/gpu-extra does)"
)
def test_a_pyannote_pipeline_out_of_reach_is_the_engines_own_error(engine_config):
    config = replace(engine_config, diarization_backend="pyannote", hf_token="hf_not_a_real_token")
    with pytest.raises(ModelError, match="pyannote pipeline"):
        PyannoteDiarizer(config)
