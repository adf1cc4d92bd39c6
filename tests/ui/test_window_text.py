"""What the window shows reads as the field reads it (issue #14, defect 11): no Python reprs
("1e+22", "8.93e+09", "np.float64"), "×" not "x" between numbers, "FLOPs" not "FLOP" — in every
label, tooltip, field, table cell, legend and axis of the window, over several plans."""

from __future__ import annotations

import re

import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QTableWidget,
)

from tests.core.test_text import REPR
from tests.ui.helpers import MessageBoxes
from ui.main_window import MainWindow

TIMES = re.compile(r"\d\s?x\s?\d")
SINGULAR_FLOP = re.compile(r"\bFLOP\b(?!/s)")
SCENARIOS = [
    {},
    {"compare": True, "moe_activation": 0.25, "vocab_enabled": True, "optimal_vocab": True, "inference_enabled": True,
     "inference_tokens": 1e14, "unique_enabled": True, "unique_tokens": 1e12, "n_gpus": 13},
    {"preset": "kaplan-2020", "flops": 1e19},
    {"preset": "llama3-2024", "compare": True, "compare_preset": "deepseek-2024", "flops": 3e25},
    {"fixed_n_enabled": True, "fixed_n": 7e9, "serve_enabled": True, "serve_on": "1xH100 SXM",
     "budget_kind": "days", "budget_value": 60.0},
]  # fmt: skip


def _texts(win: MainWindow) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for w in win.findChildren(QLabel):
        out += [(w.objectName() or "label", w.text()), (w.objectName() or "label", w.toolTip())]
    for w in win.findChildren(QLineEdit):
        out += [(w.objectName() or "field", w.text()), (w.objectName() or "field", w.toolTip())]
    for w in win.findChildren(QAbstractSpinBox):
        out.append((w.objectName(), w.text()))
    for w in win.findChildren(QComboBox):
        out += [(w.objectName(), w.itemText(i)) for i in range(w.count())]
    for table in win.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None:
                    out += [(table.objectName(), item.text()), (table.objectName(), item.toolTip())]
    for plot in win.findChildren(pg.PlotWidget):
        pi = plot.getPlotItem()
        out.append(("plot title", pi.titleLabel.text))
        out += [("axis", pi.getAxis(side).labelText) for side in ("left", "bottom")]
        if pi.legend is not None:
            out += [("legend", label.text) for _sample, label in pi.legend.items]
    return [(name, text) for name, text in out if text]


@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_the_window_shows_no_reprs(qtbot, monkeypatch: pytest.MonkeyPatch, index: int) -> None:
    MessageBoxes().patch(monkeypatch)
    win = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(win)
    win.resize(1366, 698)
    win.show()
    assert win.controller.set_inputs(**SCENARIOS[index])
    win.law_panel.card.details.setExpanded(True)
    win.tabs.setCurrentWidget(win.details)  # draws the Details tab and the predict box
    QApplication.processEvents()
    win.tabs.setCurrentIndex(0)
    bad = []
    for name, text in _texts(win):
        for pattern in (REPR, TIMES, SINGULAR_FLOP):
            m = pattern.search(text)
            if m and not (pattern is REPR and m.group(0) in ("()", "[]") and "(" in text and name == "lawBody"):
                bad.append(f"{name}: {m.group(0)!r} in {text[:140]!r}")
    assert bad == []
