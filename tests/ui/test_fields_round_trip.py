"""Every numeric field accepts the text it displays, over its whole range (issue #14, defect 6:
the MoE field showed "1/4" and then refused it)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.ui.helpers import MessageBoxes
from ui.main_window import MainWindow
from ui.widgets.fields import QuantityField
from ui.widgets.log_slider import LogSlider, tick_to_value


@pytest.fixture
def win(qtbot, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    MessageBoxes().patch(monkeypatch)
    w = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(w)
    return w


def _fields(win: MainWindow) -> dict[str, LogSlider | QuantityField]:
    p = win.budget_panel
    box = win.details.predict_box
    return {"flops": p.flops, "gpu_hours": p.gpu_hours, "usd": p.usd, "days": p.days, "vocab": p.vocab,
            "moe": p.moe, "inference": p.inference, "unique": p.unique, "fixed_n": p.fixed_n, "fixed_d": p.fixed_d,
            "predict_n": box.n_field, "predict_d": box.d_field}  # fmt: skip


def _samples(w: LogSlider | QuantityField) -> list[float]:
    if isinstance(w, LogSlider):  # every 7th tick of the slider, its ends, and typed values beyond it
        ticks = [tick_to_value(t, w.lo, w.hi, w.steps) for t in range(0, w.steps + 1, 7)]
        return ticks + [w.field_lo, w.field_hi, math.sqrt(w.field_lo * w.lo)]
    lo, hi = w.lo if w.lo > 0 else 1e-3, w.hi
    return list(np.geomspace(lo, hi, 97))


def _line_edit(w: LogSlider | QuantityField):
    return w.field if isinstance(w, LogSlider) else w


def _rejected(w: LogSlider | QuantityField):
    return w.editRejected if isinstance(w, LogSlider) else w.rejected


@pytest.mark.parametrize("name", ["flops", "gpu_hours", "usd", "days", "vocab", "moe", "inference", "unique",
                                  "fixed_n", "fixed_d", "predict_n", "predict_d"])  # fmt: skip
def test_every_field_reads_back_what_it_shows(qtbot, win: MainWindow, name: str) -> None:
    w = _fields(win)[name]
    edit = _line_edit(w)
    refused: list[str] = []
    _rejected(w).connect(refused.append)
    for x in _samples(w):
        w.setValue(x)
        shown, value = edit.text(), w.value()
        w.setValue(_samples(w)[len(_samples(w)) // 2] if value != _samples(w)[len(_samples(w)) // 2] else x * 1.5)
        edit.setText(shown)  # the user types exactly what the field showed
        edit.editingFinished.emit()
        assert not refused, f"{name}: {shown!r} refused: {refused}"
        # the field now holds the displayed value: it shows the same text, and is within its rounding
        assert edit.text() == shown, (name, shown, edit.text())
        assert w.value() == pytest.approx(value, rel=5e-3, abs=1e-12), (name, shown)


def test_the_moe_field_takes_one_quarter(qtbot, win: MainWindow) -> None:
    field = win.budget_panel.moe.field
    field.setText("1/4")
    field.editingFinished.emit()
    assert win.state.inputs.moe_activation == 0.25 and field.text() == "1/4"
