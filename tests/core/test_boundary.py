"""The core must stay importable and usable without Qt (DEVELOPERS.md layout rule)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "ui")


def test_planner_sources_never_import_qt_or_ui(repo_root: Path) -> None:
    offenders = []
    for path in sorted((repo_root / "planner").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__",
            ):  # fmt: skip
                names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            for name in names:
                if name.split(".")[0] in FORBIDDEN:
                    offenders.append(f"{path.relative_to(repo_root)}:{node.lineno}: {name}")
    assert offenders == []


def test_importing_everything_in_planner_loads_no_qt(repo_root: Path) -> None:
    code = (
        "import importlib, pkgutil, sys, planner\n"
        "for m in pkgutil.walk_packages(planner.__path__, 'planner.'):\n"
        "    if m.name != 'planner.__main__': importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in %r)\n"
        "print(','.join(bad))\n" % (FORBIDDEN,)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, check=True)
    assert out.stdout.strip() == ""


def test_plain_import_does_not_load_scipy_or_pandas(repo_root: Path) -> None:
    code = "import sys, planner; print(sorted({n.split('.')[0] for n in sys.modules} & {'scipy', 'pandas'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=repo_root, check=True)
    assert out.stdout.strip() == "[]"


def test_tests_never_read_outside_the_repository(repo_root: Path) -> None:
    """The README's test command passes from a fresh clone with nothing beside it."""
    offenders = []
    word = "sha" + "red"  # spelt apart: this file is scanned too
    needles = ("../" + word, f'"{word}"', f"'{word}'")
    for path in sorted((repo_root / "tests").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in needles:
            if needle in text:
                offenders.append(f"{path.relative_to(repo_root)}: {needle}")
    assert offenders == []
