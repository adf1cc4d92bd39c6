"""The one place that knows where bundled resources live.

Works from a source checkout (``<repo>/presets``), an installed wheel (the
``planner_presets`` package data) and a PyInstaller bundle (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path


@cache
def resource_dir(name: str) -> Path:
    """Directory of bundled resource ``name`` (``"presets"`` or ``"icons"``).

    Raises ``FileNotFoundError`` naming every place looked in when it is missing.
    """
    tried: list[Path] = []
    for path in _places(name):
        tried.append(path)
        if path.is_dir():
            return path
    raise FileNotFoundError(f"resource folder {name!r} not found; looked in: " + ", ".join(map(str, tried)))


def _places(name: str) -> Iterator[Path]:
    """Where ``name`` may be, in order (the package data is looked up only if the others fail:
    importing importlib.resources costs a cold start a few milliseconds)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        yield Path(frozen_root) / name
    yield Path(__file__).resolve().parents[2] / name  # source checkout: <repo>/<name>
    if name == "presets":
        try:
            from importlib.resources import files

            yield Path(str(files("planner_presets")))
        except (ModuleNotFoundError, TypeError):
            pass
