"""Drag every slider of the window end to end: no plot is ever left without its data."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QSlider

from tests.ui.plot_checks import assert_every_plot_shows_its_data
from ui.main_window import MainWindow

SLIDERS = {  # object name -> the inputs that switch the slider's effect on
    "flopsSlider": {},
    "gpuHoursSlider": {},
    "vocabSlider": {"vocab_enabled": True},
    "moeSlider": {},
    "inferenceTokensSlider": {"inference_enabled": True},
    "uniqueDataSlider": {"unique_enabled": True},
}
STEPS = 36


@pytest.fixture
def win(qtbot):
    w = MainWindow(restore=False, autosave=False)
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.mark.parametrize("compare", [False, True], ids=["one-law", "compare"])
@pytest.mark.parametrize("name", list(SLIDERS))
def test_drag_every_slider_end_to_end(
    win: MainWindow, qapp: QApplication, name: str, compare: bool
) -> None:
    assert win.controller.set_inputs(compare=compare, **SLIDERS[name])
    slider = win.findChild(QSlider, name)
    assert slider is not None, f"no slider named {name}"
    ticks = np.linspace(slider.minimum(), slider.maximum(), STEPS).round().astype(int)
    slider.setSliderDown(True)  # held, as in a drag
    for tick in (*ticks, *ticks[::-1]):
        slider.setValue(int(tick))
        qapp.processEvents()
        assert_every_plot_shows_its_data(win.plot_panel, f"with {name} at tick {tick}")
    slider.setSliderDown(False)
    win.plot_panel.flush()
    assert_every_plot_shows_its_data(win.plot_panel, f"after releasing {name}")
