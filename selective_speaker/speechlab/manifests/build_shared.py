"""Write the manifests over the shared conversations (../shared/data), deterministically.

    python -m selective_speaker.speechlab.manifests.build_shared [--data-root DIR]

* ``shared-conversations.json`` — every speaker of every conversation as the owner in turn,
  the whole conversation as one chunk, enrolled from the held-out utterances in the data's
  manifest.json (tag ``full``).
* ``shared-short.json`` — the hard short case, measured separately (tag ``short`` plus one of):
  ``handover_out`` / ``handover_in``: a 4.5 s chunk (< 5 s of speech) where the owner stops and
  somebody else talks, or the other way round; ``short_turn``: the owner speaks < 1.5 s in a chunk
  with another voice; ``owner_only``: 4 s of the owner alone; ``bystander_only``: 4 s of
  somebody else alone (recall is undefined there; anything kept is leak).
  Slices are chosen from the RTTM by fixed rules (first turn that fits), so they are stable.

Paths use the ``data:`` prefix, resolved against the data root when a manifest is loaded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from selective_speaker.speech.windows import Interval, intersect_intervals, intervals_ms, merge_intervals

from ..manifest import MANIFEST_DIR, resolve_data_root
from ..rttm import SpeakerTurn, read_rttm, speaker_intervals

CONVERSATIONS = "derived-simulated-conversations"
SHORT_CHUNK_MS = 4500
HANDOVER_OWNER_MS = 2000
SHORT_TURN_MS = 1200
SHORT_TURN_LIMIT_MS = 1500
SOLO_MS = 4000
SOLO_INSET_MS = 300


def _speech_in(intervals: list[Interval], lo: int, hi: int) -> int:
    return intervals_ms(intersect_intervals(intervals, [(lo, hi)]))


def _fits(lo: int, hi: int, duration_ms: int) -> bool:
    return 0 <= lo < hi <= duration_ms


def short_slices(turns: list[SpeakerTurn], owner: str, duration_ms: int) -> dict[str, Interval]:
    """The short slices of one conversation for one owner, by kind (a kind is absent if none fits)."""
    mine = speaker_intervals(turns, owner)
    others = merge_intervals((t.start_ms, t.end_ms) for t in turns if t.speaker != owner)
    slices: dict[str, Interval] = {}

    def first(kind: str, candidates, ok) -> None:
        for lo, hi in candidates:
            if _fits(lo, hi, duration_ms) and ok(lo, hi):
                slices[kind] = (lo, hi)
                return

    tail = SHORT_CHUNK_MS - HANDOVER_OWNER_MS
    first(
        "handover_out",
        [(e - HANDOVER_OWNER_MS, e + tail) for s, e in mine if e - s >= HANDOVER_OWNER_MS],
        lambda lo, hi: _speech_in(others, lo, hi) >= 1000 and _speech_in(mine, lo, hi) <= HANDOVER_OWNER_MS + 200,
    )
    first(
        "handover_in",
        [(s - tail, s + HANDOVER_OWNER_MS) for s, e in mine if e - s >= HANDOVER_OWNER_MS],
        lambda lo, hi: _speech_in(others, lo, hi) >= 1000 and _speech_in(mine, lo, hi) <= HANDOVER_OWNER_MS + 200,
    )
    rest = SHORT_CHUNK_MS - SHORT_TURN_MS
    first(
        "short_turn",
        [(e - SHORT_TURN_MS, e + rest) for s, e in mine] + [(s - rest, s + SHORT_TURN_MS) for s, e in mine],
        lambda lo, hi: _speech_in(mine, lo, hi) < SHORT_TURN_LIMIT_MS and _speech_in(others, lo, hi) >= 1500,
    )
    first(
        "owner_only",
        [(s + SOLO_INSET_MS, s + SOLO_INSET_MS + SOLO_MS) for s, e in mine],
        lambda lo, hi: _speech_in(others, lo, hi) == 0 and _speech_in(mine, lo, hi) == hi - lo,
    )
    first(
        "bystander_only",
        [(s + SOLO_INSET_MS, s + SOLO_INSET_MS + SOLO_MS) for s, e in others],
        lambda lo, hi: _speech_in(mine, lo, hi) == 0 and _speech_in(others, lo, hi) == hi - lo,
    )
    return slices


def _data(path: str) -> str:
    return f"data:{path}"


def build(data_root: Path) -> dict[str, dict]:
    import soundfile

    source = json.loads((data_root / CONVERSATIONS / "manifest.json").read_text())
    full, short = [], []
    for uri, conversation in source["conversations"].items():
        audio = f"{CONVERSATIONS}/conversations/{uri}.wav"
        rttm = f"{CONVERSATIONS}/{conversation['rttm']}"
        turns = read_rttm(data_root / rttm)
        info = soundfile.info(str(data_root / audio))
        duration_ms = int(info.frames * 1000 // info.samplerate)
        for owner in conversation["speakers"]:
            enroll = [_data(p) for p in source["enrollment"][owner]]
            full.append(
                {"id": f"{uri}/{owner}", "owner": owner, "audio": _data(audio), "rttm": _data(rttm), "enroll": enroll, "tags": ["full"]}
            )
            for kind, (lo, hi) in short_slices(turns, owner, duration_ms).items():
                short.append(
                    {
                        "id": f"{uri}/{owner}/{kind}",
                        "owner": owner,
                        "audio": {"path": _data(audio), "start_ms": lo, "end_ms": hi},
                        "rttm": _data(rttm),
                        "enroll": enroll,
                        "tags": ["short", kind],
                    }
                )
    note = "Written by `python -m selective_speaker.speechlab.manifests.build_shared`; data: paths resolve against the data root."
    return {
        "shared-conversations": {
            "name": "shared-conversations",
            "description": "Every speaker of every shared conversation as the owner in turn; whole conversation = one chunk. " + note,
            "cases": full,
        },
        "shared-short": {
            "name": "shared-short",
            "description": "Short chunks (< 5 s of speech) and short owner turns (< 1.5 s) cut from the shared conversations. "
            + note,
            "cases": short,
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="the shared data folder (default: $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--out", type=Path, default=MANIFEST_DIR)
    args = parser.parse_args(argv)
    for name, manifest in build(resolve_data_root(args.data_root)).items():
        path = args.out / f"{name}.json"
        path.write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"wrote {path} ({len(manifest['cases'])} cases)")


if __name__ == "__main__":
    main()
