"""The one place that knows where bundled resources live.

Works from a source checkout (``<repo>/presets``), an installed wheel (the
``planner_presets`` package data) and a PyInstaller bundle (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path


@cache
def resource_dir(name: str) -> Path:
    """Directory of bundled resource ``name`` (``"presets"`` or ``"icons"``).

    Raises ``FileNotFoundError`` naming every place looked in when it is missing.
    """
    tried: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        tried.append(Path(frozen_root) / name)
    tried.append(Path(__file__).resolve().parents[2] / name)  # source checkout: <repo>/<name>
    if name == "presets":
        try:
            from importlib.resources import files

            tried.append(Path(str(files("planner_presets"))))
        except (ModuleNotFoundError, TypeError):
            pass
    for path in tried:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"resource folder {name!r} not found; looked in: " + ", ".join(map(str, tried)))
