"""File content is shown as plain text in the window, never as markup (issue #15, item 9).

Before, a preset id holding HTML was rendered as rich text in the "Cannot open preset" dialog
(QMessageBox guesses the format), and so was a ``meta.name`` in the law card's title.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from PySide6.QtCore import Qt

from planner.presets.load import get_law
from planner.presets.write import preset_document
from tests.ui.helpers import MessageBoxes
from ui.dialogs import plain_tooltip
from ui.main_window import MainWindow

MARKUP = "<b>bold</b><img src='x.png'><a href='https://example.com'>link</a>"


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> MessageBoxes:
    return MessageBoxes().patch(monkeypatch)


@pytest.fixture
def win(qtbot, boxes: MessageBoxes) -> MainWindow:
    w = MainWindow(restore=False)
    qtbot.addWidget(w)
    return w


def _preset(path: Path, **meta: str) -> Path:
    doc = preset_document(get_law("kaplan-2020"))
    doc["meta"].update(meta)
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    return path


def test_cannot_open_preset_dialog_shows_an_html_id_as_text(
    win: MainWindow, boxes: MessageBoxes, tmp_path: Path
) -> None:
    path = _preset(tmp_path / "html.toml", id=MARKUP)
    assert win.open_preset_file(path) is False
    kind, title, text = boxes.calls[-1]
    assert (kind, title) == ("warning", "Cannot open preset")
    assert "<b>bold</b><img src='x.png'>" in text  # the characters themselves, unrendered
    assert boxes.formats[-1] == Qt.TextFormat.PlainText


def test_a_file_name_with_markup_is_text_too(win: MainWindow, boxes: MessageBoxes, tmp_path: Path) -> None:
    path = tmp_path / "<h1>big<img src=x>.toml"  # no "/" in a file name
    path.write_text("x = [")
    assert win.open_preset_file(path) is False
    assert "<h1>big<img src=x>.toml" in boxes.calls[-1][2] and boxes.formats[-1] == Qt.TextFormat.PlainText


def test_law_title_and_preset_tooltips_show_markup_as_text(win: MainWindow, tmp_path: Path) -> None:
    path = _preset(tmp_path / "named.toml", id="named", name=MARKUP)
    assert win.open_preset_file(path) is True
    title = win.law_panel.card.title
    assert title.textFormat() == Qt.TextFormat.PlainText and title.text() == MARKUP
    combo = win.law_panel.combo
    tips = [combo.itemData(i, Qt.ItemDataRole.ToolTipRole) or "" for i in range(combo.count())]
    named = [t for t in tips if "bold" in t]
    assert named and all("&lt;b&gt;bold&lt;/b&gt;" in t and "<b>" not in t for t in named)


def test_plain_tooltip_escapes() -> None:
    assert plain_tooltip("") == ""
    assert plain_tooltip("a <b> & c\nd") == "<p style='white-space:pre-wrap'>a &lt;b&gt; &amp; c\nd</p>"
