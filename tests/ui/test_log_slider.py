"""The log mapping and the slider+field widget, tested in one place."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from ui.widgets.log_slider import LogSlider, tick_to_value, value_to_tick


@given(st.integers(min_value=0, max_value=900))
def test_tick_round_trip(tick: int) -> None:
    assert value_to_tick(tick_to_value(tick, 1e18, 1e27, 900), 1e18, 1e27, 900) == tick


@given(st.floats(min_value=1e18, max_value=1e27))
def test_value_maps_to_nearest_tick_within_half_a_step(value: float) -> None:
    tick = value_to_tick(value, 1e18, 1e27, 900)
    assert (
        abs(math.log10(tick_to_value(tick, 1e18, 1e27, 900)) - math.log10(value))
        <= 0.5 * 9 / 900 + 1e-12
    )


def test_ends_and_clamping() -> None:
    assert tick_to_value(0, 4096, 1048576, 400) == 4096
    assert tick_to_value(400, 4096, 1048576, 400) == 1048576
    assert value_to_tick(1.0, 1e18, 1e27, 900) == 0
    assert value_to_tick(1e30, 1e18, 1e27, 900) == 900
    assert value_to_tick(float("nan"), 1e18, 1e27, 900) == 0


def test_bad_range_is_refused() -> None:
    with pytest.raises(ValueError, match="0 < lo < hi"):
        LogSlider(10, 1)


def test_set_value_is_silent_and_field_is_exact(qtbot) -> None:
    w = LogSlider(1e18, 1e27, unit="FLOPs", kind="flops")
    qtbot.addWidget(w)
    with qtbot.assertNotEmitted(w.valueChanged):
        w.setValue(3.8e25)
    assert w.value() == 3.8e25
    assert w.field.text() == "3.80e25"  # 3 significant digits; the tooltip has the exact value
    assert w.slider.value() == value_to_tick(3.8e25, 1e18, 1e27, 900)


def test_slider_move_emits_value(qtbot) -> None:
    w = LogSlider(1e18, 1e27)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.valueChanged) as blocker:
        w.slider.setValue(600)
    assert blocker.args[0] == pytest.approx(1e24)


@pytest.mark.parametrize(
    ("text", "expected"), [("3.8e25", 3.8e25), ("2.5e20", 2.5e20), ("400000P", 4e20)]
)
def test_field_accepts_scientific_notation(qtbot, text: str, expected: float) -> None:
    w = LogSlider(1e18, 1e27)
    qtbot.addWidget(w)
    w.field.setText(text)
    with qtbot.waitSignal(w.valueChanged) as blocker:
        w.field.editingFinished.emit()
    assert blocker.args[0] == pytest.approx(expected)
    assert w.value() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "reason"), [("banana", "not a number"), ("1e30", "outside"), ("nan", "finite")]
)
def test_field_rejects_bad_text_and_restores(qtbot, text: str, reason: str) -> None:
    w = LogSlider(1e18, 1e27)
    qtbot.addWidget(w)
    w.setValue(1e24)
    w.field.setText(text)
    with qtbot.assertNotEmitted(w.valueChanged), qtbot.waitSignal(w.editRejected) as blocker:
        w.field.editingFinished.emit()
    assert reason in blocker.args[0]
    assert w.value() == 1e24
    assert w.field.text() == "1.00e24"


def test_keyboard_step_moves_one_tick(qtbot) -> None:
    w = LogSlider(1e18, 1e27)
    qtbot.addWidget(w)
    w.setValue(1e24)
    with qtbot.waitSignal(w.valueChanged) as blocker:
        qtbot.keyClick(w.slider, Qt.Key.Key_Right)
    assert blocker.args[0] == pytest.approx(10 ** (24 + 9 / 900))
