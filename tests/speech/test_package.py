"""The engine package as a whole: what it imports, how big its modules are, how it refuses input."""

from __future__ import annotations

import ast
import pickle
import subprocess
import sys
from pathlib import Path

from selective_speaker.speech.types import AudioError, EnrollmentError, ModelError, RejectionCode, SpeechError

REPO = Path(__file__).resolve().parents[2]
ENGINE = REPO / "selective_speaker" / "speech"
LAB = REPO / "selective_speaker" / "speechlab"


def test_the_runtime_never_loads_the_measurement_tooling_or_django():
    script = (
        "import sys\n"
        "import selective_speaker.speech.engine, selective_speaker.speech.cli, selective_speaker.speech.models\n"
        "print(sorted(m for m in sys.modules if m.startswith(('selective_speaker.speechlab', 'django'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_no_engine_module_imports_the_measurement_tooling():
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any("speechlab" in name for name in names), f"{path.name} imports {names}"


def test_no_module_of_the_engine_or_the_lab_is_over_400_lines():
    long = {str(p.relative_to(REPO)): n for p in [*ENGINE.rglob("*.py"), *LAB.rglob("*.py")] if (n := len(p.read_text().splitlines())) > 400}
    assert not long


# --- rejection codes ---------------------------------------------------------------------------


def test_every_rejection_the_engine_raises_carries_a_code():
    """Each `raise EnrollmentError(...)` / `raise AudioError(...)` in the engine passes code=."""
    seen = 0
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                name = getattr(node.exc.func, "id", None)
                if name in ("EnrollmentError", "AudioError"):
                    seen += 1
                    assert any(k.arg == "code" for k in node.exc.keywords), f"{path.name}:{node.lineno} has no code"
    assert seen >= 15


def test_the_codes_are_stable_strings():
    assert {c.name: c.value for c in RejectionCode} == {
        "TOO_SHORT": "too_short",
        "TOO_QUIET": "too_quiet",
        "SEVERAL_VOICES": "several_voices",
        "INCONSISTENT_VOICE": "inconsistent_voice",
        "TOO_LONG": "too_long",
        "UNREADABLE_AUDIO": "unreadable_audio",
        "AUDIO_MISSING": "audio_missing",
        "GAVE_UP": "gave_up",
    }


def test_an_error_without_a_rule_has_no_code_and_codes_survive_pickling():
    assert SpeechError("anything").code is None and ModelError("model missing").code is None
    error = pickle.loads(pickle.dumps(EnrollmentError("too little speech", code=RejectionCode.TOO_SHORT)))
    assert (error.reason, error.code) == ("too little speech", RejectionCode.TOO_SHORT)
    assert pickle.loads(pickle.dumps(AudioError("the file is empty"))).code is None
