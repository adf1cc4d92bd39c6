"""Shared helpers for the window tests (not a test module)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "presets"


class MessageBoxes:
    """Records QMessageBox calls instead of showing them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.formats: list[object] = []  # text format of each instance box (Qt.TextFormat)

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
        from PySide6.QtWidgets import QMessageBox

        def record(kind: str):
            def fn(_parent, title, text, *args, **kwargs):
                self.calls.append((kind, title, text))
                return QMessageBox.StandardButton.Ok

            return staticmethod(fn)

        for kind in ("warning", "critical", "information", "question", "about"):
            monkeypatch.setattr(QMessageBox, kind, record(kind))

        kinds = {QMessageBox.Icon.Warning: "warning", QMessageBox.Icon.Critical: "critical",
                 QMessageBox.Icon.Information: "information", QMessageBox.Icon.Question: "question"}  # fmt: skip

        def exec_box(box: QMessageBox) -> int:  # a box built as an instance (ui.dialogs.warning)
            self.calls.append((kinds.get(box.icon(), "message"), box.windowTitle(), box.text()))
            self.formats.append(box.textFormat())
            return int(QMessageBox.StandardButton.Ok.value)

        monkeypatch.setattr(QMessageBox, "exec", exec_box)
        return self
