"""Sweep settings of the owner decision without ASR: owner-region recall and leak per condition group.

    python -m selective_speaker.speechlab.region_sweep realistic --case 'overlap/*' \
        --variant off:intrusion_scan=false --variant chunk:intrusion_reference=chunk \
        --variant m05:intrusion_reference=chunk,intrusion_margin=0.05

Each case is decoded, its speech found and embedded once with the default configuration; every
variant then re-decides the owner regions (attribution, boundary refinement, the intrusion scan)
with its settings changed (then band matching, so a narrow-band chunk keeps its own threshold).
Recall = share of the owner's speech inside owner regions, leak = share of owner-region time that
is another speaker's speech alone, and owner-absent cases report the seconds kept — the decision's
own figures, before the segment rules and ASR (`eval` measures those; they differ by a few
tenths). Only settings read after the embeddings (attribution.*, refine_*, intrusion_*,
thresholds) can be swept this way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence

import numpy as np

from selective_speaker.speech.band import chunk_voiceprint, narrow_config
from selective_speaker.speech.cli import check_models, default_model_dir, parse_settings
from selective_speaker.speech.config import EngineConfig
from selective_speaker.speech.engine import Engine, decide_owner
from selective_speaker.speech.vad import speech_spans
from selective_speaker.speech.voiceprint import embed_speech
from selective_speaker.speech.windows import intersect_intervals, intervals_ms, merge_intervals, subtract_intervals

from .manifest import case_turns, load_audio, load_manifest, resolve_manifest_path, select_cases
from .runner import Enrollments


def parse_variant(text: str) -> tuple[str, dict]:
    """"name:key=value,key=value" → (name, {key: value}) with values as EngineConfig reads them."""
    name, _, body = text.partition(":")
    return name, parse_settings([item for item in body.split(",") if item])


def region_figures(owner: Sequence, others: Sequence, kept: Iterable) -> tuple[int, int, int, int]:
    """(owner speech ms, of it inside `kept`, kept ms, kept ms that only another speaker's speech covers)."""
    kept = merge_intervals(kept)
    leak = intersect_intervals(subtract_intervals(kept, owner), others)
    return intervals_ms(owner), intervals_ms(intersect_intervals(kept, owner)), intervals_ms(kept), intervals_ms(leak)


def sweep(manifest: str, patterns: Sequence[str], variants: dict[str, dict]) -> dict:
    """{variant: {group: [owner ms, owner kept ms, kept ms, leak ms]}} over the cases (owner-absent ones
    have no owner ms: what they keep is all kept ms)."""
    base = EngineConfig.from_env(os.environ, defaults={"model_cache_dir": default_model_dir()})
    check_models(base)
    engine = Engine.shared(base)
    enrollments = Enrollments(engine)
    cases = select_cases(load_manifest(resolve_manifest_path(manifest)).cases, patterns)
    totals: dict[str, dict[str, list[int]]] = {name: {} for name in variants}
    for case in cases:
        voiceprint, _, _ = enrollments.get(case.enroll)
        voiceprint = np.asarray(voiceprint, dtype=np.float32)
        audio = load_audio(case.audio, max_duration_ms=None)
        narrow = enrollments.narrow.get(tuple(case.enroll))
        chosen, band, config = chunk_voiceprint(audio, voiceprint, narrow, base)
        spans = speech_spans(audio, config)
        emb = embed_speech(audio, spans, engine.embedder, config) if spans else None
        start = case.score_from_ms or 0
        turns = [t for t in case_turns(case) if t.end_ms > start]
        owner = merge_intervals((max(t.start_ms, start), t.end_ms) for t in turns if t.speaker == case.owner)
        others = merge_intervals((max(t.start_ms, start), t.end_ms) for t in turns if t.speaker != case.owner)
        for name, changes in variants.items():
            kept = []
            if emb is not None and emb.spans:
                # the variant's settings, then the band's: a narrow chunk keeps its own threshold
                varied = base.with_(**changes)
                varied = narrow_config(varied) if band == "narrow" else varied
                att = decide_owner(emb, engine.embedder, chosen, audio.size // 16, varied)
                kept = [(max(s.start_ms, start), s.end_ms) for s in att.owner if s.end_ms > start]
            row = totals[name].setdefault(case.group, [0, 0, 0, 0])
            for i, value in enumerate(region_figures(owner, others, kept)):
                row[i] += value
        print(case.id, file=sys.stderr, flush=True)
    return totals


def format_totals(totals: dict) -> str:
    """A line per variant: recall / leak (%) per group; for a group without owner speech (owner
    absent), the seconds kept."""
    lines = []
    for name, groups in totals.items():
        cells = [
            f"{group} {total / 1000:.1f} s kept"
            if not owner  # owner-absent recordings: what they keep is the figure
            else f"{group} {100 * kept / max(owner, 1):.1f}/{100 * leak / max(total, 1):.2f}"
            for group, (owner, kept, total, leak) in sorted(groups.items())
        ]
        lines.append(f"{name:20} " + "  ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", help="a shipped manifest name (realistic, shared-conversations) or a path")
    parser.add_argument("--case", action="append", default=[], help="only cases whose id matches this glob")
    parser.add_argument("--variant", action="append", default=[], help="name:key=value,... (repeatable)")
    parser.add_argument("--out", help="write the totals as JSON here too")
    args = parser.parse_args(argv)
    variants = dict(parse_variant(v) for v in args.variant) or {"default": {}}
    totals = sweep(args.manifest, args.case, variants)
    print("recall / leak (%) of owner regions, per group\n" + format_totals(totals))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump(totals, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
