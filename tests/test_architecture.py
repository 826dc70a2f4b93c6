"""The shape of the code base, checked: dependencies run one way, and no module grows too big.

Layers, lowest first (docs/architecture.md draws them). A module may import its own layer's
package and the packages of lower layers, never a higher one nor a sibling of its own layer —
cross-app calls that must go "up" use signals (utterances.signals, enrollment.signals).
Imports inside functions count too: hiding an import in a function does not hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# package → layer. Higher layers may import lower ones.
LAYERS: dict[str, int] = {
    "selective_speaker.speech": 0,  # the engine: plain Python, no Django
    "selective_speaker.speechlab": 1,  # measurement tooling beside the engine
    "selective_speaker": 1,  # shared machinery: jobs, audio files, API helpers, settings
    "enrollment": 2,  # the owner's voice
    "utterances": 2,  # what the owner said
    "chunks": 3,  # recordings and the processing job
    "review": 4,  # staff review
    "account": 4,  # the owner's data rights
    "webhooks": 4,  # signed outgoing webhooks: listens to chunks' and utterances' signals
    "operations": 4,  # what an operator runs and watches: commands, /metrics (reads the apps' selectors)
    "pages": 5,  # the owner's HTML pages
}
# The composition roots wire every app together: they may import anything.
ROOTS = {"selective_speaker.urls", "selective_speaker.settings", "manage"}
# The runtime engine must never reach the measurement tooling, nor Django.
ENGINE_FORBIDDEN = (
    "django",
    "rest_framework",
    "django_q",
    "selective_speaker.speechlab",
)
MAX_LINES = 400


def package_of(module: str) -> str | None:
    """The LAYERS key a dotted module name belongs to (the longest matching prefix)."""
    matches = [
        name for name in LAYERS if module == name or module.startswith(name + ".")
    ]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in the file, absolute or relative, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = (
        module_name(path)
        if path.name == "__init__.py"
        else module_name(path).rpartition(".")[0]
    )
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def source_files() -> list[Path]:
    files = []
    for package in {name.split(".")[0] for name in LAYERS}:
        files += [
            p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts
        ]
    return sorted(files)


def backward_imports(path: Path) -> list[str]:
    """The imports of `path` that break the layering, as readable lines."""
    module = module_name(path)
    if module in ROOTS:
        return []
    own = package_of(module)
    problems = []
    for line, name in imported_modules(path):
        if own == "selective_speaker.speech" and name.startswith(ENGINE_FORBIDDEN):
            problems.append(
                f"{path.relative_to(ROOT)}:{line} the engine imports {name}"
            )
            continue
        target = package_of(name)
        if target is None or target == own or name in ROOTS:
            continue
        if LAYERS[target] >= LAYERS[own]:
            problems.append(
                f"{path.relative_to(ROOT)}:{line} {own} (layer {LAYERS[own]}) imports {name} "
                f"({target}, layer {LAYERS[target]})"
            )
    return problems


def test_it_knows_every_app():
    from django.conf import settings

    ours = {
        app for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    assert ours <= set(LAYERS), (
        f"give these apps a layer in tests/test_architecture.py: {ours - set(LAYERS)}"
    )


def test_it_has_no_backward_or_sibling_imports():
    problems = [
        problem for path in source_files() for problem in backward_imports(path)
    ]
    assert problems == [], "imports against the layering:\n" + "\n".join(problems)


def test_it_catches_a_backward_import(tmp_path, monkeypatch):
    """The walker itself works: an import from a higher layer is reported, a lower one is not."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "chunks").mkdir()
    bad = tmp_path / "chunks" / "bad.py"
    bad.write_text(
        "def f():\n    from pages.views_timeline import timeline\n    from enrollment import models\n"
    )
    assert [p.split(" ", 1)[1] for p in backward_imports(bad)] == [
        "chunks (layer 3) imports pages.views_timeline (pages, layer 5)"
    ]
    (tmp_path / "review").mkdir()
    sibling = tmp_path / "review" / "sibling.py"
    sibling.write_text("from account.services import account_erase\n")
    assert len(backward_imports(sibling)) == 1


def test_it_keeps_every_module_under_the_size_limit():
    files = source_files() + sorted((ROOT / "tests").rglob("*.py"))
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}, (
        f"modules over {MAX_LINES} lines (split them by role): {too_long}"
    )
