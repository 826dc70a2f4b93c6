"""Command line of the speech engine's runtime — no database, no Django.

    python -m selective_speaker.speech prepare-models
    python -m selective_speaker.speech transcribe CHUNK.wav --enroll ME1.flac ME2.flac

The configuration is `EngineConfig.from_env(os.environ)`, as on the server (SPEECH_* variables,
HF_TOKEN, MAX_CHUNK_SECONDS...); the model cache is `$SPEECH_MODEL_DIR`, else var/models in the
repository. Every EngineConfig field can be overridden with `--set name=value` (repeatable).
Measurement (eval, calibrate, bench) lives in `python -m selective_speaker.speechlab`, which
reuses the helpers here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .config import EngineConfig, parse_field

REPO_ROOT = Path(__file__).resolve().parents[2]
ENROLL_GAP_MS = 300  # silence between the enrollment files, as in the measurement tooling


class CommandError(Exception):
    """A problem with what the user asked for: printed without a traceback, exit status 2."""


# --- configuration from the environment and flags ---------------------------------------------


def parse_settings(items: list[str]) -> dict:
    """`--set name=value` items as EngineConfig field values (config.parse_field's coercion)."""
    changes = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise CommandError(f"--set {item}: expected name=value")
        name = name.strip()
        try:
            changes[name] = parse_field(name, value, source=f"--set {name}")
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
    return changes


def default_model_dir() -> Path:
    """The model cache when $SPEECH_MODEL_DIR is not set: var/models in the repository."""
    return REPO_ROOT / "var" / "models"


def config_from_args(args: argparse.Namespace) -> EngineConfig:
    """The environment's configuration (as on the server), then --strategy and --set."""
    changes: dict = {}
    if getattr(args, "strategy", None):
        changes["strategy"] = args.strategy
    changes.update(parse_settings(getattr(args, "set", None) or []))
    try:
        return EngineConfig.from_env(os.environ, defaults={"model_cache_dir": default_model_dir()}, **changes)
    except ValueError as exc:
        raise CommandError(f"invalid settings: {exc}") from exc


def load_engine(config: EngineConfig):
    try:
        from .engine import Engine
    except ImportError as exc:
        raise CommandError(f"the speech engine cannot be imported: {exc}") from exc
    return Engine.shared(config)


def check_models(config: EngineConfig) -> None:
    from .models import readiness

    missing = {name: r["detail"] for name, r in readiness(config).items() if not r["ok"]}
    if missing:
        details = "; ".join(f"{name}: {detail}" for name, detail in missing.items())
        raise CommandError(f"models not ready in {config.model_cache_dir}: {details}")


def add_engine_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategy", choices=("voiceprint", "anchored"), help="owner attribution strategy")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override an EngineConfig field (repeatable)"
    )


def run_command(args: argparse.Namespace, *known: type[Exception]) -> int:
    """Run `args.run`; CommandError, SpeechError and the `known` errors print without a traceback."""
    from .types import SpeechError

    try:
        return args.run(args)
    except (CommandError, *known) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SpeechError as exc:
        print(f"error: {exc.reason}", file=sys.stderr)
        return 2


# --- commands -----------------------------------------------------------------------------------


def command_prepare_models(args) -> int:
    from .models import prepare_models

    config = config_from_args(args)
    print(json.dumps(prepare_models(config), indent=2))
    return 0


def command_transcribe(args) -> int:
    from .audio import decode_audio, join_clips

    config = config_from_args(args)
    missing = [p for p in (args.audio, *args.enroll) if not Path(p).is_file()]
    if missing:
        raise CommandError(f"file not found: {', '.join(missing)}")
    check_models(config)
    audio, _info = decode_audio(args.audio, max_duration_ms=config.max_duration_ms)
    enrollment = join_clips([decode_audio(p)[0] for p in args.enroll], ENROLL_GAP_MS)
    engine = load_engine(config)
    voiceprint = engine.enroll(enrollment).voiceprint

    result = engine.process_chunk(audio, voiceprint=voiceprint, enrollment_audio=enrollment)
    out = {
        "status": str(result.status),
        "reason": result.reason,
        "duration_ms": result.duration_ms,
        "segments": [s.as_dict() for s in result.segments],
        "timings": result.timings,
        "decision": result.decision.to_dict(),
    }
    print(json.dumps(out, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m selective_speaker.speech", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    prepare = sub.add_parser("prepare-models", help="put the bundled models in the model cache (checksummed)")
    add_engine_flags(prepare)
    prepare.set_defaults(run=command_prepare_models)

    transcribe = sub.add_parser("transcribe", help="print the owner's segments of one recording as JSON")
    transcribe.add_argument("audio")
    transcribe.add_argument("--enroll", nargs="+", required=True, metavar="FILE", help="the owner's enrollment audio")
    add_engine_flags(transcribe)
    transcribe.set_defaults(run=command_transcribe)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))
