"""Fixtures for every Qt test: settings and user folders in tmp_path, no blocking dialogs,
no leaked top-level widgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings
from PySide6.QtWidgets import QApplication


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """QSettings, the preset library's "Mine" folder and the autosave live in tmp_path for each test."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user-presets"))
    monkeypatch.setenv("PLANNER_STATE_DIR", str(tmp_path / "state"))  # the window's autosave
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    return folder


@pytest.fixture(autouse=True)
def _no_leaked_top_level_widgets(qapp: QApplication):
    """Fail a test that leaves a top-level widget alive (use qtbot.addWidget or close+deleteLater)."""
    before = {id(w) for w in QApplication.topLevelWidgets()}
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    leaked = [
        w for w in QApplication.topLevelWidgets()
        if id(w) not in before and type(w).__name__ not in ("QMenu", "QToolTip", "QTipLabel", "QComboBoxPrivateContainer")
    ]  # fmt: skip
    for w in leaked:
        w.close()
        w.deleteLater()
    assert not leaked, f"leaked top-level widgets: {[type(w).__name__ for w in leaked]}"
