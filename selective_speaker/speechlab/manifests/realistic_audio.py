"""Render one case of the realistic-conditions manifest from its ``build`` recipe.

The recipe (written by build_realistic.py, stored in the manifest) says, with a seed:

* ``conversation`` — speakers (pool voice ids), length, turn and gap ranges, overlap share,
  back-channels (conversation.py);
* ``room`` (optional) — shoebox dimensions, RT60, each speaker's distance from the microphone or
  ``"wearer"`` (rooms.py); reverberant audio keeps the dry reference turns;
* ``noise`` (optional) — a list of noises (noise.py), each at its own SNR against the speech;
* ``channel`` (optional) — channel steps applied to the recording (channel.py);
* ``enroll_channel`` (optional) — the same steps applied to the owner's held-out enrollment
  instead ("reverse" cases: enrollment through the chain, conversation clean).

Order: conversation → room → level (speech at -23 dBFS) → noise → channel → 16-bit WAV. Each
case writes audio.wav, reference.rttm, enroll.wav (reverse cases only) and build.json (what
actually ran: codec or its stand-in, measured RT60 and SNRs, positions) into its folder under
the audio root. A folder whose build.json carries the same digest (recipe + RENDER_VERSION) is
left as it is.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from selective_speaker.speech.types import SAMPLE_RATE

from ..channel import apply_chain
from ..conversation import Voice, build_conversation, level
from ..manifest import enrollment_audio, load_audio
from ..noise import make_noise, scale_to_snr, snr_db, speech_power
from ..rooms import calibrated_room, distance, point_at, reverberate, room_rirs, wearer_position
from ..rttm import format_rttm

LEVEL_DBFS = -23.0
PEAK_LIMIT = 0.98
RENDER_VERSION = 1  # part of every recipe digest: raise it when rendering changes, and cases rebuild


def case_folder(case_id: str) -> str:
    """The case's folder under the audio root (relative, '/'-separated)."""
    return "realistic/" + "/".join(part.replace(" ", "_") for part in case_id.split("/"))


def recipe_digest(raw: dict) -> str:
    recipe = {"version": RENDER_VERSION, "owner": raw["owner"], "owner_absent": raw.get("owner_absent", False), "build": raw["build"]}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _voice_audio(voice: Voice) -> list[np.ndarray]:
    return [load_audio(ref) for ref in (*voice.conversation, *voice.enroll)]


def _room(spec: dict, tracks: dict[str, np.ndarray], rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict]:
    room = calibrated_room(spec["dims"], float(spec["rt60"]), rng)
    speakers = list(tracks)
    positions = [
        wearer_position(room) if spec["distances"][s] == "wearer" else point_at(room.dims, room.mic, float(spec["distances"][s]), rng)
        for s in speakers
    ]
    wet = reverberate([tracks[s] for s in speakers], room_rirs(room, positions))
    details = {
        "rt60_asked": spec["rt60"],
        "rt60_measured": round(room.rt60, 3),
        "absorption": round(room.absorption, 4),
        "mic": room.mic,
        "distance_m": {s: round(distance(p, room.mic), 2) for s, p in zip(speakers, positions)},
    }
    return dict(zip(speakers, wet)), details


def render_recording(raw: dict, pool: dict[str, Voice]) -> tuple[np.ndarray, list, dict]:
    """(audio, reference turns, details) of one case's recording, from its recipe."""
    build = raw["build"]
    rng = np.random.default_rng(int(build["seed"]))
    owner = None if raw.get("owner_absent") else raw["owner"]
    conversation = build_conversation(build["conversation"], pool, owner, rng)
    details: dict = {"conversation": conversation.details}
    tracks = conversation.tracks
    if "room" in build:
        tracks, details["room"] = _room(build["room"], tracks, rng)
    mask = conversation.speech_mask()
    speech = np.sum(list(tracks.values()), axis=0)
    speech = speech * (10 ** (LEVEL_DBFS / 20) / np.sqrt(speech_power(speech, mask)))
    total_noise = np.zeros_like(speech)
    details["snr_db"] = []
    for spec in build.get("noise", ()):
        voices = [_voice_audio(pool[v]) for v in spec.get("voices", ())]
        noise = scale_to_snr(speech, make_noise(spec, speech.size, rng, voices), float(spec["snr_db"]), mask)
        details["snr_db"].append({"kind": spec["kind"], "asked": spec["snr_db"], "measured": round(snr_db(speech, noise, mask), 2)})
        total_noise = total_noise + noise
    audio = speech + total_noise
    peak = float(np.max(np.abs(audio)))
    if peak > PEAK_LIMIT:
        audio = audio * (PEAK_LIMIT / peak)
    audio, applied = apply_chain(audio.astype(np.float32), build.get("channel", ()))
    details["channel"] = applied
    return audio, conversation.turns, details


def render_enrollment(raw: dict, pool: dict[str, Voice]) -> tuple[np.ndarray, list[str]]:
    """The owner's held-out enrollment through the recipe's enroll_channel."""
    clean = enrollment_audio(pool[raw["owner"]].enroll)
    return apply_chain(level(clean, LEVEL_DBFS), raw["build"]["enroll_channel"])


def _write_wav(path: Path, audio: np.ndarray) -> None:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16", format="WAV")


def render_case(raw: dict, pool: dict[str, Voice], audio_root: Path, *, force: bool = False) -> dict:
    """Write the case's files under `audio_root` (skipped when already built from the same recipe);
    the build details (build.json)."""
    folder = audio_root / case_folder(raw["id"])
    stamp = folder / "build.json"
    digest = recipe_digest(raw)
    wanted = [folder / "audio.wav", folder / "reference.rttm"]
    if "enroll_channel" in raw["build"]:
        wanted.append(folder / "enroll.wav")
    if not force and stamp.is_file() and all(p.is_file() for p in wanted):
        built = json.loads(stamp.read_text())
        if built.get("digest") == digest:
            return {**built, "skipped": True}
    audio, turns, details = render_recording(raw, pool)
    _write_wav(folder / "audio.wav", audio)
    (folder / "reference.rttm").write_text(format_rttm(turns, raw["id"].replace("/", "_")))
    if "enroll_channel" in raw["build"]:
        enroll, applied = render_enrollment(raw, pool)
        _write_wav(folder / "enroll.wav", enroll)
        details["enroll_channel"] = applied
    built = {"id": raw["id"], "digest": digest, "seconds": round(audio.size / SAMPLE_RATE, 3), **details}
    stamp.write_text(json.dumps(built, indent=1, default=str) + "\n")
    return built
