"""Build the realistic-conditions suite: its manifest (realistic.json) and its audio, deterministically.

    python -m selective_speaker.speechlab.manifests.build_realistic [--data-root D] [--audio-root A]
    python -m selective_speaker.speechlab eval realistic

The first command plans every case from the shared data and a seed, writes
selective_speaker/speechlab/manifests/realistic.json (tracked: same data + seed → same file) and
renders each case's audio into <audio root>/realistic/ (git-ignored var/eval-audio by default;
unchanged cases are skipped). `--audio-only` renders from the manifest as it is, `--case GLOB`
renders some. Planning reads the bundled CAM++ model (`make models`) to find each owner's
closest voice.

Every case has one primary ``group`` (plus tags). Synthetic cases are conversations of real voices
(conversation.py), owners enrolled from held-out utterances that never occur in a recording:

* ``channel`` — telephone band, Opus 6–12 kbit/s, AMR-NB, microphone colouring, AGC, clipping;
  and ``reverse``: the enrollment through the chain, the conversation clean (channel.py).
* ``far_field`` — image-source rooms, RT60 0.3–0.9 s: the owner wearing the microphone and the
  others 1.5–3.5 m away, the other way round, everybody far; mains hum and rumble (rooms.py);
  ``quiet``: a far talker or a covered pendant at -63 to -68 dBFS under hum louder than the voices
  (planned last, so that adding them left every earlier case as it was).
* ``noise`` — babble, pink, brown, cafe and street noise at 20, 10 and 5 dB SNR (noise.py).
* ``overlap`` — 5, 10 and 20 % overlapped speech, back-channels, turn-taking with gaps < 200 ms.
* ``similar_voices`` — each owner with the pool voice closest to their voiceprint; three on a
  telephone line too.
* ``owner_absent`` — each owner's enrollment against a recording they are not in (with their
  closest voice in it): the only right answer is to keep nothing.
* ``real`` — the two real recordings (realistic_real.py).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from fnmatch import fnmatchcase
from pathlib import Path

import numpy as np

from ..conversation import Voice, voice_pool
from ..manifest import MANIFEST_DIR, resolve_audio_root, resolve_data_root
from .realistic_audio import case_folder, render_case
from .realistic_real import real_cases

NAME = "realistic"
SEED = 2026
# Owners in turn, women and men alternating, so that every group gets both.
ROTATION = ("ls1998", "ls1688", "ls3080", "ls2033", "ls3331", "ls2414", "ls367", "ls2609", "ls533", "ls3005")
SIMILAR_CANDIDATES_MIN_S = 10.0


# --- who is closest to whom (the bundled CAM++ embedding) -----------------------------------------


def closest_voices(pool: dict[str, Voice], top: int = 3) -> dict[str, list[list]]:
    """For each owner, the pool voices whose speech scores highest against the owner's voiceprint
    (mean of the held-out enrollment's window embeddings, as the engine makes it)."""
    from selective_speaker.speech.cli import default_model_dir
    from selective_speaker.speech.config import EngineConfig
    from selective_speaker.speech.embedding import SpeakerEmbedder
    from selective_speaker.speech.vad import speech_spans
    from selective_speaker.speech.voiceprint import embed_speech, voiceprint_from_windows

    from ..manifest import enrollment_audio

    config = EngineConfig.from_env(os.environ, defaults={"model_cache_dir": default_model_dir()})
    embedder = SpeakerEmbedder(config)

    def voiceprint(refs) -> np.ndarray:
        audio = enrollment_audio(refs)
        return voiceprint_from_windows(embed_speech(audio, speech_spans(audio, config), embedder, config).vectors)[0]

    candidates = {
        v.id: voiceprint(v.conversation)
        for v in pool.values()
        if all(r.start_ms is None for r in v.conversation) and _seconds(v) >= SIMILAR_CANDIDATES_MIN_S
    }
    out = {}
    for owner in ROTATION:
        mine = voiceprint(pool[owner].enroll)
        scores = sorted(((float(mine @ vec), vid) for vid, vec in candidates.items() if vid != owner), reverse=True)
        out[owner] = [[vid, round(score, 2)] for score, vid in scores[:top]]
    return out


def _seconds(voice: Voice) -> float:
    import soundfile

    return sum(soundfile.info(str(r.path)).duration for r in voice.conversation)


# --- planning -------------------------------------------------------------------------------------


class Planner:
    def __init__(self, data_root: Path, pool: dict[str, Voice], closest: dict[str, list[list]], seed: int):
        self.data_root, self.pool, self.closest, self.seed = data_root, pool, closest, seed
        self.rng = np.random.default_rng(seed)
        self.cases: list[dict] = []
        self.turn = {}

    def owner(self, group: str) -> str:
        """The next owner of the group's rotation (each group starts elsewhere)."""
        start = sum(map(ord, group)) % len(ROTATION)
        i = self.turn.get(group, 0)
        self.turn[group] = i + 1
        return ROTATION[(start + i) % len(ROTATION)]

    def others(self, owner: str, pair: str, n: int = 1) -> list[str]:
        """n bystanders: the closest voice, or LibriSpeech voices of the same or the other gender."""
        gender = self.pool[owner].gender
        chosen = [self.closest[owner][0][0]] if pair == "closest" else []
        while len(chosen) < n:
            if pair == "same" and not chosen:
                pool = [v for v in ROTATION if v != owner and self.pool[v].gender == gender]
            elif pair == "cross" and not chosen:
                pool = [v for v in ROTATION if self.pool[v].gender != gender]
            else:
                pool = [v for v in ROTATION if v != owner and v not in chosen]
            chosen.append(pool[int(self.rng.integers(0, len(pool)))])
        return chosen

    def noise_voices(self, exclude: list[str], k: int) -> list[str]:
        pool = sorted(v for v in self.pool if v not in exclude)
        return sorted(str(v) for v in self.rng.choice(pool, size=k, replace=False))

    def enroll(self, owner: str) -> list[str]:
        return [f"data:{ref.path.relative_to(self.data_root)}" for ref in self.pool[owner].enroll]

    def add(self, group: str, kind: str, owner: str, speakers: list[str], tags: list[str], *, pair: str, absent=False, **build):
        case_id = f"{group}/{kind}/{owner}" if not absent else f"{group}/{kind}/{owner}-vs-{'-'.join(s for s in speakers)}"
        conversation = {"speakers": speakers, "seconds": int(self.rng.integers(25, 36) if absent else self.rng.integers(30, 46))}
        conversation.update(build.pop("conversation", {}))
        folder = f"gen:{case_folder(case_id)}"
        enroll = [f"{folder}/enroll.wav"] if "enroll_channel" in build else self.enroll(owner)
        pair_tag = {"closest": "closest_voice", "same": "same_gender", "cross": "cross_gender"}.get(pair)
        case = {
            "id": case_id,
            "owner": owner,
            "group": group,
            "tags": list(dict.fromkeys([group, *tags, *([pair_tag] if pair_tag else []), f"owner_{self.pool[owner].gender}"])),
            "audio": f"{folder}/audio.wav",
            "rttm": f"{folder}/reference.rttm",
            "enroll": enroll,
            **({"owner_absent": True} if absent else {}),
            "build": {"seed": zlib.crc32(f"{self.seed}:{case_id}".encode()) & 0x7FFFFFFF, "conversation": conversation, **build},
        }
        self.cases.append(case)

    def conversation_case(self, group, kind, tags, *, pair="same", n=1, **build):
        owner = self.owner(group)
        speakers = [owner, *self.others(owner, pair, n)]
        for spec in build.get("noise", ()):
            if spec["kind"] in ("babble", "cafe", "street"):
                spec["voices"] = self.noise_voices(speakers, 5 if spec["kind"] == "babble" else 4)
        self.add(group, kind, owner, speakers, tags, pair=pair, **build)


PAIRS = ("cross", "same", "closest")
PHONE = [{"op": "telephone"}]
PHONE_CHAIN = [{"op": "telephone"}, {"op": "codec", "codec": "amr_nb", "kbps": 7.95}, {"op": "agc"}]


def plan_channel(p: Planner) -> None:
    steps = [
        ("telephone", PHONE, ["telephone"]),
        ("telephone", PHONE, ["telephone"]),
        ("telephone", PHONE, ["telephone"]),
        ("opus-6k", [{"op": "codec", "codec": "opus", "kbps": 6}], ["codec", "opus"]),
        ("opus-8k", [{"op": "codec", "codec": "opus", "kbps": 8}], ["codec", "opus"]),
        ("opus-12k", [{"op": "codec", "codec": "opus", "kbps": 12}], ["codec", "opus"]),
        ("amr-12k2", [{"op": "telephone"}, {"op": "codec", "codec": "amr_nb", "kbps": 12.2}], ["codec", "amr", "telephone"]),
        ("amr-4k75", [{"op": "telephone"}, {"op": "codec", "codec": "amr_nb", "kbps": 4.75}], ["codec", "amr", "telephone"]),
        ("mic-muffled", [{"op": "eq", "preset": "muffled"}], ["mic_eq"]),
        ("mic-thin", [{"op": "eq", "preset": "thin"}], ["mic_eq"]),
        ("agc", [{"op": "agc"}], ["agc"]),
        ("agc", [{"op": "agc", "target_dbfs": -16, "max_gain_db": 36}], ["agc"]),
        ("clip-2pct", [{"op": "clip", "fraction": 0.02}], ["clipping"]),
        ("clip-8pct", [{"op": "clip", "fraction": 0.08}], ["clipping"]),
        ("phone-chain", PHONE_CHAIN, ["telephone", "codec", "amr", "agc"]),
    ]
    for i, (kind, chain, tags) in enumerate(steps):
        p.conversation_case("channel", kind, tags, pair=PAIRS[i % 3], channel=chain)
    reverse = [
        ("reverse-telephone", PHONE, ["telephone"]),
        ("reverse-opus-8k", [{"op": "codec", "codec": "opus", "kbps": 8}], ["codec", "opus"]),
        ("reverse-mic-muffled", [{"op": "eq", "preset": "muffled"}], ["mic_eq"]),
        ("reverse-phone-chain", PHONE_CHAIN, ["telephone", "codec", "amr", "agc"]),
    ]
    for i, (kind, chain, tags) in enumerate(reverse):
        p.conversation_case("channel", kind, ["reverse", *tags], pair=PAIRS[i % 3], enroll_channel=chain)


def _room(p: Planner) -> list[float]:
    """Shoebox dimensions (m), big enough for a voice 4 m from a microphone near the middle."""
    return [round(float(p.rng.uniform(lo, hi)), 2) for lo, hi in ((7.0, 10.0), (5.5, 8.0), (2.6, 3.2))]


def plan_far_field(p: Planner) -> None:
    layouts = [
        ("near-owner-rt0.3", 0.3, "wearer", [1.5], [], "cross"),
        ("near-owner-rt0.6", 0.6, "wearer", [2.5], [], "same"),
        ("near-owner-rt0.9", 0.9, "wearer", [3.5, 2.0], [], "closest"),
        ("far-owner-rt0.3", 0.3, 1.5, [0.5], [], "cross"),
        ("far-owner-rt0.6", 0.6, 2.5, [0.5], [], "same"),
        ("far-owner-rt0.9", 0.9, 3.5, [0.5], [], "closest"),
        ("all-far-rt0.5", 0.5, 2.0, [1.5, 3.0], [], "cross"),
        ("all-far-rt0.8", 0.8, 3.0, [1.0, 4.0], [], "same"),
        ("near-owner-hum50", 0.5, "wearer", [2.0], [{"kind": "hum", "mains_hz": 50, "snr_db": 15}], "cross"),
        ("near-owner-hum60-rumble", 0.4, "wearer", [2.5], [{"kind": "hum", "mains_hz": 60, "snr_db": 15},
                                                          {"kind": "rumble", "snr_db": 10}], "same"),
        ("far-owner-hum50-rumble", 0.6, 2.0, [0.5], [{"kind": "hum", "mains_hz": 50, "snr_db": 15},
                                                     {"kind": "rumble", "snr_db": 10}], "cross"),
        ("far-owner-rt0.7", 0.7, 2.0, [0.5], [], "closest"),
    ]
    for kind, rt60, mine, theirs, noise, pair in layouts:
        owner = p.owner("far_field")
        others = p.others(owner, pair, len(theirs))
        distances = {owner: mine, **dict(zip(others, theirs))}
        tags = ["near_owner" if mine == "wearer" else ("far_owner" if theirs[0] < 1 else "all_far"), "room"]
        tags += [t for t in ("hum", "rumble") if any(n["kind"] == t for n in noise)]
        build = {"room": {"dims": _room(p), "rt60": rt60, "distances": distances}}
        if noise:
            build["noise"] = noise
        p.add("far_field", kind, owner, [owner, *others], tags, pair=pair, **build)


def plan_noise(p: Planner) -> None:
    i = 0
    for kind in ("babble", "pink", "brown", "cafe", "street"):
        for snr in (20, 10, 5):
            tags = [kind, f"snr{snr}", "stationary" if kind in ("pink", "brown") else "nonstationary"]
            p.conversation_case("noise", f"{kind}-{snr}db", tags, pair=PAIRS[i % 3], noise=[{"kind": kind, "snr_db": snr}])
            i += 1


def plan_overlap(p: Planner) -> None:
    specs = [
        ("overlap-5pct", {"overlap": 0.05}, ["overlap"], 1),
        ("overlap-5pct", {"overlap": 0.05}, ["overlap"], 2),
        ("overlap-10pct", {"overlap": 0.10}, ["overlap"], 1),
        ("overlap-10pct", {"overlap": 0.10}, ["overlap"], 2),
        ("overlap-20pct", {"overlap": 0.20, "turn_s": [2.0, 5.0]}, ["overlap"], 1),
        ("overlap-20pct", {"overlap": 0.20, "turn_s": [2.0, 5.0]}, ["overlap"], 2),
        ("backchannels", {"backchannels": 6}, ["backchannel"], 1),
        ("backchannels", {"backchannels": 6, "turn_s": [3.0, 8.0]}, ["backchannel"], 2),
        ("fast-turns", {"gap_s": [0.0, 0.2], "turn_s": [1.0, 3.0]}, ["fast_turns"], 1),
        ("fast-turns", {"gap_s": [0.0, 0.2], "turn_s": [1.0, 3.0], "overlap": 0.05}, ["fast_turns", "overlap"], 2),
    ]
    for i, (kind, conversation, tags, n) in enumerate(specs):
        p.conversation_case("overlap", kind, tags, pair=PAIRS[i % 3], n=n, conversation=conversation)


def plan_similar(p: Planner) -> None:
    for owner in ROTATION:
        p.add("similar_voices", "closest", owner, [owner, p.closest[owner][0][0]], ["similar"], pair="closest")
    hardest = sorted(ROTATION, key=lambda o: -p.closest[o][0][1])[:3]
    for owner in sorted(hardest, key=ROTATION.index):
        p.add("similar_voices", "closest-telephone", owner, [owner, p.closest[owner][0][0]], ["similar", "channel", "telephone"],
              pair="closest", channel=PHONE)


def _absent_speakers(p: Planner, owner: str) -> list[str]:
    """The voices of a recording `owner` is not in: their closest voice and another owner's."""
    impostor = p.closest[owner][0][0]
    return [impostor, [v for v in ROTATION if v not in (owner, impostor)][int(p.rng.integers(0, 8))]]


def plan_owner_absent(p: Planner) -> None:
    conditions = [
        ("clean", {}, []),
        ("telephone", {"channel": PHONE}, ["channel", "telephone"]),
        ("babble-10db", {"noise": [{"kind": "babble", "snr_db": 10}]}, ["noise", "babble"]),
        ("far", {"room": {"rt60": 0.5}}, ["far_field"]),
        ("opus-8k", {"channel": [{"op": "codec", "codec": "opus", "kbps": 8}]}, ["channel", "opus"]),
    ]
    for i, owner in enumerate(ROTATION):
        kind, build, tags = conditions[i % len(conditions)]
        build = json.loads(json.dumps(build))
        impostor, second = speakers = _absent_speakers(p, owner)
        if "room" in build:
            build["room"] = {"dims": _room(p), "rt60": 0.5, "distances": {impostor: "wearer", second: 2.0}}
        for spec in build.get("noise", ()):
            spec["voices"] = p.noise_voices([owner, *speakers], 5)
        p.add("owner_absent", kind, owner, speakers, [*tags, "closest_voice"], pair="", absent=True, **build)


def plan_quiet(p: Planner) -> None:
    """Quiet recordings under hum: the speech 40–45 dB below the other cases' level (gain), the hum
    louder than the voices. One with the owner, far; one with the owner wearing a covered pendant;
    one without the owner."""
    hum50 = [{"kind": "hum", "mains_hz": 50, "snr_db": -5}, {"kind": "rumble", "snr_db": 5}]
    hum60 = [{"kind": "hum", "mains_hz": 60, "snr_db": -3}]
    for kind, rt60, mine, theirs, noise, gain, pair in (
        ("quiet-far-owner-hum50", 0.6, 2.5, [1.0], hum50, -45, "cross"),
        ("quiet-covered-owner-hum60", 0.4, "wearer", [2.0], hum60, -40, "same"),
    ):
        owner = p.owner("far_field")
        others = p.others(owner, pair, len(theirs))
        build = {
            "room": {"dims": _room(p), "rt60": rt60, "distances": {owner: mine, **dict(zip(others, theirs))}},
            "noise": json.loads(json.dumps(noise)),
            "channel": [{"op": "gain", "db": gain}],
        }
        tags = ["far_owner" if mine != "wearer" else "near_owner", "room", "quiet", "hum"]
        p.add("far_field", kind, owner, [owner, *others], tags, pair=pair, **build)
    owner = p.owner("owner_absent_quiet")
    impostor, second = _absent_speakers(p, owner)
    build = {
        "room": {"dims": _room(p), "rt60": 0.5, "distances": {impostor: "wearer", second: 2.0}},
        "noise": json.loads(json.dumps(hum50)),
        "channel": [{"op": "gain", "db": -45}],
    }
    p.add("owner_absent", "quiet-hum", owner, [impostor, second], ["far_field", "quiet", "hum", "closest_voice"],
          pair="", absent=True, **build)


def plan(data_root: Path, *, seed: int = SEED, closest: dict | None = None) -> dict:
    pool = voice_pool(data_root)
    closest = closest if closest is not None else closest_voices(pool)
    p = Planner(data_root, pool, closest, seed)
    for step in (plan_channel, plan_far_field, plan_noise, plan_overlap, plan_similar, plan_owner_absent, plan_quiet):
        step(p)
    absent_real = [(o, p.enroll(o)) for o in (p.owner("owner_absent_real"), p.owner("owner_absent_real"))]
    cases = p.cases + real_cases(data_root, absent_real)
    order = ("channel", "far_field", "noise", "overlap", "similar_voices", "owner_absent", "real")
    cases.sort(key=lambda c: order.index(c["group"]))
    return {
        "name": NAME,
        "description": (
            "Realistic conditions: channel, far field, noise, overlap, similar voices, owner absent, real recordings. "
            "Written by `python -m selective_speaker.speechlab.manifests.build_realistic`, which also renders the gen: "
            "audio (git-ignored) from each case's build recipe; data: paths resolve against the data root."
        ),
        "seed": seed,
        "closest_voices": closest,
        "cases": cases,
    }


def render(manifest: dict, data_root: Path, audio_root: Path, patterns=(), *, force=False, log=print) -> list[dict]:
    pool = voice_pool(data_root)
    built = []
    for raw in manifest["cases"]:
        if "build" not in raw or (patterns and not any(fnmatchcase(raw["id"], pat) for pat in patterns)):
            continue
        started = time.perf_counter()
        info = render_case(raw, pool, audio_root, force=force)
        built.append(info)
        what = "unchanged" if info.get("skipped") else "{:.1f} s built".format(info["seconds"])
        log(f"{raw['id']}: {what} ({time.perf_counter() - started:.1f} s)")
    return built


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", help="the shared data folder (default: $SELECTIVE_SPEAKER_DATA or ../shared/data)")
    parser.add_argument("--audio-root", help="where the audio goes (default: $SELECTIVE_SPEAKER_EVAL_AUDIO or var/eval-audio)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST_DIR / f"{NAME}.json")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--audio-only", action="store_true", help="render from the manifest as it is; do not plan")
    parser.add_argument("--case", action="append", default=[], help="render only cases whose id matches this glob")
    parser.add_argument("--force", action="store_true", help="render even where the audio is up to date")
    args = parser.parse_args(argv)
    data_root, audio_root = resolve_data_root(args.data_root), resolve_audio_root(args.audio_root)
    started = time.perf_counter()
    if args.audio_only:
        manifest = json.loads(args.manifest.read_text())
    else:
        manifest = plan(data_root, seed=args.seed)
        args.manifest.write_text(json.dumps(manifest, indent=1) + "\n")
        print(f"wrote {args.manifest} ({len(manifest['cases'])} cases, {time.perf_counter() - started:.0f} s)")
    built = render(manifest, data_root, audio_root, args.case, force=args.force)
    print(f"{len(built)} recordings in {audio_root / 'realistic'} ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
