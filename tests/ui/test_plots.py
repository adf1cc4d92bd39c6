"""PlotPanel standalone: the report engineer's contract and the plots' content."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pytest

from planner import plan
from planner.presets.load import get_law
from ui.plots import PLOT_KEYS, PlotPanel


@pytest.fixture
def panel(qtbot) -> PlotPanel:
    p = PlotPanel()
    qtbot.addWidget(p)
    p.resize(900, 650)
    return p


def test_contract_keys_and_widgets(panel: PlotPanel) -> None:
    widgets = panel.plot_widgets()
    assert tuple(widgets) == PLOT_KEYS == ("isoflop", "frontier", "loss", "serving")
    assert all(isinstance(w, pg.PlotWidget) for w in widgets.values())


def test_optimum_marker_sits_at_the_plan(panel: PlotPanel) -> None:
    law = get_law("epoch-2024")
    p = plan(law, 1e24)
    panel.update_plan(law, p)
    x, y = panel._iso_opt.getData()
    assert x[0] == pytest.approx(math.log10(p.n_params))  # log mode: PlotDataItem data are log10
    assert y[0] == pytest.approx(p.loss)
    # the valley marker of the middle isoFLOP curve is the optimum (closed form = curve minimum)
    xs, ys = panel._iso_curves.getOriginalDataset()
    curves = np.asarray(ys).reshape(5, -1)[:, :-1]
    middle = curves[2]
    assert middle.min() >= p.loss - 1e-9
    assert panel._front_vline.value() == pytest.approx(24.0)


def test_items_are_reused_not_recreated(panel: PlotPanel) -> None:
    law = get_law("epoch-2024")
    items_before = {k: list(w.getPlotItem().items) for k, w in panel.plot_widgets().items()}
    for c in (1e20, 1e22, 1e25):
        panel.update_plan(law, plan(law, c))
    for k, w in panel.plot_widgets().items():
        assert list(w.getPlotItem().items) == items_before[k]


def test_compare_overlay_appears_and_goes(panel: PlotPanel) -> None:
    a, b = get_law("epoch-2024"), get_law("kaplan-2020")
    panel.update_plan(a, plan(a, 1e23), b, plan(b, 1e23))
    assert len(panel._iso_cmp.getData()[0]) > 0
    assert len(panel._front_n_cmp.getData()[0]) > 0
    panel.update_plan(a, plan(a, 1e23))
    assert panel._iso_cmp.getData()[0] is None or len(panel._iso_cmp.getData()[0]) == 0
    assert panel._front_n_cmp.getData()[0] is None or len(panel._front_n_cmp.getData()[0]) == 0


def test_allocation_only_law_says_so(panel: PlotPanel) -> None:
    law = get_law("llama3-2024")
    panel.update_plan(law, plan(law, 1e24))
    assert panel.iso.message.isVisible()
    assert "no loss" in panel.iso.message.textItem.toPlainText()
    law2 = get_law("epoch-2024")
    panel.update_plan(law2, plan(law2, 1e24))
    assert not panel.iso.message.isVisible()


def test_axes_hold_while_dragging(panel: PlotPanel) -> None:
    law = get_law("epoch-2024")
    panel.update_plan(law, plan(law, 1e22))
    panel.set_dragging(True)
    ranges = {k: w.getPlotItem().getViewBox().viewRange() for k, w in panel.plot_widgets().items()}
    panel.update_plan(law, plan(law, 1e25))
    for k, w in panel.plot_widgets().items():
        assert w.getPlotItem().getViewBox().viewRange() == ranges[k], k
    panel.set_dragging(False)  # on release the isoFLOP view follows the new budget
    assert panel.iso.getPlotItem().getViewBox().viewRange() != ranges["isoflop"]


def test_dark_theme_sets_backgrounds(panel: PlotPanel) -> None:
    panel.apply_theme(True)
    for w in panel.plot_widgets().values():
        assert w.backgroundBrush().color().lightness() < 60
    panel.apply_theme(False)
    for w in panel.plot_widgets().values():
        assert w.backgroundBrush().color().lightness() > 200
