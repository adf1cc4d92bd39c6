"""The window reads typed numbers with the command line's rule (issue #15, item 8).

A comma is only a thousands separator between groups of three digits: ``3,8e25`` typed into the
budget field is refused (it used to become 3.8e26), ``65,536`` in the vocabulary field is 65536.
"""

from __future__ import annotations

import pytest

from tests.ui.helpers import MessageBoxes
from ui.main_window import MainWindow


@pytest.fixture
def win(qtbot, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    MessageBoxes().patch(monkeypatch)
    w = MainWindow(restore=False)
    qtbot.addWidget(w)
    return w


def _type(win: MainWindow, name: str, text: str) -> None:
    field = win.budget_panel.sliders()[name].field
    field.setText(text)
    field.editingFinished.emit()  # Enter


@pytest.mark.parametrize("text", ["3,8e25", "3,8", "1,5e24", "2 5e24"])
def test_a_decimal_comma_is_refused_not_misread(win: MainWindow, text: str) -> None:
    before = win.state.inputs.flops
    _type(win, "flops", text)
    assert win.state.inputs.flops == before
    assert "may only separate thousands" in win.statusBar().currentMessage()


def test_thousands_separators_are_read(win: MainWindow) -> None:
    _type(win, "flops", "3.8e25")
    assert win.state.inputs.flops == 3.8e25
    win.budget_panel.vocab_check.setChecked(True)
    _type(win, "vocab_size", "65,536")
    assert win.state.inputs.vocab_size == 65536.0
