"""Fixtures of the speech engine's tests: real audio, the bundled models, no database."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from selective_speaker.speech.audio import decode_audio
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.models import readiness

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "audio"
REPO = Path(__file__).resolve().parents[2]
ENROLLMENT_FILES = [FIXTURES / f"1998-15444-000{i}.flac" for i in (7, 8, 9)]
CONVERSATION = FIXTURES / "sim_ls_2spk_FM_0-34s.flac"
CONVERSATION_RTTM = FIXTURES / "sim_ls_2spk_FM_0-34s.rttm"
OWNER, BYSTANDER = "ls1998", "ls2033"


def model_dir() -> Path:
    return Path(os.environ.get("SPEECH_MODEL_DIR", REPO / "var" / "models"))


@pytest.fixture(scope="session")
def engine_config() -> EngineConfig:
    """The default engine on the bundled models; fails (never skips) when they are not prepared."""
    config = EngineConfig(model_cache_dir=model_dir())
    missing = {name: r["detail"] for name, r in readiness(config).items() if not r["ok"]}
    if missing:
        pytest.fail(f"bundled models are not prepared: {missing}", pytrace=False)
    return config


@pytest.fixture(scope="session")
def engine(engine_config):
    from selective_speaker.speech.engine import Engine

    return Engine.shared(engine_config)


def load(path: Path) -> np.ndarray:
    return decode_audio(path)[0]


def enrollment_audio() -> np.ndarray:
    gap = np.zeros(4800, dtype=np.float32)
    pieces = []
    for path in ENROLLMENT_FILES:
        pieces += [load(path), gap]
    return np.concatenate(pieces)


def rttm_turns(path: Path) -> list[tuple[int, int, str]]:
    turns = []
    for line in path.read_text().splitlines():
        parts = line.split()
        start, duration = float(parts[3]), float(parts[4])
        turns.append((round(start * 1000), round((start + duration) * 1000), parts[7]))
    return turns


def coverage(spans, n_frames: int) -> np.ndarray:
    """Boolean 10 ms grid covered by (start_ms, end_ms) spans."""
    grid = np.zeros(n_frames, dtype=bool)
    for start, end in spans:
        grid[start // 10 : end // 10] = True
    return grid


@pytest.fixture(scope="session")
def owner_voiceprint(engine):
    return engine.enroll(enrollment_audio()).voiceprint
