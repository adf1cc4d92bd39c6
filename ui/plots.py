"""The four plots of the planner: isoFLOP curves, compute frontier, loss, serving cost.

:class:`PlotPanel` is a plain ``QWidget`` that can be built without the main window (the PDF
report renders :meth:`PlotPanel.plot_widgets` scenes into a ``QPdfWriter``). Every plot item
is created once in the constructor and afterwards only gets ``setData``; axes have fixed
ranges derived from the slider limits and the law, so they do not jump while dragging. Only
the serving-cost plot, whose y range depends on the budget, rescales, and not while a slider
is held (:meth:`set_dragging`).

pyqtgraph log mode transforms PlotDataItems only (STYLE.md §7b), so every marker here is a
PlotDataItem with a symbol, never a standalone ScatterPlotItem.

A law with bootstrap samples (a fitted preset) gets uncertainty bands: N* and D* on the
frontier plot and L* on the loss plot, each a ``FillBetweenItem`` between two edge curves
created once. The bands come from :func:`planner.solve.plan.frontier_intervals` on the fixed
budget grid, once per law (they do not depend on the budget), and are hidden for other laws.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QWidget

from planner import Plan, frontier
from planner.laws import Law

BAND_ALPHA = 56  # band fill opacity (0-255); edges are drawn at twice this

FLOPS_RANGE = (1e18, 1e27)  # the budget slider's limits: the fixed x range of compute axes
INFERENCE_RANGE = (1e9, 1e16)  # lifetime inference tokens shown on the serving plot
ISO_FACTORS = (0.1, 10**-0.5, 1.0, 10**0.5, 10.0)  # isoFLOP budgets around the current one
ISO_POINTS = 96
ISO_SPAN = 30.0  # each isoFLOP curve spans N*/ISO_SPAN .. N*·ISO_SPAN
FRONTIER_POINTS = 64
SERVING_POINTS = 48
PLOT_KEYS = ("isoflop", "frontier", "loss", "serving")

# Okabe-Ito colours (colour-blind safe); compare overlays use the same hue, dashed.
LIGHT = {"bg": "#ffffff", "fg": "#202124", "grid": "#e6e8eb", "main": "#0072B2", "second": "#D55E00",
         "third": "#009E73", "compare": "#CC79A7", "marker": "#202124", "muted": "#9aa0a6"}  # fmt: skip
DARK = {"bg": "#1e1f22", "fg": "#e8eaed", "grid": "#303236", "main": "#56B4E9", "second": "#E69F00",
        "third": "#2bc9a0", "compare": "#e78ac3", "marker": "#f1f3f4", "muted": "#80868b"}  # fmt: skip


def _pen(color: str, width: float = 1.0, dashed: bool = False) -> pg.QtGui.QPen:
    pen = pg.mkPen(color=color, width=width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class _Axis(pg.AxisItem):
    """Axis without pyqtgraph's automatic SI scaling (pyqtgraph 0.14 applies it even when
    disabled, which turns 1e24 FLOPs into "0.001 (x1e27)")."""

    def updateAutoSIPrefix(self) -> None:
        self.autoSIPrefixScale = 1.0
        self.labelUnitPrefix = ""
        self._updateLabel()


class _Plot(pg.PlotWidget):
    """A PlotWidget with the planner's axes styling (opaque grid, no context menu clutter)."""

    def __init__(self, title: str, xlabel: str, ylabel: str, logx: bool, logy: bool) -> None:
        super().__init__(axisItems={"left": _Axis("left"), "bottom": _Axis("bottom")})
        self.setMinimumSize(200, 140)  # four fit a 1366x768 laptop screen beside the cards
        pi = self.getPlotItem()
        pi.setMenuEnabled(False)
        pi.hideButtons()
        pi.setLogMode(x=logx, y=logy)
        pi.setTitle(title, size="10pt")
        pi.setLabel("bottom", xlabel)
        pi.setLabel("left", ylabel)
        pi.showGrid(x=True, y=True, alpha=1.0)
        vb = pi.getViewBox()
        vb.disableAutoRange()
        vb.setMouseEnabled(x=True, y=True)
        self._title = title
        self.message = pg.TextItem("", anchor=(0.5, 0.5))
        self.message.setZValue(100)
        pi.addItem(self.message, ignoreBounds=True)
        self.message.hide()

    def curve(self, pen: pg.QtGui.QPen, name: str | None = None, **kw: object) -> pg.PlotDataItem:
        item = pg.PlotDataItem(pen=pen, name=name, **kw)
        self.getPlotItem().addItem(item)
        return item

    def marker(
        self, color: str, symbol: str = "o", size: int = 9, name: str | None = None
    ) -> pg.PlotDataItem:
        item = pg.PlotDataItem(
            pen=None, symbol=symbol, symbolSize=size, symbolBrush=pg.mkBrush(color),
            symbolPen=pg.mkPen("w", width=1), name=name,
        )  # fmt: skip
        item.setZValue(10)
        self.getPlotItem().addItem(item)
        return item

    def show_message(self, text: str) -> None:
        """Centre ``text`` over the plot (e.g. allocation-only laws have no loss curve)."""
        if not text:
            self.message.hide()
            return
        vb = self.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        self.message.setText(text)
        self.message.setPos((x0 + x1) / 2, (y0 + y1) / 2)
        self.message.show()

    def apply_colors(self, c: dict[str, str]) -> None:
        self.setBackground(c["bg"])
        pi = self.getPlotItem()
        for name in ("left", "bottom", "top", "right"):
            ax = pi.getAxis(name)
            # Grid lines are drawn with the axis pen: an opaque light colour keeps repaints
            # cheap (translucent grid lines cost >10 ms per repaint); labels keep the text pen.
            ax.setPen(_pen(c["grid"]))
            ax.setTextPen(pg.mkPen(c["fg"]))
            ax.setStyle(tickAlpha=255, maxTickLevel=1)  # opaque grid, two tick levels
            ax.setZValue(-1)  # grid behind curves, markers and legend
        pi.setTitle(self._title, size="10pt", color=c["fg"])
        self.message.setColor(c["muted"])


def _with_alpha(color: str, alpha: int) -> QColor:
    q = QColor(color)
    q.setAlpha(alpha)
    return q


def frontier_bands(law: Law, flops: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """Bootstrap bands of N*, D* and L* on ``flops`` for a fitted law; None for other laws."""
    try:
        from planner import frontier_intervals
    except ImportError:  # the core without interval support
        return None
    try:
        bands = frontier_intervals(law, flops)
    except (ValueError, ArithmeticError):
        return None
    return bands or None


def _log_range(lo: float, hi: float, pad: float = 0.03) -> tuple[float, float]:
    a, b = math.log10(lo), math.log10(hi)
    p = (b - a) * pad
    return a - p, b + p


class PlotPanel(QWidget):
    """Four plots in a 2×2 grid; standalone, no main window needed.

    ``update_plan(law, plan, compare_law=None, compare_plan=None)`` redraws everything;
    ``plot_widgets()`` returns ``{"isoflop", "frontier", "loss", "serving"}`` → PlotWidget.
    """

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("plotPanel")
        self._dragging = False
        self._range_key: tuple | None = None
        self._last: tuple | None = None
        self._serving_range: tuple[float, float] | None = None
        self._loss_law: dict[int, Law] = {}
        self._compare_in_legend = True
        self._filled: set[pg.PlotDataItem] = set()
        self._front_law: tuple | None = None
        self._iso_range: tuple | None = None
        self._iso_data: list[tuple[np.ndarray, np.ndarray]] = []
        self._iso_offsets = np.logspace(-math.log10(ISO_SPAN), math.log10(ISO_SPAN), ISO_POINTS)
        self._band_law: Law | None = None
        self.bands: dict[str, tuple[np.ndarray, np.ndarray]] | None = None  # shown bands

        self.iso = _Plot("IsoFLOP curves (budget ÷10 … ×10)", "Parameters N", "Loss", True, False)
        self.front = _Plot(
            "Compute-optimal frontier", "Training compute C (FLOPs)", "N*, D*", True, True
        )
        self.lossp = _Plot(
            "Loss against compute", "Training compute C (FLOPs)", "Loss", True, False
        )
        self.serve = _Plot(
            "Training vs serving cost", "Lifetime inference tokens", "Cost (USD)", True, True
        )
        self._plots = {
            "isoflop": self.iso,
            "frontier": self.front,
            "loss": self.lossp,
            "serving": self.serve,
        }

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for i, key in enumerate(PLOT_KEYS):
            grid.addWidget(self._plots[key], i // 2, i % 2)

        self._build_items()
        self.apply_theme(dark)
        self._show_compare_legend(False)

    # ------------------------------------------------------------------ construction
    def _build_items(self) -> None:
        c = LIGHT
        # all isoFLOP curves of one law in one item, separated by NaN (one setData per step)
        self._iso_curves = self.iso.curve(_pen(c["main"]), connect="finite")
        self._iso_cmp = self.iso.curve(_pen(c["compare"], dashed=True), connect="finite")
        self._iso_valley = self.iso.marker(c["main"], size=6)
        self._iso_opt = self.iso.marker(c["marker"], symbol="star", size=15)
        self._iso_cmp_opt = self.iso.marker(c["compare"], symbol="star", size=13)

        self.front.addLegend(offset=(8, 8), labelTextSize="8pt")
        self._front_n = self.front.curve(_pen(c["main"], 2), name="N* (parameters)")
        self._front_d = self.front.curve(_pen(c["second"], 2), name="D* (tokens)")
        self._front_n_cmp = self.front.curve(_pen(c["main"], dashed=True), name="N*, compare")
        self._front_d_cmp = self.front.curve(_pen(c["second"], dashed=True), name="D*, compare")
        # InfiniteLine is not log-transformed by PlotItem: its position is log10(C).
        self._front_vline = pg.InfiniteLine(angle=90, movable=False, pen=_pen(c["muted"]))
        self.front.getPlotItem().addItem(self._front_vline, ignoreBounds=True)
        self._front_pts = self.front.marker(c["marker"], size=9)
        self._front_cmp_pts = self.front.marker(c["compare"], size=8)

        self._loss_curve = self.lossp.curve(_pen(c["main"], 2))
        self._loss_cmp = self.lossp.curve(_pen(c["compare"], dashed=True))
        self._loss_pt = self.lossp.marker(c["marker"], symbol="star", size=15)
        self._loss_cmp_pt = self.lossp.marker(c["compare"], symbol="star", size=13)

        # uncertainty bands (fitted laws): two edge curves and a fill each, hidden by default
        self._band_items: dict[str, tuple[pg.PlotDataItem, ...]] = {}
        bands = (("n_params", self.front, "main"), ("n_tokens", self.front, "second"),
                 ("loss", self.lossp, "main"))  # fmt: skip
        for key, plot, color in bands:
            lo = plot.curve(_pen(_with_alpha(c[color], 2 * BAND_ALPHA)))  # type: ignore[arg-type]
            hi = plot.curve(_pen(_with_alpha(c[color], 2 * BAND_ALPHA)))  # type: ignore[arg-type]
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(_with_alpha(c[color], BAND_ALPHA)))
            fill.setZValue(-0.5)  # above the grid (axes at -1), below the curves
            plot.getPlotItem().addItem(fill)
            for item in (lo, hi, fill):
                item.setVisible(False)
            self._band_items[key] = (lo, hi, fill)

        self.serve.addLegend(offset=(8, 8), labelTextSize="8pt")
        self._serve_train = self.serve.curve(_pen(c["main"], 2), name="training")
        self._serve_inf = self.serve.curve(_pen(c["second"], 2), name="serving")
        self._serve_total = self.serve.curve(_pen(c["third"], 2), name="total")
        self._serve_total_cmp = self.serve.curve(
            _pen(c["compare"], dashed=True), name="total, compare"
        )
        self._serve_pt = self.serve.marker(c["marker"], size=9)
        self._serve_x = np.logspace(*np.log10(INFERENCE_RANGE), SERVING_POINTS)
        self.serve.setXRange(*_log_range(*INFERENCE_RANGE), padding=0)
        for p in (self.front, self.lossp):
            p.setXRange(*_log_range(*FLOPS_RANGE), padding=0)

    def apply_theme(self, dark: bool) -> None:
        """Light or dark colours for backgrounds, axes and curves."""
        c = DARK if dark else LIGHT
        self._colors = c
        for p in self._plots.values():
            p.apply_colors(c)
        self._iso_curves.setPen(_pen(c["main"]))
        self._iso_cmp.setPen(_pen(c["compare"], dashed=True))
        self._front_n.setPen(_pen(c["main"], 2))
        self._front_d.setPen(_pen(c["second"], 2))
        self._front_n_cmp.setPen(_pen(c["main"], dashed=True))
        self._front_d_cmp.setPen(_pen(c["second"], dashed=True))
        self._front_vline.setPen(_pen(c["muted"]))
        self._loss_curve.setPen(_pen(c["main"], 2))
        self._loss_cmp.setPen(_pen(c["compare"], dashed=True))
        self._serve_train.setPen(_pen(c["main"], 2))
        self._serve_inf.setPen(_pen(c["second"], 2))
        self._serve_total.setPen(_pen(c["third"], 2))
        self._serve_total_cmp.setPen(_pen(c["compare"], dashed=True))
        for key, (lo, hi, fill) in self._band_items.items():
            color = c["second"] if key == "n_tokens" else c["main"]
            for edge in (lo, hi):
                edge.setPen(_pen(_with_alpha(color, 2 * BAND_ALPHA)))  # type: ignore[arg-type]
            fill.setBrush(pg.mkBrush(_with_alpha(color, BAND_ALPHA)))
        outline = pg.mkPen(c["bg"], width=1)
        for item, key in ((self._iso_valley, "main"), (self._iso_opt, "marker"), (self._iso_cmp_opt, "compare"),
                          (self._front_pts, "marker"), (self._front_cmp_pts, "compare"),
                          (self._loss_pt, "marker"), (self._loss_cmp_pt, "compare"), (self._serve_pt, "marker")):  # fmt: skip
            item.setSymbolBrush(pg.mkBrush(c[key]))
            item.setSymbolPen(outline)
        for legend_owner in (self.front, self.serve):
            legend = legend_owner.getPlotItem().legend
            if legend is not None:
                legend.setLabelTextColor(c["fg"])
                for _sample, label in legend.items:
                    label.setText(label.text, color=c["fg"])
                legend.setBrush(pg.mkBrush(QColor(c["bg"])))
                legend.setPen(_pen(c["grid"]))

    # ------------------------------------------------------------------ public API
    def plot_widgets(self) -> dict[str, pg.PlotWidget]:
        """The four PlotWidgets by key: "isoflop", "frontier", "loss", "serving"."""
        return dict(self._plots)

    def set_dragging(self, dragging: bool) -> None:
        """Freeze ranges that would otherwise follow the plan while a slider is held."""
        self._dragging = dragging
        if not dragging and self._last is not None:
            self._update_serving_range(*self._last, force=True)
            self._iso_view(force=True)

    def update_plan(
        self, law: Law, plan: Plan, compare_law: Law | None = None, compare_plan: Plan | None = None
    ) -> None:
        """Redraw every plot for ``plan`` (and the dashed overlay of ``compare_plan``)."""
        if compare_law is None or compare_plan is None:
            compare_law = compare_plan = None
        key = (law, compare_law)
        if key != self._range_key:
            self._range_key = key
            self._set_fixed_ranges(law, compare_law)
        iso_main = self._update_iso(law, plan, self._iso_curves, self._iso_valley, self._iso_opt)
        iso_cmp = self._update_iso(
            compare_law, compare_plan, self._iso_cmp, None, self._iso_cmp_opt
        )
        self._iso_data = [d for d in (iso_main, iso_cmp) if d is not None]
        self._iso_view()
        if law is not self._band_law:
            self._band_law = law
            self._update_bands(law)
        self._update_frontier(law, plan, compare_law, compare_plan)
        self._update_loss(law, plan, self._loss_curve, self._loss_pt)
        self._update_loss(compare_law, compare_plan, self._loss_cmp, self._loss_cmp_pt)
        self._update_serving(plan, compare_plan)
        self._show_compare_legend(compare_plan is not None)
        self._last = (plan, compare_plan)
        has_loss = law.has_loss or (compare_law is not None and compare_law.has_loss)
        msg = "" if has_loss else "Allocation-only law: no loss surface"
        self.iso.show_message(msg)
        self.lossp.show_message(msg)

    def _clear(self, item: pg.PlotDataItem) -> None:
        """Empty ``item`` once (setData costs ~0.2 ms; skip it for items already empty)."""
        if item in self._filled:
            self._filled.discard(item)
            item.setData([], [])

    def _set(self, item: pg.PlotDataItem, x, y) -> None:
        self._filled.add(item)
        item.setData(x, y)

    def _show_compare_legend(self, on: bool) -> None:
        if on == self._compare_in_legend:
            return
        self._compare_in_legend = on
        for owner, items in (
            (self.front, (self._front_n_cmp, self._front_d_cmp)),
            (self.serve, (self._serve_total_cmp,)),
        ):
            legend = owner.getPlotItem().legend
            for item in items:
                if on:
                    legend.addItem(item, item.name())
                    legend.items[-1][1].setText(item.name(), color=self._colors["fg"])
                else:
                    legend.removeItem(item)

    # ------------------------------------------------------------------ ranges
    def _set_fixed_ranges(self, law: Law, compare_law: Law | None) -> None:
        laws = [x for x in (law, compare_law) if x is not None]
        ends = np.array([FLOPS_RANGE[0], FLOPS_RANGE[1]])
        n_lo, n_hi, y_lo, y_hi = math.inf, 0.0, math.inf, 0.0
        l_lo, l_hi = math.inf, 0.0
        for lw in laws:
            fr = frontier(lw, ends)
            n_lo = min(n_lo, float(fr.n_params[0]))
            n_hi = max(n_hi, float(fr.n_params[1]))
            y_lo = min(y_lo, float(fr.n_params[0]), float(fr.n_tokens[0]))
            y_hi = max(y_hi, float(fr.n_params[1]), float(fr.n_tokens[1]))
            if fr.loss is not None:
                l_lo = min(l_lo, float(fr.loss[1]))
                l_hi = max(l_hi, float(fr.loss[0]))
        self.front.setYRange(*_log_range(y_lo, y_hi), padding=0)
        self._iso_range = None
        if math.isfinite(l_lo) and l_hi > l_lo:
            span = l_hi - l_lo
            self.lossp.setYRange(l_lo - 0.05 * span, l_hi + 0.05 * span, padding=0)
        else:
            self.iso.setRange(xRange=_log_range(n_lo / 10, n_hi * 10), yRange=(0, 1), padding=0)
            self.lossp.setYRange(0, 1, padding=0)
        grid = np.logspace(*np.log10(FLOPS_RANGE), FRONTIER_POINTS)
        self._front_cache = {id(lw): frontier(lw, grid) for lw in laws}
        self._frontier_grid = grid

    def _update_serving_range(
        self, plan: Plan, compare_plan: Plan | None, force: bool = False
    ) -> None:
        if self._dragging and not force and self._serving_range is not None:
            return
        vals = []
        for p in (plan, compare_plan):
            if p is None:
                continue
            rate = p.inference_usd_per_million_tokens / 1e6
            vals += [p.cost_usd, rate * INFERENCE_RANGE[0], p.cost_usd + rate * INFERENCE_RANGE[1]]
        vals = [v for v in vals if v > 0 and math.isfinite(v)]
        if not vals:
            return
        rng = (math.log10(min(vals)) - 0.3, math.log10(max(vals)) + 0.3)
        if rng != self._serving_range:
            self._serving_range = rng
            self.serve.setYRange(*rng, padding=0)

    # ------------------------------------------------------------------ per-plot updates
    def _update_iso(self, law: Law | None, plan: Plan | None, curves: pg.PlotDataItem, valley, opt):
        if law is None or plan is None or not law.has_loss:
            self._clear(curves)
            if valley is not None:
                self._clear(valley)
            self._clear(opt)
            return None
        budgets = plan.flops * np.asarray(ISO_FACTORS)
        n_star = frontier(law, budgets).n_params
        # (k, ISO_POINTS) grid of sizes around each optimum, plus a NaN column as separator
        n = n_star[:, None] * self._iso_offsets[None, :]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            loss = np.asarray(law.loss(n, budgets[:, None] / (6.0 * n)))  # type: ignore[attr-defined]
            vy = np.asarray(law.loss(n_star, budgets / (6.0 * n_star)))  # type: ignore[attr-defined]
        sep = np.full((len(budgets), 1), np.nan)
        self._set(curves, np.hstack([n, sep]).ravel(), np.hstack([loss, sep]).ravel())
        if valley is not None:
            self._set(valley, n_star, vy)
        if plan.loss is not None:
            self._set(opt, [plan.n_params], [plan.loss])
        else:
            self._clear(opt)
        return n, loss

    def _iso_view(self, force: bool = False) -> None:
        """Follow the budget with the isoFLOP view, except while a slider is held."""
        if (self._dragging and not force and self._iso_range is not None) or not self._iso_data:
            return
        x0 = min(math.log10(float(n.min())) for n, _ in self._iso_data)
        x1 = max(math.log10(float(n.max())) for n, _ in self._iso_data)
        y0, y1 = math.inf, -math.inf
        for _, loss in self._iso_data:
            finite = loss[np.isfinite(loss)]
            ends = loss[len(loss) // 2][[0, -1]]  # the current budget's curve, at its ends
            ends = ends[np.isfinite(ends)]
            if finite.size:
                y0 = min(y0, float(finite.min()))
                y1 = max(y1, float(ends.max()) if ends.size else float(finite.max()))
        if not y1 > y0:
            return
        pad = 0.08 * (y1 - y0)
        rng = (round(x0 - 0.05, 3), round(x1 + 0.05, 3), y0 - pad, y1 + pad)
        if rng != self._iso_range:
            self._iso_range = rng
            self.iso.setRange(xRange=rng[:2], yRange=rng[2:], padding=0)

    def _update_frontier(
        self, law: Law, plan: Plan, compare_law: Law | None, compare_plan: Plan | None
    ) -> None:
        grid = self._frontier_grid
        if self._front_law != (law, compare_law):  # the frontier depends on the law only
            self._front_law = (law, compare_law)
            fr = self._front_cache[id(law)]
            self._front_n.setData(grid, fr.n_params)
            self._front_d.setData(grid, fr.n_tokens)
            if compare_law is not None:
                frc = self._front_cache[id(compare_law)]
                self._set(self._front_n_cmp, grid, frc.n_params)
                self._set(self._front_d_cmp, grid, frc.n_tokens)
        self._front_vline.setPos(math.log10(plan.flops))
        self._front_pts.setData([plan.flops, plan.flops], [plan.n_params, plan.n_tokens])
        if compare_law is not None and compare_plan is not None:
            cp = compare_plan
            self._set(self._front_cmp_pts, [cp.flops, cp.flops], [cp.n_params, cp.n_tokens])
        else:
            for item in (self._front_n_cmp, self._front_d_cmp, self._front_cmp_pts):
                self._clear(item)

    def _update_loss(self, law: Law | None, plan: Plan | None, curve, pt) -> None:
        if law is None or plan is None or not law.has_loss:
            self._clear(curve)
            self._clear(pt)
            self._loss_law.pop(id(curve), None)
            return
        fr = self._front_cache[id(law)]
        if self._loss_law.get(id(curve)) is not law:
            self._set(curve, self._frontier_grid, fr.loss)
            self._loss_law[id(curve)] = law
        if plan.loss is not None:
            self._set(pt, [plan.flops], [plan.loss])
        else:
            self._clear(pt)

    def _update_bands(self, law: Law) -> None:
        """Show the law's bootstrap bands on the budget grid, or hide them (once per law)."""
        bands = frontier_bands(law, self._frontier_grid)
        if bands is not None and not law.has_loss:
            bands = {k: v for k, v in bands.items() if k != "loss"}
        self.bands = bands
        grid = self._frontier_grid
        for key, (lo, hi, fill) in self._band_items.items():
            pair = bands.get(key) if bands else None
            if pair is None:
                if lo.isVisible():
                    for item in (lo, hi, fill):
                        item.setVisible(False)
                    lo.setData([], [])
                    hi.setData([], [])
                continue
            lo_v, hi_v = (np.asarray(v, dtype=float) for v in pair)
            ok = np.isfinite(lo_v) & np.isfinite(hi_v)
            if key != "loss":
                ok &= (lo_v > 0) & (hi_v > 0)
            lo.setData(grid[ok], lo_v[ok])
            hi.setData(grid[ok], hi_v[ok])
            for item in (lo, hi, fill):
                item.setVisible(bool(ok.any()))

    def _update_serving(self, plan: Plan, compare_plan: Plan | None) -> None:
        x = self._serve_x
        rate = plan.inference_usd_per_million_tokens / 1e6
        serving = x * rate
        self._serve_train.setData(x[[0, -1]], np.array([plan.cost_usd, plan.cost_usd]))
        self._serve_inf.setData(x, serving)
        self._serve_total.setData(x, plan.cost_usd + serving)
        if (
            plan.inference_tokens
            and INFERENCE_RANGE[0] <= plan.inference_tokens <= INFERENCE_RANGE[1]
        ):
            self._set(
                self._serve_pt,
                [plan.inference_tokens],
                [plan.cost_usd + plan.inference_tokens * rate],
            )
        else:
            self._clear(self._serve_pt)
        if compare_plan is not None:
            crate = compare_plan.inference_usd_per_million_tokens / 1e6
            self._set(self._serve_total_cmp, x, compare_plan.cost_usd + x * crate)
        else:
            self._clear(self._serve_total_cmp)
        self._update_serving_range(plan, compare_plan)
