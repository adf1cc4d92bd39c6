"""PlotPanel standalone: the report engineer's contract and the plots' content."""

from __future__ import annotations

import math
import random

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from planner import Question, plan
from planner.presets.load import get_law
from tests.ui.plot_checks import assert_every_plot_shows_its_data, data_in_view
from ui import file_actions, plots
from ui.plots import PLOT_KEYS, PlotPanel, follow_range

EPOCH = get_law("epoch-2024")


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
    for w in widgets.values():  # two axes: left and bottom
        axes = w.getPlotItem().axes
        assert [
            k
            for k in ("left", "bottom", "top", "right")
            if axes[k]["item"].isVisibleTo(w.getPlotItem())
        ] == [
            "left",
            "bottom",
        ]


def test_optimum_marker_sits_at_the_plan(panel: PlotPanel) -> None:
    p = plan(EPOCH, 1e24)
    panel.update_plan(EPOCH, p)
    x, y = panel._iso_opt.getData()
    assert x[0] == pytest.approx(math.log10(p.n_params))  # log mode: view data are log10
    assert y[0] == pytest.approx(p.loss)
    # the valley marker of the plan's own isoFLOP curve is the optimum, the curve's lowest point
    _xs, own = panel._iso_own.getOriginalDataset()
    assert np.nanmin(own) >= p.loss - 1e-9
    vx, vy = panel._iso_valley.getData()
    assert vx[2] == pytest.approx(math.log10(p.n_params), abs=1e-3) and vy[2] == pytest.approx(
        p.loss, rel=1e-7
    )
    assert panel._front_vline.value() == pytest.approx(24.0)


def test_items_are_reused_not_recreated(panel: PlotPanel) -> None:
    """Items are made once (constraint lines when first needed) and afterwards only updated."""
    q = Question(
        law=EPOCH, flops=1e23, moe_activation=0.1, inference_tokens=1e14, unique_tokens=1e11,
        serve_on="1xH100 SXM",
    )

    def updates() -> None:
        for c in (1e20, 1e22, 1e25):
            panel.update_plan(EPOCH, plan(EPOCH, c))
        panel.update_plan(EPOCH, plan(q), get_law("kaplan-2020"), plan(get_law("kaplan-2020"), 1e23))

    updates()
    items_before = {k: list(w.getPlotItem().items) for k, w in panel.plot_widgets().items()}
    assert panel._front_bounds.lines and panel._iso_bounds.lines  # the constraints' lines exist
    updates()
    for k, w in panel.plot_widgets().items():
        assert list(w.getPlotItem().items) == items_before[k]


def test_compare_overlay_appears_and_goes_and_legends_name_both_laws(panel: PlotPanel) -> None:
    a, b = EPOCH, get_law("kaplan-2020")
    panel.update_plan(a, plan(a, 1e23), b, plan(b, 1e23))
    assert len(panel._iso_cmp_own.getData()[0]) > 0
    assert len(panel._front_n_cmp.getData()[0]) > 0
    for key, plot in panel.plot_widgets().items():
        text = " ".join(plot.legend_labels())
        assert "epoch-2024" in text and "kaplan-2020" in text, (key, text)
    panel.update_plan(a, plan(a, 1e23))
    assert len(panel._iso_cmp_own.getData()[0]) == 0
    assert len(panel._front_n_cmp.getData()[0]) == 0
    assert not any(
        "kaplan" in label for p in panel.plot_widgets().values() for label in p.legend_labels()
    )


def test_allocation_only_law_says_so(panel: PlotPanel) -> None:
    law = get_law("llama3-2024")
    panel.update_plan(law, plan(law, 1e24))
    assert panel.iso.message.isVisible()
    assert "no loss" in panel.iso.message.textItem.toPlainText()
    panel.update_plan(EPOCH, plan(EPOCH, 1e24))
    assert not panel.iso.message.isVisible()


def test_a_failed_plan_clears_the_plots_and_says_why(panel: PlotPanel) -> None:
    from planner.solve.result import failed

    panel.update_plan(EPOCH, plan(EPOCH, 1e23))
    panel.update_plan(EPOCH, failed(Question(law=EPOCH, flops=1e23), "constraints cannot all hold"))
    for plot in panel.plot_widgets().values():
        assert "No plan: constraints cannot all hold" in plot.message.textItem.toPlainText()
    assert len(panel._iso_curves.getData()[0]) == 0 and len(panel._front_pts.getData()[0]) == 0
    panel.update_plan(EPOCH, plan(EPOCH, 1e23))
    assert not panel.front.message.isVisible()
    assert_every_plot_shows_its_data(panel)


# --------------------------------------------------------------------------- curves = the plan's problem
EFFECTS = {
    "moe-ling": {"moe_activation": 0.1},
    "moe-krajewski": {"moe_activation": 1 / 64, "moe_law": "krajewski"},
    "unique-data": {"unique_tokens": 1e11},
    "serving-memory": {"serve_on": "1xH100 SXM"},
}


@pytest.mark.parametrize("effect", list(EFFECTS))
def test_plan_is_on_its_curves_with_every_effect(panel: PlotPanel, effect: str) -> None:
    q = Question(law=EPOCH, flops=1e24, **EFFECTS[effect])
    p = plan(q)
    panel.update_plan(EPOCH, p)
    panel.flush()
    n, loss = panel._iso_own.getOriginalDataset()
    ok = np.isfinite(loss)
    on_curve = np.interp(math.log(p.n_params), np.log(n[ok]), loss[ok])
    assert on_curve == pytest.approx(p.loss, rel=3e-5)  # the star is a point of its isoFLOP curve
    for item, value in (
        (panel._front_n, p.n_params),
        (panel._front_d, p.n_tokens),
        (panel._loss_curve, p.loss),
    ):
        x, y = item.getOriginalDataset()
        log_y = item is not panel._loss_curve
        at = np.interp(math.log(p.flops), np.log(x), np.log(y) if log_y else y)
        assert (math.exp(at) if log_y else at) == pytest.approx(value, rel=2e-3), item
    if effect.startswith("moe"):
        assert panel.iso.getPlotItem().getAxis("bottom").labelText == "Active parameters N"
        assert any("N active" in label for label in panel.iso.legend_labels())
    assert_every_plot_shows_its_data(panel, effect)


@pytest.mark.parametrize(("law_id", "inputs", "words"), [
    ("epoch-2024", {"vocab_size": 131072.0}, "vocabulary split"),
    ("kaplan-2020", {}, "Table 6"),
])  # fmt: skip
def test_plan_off_the_curves_is_explained_in_the_legend(
    panel: PlotPanel, law_id, inputs, words
) -> None:
    law = get_law(law_id)
    panel.update_plan(law, plan(Question(law=law, flops=1e23, **inputs)))
    assert any(words in label for label in panel.iso.legend_labels())
    panel.update_plan(EPOCH, plan(EPOCH, 1e23))
    assert panel.iso.legend_labels() == []


def test_binding_constraints_are_drawn_where_they_bind(panel: PlotPanel) -> None:
    q = Question(law=EPOCH, flops=1e24, serve_on="1xH100 SXM", unique_tokens=3e11)
    p = plan(q)
    panel.update_plan(EPOCH, p)
    line = panel._iso_bounds.lines["hi"]
    assert line.isVisible() and line.value() == pytest.approx(math.log10(p.n_params), abs=1e-4)
    assert "serving memory" in line.label.toPlainText() and "binding" in line.label.toPlainText()
    d_line = panel._front_bounds.lines["n_tokens"]
    assert d_line.isVisible() and d_line.value() == pytest.approx(math.log10(3e11))
    assert "unique data" in d_line.label.toPlainText()
    assert panel._front_bounds.lines["n_params"].isVisible()
    panel.update_plan(EPOCH, plan(EPOCH, 1e24))
    assert not line.isVisible() and not d_line.isVisible()


def test_inference_aware_point_on_frontier_and_cost_plots(panel: PlotPanel) -> None:
    p = plan(Question(law=EPOCH, flops=1e24, inference_tokens=1e14))
    ia = p.inference_aware
    panel.update_plan(EPOCH, p)
    x, y = panel._front_ia.getData()
    np.testing.assert_allclose(10**x, ia["train_flops"], rtol=1e-9)
    np.testing.assert_allclose(10**y, [ia["n_params"], ia["n_tokens"]], rtol=1e-9)
    x, y = panel._serve_ia_pt.getData()
    assert 10 ** x[0] == pytest.approx(1e14)
    rate = p.inference_usd_per_million_tokens / 1e6 * ia["n_params"] / p.n_params
    assert 10 ** y[0] == pytest.approx(ia["train_cost_usd"] + rate * 1e14, rel=1e-9)
    assert "inference-aware N, D" in panel.front.legend_labels()
    assert "inference-aware total" in panel.serve.legend_labels()
    assert_every_plot_shows_its_data(panel)
    panel.update_plan(EPOCH, plan(EPOCH, 1e24))
    assert len(panel._front_ia.getData()[0]) == 0


# --------------------------------------------------------------------------- ranges
def test_follow_range_keeps_a_view_that_still_fits() -> None:
    assert follow_range((0.0, 10.0), 2.0, 8.0, log=True) is None
    assert follow_range((0.0, 10.0), 0.5, 8.0, log=True) is not None  # left the inner 80%
    assert follow_range((0.0, 10.0), 4.0, 6.0, log=True) is not None  # shrank below 30%
    assert follow_range(None, 4.0, 6.0, log=False) is not None


def test_follow_range_leaves_room_and_snaps() -> None:
    rng = random.Random(14)
    for _ in range(3000):
        log = rng.random() < 0.5
        lo = rng.uniform(-30, 30)
        hi = lo + 10 ** rng.uniform(-4, 1.5)
        view = None
        if rng.random() < 0.5:  # from a view the data just left, one way or the other
            w = (hi - lo) * rng.uniform(1.0, 3.0)
            v0 = lo - rng.uniform(-0.2, 1.0) * w
            view = (v0, v0 + w)
        new = follow_range(view, lo, hi, log=log)
        if new is None:
            continue
        assert follow_range(new, lo, hi, log=log) is None  # the new view holds: no jitter
        a, b = new
        if log and hi - lo >= 5:
            assert a == math.floor(a) and b == math.floor(b)  # whole decades
        assert a < lo and b > hi


def test_moving_data_re_range_rarely() -> None:
    view, moves = None, 0
    for i in range(1000):  # a 3.7-decade family of curves moving 4.5 decades, there and back
        shift = 4.5 * (i / 500 if i < 500 else 2 - i / 500)
        new = follow_range(view, 9.0 + shift, 12.7 + shift, log=True)
        if new is not None:
            view, moves = new, moves + 1
    assert moves <= 16, moves


def test_ranges_follow_the_budget_without_jitter(panel: PlotPanel) -> None:
    """No plot is ever without its data while the budget runs over the slider's range, and
    the axes re-range only now and then."""
    changes = dict.fromkeys(PLOT_KEYS, 0)
    last = {}
    steps = np.logspace(18, 27, 181)
    for c in (*steps, *steps[::-1]):
        panel.update_plan(EPOCH, plan(EPOCH, float(c)))
        assert_every_plot_shows_its_data(panel, f"at {c:.3g} FLOPs")
        for key, w in panel.plot_widgets().items():
            rng = w.getPlotItem().getViewBox().viewRange()
            if key in last and rng != last[key]:
                changes[key] += 1
            last[key] = rng
    assert changes["frontier"] == 0 and changes["loss"] == 0  # their data span the whole grid
    assert changes["isoflop"] <= 40 and changes["serving"] <= 40, changes  # of 362 steps


def test_dragging_no_longer_freezes_the_axes(panel: PlotPanel) -> None:
    panel.update_plan(EPOCH, plan(EPOCH, 3e24))
    panel.set_dragging(True)
    panel.update_plan(EPOCH, plan(EPOCH, 2e19))
    assert_every_plot_shows_its_data(panel, "while dragging")
    panel.set_dragging(False)


def test_budget_steps_reuse_the_frontier(panel: PlotPanel, monkeypatch) -> None:
    q = Question(law=EPOCH, flops=1e22, unique_tokens=1e11)
    panel.update_plan(EPOCH, plan(q))
    panel.flush()
    calls = []
    real = plots.curves.frontier_curves
    monkeypatch.setattr(
        plots.curves, "frontier_curves", lambda *a, **k: calls.append(a) or real(*a, **k)
    )
    for c in (3e22, 1e23, 5e24):
        panel.update_plan(EPOCH, plan(q.with_(flops=c)))
    assert calls == []


def test_budget_steps_redraw_only_the_plans_own_isoflop_curve(panel: PlotPanel) -> None:
    panel.update_plan(EPOCH, plan(EPOCH, 1.1e23))
    round_curves = panel._iso_curves.getOriginalDataset()
    own = panel._iso_own.getOriginalDataset()
    panel.update_plan(EPOCH, plan(EPOCH, 1.6e23))
    assert panel._iso_curves.getOriginalDataset()[1] is round_curves[1]  # not set again
    assert not np.array_equal(panel._iso_own.getOriginalDataset()[1], own[1], equal_nan=True)
    budgets = np.asarray(panel._iso_valley.getData()[0])  # the curves' minima, in budget order
    assert len(budgets) == 5 and np.all(np.diff(budgets) > 0)  # bigger budgets, bigger N_min
    panel.update_plan(EPOCH, plan(EPOCH, 4e24))  # other round budgets
    assert panel._iso_curves.getOriginalDataset()[1] is not round_curves[1]


def test_slow_frontier_is_drawn_coarse_then_in_full(panel: PlotPanel, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(plots, "FINE_NOW_S", 0.0)  # any frontier counts as slow
    panel.show()  # (a panel off screen, e.g. the report's, draws the full grid at once)
    qtbot.waitExposed(panel)
    q = Question(law=EPOCH, flops=1e23, unique_tokens=2e11)
    p = plan(q)
    panel.update_plan(EPOCH, p)
    x, _ = panel._front_n.getOriginalDataset()
    assert len(x) == plots.COARSE_POINTS + 1 and p.flops in x  # the plan's own point is on the line
    assert_every_plot_shows_its_data(panel, "coarse")
    qtbot.waitUntil(
        lambda: len(panel._front_n.getOriginalDataset()[0]) == plots.FRONTIER_POINTS, timeout=3000
    )
    hidden = PlotPanel()
    qtbot.addWidget(hidden)
    hidden.update_plan(EPOCH, plan(q.with_(unique_tokens=3e11)))
    assert len(hidden._front_n.getOriginalDataset()[0]) == plots.FRONTIER_POINTS


# --------------------------------------------------------------------------- theme and export
def test_dark_theme_sets_backgrounds_and_legible_text(panel: PlotPanel) -> None:
    a, b = EPOCH, get_law("kaplan-2020")
    panel.update_plan(a, plan(a, 1e23), b, plan(b, 1e23))
    panel.apply_theme(True)
    for w in panel.plot_widgets().values():
        assert w.backgroundBrush().color().lightness() < 60
        legend = w.getPlotItem().legend
        for _sample, label in legend.items:
            assert pg.mkColor(label.opts["color"]).lightness() > 180
    panel.apply_theme(False)
    for w in panel.plot_widgets().values():
        assert w.backgroundBrush().color().lightness() > 200


@pytest.mark.parametrize("dark", [False, True])
def test_png_export_is_twice_the_screen_size_by_default(
    panel: PlotPanel, qtbot, qapp, tmp_path, dark: bool
) -> None:
    panel.apply_theme(dark)
    panel.update_plan(EPOCH, plan(EPOCH, 1e23))
    panel.show()
    qtbot.waitExposed(panel)
    qapp.processEvents()  # laid out as on screen
    widget = panel.plot_widgets()["isoflop"]
    before = widget.grab().toImage()
    file_actions.export_plot(widget, tmp_path / "iso.png")
    image = QImage(str(tmp_path / "iso.png"))
    assert (image.width(), image.height()) == (2 * widget.width(), 2 * widget.height())
    assert image.pixelColor(3, 3).lightness() == widget.backgroundBrush().color().lightness()
    file_actions.export_plot(widget, tmp_path / "same.png", scale=1.0)
    assert QImage(str(tmp_path / "same.png")).size() == before.size()
    assert widget.grab().toImage() == before  # the plot on screen is as it was
    item = widget.getPlotItem()
    geometry, view = item.geometry(), item.getViewBox().viewRange()
    file_actions.export_plot(widget, tmp_path / "big.png", size=(1600, 900))
    assert QImage(str(tmp_path / "big.png")).size().toTuple() == (1600, 900)
    assert (item.geometry(), item.getViewBox().viewRange()) == (geometry, view)



def test_cached_text_is_exported_as_text_and_cached_again(panel: PlotPanel, qtbot, qapp, tmp_path) -> None:
    """Axes, titles, legend labels and their text items are kept as pixmaps between repaints
    (children are not part of a parent's cache); an SVG export draws them afresh as text,
    with no embedded image, and the caches come back after it."""
    from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem

    panel.update_plan(EPOCH, plan(EPOCH, 1e23))
    panel.show()
    qtbot.waitExposed(panel)
    qapp.processEvents()
    widget = panel.plot_widgets()["frontier"]
    texts = [it for it in widget.scene().items() if isinstance(it, QGraphicsTextItem) and it.isVisible()]
    no_cache = QGraphicsItem.CacheMode.NoCache
    assert texts and all(it.cacheMode() != no_cache for it in texts)  # legend, axis labels, title
    before = {id(it): it.cacheMode() for it in widget.scene().items()}
    file_actions.export_plot(widget, tmp_path / "frontier.svg")
    svg = (tmp_path / "frontier.svg").read_text(encoding="utf-8")
    assert "<image" not in svg
    for label in widget.legend_labels() + ["Training compute C (FLOPs)"]:
        assert label.split()[0] in svg
    assert {id(it): it.cacheMode() for it in widget.scene().items()} == before


COMBOS = [
    {},
    {"moe_activation": 0.1},
    {"moe_activation": 1 / 64, "moe_law": "krajewski"},
    {"optimal_vocab": True},
    {"unique_tokens": 1e10},
    {"inference_tokens": 1e15},
    {"serve_on": "1xH100 SXM"},
    {"n_params": 7e9},
    {
        "moe_activation": 0.05,
        "unique_tokens": 1e11,
        "vocab_size": 131072.0,
        "inference_tokens": 1e14,
    },
]


def test_every_preset_and_effect_draws_in_view(panel: PlotPanel) -> None:
    """Every built-in law with every effect, at budgets far beyond the slider's: no error, and
    every curve and marker has a point in view (allocation-only laws: no loss plots)."""
    from planner.presets.load import builtin_presets

    for preset in builtin_presets():
        for inputs in COMBOS:
            for flops in (1e12, 1e22, 1e33):
                p = plan(Question(law=preset.law, flops=flops, **inputs))
                panel.update_plan(preset.law, p)
                if not p.success:
                    continue
                for key, plot in panel.plot_widgets().items():
                    shown, outside = data_in_view(plot)
                    where = f"{preset.id} {inputs} {flops:g} {key}"
                    assert not outside, where
                    assert shown or (key in ("isoflop", "loss") and not preset.law.has_loss), where


def test_a_held_slider_re_ranges_less_and_release_tidies(panel: PlotPanel) -> None:
    """While a slider is held the plots keep a view until the data fill less than DRAG_LEAST
    of it (each re-range redraws the axes) and legends stay put unless they hide much; on
    release the usual rule applies at once: the curves, which flatten at large budgets, fill
    the isoFLOP plot again."""
    law = get_law("kaplan-2020")

    def sweep(dragging: bool) -> tuple[int, int]:
        panel.set_dragging(False)
        panel.update_plan(EPOCH, plan(EPOCH, 1e21), law, plan(law, 1e21))
        panel.set_dragging(dragging)
        ranges = legends = 0
        vb = panel.iso.getPlotItem().getViewBox()
        for c in np.logspace(21, 26, 200):
            before, corner = vb.viewRange(), panel.iso._legend_corner
            panel.update_plan(EPOCH, plan(EPOCH, float(c)), law, plan(law, float(c)))
            assert_every_plot_shows_its_data(panel, f"at {c:.3g} FLOPs")
            ranges += vb.viewRange() != before
            legends += panel.iso._legend_corner != corner
        return ranges, legends

    free = sweep(False)
    held = sweep(True)
    assert held[0] < free[0] and held[1] <= free[1], (held, free)
    y_held = panel.iso.getPlotItem().getViewBox().viewRange()[1]
    panel.set_dragging(False)
    y_tidy = panel.iso.getPlotItem().getViewBox().viewRange()[1]
    assert y_tidy[1] - y_tidy[0] < y_held[1] - y_held[0]  # zoomed back onto the flatter curves
    views = [w.getPlotItem().getViewBox().viewRange() for w in panel.plot_widgets().values()]
    panel.update_plan(*panel._last)  # tidy: the usual rule keeps every view
    assert views == [w.getPlotItem().getViewBox().viewRange() for w in panel.plot_widgets().values()]


def test_curve_set_data_matches_pyqtgraphs_own(panel: PlotPanel, qtbot) -> None:
    """_Curve.setData does for x and y what PlotCurveItem.updateData does (without its option
    handling): the same data, path, bounds and change signal as pyqtgraph's own item."""
    plot = panel.front
    ours = plot.curve(plots._pen("#0072B2", 2))
    theirs = pg.PlotCurveItem(pen=plots._pen("#0072B2", 2))
    plot.getPlotItem().addItem(theirs)
    x = np.logspace(18, 27, 40)
    y = np.sqrt(x)
    y[7] = np.nan
    theirs.setData(np.log10(x), np.log10(y))
    with qtbot.waitSignal(ours.sigPlotChanged):
        ours.setData(x, y)
    for a, b in zip(ours.getData(), theirs.getData(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert ours.getPath() == theirs.getPath()
    assert ours.dataBounds(0) == theirs.dataBounds(0) and ours.dataBounds(1) == theirs.dataBounds(1)
    panel.show()
    qtbot.waitExposed(panel)
    assert ours.boundingRect() == theirs.boundingRect()
    plot.getPlotItem().removeItem(theirs)
    plot.getPlotItem().removeItem(ours)
