"""QSettings access: window geometry and the last plan (UI memory, not domain state).

Tests point QSettings at ``tmp_path`` with ``QSettings.setPath`` (see tests/ui/conftest.py);
everything goes through :func:`settings` so the format and names live in one place.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings

ORGANISATION = "compute-budget-planner"
APPLICATION = "planner-gui"


def settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION
    )


def load_json(key: str) -> Any:
    """A JSON value saved under ``key``, or None when missing or unreadable."""
    raw = settings().value(key)
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def save_json(key: str, value: Any) -> None:
    s = settings()
    s.setValue(key, json.dumps(value))
    s.sync()


def load_bytes(key: str) -> bytes | None:
    raw = settings().value(key)
    if raw is None:
        return None
    try:
        return bytes(raw)
    except TypeError:
        return None


def save_bytes(key: str, value: bytes) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()


def use_throwaway_folder() -> Path:
    """Point QSettings, the autosave and the "Mine" preset folder at a new temporary folder, so a
    smoke run (or a script) never reads or overwrites the user's session, geometry or presets."""
    folder = Path(tempfile.mkdtemp(prefix="planner-gui-"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder / "settings"))
    os.environ["PLANNER_STATE_DIR"] = str(folder / "state")
    os.environ["PLANNER_USER_DIR"] = str(folder / "presets")
    return folder
