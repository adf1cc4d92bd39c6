"""The window fits a 1366x768 laptop, every control is reachable, and nothing a user needs is
clipped at 1366 or 1920 wide (issue #14, defects 7 and 9), checked with font metrics."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QScrollBar,
    QWidget,
)

import ui.screen
from tests.ui.helpers import MessageBoxes
from ui.main_window import MainWindow

LAPTOP = QRect(0, 0, 1366, 728)  # 1366x768 less a 40 px taskbar
WINDOW_FRAME = 30  # a title bar
SCENARIOS = {
    "default": {},
    "busy compare": {"compare": True, "moe_activation": 0.25, "vocab_enabled": True, "optimal_vocab": True,
                     "inference_enabled": True, "inference_tokens": 1e14, "unique_enabled": True,
                     "unique_tokens": 1e12, "n_gpus": 64},
    "kaplan": {"preset": "kaplan-2020", "flops": 3e24},
    "allocation-only": {"preset": "llama3-2024", "compare": True, "compare_preset": "deepseek-2024"},
    "fixed size, serving": {"fixed_n_enabled": True, "fixed_n": 7e10, "serve_enabled": True,
                            "serve_on": "8xH100 SXM", "usd_per_gpu_hour": 2.35, "budget_kind": "usd",
                            "budget_value": 5e6},
}  # fmt: skip
INPUTS = (QAbstractSlider, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractButton)


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch) -> QRect:
    monkeypatch.setattr(ui.screen, "available", lambda widget=None: QRect(LAPTOP))
    return LAPTOP


@pytest.fixture
def win(qtbot, monkeypatch: pytest.MonkeyPatch, laptop: QRect) -> MainWindow:
    MessageBoxes().patch(monkeypatch)
    w = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _expand_everything(win: MainWindow) -> None:
    for section in win.budget_panel.sections.values():
        section.setExpanded(True)
    win.law_panel.card.details.setExpanded(True)


def _settle(win: MainWindow, width: int, height: int) -> None:
    win.resize(width, height)
    for _ in range(3):
        QApplication.processEvents()


def test_window_and_fit_dialog_open_within_a_laptop_screen(win: MainWindow, laptop: QRect) -> None:
    assert win.width() <= laptop.width() and win.height() <= laptop.height()
    for name, changes in SCENARIOS.items():
        assert win.controller.set_inputs(**changes), name
        QApplication.processEvents()
        hint = win.minimumSizeHint()
        assert hint.width() <= laptop.width(), name
        assert hint.height() <= laptop.height() - WINDOW_FRAME, (name, hint)
    from ui.fit_dialog import FitDialog

    dialog = FitDialog(win)
    try:
        assert dialog.width() <= laptop.width() and dialog.height() <= laptop.height() - WINDOW_FRAME
        assert dialog.minimumSizeHint().height() <= laptop.height() - WINDOW_FRAME
        dialog.show()
        QApplication.processEvents()
        inside = dialog.rect()
        for button in (dialog.fit_button, dialog.save_button, dialog.use_button, dialog.close_button):
            top_left = button.mapTo(dialog, button.rect().topLeft())
            assert inside.contains(QRect(top_left, button.size())), button.text()
    finally:
        dialog.close()
        dialog.deleteLater()


def test_a_geometry_saved_on_a_big_monitor_is_clamped_into_the_screen(qtbot, laptop: QRect) -> None:
    w = QWidget()
    qtbot.addWidget(w)
    w.resize(2400, 1400)
    w.move(1800, 900)
    ui.screen.clamp_to_screen(w)
    assert laptop.contains(QRect(w.pos(), w.size()))
    assert ui.screen.fit_to_screen(w, QSize(1440, 900)).height() <= laptop.height()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_control_is_reachable_at_1366x768(win: MainWindow, name: str) -> None:
    assert win.controller.set_inputs(**SCENARIOS[name])
    _expand_everything(win)
    _settle(win, LAPTOP.width(), LAPTOP.height() - WINDOW_FRAME)
    scroll = win.findChild(QScrollArea)
    viewport = scroll.viewport()
    checked = 0
    for w in win.findChildren(QWidget):
        if not isinstance(w, INPUTS) or isinstance(w, QScrollBar) or not w.isVisibleTo(win) or w.window() is not win:
            continue
        if isinstance(w, QLineEdit) and isinstance(w.parent(), QAbstractSpinBox | QComboBox):
            continue  # the editor inside a spin box or combo: the box is checked
        if scroll.widget().isAncestorOf(w):
            bar = scroll.verticalScrollBar()  # scroll its top into view, as far as the bar goes
            bar.setValue(min(bar.maximum(), w.mapTo(scroll.widget(), w.rect().topLeft()).y()))
            QApplication.processEvents()
            rect = QRect(w.mapTo(viewport, w.rect().topLeft()), w.size())
            assert viewport.rect().contains(rect), f"{w.objectName() or type(w).__name__} cannot be scrolled into view"
        else:
            rect = QRect(w.mapTo(win, w.rect().topLeft()), w.size())
            assert win.rect().contains(rect), f"{w.objectName() or type(w).__name__} lies outside the window"
        assert w.width() >= min(w.minimumSizeHint().width(), 40), f"{w.objectName()} is squeezed"
        checked += 1
    assert checked > 40  # the sliders, fields, boxes and buttons of every section


def _clipped_labels(root: QWidget) -> list[str]:
    """Labels whose text does not fit (font metrics): one-line labels wider than their box, wrapped
    labels taller than it. The warnings strip's summary line elides by design (the list shows all)."""
    out = []
    for lab in root.findChildren(QLabel):
        if not lab.isVisibleTo(root) or not lab.text() or lab.objectName() == "warningsLabel":
            continue
        if lab.textFormat() == Qt.TextFormat.RichText or "<" in lab.text() and lab.textFormat() != Qt.TextFormat.PlainText:
            continue  # rich text (the law's details) wraps in a scrolling sidebar
        fm = lab.fontMetrics()
        margin = lab.contentsMargins()
        width = lab.width() - margin.left() - margin.right() - 2 * lab.margin()
        if lab.wordWrap():
            need = fm.boundingRect(0, 0, max(width, 1), 100_000, int(Qt.TextFlag.TextWordWrap), lab.text())
            if need.height() > lab.height() + 1:
                out.append(f"{lab.objectName() or 'label'}: {lab.text()!r} needs {need.height()} px, has {lab.height()}")
        elif max(fm.horizontalAdvance(line) for line in lab.text().split("\n")) > width + 1:
            out.append(f"{lab.objectName() or 'label'}: {lab.text()!r} needs "
                       f"{max(fm.horizontalAdvance(x) for x in lab.text().split(chr(10)))} px, has {width}")
    return out


@pytest.mark.parametrize("size", [(1366, 768 - 40 - WINDOW_FRAME), (1920, 1080 - 40 - WINDOW_FRAME)])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_nothing_a_user_needs_is_clipped(win: MainWindow, name: str, size: tuple[int, int]) -> None:
    assert win.controller.set_inputs(**SCENARIOS[name])
    _settle(win, *size)
    cards = win.result_cards.shown_cards()
    assert len(cards) >= 10
    for card in cards:
        assert card.fits(), (card.title.text(), card._texts)
        assert card.value.text() == card._texts[0] and card.unit.text() == card._texts[1]
    assert _clipped_labels(win.result_cards) == []
    assert _clipped_labels(win.findChild(QScrollArea).widget()) == []
    for combo in win.findChildren(QComboBox):
        if combo.isVisibleTo(win) and combo.objectName() not in ("presetCombo", "compareCombo"):
            text_room = combo.width() - 28  # the arrow and frame
            assert combo.fontMetrics().horizontalAdvance(combo.currentText()) <= text_room, combo.objectName()
    # the preset combos may shorten a long title; the law card under them shows it whole
    card_title = win.law_panel.card.title
    assert card_title.text() == win.current_law().info.title
    # every warning can be read in full
    strip = win.result_cards.warnings
    if strip.lines():
        strip.set_expanded(True)
        QApplication.processEvents()
        shown = strip._list.label.text()
        assert all(line in shown for line in strip.lines())
        strip.set_expanded(False)
