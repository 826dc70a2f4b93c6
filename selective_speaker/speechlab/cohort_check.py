"""Score normalisation against a cohort (AS-norm), measured on the realistic suite's regions.

    python -m selective_speaker.speechlab eval realistic --out artifacts/eval/realistic
    python -m selective_speaker.speechlab.cohort_check artifacts/eval/realistic/results.json

Each decided region of an eval run (its `region_samples`, ≥ 300 ms, with a reference speaker) is
embedded whole and scored against the case's voiceprint (band-matched as the engine does): the raw
cosine, and adaptive S-norm against a cohort — 0.5·((s − μe)/σe + (s − μt)/σt), μ and σ of the top-N
cosines of the voiceprint (e) and of the region (t) against the cohort. The cohort is the suite's own
voice pool (the shared data's LibriSpeech, VoxCeleb and Picovoice voices, one embedding per clip),
leaving out, for each case, every voice its build recipe names (owner and bystanders): the only
offline speech there is, held out from the case it scores.

Raw and normalised scores live on different scales, so they are compared at two operating points
chosen the same way for both: the lowest threshold at which no region of any owner-absent case is
accepted, and the threshold accepting 1 % of the other-speaker region time of the cases with an
owner. Per group: owner-region recall / leak (%), and the seconds of owner-absent speech accepted.
Region level, not the engine's window decision: it says whether the normalisation separates the
voices better, not what the engine would keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from selective_speaker.speech.types import ms_to_samples

from .manifest import load_audio, load_manifest, resolve_data_root, resolve_manifest_path

MIN_REGION_MS = 300
COHORT_CLIP_MS = 8000  # each cohort clip's first 8 s


def as_norm(score: float, enrolled: np.ndarray, test: np.ndarray, cohort: np.ndarray, top: int) -> float:
    """Adaptive S-norm of `score` (cosine of `enrolled` and `test`) against the `cohort` rows."""
    def top_stats(vector: np.ndarray) -> tuple[float, float]:
        best = np.sort(cohort @ vector)[::-1][:top]
        return float(best.mean()), float(best.std()) + 1e-6

    mean_e, std_e = top_stats(enrolled)
    mean_t, std_t = top_stats(test)
    return 0.5 * ((score - mean_e) / std_e + (score - mean_t) / std_t)


def operating_points(rows: Sequence[tuple], column: int) -> list[tuple[str, float, float, dict]]:
    """[(name, threshold, owner-absent s accepted, {group: (recall %, leak %)})] for the score in
    `column` of rows (group, owner_absent, truth, ms, raw, normalised)."""
    absent = [r for r in rows if r[1]]
    present = [r for r in rows if not r[1]]
    others = sorted(((r[column], r[3]) for r in present if r[2] == "other"), reverse=True)
    allowed, taken, at_one_percent = 0.01 * sum(ms for _, ms in others), 0, others[0][0] if others else 0.0
    for score, ms in others:
        if taken + ms > allowed:
            at_one_percent = score
            break
        taken += ms
    points = [("no owner-absent region kept", max((r[column] for r in absent), default=-np.inf)), ("other speech 1 %", at_one_percent)]
    out = []
    for name, threshold in points:
        groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # owner ms, owner kept, other kept
        for r in present:
            group, _, truth, ms = r[:4]
            row = groups[group]
            row[0] += ms if truth == "owner" else 0
            if r[column] > threshold:
                row[1 if truth == "owner" else 2] += ms
        figures = {g: (100 * v[1] / max(v[0], 1), 100 * v[2] / max(v[1] + v[2], 1)) for g, v in sorted(groups.items())}
        absent_s = sum(r[3] for r in absent if r[column] > threshold) / 1000
        out.append((name, float(threshold), absent_s, figures))
    return out


def cohort_embeddings(embedder, data_root: Path) -> dict[str, np.ndarray]:
    from .conversation import voice_pool

    pool = voice_pool(data_root)
    return {
        voice: np.stack(
            [embedder.embed_audio(load_audio(ref)[: ms_to_samples(COHORT_CLIP_MS)]) for ref in (*v.conversation, *v.enroll)]
        )
        for voice, v in pool.items()
    }


def region_rows(engine, config, results: dict, cohort: dict[str, np.ndarray], top: int) -> list[tuple]:
    """(group, owner absent, truth, ms, raw score, normalised score) of every region long enough."""
    from selective_speaker.speech.band import chunk_voiceprint

    from .runner import Enrollments

    enrollments = Enrollments(engine)
    path = resolve_manifest_path(results["manifest"])
    recipes = {c["id"]: json.dumps(c.get("build", {})) for c in json.loads(path.read_text())["cases"]}
    scored = {c["id"]: c for c in results["cases"] if "region_samples" in c}
    rows = []
    for case in load_manifest(path).cases:
        if case.id not in scored:
            continue
        named = recipes.get(case.id, "") + case.owner
        held_out = np.concatenate([e for voice, e in cohort.items() if voice not in named])
        voiceprint, _, _ = enrollments.get(case.enroll)
        audio = load_audio(case.audio, max_duration_ms=None)
        voiceprint, _, _ = chunk_voiceprint(audio, np.asarray(voiceprint, np.float32), enrollments.narrow.get(tuple(case.enroll)), config)
        for region in scored[case.id]["region_samples"]:
            ms = region["end_ms"] - region["start_ms"]
            if region["truth"] not in ("owner", "other") or ms < MIN_REGION_MS:
                continue
            test = engine.embedder.embed_audio(audio[ms_to_samples(region["start_ms"]) : ms_to_samples(region["end_ms"])])
            raw = float(test @ voiceprint)
            rows.append((case.group, case.owner_absent, region["truth"], ms, raw, as_norm(raw, voiceprint, test, held_out, top)))
        print(case.id, file=sys.stderr, flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="results.json of an eval run (its region_samples)")
    parser.add_argument("--data-root", help="the shared data (default $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--top", type=int, default=10, help="cohort scores averaged per side (top-N)")
    args = parser.parse_args(argv)
    results = json.loads(Path(args.results).read_text())
    from selective_speaker.speech.cli import default_model_dir
    from selective_speaker.speech.config import EngineConfig
    from selective_speaker.speech.engine import Engine

    config = EngineConfig.from_env(os.environ, defaults={"model_cache_dir": default_model_dir()})
    engine = Engine.shared(config)
    cohort = cohort_embeddings(engine.embedder, resolve_data_root(args.data_root))
    rows = region_rows(engine, config, results, cohort, args.top)
    for column, name in ((4, "raw cosine"), (5, f"AS-norm (top {args.top})")):
        for point, threshold, absent_s, figures in operating_points(rows, column):
            cells = "  ".join(f"{g} {r:.1f}/{leak:.1f}" for g, (r, leak) in figures.items())
            print(f"{name:16} {point:28} t={threshold:7.3f}  owner absent {absent_s:5.1f} s kept | {cells}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
