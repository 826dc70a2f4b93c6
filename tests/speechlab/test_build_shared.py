"""The manifests over the shared conversations (selective_speaker/speechlab/manifests/build_shared.py)."""

from __future__ import annotations

import json

from selective_speaker.speechlab.manifest import MANIFEST_DIR

from .conftest import DATA_ROOT, needs_shared_data


@needs_shared_data
def test_it_rebuilds_the_shipped_shared_manifests_identically():
    from selective_speaker.speechlab.manifests.build_shared import build

    for name, manifest in build(DATA_ROOT).items():
        assert json.loads((MANIFEST_DIR / f"{name}.json").read_text()) == manifest
