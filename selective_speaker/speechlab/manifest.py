"""Evaluation manifests: the cases (audio, reference RTTM, enrollment, transcript) and their audio.

Manifest paths: ``data:<relative>`` resolves against the data root (``--data-root``, else
``$SELECTIVE_SPEAKER_DATA``, else ``../shared/data`` beside the repository); ``gen:<relative>``
against the generated-audio root (``--audio-root``, else ``$SELECTIVE_SPEAKER_EVAL_AUDIO``, else
var/eval-audio in the repository: audio that a build command writes, never committed); an
absolute path is itself; any other path is relative to the manifest file. Shipped manifests live
in selective_speaker/speechlab/manifests/ and can be named without a path.

Optional case fields: ``tags``; ``group`` (the case's primary condition group, reported on its
own); ``owner_absent`` (true: the owner never speaks in the recording, the only right answer is
to keep nothing); ``score_from_ms`` (the engine gets the whole recording, scoring starts there).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from selective_speaker.speech.types import ms_to_samples, samples_to_ms

from .rttm import ManifestError, SpeakerTurn, clip_turns, read_rttm, speakers_of

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = Path(__file__).resolve().parent / "manifests"
DATA_ENV = "SELECTIVE_SPEAKER_DATA"
DATA_PREFIX = "data:"
AUDIO_ENV = "SELECTIVE_SPEAKER_EVAL_AUDIO"
GEN_PREFIX = "gen:"
BUILD_HINT = "python -m selective_speaker.speechlab.manifests.build_realistic"
ENROLL_GAP_MS = 300


@dataclass(frozen=True, slots=True)
class AudioRef:
    """An audio file, or the [start_ms, end_ms) stretch of one."""

    path: Path
    start_ms: int | None = None
    end_ms: int | None = None

    def describe(self) -> str:
        if self.start_ms is None and self.end_ms is None:
            return str(self.path)
        return f"{self.path}[{self.start_ms or 0}:{'' if self.end_ms is None else self.end_ms}]"


@dataclass(frozen=True)
class EvalCase:
    id: str
    owner: str
    enroll: tuple[AudioRef, ...]
    audio: AudioRef | None
    rttm: Path | None
    transcript: str | None = None
    tags: tuple[str, ...] = ()
    synth: dict | None = None  # a recording to synthesise at run time (see materialise_synthetic)
    group: str | None = None  # primary condition group (channel, noise, ...)
    owner_absent: bool = False  # the owner never speaks here: anything kept is wrong
    score_from_ms: int | None = None  # scored from here on (the engine still gets it all)


@dataclass(frozen=True)
class Manifest:
    name: str
    path: Path
    description: str
    cases: tuple[EvalCase, ...]


def default_data_root() -> Path:
    return REPO_ROOT.parent / "shared" / "data"


def resolve_data_root(value: str | os.PathLike | None = None) -> Path:
    if value:
        return Path(value).expanduser().resolve()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser().resolve()
    return default_data_root()


def default_audio_root() -> Path:
    return REPO_ROOT / "var" / "eval-audio"


def resolve_audio_root(value: str | os.PathLike | None = None) -> Path:
    if value:
        return Path(value).expanduser().resolve()
    if os.environ.get(AUDIO_ENV):
        return Path(os.environ[AUDIO_ENV]).expanduser().resolve()
    return default_audio_root()


def resolve_manifest_path(value: str | os.PathLike) -> Path:
    """A manifest file, or the name of one shipped in selective_speaker/speechlab/manifests/."""
    path = Path(value)
    if path.is_file():
        return path.resolve()
    shipped = MANIFEST_DIR / (path.name if path.suffix == ".json" else f"{path.name}.json")
    if shipped.is_file() and len(path.parts) == 1:
        return shipped
    names = ", ".join(sorted(p.stem for p in MANIFEST_DIR.glob("*.json")))
    raise ManifestError(f"no manifest {value!r}: give a path or one of the shipped ones ({names})")


def resolve_path(value: str, *, manifest_dir: Path, data_root: Path, audio_root: Path | None = None) -> Path:
    if value.startswith(DATA_PREFIX):
        return data_root / value[len(DATA_PREFIX) :]
    if value.startswith(GEN_PREFIX):
        return (audio_root or resolve_audio_root()) / value[len(GEN_PREFIX) :]
    path = Path(value).expanduser()
    return path if path.is_absolute() else (manifest_dir / path).resolve()


def _audio_ref(value, *, where: str, manifest_dir: Path, data_root: Path, audio_root: Path | None = None) -> AudioRef:
    refs = {"manifest_dir": manifest_dir, "data_root": data_root, "audio_root": audio_root}
    if isinstance(value, str):
        return AudioRef(resolve_path(value, **refs))
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        start, end = value.get("start_ms"), value.get("end_ms")
        for bound in (start, end):
            if bound is not None and (not isinstance(bound, int) or bound < 0):
                raise ManifestError(f"{where}: start_ms/end_ms must be non-negative integers")
        if start is not None and end is not None and end <= start:
            raise ManifestError(f"{where}: end_ms must be after start_ms")
        return AudioRef(resolve_path(value["path"], **refs), start, end)
    raise ManifestError(f"{where}: expected a path or {{'path', 'start_ms', 'end_ms'}}, got {value!r}")


def _require_file(path: Path, where: str, data_root: Path, audio_root: Path | None = None) -> None:
    if not path.is_file():
        hint = f" (data root {data_root}; set --data-root or ${DATA_ENV})" if str(path).startswith(str(data_root)) else ""
        if audio_root is not None and str(path).startswith(str(audio_root)):
            hint = f" (generated audio, root {audio_root}: build it with `{BUILD_HINT}`, or set --audio-root / ${AUDIO_ENV})"
        raise ManifestError(f"{where}: file not found: {path}{hint}")


def _case_options(raw: dict, where: str) -> dict:
    """The optional fields: group, owner_absent, score_from_ms."""
    group, absent, score_from = raw.get("group"), raw.get("owner_absent", False), raw.get("score_from_ms")
    if group is not None and (not isinstance(group, str) or not group):
        raise ManifestError(f"{where}: 'group' must be a non-empty string")
    if not isinstance(absent, bool):
        raise ManifestError(f"{where}: 'owner_absent' must be true or false")
    if score_from is not None and (not isinstance(score_from, int) or isinstance(score_from, bool) or score_from < 0):
        raise ManifestError(f"{where}: 'score_from_ms' must be a non-negative integer")
    return {"group": group, "owner_absent": absent, "score_from_ms": score_from}


def _parse_case(raw: dict, index: int, *, manifest_dir: Path, data_root: Path, audio_root: Path | None = None) -> EvalCase:
    where = f"case {index}"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: expected an object")
    case_id = raw.get("id")
    if not isinstance(case_id, str) or not case_id:
        raise ManifestError(f"{where}: 'id' is required")
    where = f"case {case_id!r}"
    owner = raw.get("owner")
    if not isinstance(owner, str) or not owner:
        raise ManifestError(f"{where}: 'owner' (the owner's speaker label in the RTTM) is required")
    tags = tuple(raw.get("tags", ()))
    synth = raw.get("synth")
    if synth is not None:
        _validate_synth(synth, where)
        turns = [
            {**t, "play": str(resolve_path(t["play"], manifest_dir=manifest_dir, data_root=data_root))} if "play" in t else t
            for t in synth["turns"]
        ]
        return EvalCase(case_id, owner, (), None, None, None, tags, {**synth, "turns": turns})
    for key in ("audio", "rttm", "enroll"):
        if key not in raw:
            raise ManifestError(f"{where}: '{key}' is required")
    enroll = raw["enroll"]
    if not isinstance(enroll, list) or not enroll:
        raise ManifestError(f"{where}: 'enroll' must be a non-empty list of audio files")
    refs = {"manifest_dir": manifest_dir, "data_root": data_root, "audio_root": audio_root}
    transcript = raw.get("transcript")
    if "transcript_file" in raw:
        path = resolve_path(raw["transcript_file"], **refs)
        _require_file(path, f"{where} transcript_file", data_root)
        transcript = path.read_text()
    if not isinstance(raw["rttm"], str):
        raise ManifestError(f"{where}: 'rttm' must be a path")
    return EvalCase(
        id=case_id,
        owner=owner,
        enroll=tuple(_audio_ref(item, where=f"{where} enroll", **refs) for item in enroll),
        audio=_audio_ref(raw["audio"], where=f"{where} audio", **refs),
        rttm=resolve_path(raw["rttm"], **refs),
        transcript=transcript,
        tags=tags,
        **_case_options(raw, where),
    )


def _check_case_files(case: EvalCase, data_root: Path, audio_root: Path | None = None) -> None:
    if case.synth is not None:
        for turn in case.synth["turns"]:
            if "play" in turn:
                _require_file(Path(turn["play"]), f"case {case.id!r} synth", data_root)
        return
    for ref in (case.audio, *case.enroll):
        _require_file(ref.path, f"case {case.id!r}", data_root, audio_root)
    _require_file(case.rttm, f"case {case.id!r} rttm", data_root, audio_root)
    if case.owner_absent:
        if case.owner in speakers_of(case_turns(case)):
            raise ManifestError(f"case {case.id!r}: marked owner_absent but {case.owner!r} speaks in {case.audio.describe()}")
        return
    speakers = speakers_of(read_rttm(case.rttm))
    if case.owner not in speakers:
        raise ManifestError(f"case {case.id!r}: owner {case.owner!r} has no turn in {case.rttm} (speakers: {speakers})")


def load_manifest(
    path: str | os.PathLike, *, data_root: Path | None = None, check_files: bool = True, audio_root: Path | None = None
) -> Manifest:
    path = resolve_manifest_path(path)
    data_root = resolve_data_root(data_root)
    audio_root = resolve_audio_root(audio_root)
    try:
        raw = json.loads(path.read_text())
    except ValueError as exc:
        raise ManifestError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list) or not raw["cases"]:
        raise ManifestError(f"{path}: expected an object with a non-empty 'cases' list")
    cases = tuple(
        _parse_case(item, i, manifest_dir=path.parent, data_root=data_root, audio_root=audio_root)
        for i, item in enumerate(raw["cases"])
    )
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ManifestError(f"{path}: case id {case.id!r} appears twice")
        seen.add(case.id)
        if check_files:
            _check_case_files(case, data_root, audio_root)
    return Manifest(raw.get("name", path.stem), path, raw.get("description", ""), cases)


def select_cases(cases: Sequence[EvalCase], patterns: Sequence[str] = (), tags: Sequence[str] = ()) -> list[EvalCase]:
    """Cases whose id matches any glob pattern and that carry any of the tags (no filter = all)."""
    from fnmatch import fnmatchcase

    chosen = [c for c in cases if not patterns or any(fnmatchcase(c.id, p) for p in patterns)]
    return [c for c in chosen if not tags or set(tags) & set(c.tags)]


# --- audio of a case ----------------------------------------------------------------------------


def load_audio(ref: AudioRef, *, max_duration_ms: int | None = None) -> np.ndarray:
    from selective_speaker.speech.audio import decode_audio

    audio, _info = decode_audio(ref.path, max_duration_ms=max_duration_ms)
    lo = 0 if ref.start_ms is None else ms_to_samples(ref.start_ms)
    hi = audio.size if ref.end_ms is None else min(audio.size, ms_to_samples(ref.end_ms))
    if hi <= lo:
        raise ManifestError(f"{ref.describe()} is empty: the file holds {samples_to_ms(audio.size)} ms")
    return audio[lo:hi]


def enrollment_audio(refs: Sequence[AudioRef], *, gap_ms: int = ENROLL_GAP_MS) -> np.ndarray:
    """The enrollment files one after the other, `gap_ms` of silence between them."""
    from selective_speaker.speech.audio import join_clips

    return join_clips([load_audio(ref) for ref in refs], gap_ms)


def case_turns(case: EvalCase) -> list[SpeakerTurn]:
    turns = read_rttm(case.rttm)
    if case.audio.start_ms is None and case.audio.end_ms is None:
        return turns
    return clip_turns(turns, case.audio.start_ms or 0, case.audio.end_ms if case.audio.end_ms is not None else 10**12)


# --- synthetic cases (voiced at run time by manifests/synthetic.py) ----------------------------


def _validate_synth(spec: dict, where: str) -> None:
    if not isinstance(spec, dict):
        raise ManifestError(f"{where}: 'synth' must be an object")
    if not isinstance(spec.get("voice"), str):
        raise ManifestError(f"{where}: synth needs an espeak-ng 'voice'")
    if not isinstance(spec.get("enroll_text"), list) or not spec["enroll_text"]:
        raise ManifestError(f"{where}: synth needs 'enroll_text' (sentences the owner enrolls with)")
    turns = spec.get("turns")
    if not isinstance(turns, list) or not any("say" in t for t in turns if isinstance(t, dict)):
        raise ManifestError(f"{where}: synth needs 'turns' with at least one owner 'say'")
    for turn in turns:
        if not isinstance(turn, dict) or not (("say" in turn) ^ ("play" in turn and "speaker" in turn)):
            raise ManifestError(f"{where}: each synth turn is {{'say': text}} or {{'play': file, 'speaker': label}}")
