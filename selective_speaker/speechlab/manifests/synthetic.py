"""Cases with known words: the owner's lines voiced by espeak-ng between real bystander turns.

A manifest case with a ``synth`` object (see synthetic-wer.json) becomes real files at run time:
each ``say`` turn is synthesised in the case's espeak-ng voice, each ``play`` turn is a real
recording of somebody else; every utterance is trimmed at -35 dB and levelled to -23 dBFS as
in the shared conversations, with ``gap_ms`` of silence between turns. The enrollment is other
sentences in the same voice. Outputs are cached under the work dir by a hash of the spec, so a
case is deterministic and no audio is committed. Needs espeak-ng (Debian: apt-get install espeak-ng).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from selective_speaker.speech.types import FRAME_MS, SAMPLE_RATE, ms_to_samples, samples_to_ms

from ..manifest import AudioRef, EvalCase, load_audio
from ..rttm import SpeakerTurn, format_rttm


class SynthesisError(RuntimeError):
    """espeak-ng is missing or fails."""


TRIM_DB = -35.0  # silence trimmed at this level re. the loudest 10 ms frame, as in the shared data
TARGET_DBFS = -23.0


def trim_silence(audio: np.ndarray, *, db: float = TRIM_DB) -> np.ndarray:
    frame = ms_to_samples(FRAME_MS)
    n = audio.size // frame
    if n == 0:
        return audio
    energy = np.sqrt(np.mean(audio[: n * frame].reshape(n, frame).astype(np.float64) ** 2, axis=1)) + 1e-12
    loud = np.flatnonzero(20 * np.log10(energy / energy.max()) > db)
    if loud.size == 0:
        return audio[:0]
    return audio[loud[0] * frame : (loud[-1] + 1) * frame]


def normalise_loudness(audio: np.ndarray, dbfs: float = TARGET_DBFS) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    if rms == 0:
        return audio
    return np.clip(audio * (10 ** (dbfs / 20) / rms), -1.0, 1.0).astype(np.float32)


def espeak_available() -> str | None:
    return shutil.which("espeak-ng")


def synthesise(text: str, *, voice: str, speed: int) -> np.ndarray:
    from selective_speaker.speech.audio import decode_audio

    binary = espeak_available()
    if binary is None:
        raise SynthesisError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng); it voices the WER case")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        done = subprocess.run([binary, "-v", voice, "-s", str(speed), "-w", str(wav), text], capture_output=True, text=True)
        if done.returncode != 0 or not wav.is_file():
            raise SynthesisError(f"espeak-ng failed for voice {voice!r}: {done.stderr.strip()[-300:]}")
        return decode_audio(wav)[0]


def materialise_synthetic(case: EvalCase, *, work_dir: Path) -> EvalCase:
    """The case with real files: test audio, its RTTM, the enrollment and the owner's transcript."""
    spec = case.synth
    speed = int(spec.get("speed", 160))
    gap = np.zeros(ms_to_samples(int(spec.get("gap_ms", 600))), dtype=np.float32)
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]
    folder = work_dir / f"synth-{re.sub(r'[^A-Za-z0-9_.-]+', '_', case.id)}-{digest}"
    audio_path, enroll_path, rttm_path = folder / "test.wav", folder / "enroll.wav", folder / "test.rttm"
    transcript = " ".join(t["say"] for t in spec["turns"] if "say" in t)
    if not (audio_path.exists() and enroll_path.exists() and rttm_path.exists()):
        import soundfile

        folder.mkdir(parents=True, exist_ok=True)
        pieces, turns, cursor = [gap], [], gap.size
        for turn in spec["turns"]:
            if "say" in turn:
                speech, speaker = synthesise(turn["say"], voice=spec["voice"], speed=speed), case.owner
            else:
                speech, speaker = load_audio(AudioRef(Path(turn["play"]))), turn["speaker"]
            speech = normalise_loudness(trim_silence(speech))
            turns.append(SpeakerTurn(samples_to_ms(cursor), samples_to_ms(cursor + speech.size), speaker))
            pieces += [speech, gap]
            cursor += speech.size + gap.size
        enroll = [normalise_loudness(trim_silence(synthesise(t, voice=spec["voice"], speed=speed))) for t in spec["enroll_text"]]
        enroll_audio = np.concatenate([x for piece in enroll for x in (piece, gap)])
        soundfile.write(enroll_path, enroll_audio, SAMPLE_RATE, subtype="PCM_16")
        soundfile.write(audio_path, np.concatenate(pieces), SAMPLE_RATE, subtype="PCM_16")
        rttm_path.write_text(format_rttm(turns, "synth"))
    return EvalCase(case.id, case.owner, (AudioRef(enroll_path),), AudioRef(audio_path), rttm_path, transcript, case.tags)
