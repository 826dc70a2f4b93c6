"""Build the heavy-noise suite: the realistic suite's noisy conversations remixed at 0 and -5 dB.

    python -m selective_speaker.speechlab.manifests.build_heavy_noise [--data-root D] [--audio-root A]
    python -m selective_speaker.speechlab eval realistic-heavy-noise --answers 0,3

Where the realistic suite stops (noise at 20, 10 and 5 dB SNR), this one goes on: every ``noise``
case at 5 dB and every ``owner_absent`` case with babble, their recipes as they are in
realistic.json — the same voices, words, timing and noise — with the noise mixed at 0 and at -5 dB
instead. It measures what the engine does where voices can no longer be told apart (README "Noisy
chunks"): what it keeps, whether it keeps anything of a bystander's, and whether it says so.
Written to realistic-heavy-noise.json (tracked), derived from realistic.json alone: rebuild that
first when the plan changes. Audio goes under <audio root>/realistic/heavy_noise/ (git-ignored).
"""

from __future__ import annotations

import argparse
import copy
import json
import time

from ..manifest import MANIFEST_DIR, resolve_audio_root, resolve_data_root
from .build_realistic import NAME as REALISTIC
from .build_realistic import render
from .realistic_audio import case_folder

NAME = "realistic-heavy-noise"
GROUP = "heavy_noise"
LEVELS_DB = (0, -5)
SOURCE_SNR_DB = 5  # the realistic noise cases remixed: those at the suite's lowest level


def _remixable(case: dict) -> bool:
    noise = case.get("build", {}).get("noise") or []
    if case["group"] == "noise":
        return any(spec.get("snr_db") == SOURCE_SNR_DB for spec in noise)
    return case["group"] == "owner_absent" and any(spec["kind"] == "babble" for spec in noise)


def heavy_case(case: dict, snr_db: int) -> dict:
    """`case` with its noise mixed at `snr_db`: a new id, folder, group and SNR tag; the rest as it is."""
    kind = case["id"].split("/")[1].rsplit("-", 1)[0]  # "cafe-5db" → "cafe", "babble-10db" → "babble"
    case_id = f"{GROUP}/{case['group']}/{kind}{snr_db:+d}db/{case['id'].rsplit('/', 1)[1]}"
    heavy = copy.deepcopy(case)
    for spec in heavy["build"]["noise"]:
        spec["snr_db"] = snr_db
    folder = f"gen:{case_folder(case_id)}"
    heavy.update(id=case_id, group=GROUP, audio=f"{folder}/audio.wav", rttm=f"{folder}/reference.rttm")
    tags = [t for t in case["tags"] if not t.startswith("snr") and t != case["group"]]
    heavy["tags"] = list(dict.fromkeys([GROUP, case["group"], *tags, f"snr{snr_db}"]))
    return heavy


def plan(realistic: dict) -> dict:
    cases = [heavy_case(c, level) for c in realistic["cases"] if _remixable(c) for level in LEVELS_DB]
    return {
        "name": NAME,
        "description": (
            "The realistic suite's noisy conversations (noise at 5 dB, owner-absent babble) remixed at 0 and -5 dB SNR. "
            "Written by `python -m selective_speaker.speechlab.manifests.build_heavy_noise` from realistic.json, which also "
            "renders the gen: audio (git-ignored)."
        ),
        "seed": realistic["seed"],
        "cases": cases,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="the shared data folder (default: $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--audio-root", help="where the audio goes (default: $SELECTIVE_SPEAKER_EVAL_AUDIO or var/eval-audio)")
    parser.add_argument("--force", action="store_true", help="render even where the audio is up to date")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    manifest = plan(json.loads((MANIFEST_DIR / f"{REALISTIC}.json").read_text()))
    path = MANIFEST_DIR / f"{NAME}.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {path} ({len(manifest['cases'])} cases)")
    data_root, audio_root = resolve_data_root(args.data_root), resolve_audio_root(args.audio_root)
    built = render(manifest, data_root, audio_root, force=args.force)
    print(f"{len(built)} recordings in {audio_root / 'realistic' / GROUP} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
