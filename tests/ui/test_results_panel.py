"""The answer at a glance (issue #14): the inference-aware plan shows when demand is on (defect 2),
the warnings strip is one line, merged across laws and ranked (defect 4), the Details tab lists
every result and predicts a run, the law card names its uncertainty, dark mode draws unchecked
boxes and disabled sliders legibly (defect 12)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, Qt
from PySide6.QtGui import QColor, QEnterEvent, QImage
from PySide6.QtWidgets import QApplication, QCheckBox, QLabel, QSlider

from planner.fitting.predict import predict
from planner.solve.warnings import SERIOUS, merge_warnings, severity
from planner.summary import fmt_loss, headline, result_rows
from planner.units import fmt_count
from tests.ui.helpers import MessageBoxes
from ui import theme
from ui.main_window import MainWindow


@pytest.fixture
def win(qtbot, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    MessageBoxes().patch(monkeypatch)
    w = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(w)
    w.resize(1366, 698)
    w.show()
    qtbot.waitExposed(w)
    return w


def label(win: MainWindow, name: str) -> QLabel:
    found = win.findChild(QLabel, name)
    assert found is not None, name
    return found


def plots_rect(win: MainWindow) -> QRect:
    QApplication.processEvents()
    return QRect(win.tabs.mapTo(win, QPoint(0, 0)), win.tabs.size())


def test_the_headline_says_the_recommendation_first(win: MainWindow) -> None:
    assert label(win, "headlineLabel").text() == headline(win.current_plan())
    top = label(win, "headlineLabel").mapTo(win, QPoint(0, 0)).y()
    assert top < label(win, "nParamsValue").mapTo(win, QPoint(0, 0)).y()


def test_inference_demand_shows_the_inference_aware_plan(qtbot, win: MainWindow) -> None:
    before = plots_rect(win)
    assert not win.findChild(QLabel, "iaSavingValue").isVisibleTo(win)
    qtbot.mouseClick(win.budget_panel.inference_check, Qt.MouseButton.LeftButton,
                     pos=QPoint(6, win.budget_panel.inference_check.height() // 2))  # fmt: skip
    assert win.state.inputs.inference_enabled
    plan = win.current_plan()
    ia = plan.inference_aware
    assert ia and label(win, "iaSavingValue").isVisibleTo(win)  # no unfolding needed
    assert label(win, "iaNParamsValue").text() == fmt_count(ia["n_params"])
    assert label(win, "iaNTokensValue").text() == fmt_count(ia["n_tokens"])
    saving = label(win, "iaSavingValue").text()
    assert "%" in saving and "$" in saving
    slider = win.findChild(QSlider, "inferenceTokensSlider")
    slider.setValue(slider.maximum())
    assert label(win, "iaSavingValue").text() != saving  # the slider changes what is shown
    assert label(win, "iaNParamsValue").text() == fmt_count(win.current_plan().inference_aware["n_params"])
    assert plots_rect(win) == before  # it takes the context row's place: the plots do not move


def test_a_law_without_a_chinchilla_loss_says_why_there_is_no_inference_aware_plan(win: MainWindow) -> None:
    win.controller.set_inputs(preset="kaplan-2020", inference_enabled=True, inference_tokens=1e14)
    card = win.result_cards.demand_row.cards["inference_aware.n_params"]
    assert card.isVisibleTo(win) and "Chinchilla-form" in card.unit.text()


def test_warnings_strip_is_one_line_merged_and_ranked(win: MainWindow) -> None:
    strip = win.result_cards.warnings
    win.controller.set_inputs(flops=1e21)  # inside epoch-2024's fitted range: no warning
    assert strip.lines() == ()
    quiet_height, quiet_plots = strip.height(), plots_rect(win)
    win.controller.set_inputs(compare=True, moe_activation=0.25, vocab_enabled=True, optimal_vocab=True,
                              inference_enabled=True, inference_tokens=1e14, unique_enabled=True,
                              unique_tokens=1e12, n_gpus=64, flops=1e25)  # fmt: skip
    main, other = win.current_plan(), win.current_compare_plan()
    lines = strip.lines()
    assert len(lines) < len(main.warnings) + len(other.warnings)
    assert any(line.startswith("both laws: ") for line in lines)
    assert severity(lines[0]) == SERIOUS
    merged = merge_warnings([(main.preset, main.warnings), (other.preset, other.warnings)])
    assert len(lines) == len(merged)
    assert f"{len(lines)} warnings" in strip.label.text() and strip.button.text() == f"Show all ({len(lines)})"
    # one line whatever the count; the plots keep their place
    assert strip.height() == quiet_height
    compare_plots = plots_rect(win)
    win.controller.set_inputs(unique_enabled=False, vocab_enabled=False)
    assert strip.height() == quiet_height and plots_rect(win) == compare_plots
    assert compare_plots.height() >= quiet_plots.height() - 60  # compare: its headline and a line per card
    # the full list opens over the plots, without moving them
    strip.set_expanded(True)
    assert strip._list.isVisible() and all(line in strip._list.label.text() for line in strip.lines())
    assert plots_rect(win) == compare_plots
    strip.set_expanded(False)
    assert not strip._list.isVisible()


def test_details_tab_lists_every_result_row_with_the_compared_law(win: MainWindow) -> None:
    win.tabs.setCurrentWidget(win.details)
    QApplication.processEvents()
    rows = result_rows(win.current_plan())
    shown = win.details.row_texts()
    assert list(shown) == [r.key for r in rows]
    assert all(shown[r.key][:2] == (r.label, r.value) for r in rows)
    win.controller.set_inputs(compare=True, moe_activation=0.25)  # "Active parameters" twice: plan, shape
    rows = result_rows(win.current_plan())
    other = {r.key: r.value for r in result_rows(win.current_compare_plan())}
    shown = win.details.row_texts()
    assert all(shown[r.key][:2] == (r.label, r.value) for r in rows)
    assert shown["n_params"][2] == other["n_params"]
    assert win.details.column_title(2) == win.state.inputs.compare_preset


def test_details_is_only_drawn_while_visible(win: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(win.details, "_draw", lambda: calls.append(1))
    win.controller.set_inputs(flops=2e23)
    assert calls == []  # the Plots tab is showing: a slider step costs the table nothing
    win.tabs.setCurrentWidget(win.details)
    QApplication.processEvents()
    assert calls


def test_what_would_this_run_give(qtbot, win: MainWindow) -> None:
    win.tabs.setCurrentWidget(win.details)
    box = win.details.predict_box
    plan = win.current_plan()
    assert fmt_loss(plan.loss) in box.text()  # follows the plan until a run is typed
    for field, text in ((box.n_field, "7B"), (box.d_field, "1.4T")):
        field.selectAll()
        qtbot.keyClicks(field, text)
        qtbot.keyClick(field, Qt.Key.Key_Return)
    want = predict(win.current_law(), 7e9, 1.4e12)
    assert box.text().startswith(f"Loss {fmt_loss(float(want.loss[0]))}")
    assert "interval" in box.text()
    box.n_field.setText("3,8")
    box.n_field.editingFinished.emit()
    assert "Not changed" in box.text() and box.n_field.value() == 7e9
    win.controller.set_inputs(flops=5e24)
    assert box.n_field.value() == 7e9  # a typed run stays typed


def test_law_card_names_where_its_uncertainty_comes_from(win: MainWindow) -> None:
    win.controller.set_inputs(preset="chinchilla-2022-a3")
    body = win.law_panel.card.body.text()
    law = win.current_law()
    assert law.info.uncertainty_text in body or not law.info.uncertainty
    assert "bootstrap" not in law.info.uncertainty_text


def _pixels(img: QImage) -> list[QColor]:
    return [img.pixelColor(x, y) for x in range(img.width()) for y in range(img.height())]


def test_dark_mode_boxes_and_disabled_sliders_are_legible(qtbot) -> None:
    app = QApplication.instance()
    try:
        theme.apply_palette(app, True)
        box = QCheckBox("Set vocabulary")
        qtbot.addWidget(box)
        box.resize(140, 24)
        img = box.grab().toImage()
        window = box.palette().color(box.backgroundRole()).lightness()
        indicator = img.copy(0, 0, 20, img.height())
        assert max(abs(c.lightness() - window) for c in _pixels(indicator)) > 60  # an outline you can see

        on, off = QSlider(Qt.Orientation.Horizontal), QSlider(Qt.Orientation.Horizontal)
        for s in (on, off):
            qtbot.addWidget(s)
            s.setRange(0, 100)
            s.setValue(60)
            s.resize(160, 24)
        off.setEnabled(False)

        def saturation(s: QSlider) -> int:
            return max(c.hsvSaturation() for c in _pixels(s.grab().toImage()))

        assert saturation(on) > 100 and saturation(off) < 60  # the disabled groove is grey
    finally:
        theme.apply_palette(app, False)


def test_values_and_headline_are_selectable_while_hovered(win: MainWindow) -> None:
    """Selectable labels keep a text document (each new value paints several times slower), so
    values and the headline become selectable when the pointer comes over them."""
    plain, selectable = Qt.TextInteractionFlag.NoTextInteraction, Qt.TextInteractionFlag.TextSelectableByMouse
    card = win.result_cards.cards["n_params"]
    assert card.value.textInteractionFlags() == plain
    QApplication.sendEvent(card, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert card.value.textInteractionFlags() == selectable
    QApplication.sendEvent(card, QEvent(QEvent.Type.Leave))
    assert card.value.textInteractionFlags() == plain
    box = label(win, "headlineLabel").parentWidget()
    QApplication.sendEvent(box, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert label(win, "headlineLabel").textInteractionFlags() == selectable
    QApplication.sendEvent(box, QEvent(QEvent.Type.Leave))
    assert label(win, "headlineLabel").textInteractionFlags() == plain


def test_cards_and_warnings_strip_follow_dark_mode(win: MainWindow) -> None:
    """Cards and the strip paint their frames (no style sheet): their colours follow the theme,
    and a value label fills with its card's background (it repaints alone)."""
    app = QApplication.instance()
    card = win.result_cards.cards["n_params"]
    strip = win.result_cards.warnings
    win.controller.set_inputs(flops=1e25)  # beyond epoch-2024's fitted range: a caution
    try:
        for dark in (False, True):
            theme.apply_palette(app, dark)
            win.apply_theme(dark)
            QApplication.processEvents()
            colors = theme.CARD_COLORS[dark]
            assert card.value.autoFillBackground()
            assert card.value.palette().color(card.value.backgroundRole()) == QColor(colors["background"])
            img = card.grab().toImage()
            assert img.pixelColor(card.width() // 2, card.height() - 3) == QColor(colors["background"])
            fill, text, _border = theme.WARNING_COLORS[dark][strip.severity()]
            assert strip.severity() in ("caution", "serious")
            assert strip.label.palette().color(strip.label.foregroundRole()) == QColor(text)
            img = strip.grab().toImage()
            assert img.pixelColor(4, strip.height() // 2) == QColor(fill)
    finally:
        theme.apply_palette(app, False)
        win.apply_theme(False)
