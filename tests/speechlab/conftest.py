"""Shared paths of the measurement tooling's tests (no fixtures: the modules import these)."""

from __future__ import annotations

from pathlib import Path

import pytest

from selective_speaker.speechlab.manifest import resolve_data_root

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
DATA_ROOT = resolve_data_root()
needs_shared_data = pytest.mark.skipif(
    not (DATA_ROOT / "derived-simulated-conversations" / "manifest.json").is_file(),
    reason=f"the shared data is not at {DATA_ROOT} (set SELECTIVE_SPEAKER_DATA)",
)
