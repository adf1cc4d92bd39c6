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
        "    if not m.name.endswith('.__main__'): importlib.import_module(m.name)\n"
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


def _planner_import_graph(repo_root: Path) -> dict[str, set[str]]:
    """Module -> planner modules it imports, counting every import statement (also under
    ``TYPE_CHECKING`` and inside functions); ``from planner.x import y`` names the submodule
    ``planner.x.y`` when there is one, else ``planner.x``."""
    root = repo_root / "planner"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(repo_root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.split(".")[0] == "planner")
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.split(".")[0] != "planner":
                    continue
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    deps.add(sub if sub in modules else base)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_no_import_circles_in_planner(repo_root: Path) -> None:
    """The core's modules import one way (inputs -> question -> solver -> plan -> views)."""
    graph = _planner_import_graph(repo_root)
    cycles = []
    for start in graph:  # a path back to itself through the graph is a circle
        stack, seen = [(start, (start,))], set()
        while stack:
            node, path = stack.pop()
            for dep in graph[node]:
                if dep == start:
                    cycles.append(" -> ".join((*path, start)))
                elif dep not in seen:
                    seen.add(dep)
                    stack.append((dep, (*path, dep)))
    assert sorted(set(cycles)) == []


def test_every_package_folder_is_shipped(repo_root: Path) -> None:
    """pyproject lists packages explicitly (the presets folder is mapped to planner_presets):
    a new subpackage missing from the list would import from a checkout but not from a wheel."""
    import tomllib

    listed = set(tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(repo_root).parts) for top in ("planner", "ui")
               for p in (repo_root / top).rglob("__init__.py")}  # fmt: skip
    assert folders - listed == set()
