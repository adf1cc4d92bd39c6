"""The four plots of the planner: isoFLOP curves, compute frontier, loss, serving cost.

:class:`PlotPanel` is a plain ``QWidget`` that can be built without the main window (the PDF
report renders :meth:`PlotPanel.plot_widgets` scenes into a ``QPdfWriter``).

What is drawn is what the plan optimises: the curves come from :mod:`planner.solve.curves`,
which poses the plan's own question (MoE leverage or Krajewski's surface, a unique-data limit,
a vocabulary split, constraints) at other budgets. Where the plan's point (★) cannot sit on a
curve the legend says why (a vocabulary split; Kaplan's Table 6 allocation beside the Eq. 1.5
surface). Constraint bounds are drawn as lines, labelled "binding" when they bind; the
inference-aware plan is a diamond on the frontier and the cost plot. In compare mode the
legends name both laws.

Speed (STYLE.md §3–§5): every item is created once in the constructor and afterwards only gets
``setData``; pens are 1-px cosmetic. The frontier is cached by the question's non-budget inputs
(a budget drag never recomputes it); when another input changes and the exact frontier is slow
(a data limit, a vocabulary), a coarse grid is drawn at once and the full grid follows
:data:`REFINE_MS` after the last change (:meth:`PlotPanel.flush` forces it).

Ranges follow the plan with hysteresis (:func:`follow_range`), also while a slider is held: an
axis re-ranges only when the data leave the inner 80% of the view or shrink below 30% of it,
and then snaps to nice values (whole decades on wide log axes), so no plot is ever left
without its data and the axes do not jitter.

pyqtgraph log mode transforms PlotDataItems only (STYLE.md §7b), so the curves (:class:`_Curve`)
and markers (:class:`_Markers`) here apply the log axes to their data themselves, and infinite
lines take log10 positions. The isoFLOP plot draws the plan's own budget and round budgets
around it (:func:`planner.solve.curves.iso_budgets`), which stay put while a slider moves the
plan; each plot draws its grid itself (:class:`_Grid`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QGridLayout, QWidget

from planner import Plan, Question
from planner.laws import Law
from planner.solve import curves
from planner.solve.result import Frontier

BAND_ALPHA = 56  # band fill opacity (0-255); edges are drawn at twice this

FLOPS_RANGE = (1e18, 1e27)  # the budget slider's limits: the frontier's budget grid
INFERENCE_RANGE = (1e9, 1e16)  # lifetime inference tokens shown on the serving plot
FRONTIER_POINTS = 64
BAND_POINTS = 33  # bootstrap bands: a point every 0.28 decade over the slider's nine
COARSE_POINTS = 12  # frontier budgets drawn at once when the full grid is slow
FINE_NOW_S = 0.004  # compute the full frontier at once when it should take less than this
REFINE_MS = 150  # then the full grid, this long after the last change
# while a slider is held (follow_range): an axis re-ranges when its data fill less than 12% of
# it (not 30%), and then leaves 1.5 spans of room ahead of the data's motion (not 0.5)
DRAG_FOLLOW = {"least": 0.12, "lead": 1.5, "pad": 0.36}
RELEASE_FOLLOW = {"least": 0.5}
LEGEND_CHECK_S = 0.1  # while a slider is held, whether a legend hides data is checked this often  # on release, a view the data fill less than half of is redone
SERVING_POINTS = 48
PLOT_KEYS = ("isoflop", "frontier", "loss", "serving")
_ALONG = np.linspace(0.0, 1.0, 24)  # points along a straight two-point line (legend placement)
EXPORT_SCALE = 2.0  # PNG export: this many image pixels per screen pixel

# Okabe-Ito colours (colour-blind safe); compare overlays use their own hue, dashed.
LIGHT = {"bg": "#ffffff", "fg": "#202124", "grid": "#e6e8eb", "main": "#0072B2", "second": "#D55E00",
         "third": "#009E73", "compare": "#CC79A7", "marker": "#202124", "muted": "#80868b",
         "ia": "#E69F00", "bound": "#b3261e", "legend": "#ffffff"}  # fmt: skip
DARK = {"bg": "#1e1f22", "fg": "#e8eaed", "grid": "#34373c", "main": "#56B4E9", "second": "#F28E2B",
        "third": "#2bc9a0", "compare": "#e78ac3", "marker": "#f1f3f4", "muted": "#9aa0a6",
        "ia": "#F0E442", "bound": "#ff8a80", "legend": "#26282c"}  # fmt: skip


def _pen(
    color: str | QColor, width: float = 1.0, dashed: bool = False, dotted: bool = False
) -> pg.QtGui.QPen:
    pen = pg.mkPen(color=color, width=width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    elif dotted:
        pen.setStyle(Qt.PenStyle.DotLine)
    return pen


def with_alpha(color: str, alpha: int) -> QColor:
    q = QColor(color)
    q.setAlpha(alpha)
    return q


# ---------------------------------------------------------------------------------------------
# ranges


def _nice_step(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least ``x`` (> 0)."""
    k = math.floor(math.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * 10.0**k >= x * (1 - 1e-12):
            return m * 10.0**k
    return 10.0 ** (k + 1)  # pragma: no cover - the loop always returns


def follow_range(
    view: tuple[float, float] | None,
    lo: float,
    hi: float,
    *,
    log: bool,
    inner: float = 0.8,
    least: float = 0.3,
    pad: float = 0.22,
    lead: float = 0.5,
) -> tuple[float, float] | None:
    """A new axis range for data spanning ``lo``…``hi``, or None to keep ``view``.

    All values in view coordinates (log10 for a log axis). The view is kept while the data lie
    inside its inner ``inner`` fraction and span at least ``least`` of it. Otherwise the data
    get ``pad`` of their span as margin on either side, ``lead`` on the side they left through
    (data that move keep moving: the next re-range is a real move away), and the range is
    snapped outwards to a nice step of at most ``pad`` × span (whole decades when the data span
    5 decades or more of a log axis). With ``pad`` ≥ (1 + ``lead``)/7 the data then sit inside
    the inner 80% of the new view and fill more than 30% of it: the new view holds, no jitter.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    lo, hi = min(lo, hi), max(lo, hi)
    floor_span = 0.5 if log else max(abs(lo), abs(hi), 1e-9) * 0.02  # flat data: a sensible view
    span = max(hi - lo, floor_span)
    pad_lo = pad_hi = pad
    if view is not None:
        v0, v1 = view
        w = v1 - v0
        m = 0.5 * (1.0 - inner) * w
        if w > 0 and lo >= v0 + m and hi <= v1 - m and span >= least * w:
            return None
        out_lo, out_hi = lo < v0 + m, hi > v1 - m
        if out_hi and not out_lo and span >= least * w:
            pad_hi = lead
        elif out_lo and not out_hi and span >= least * w:
            pad_lo = lead
    mid = 0.5 * (lo + hi)
    a, b = mid - span * (0.5 + pad_lo), mid + span * (0.5 + pad_hi)
    step = _nice_step(0.5 * pad * span)
    if log and span >= 5.0:  # whole decades: 1, 2, 5, 10, ...
        step = min(k * 10.0**e for e in range(4) for k in (1.0, 2.0, 5.0) if k * 10.0**e >= step)
    return math.floor(a / step) * step, math.ceil(b / step) * step


def _extent(values: Iterable[Any], log: bool) -> tuple[float, float] | None:
    """(min, max) of the finite values (positive ones, as log10, for a log axis), or None."""
    parts = [np.asarray(v, dtype=float).ravel() for v in values if v is not None]
    if not parts:
        return None
    a = np.concatenate(parts)
    a = a[np.isfinite(a)]
    if log:
        a = a[a > 0]
        if not a.size:
            return None
        return math.log10(float(a.min())), math.log10(float(a.max()))
    if not a.size:
        return None
    return float(a.min()), float(a.max())


# ---------------------------------------------------------------------------------------------
# plot widgets


def _cache(*items: QGraphicsItem) -> None:
    """Keep ``items`` as pixmaps in device coordinates between repaints: axes with their grid
    and labels, titles and legends then cost a blit per repaint instead of text layout and
    hundreds of lines (a QGraphicsItem's cache holds its own paint, not its children's: a
    label's text item is cached on its own). :func:`begin_export` draws them afresh."""
    for item in items:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def begin_export(scene: Any, opts: dict[str, Any]):
    """Tell a plot's items they are drawn for export (PNG, SVG, the PDF report), as pyqtgraph's
    exporters do, and draw cached items afresh, as vectors and text; returns the function that
    ends it (caches restored)."""
    items = scene.items()
    cached = [(it, it.cacheMode()) for it in items if it.cacheMode() != QGraphicsItem.CacheMode.NoCache]
    exported = [it for it in items if hasattr(it, "setExportMode")]
    for it, _mode in cached:
        it.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    for it in exported:
        it.setExportMode(True, opts)

    def done() -> None:
        for it in exported:
            it.setExportMode(False)
        for it, mode in cached:
            it.setCacheMode(mode)

    return done


class _Axis(pg.AxisItem):
    """Axis without pyqtgraph's automatic SI scaling (pyqtgraph 0.14 applies it even when
    disabled, which turns 1e24 FLOPs into "0.001 (x1e27)"), and without re-setting its label on
    every range change (each re-set lays the plot out again)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._label_html: str | None = None
        self._shown_html: str | None = None  # the HTML the label item holds
        self._held = True  # pens and range set while building: the label is shown once, after
        super().__init__(*args, **kwargs)
        self.autoSIPrefix = False  # setRange then only invalidates the tick picture
        _cache(self, self.label)
        self._held = False
        self._updateLabel()

    def set_colors(self, grid: str, text: str) -> None:
        """Grid and tick pen, text pen and label colour, with the label re-parsed once."""
        self._held = True
        try:
            # Grid lines are drawn with the axis pen: an opaque colour keeps repaints cheap
            # (translucent grid lines cost >10 ms per repaint); labels keep the text pen.
            self.setPen(_pen(grid))
            self.setTextPen(pg.mkPen(text))
            self._label_html = None
            self.setLabel(self.labelText, color=text)
        finally:
            self._held = False
        self._updateLabel()

    def _updateLabel(self) -> None:
        """pyqtgraph's, parsing the label's HTML only when it changed: building and theming
        an axis call this eight times (128 parses for the window's sixteen axes, 5 ms of
        start-up); a new pen still redraws the ticks."""
        if self._held:
            return
        html = self.labelString()
        if html != self._shown_html:
            self._shown_html = html
            self.label.setHtml(html)
            self._adjustSize()
        self.picture = None
        self.update()

    def updateAutoSIPrefix(self) -> None:
        self.autoSIPrefixScale = 1.0
        self.labelUnitPrefix = ""
        html = self.labelString()
        if html != self._label_html:
            self._label_html = html
            self._updateLabel()

    def setLabel(self, *args: Any, **kwargs: Any) -> None:
        super().setLabel(*args, **kwargs)  # sets the label once
        self._label_html = self.labelString()

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: Any) -> Any:
        """Decades only on a log axis wider than 4 decades: the 2…9 lines of every decade are
        hundreds of grid lines (each re-range draws them) and too dense to read."""
        ticks = super().logTickValues(minVal, maxVal, size, stdTicks)
        if maxVal - minVal > 4.0:
            ticks = [t for t in ticks if t[0] is not None] or ticks
        return ticks


class _Grid(pg.GraphicsObject):
    """The plot's grid: a line at every tick of its bottom and left axes, drawn directly.

    pyqtgraph draws a grid as the axes' tick lines stretched across the plot, which makes each
    cached axis a pixmap the size of the plot, blended at every repaint (two per plot, ~0.3 ms a
    step for the four plots); twenty 1-px lines cost a few microseconds.
    """

    def __init__(self, plot_item: pg.PlotItem) -> None:
        super().__init__()
        self._pi = plot_item
        self._pen = _pen(LIGHT["grid"])
        self._lines: list[QLineF] | None = None
        self._rect = QRectF()
        self.setZValue(-1000)  # behind everything the view holds

    def set_color(self, color: str) -> None:
        self._pen = _pen(color)
        self.update()

    def lines(self) -> list[QLineF]:
        """The grid lines in view coordinates (log10 on a log axis), made once per view."""
        if self._lines is None:
            vb = self._pi.getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            out: list[QLineF] = []
            for _spacing, values in self._pi.getAxis("bottom").tickValues(x0, x1, vb.width()):
                out += [QLineF(v, y0, v, y1) for v in values if x0 <= v <= x1]
            for _spacing, values in self._pi.getAxis("left").tickValues(y0, y1, vb.height()):
                out += [QLineF(x0, v, x1, v) for v in values if y0 <= v <= y1]
            self._lines = out
        return self._lines

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self._lines, self._rect = None, QRectF()
        self.update()

    viewTransformChanged = viewRangeChanged  # (a resize: other ticks)

    def boundingRect(self) -> QRectF:
        if self._rect.isNull():
            vb = self._pi.getViewBox()
            self._rect = QRectF(vb.viewRect())
        return self._rect

    def paint(self, p: Any, *args: Any) -> None:
        p.setPen(self._pen)
        p.drawLines(self.lines())


class _Curve(pg.PlotCurveItem):
    """A line whose ``setData`` takes data values and applies the plot's log axes itself.

    pyqtgraph's PlotItem log mode transforms PlotDataItems only; a PlotCurveItem is about six
    times cheaper to create and to update (one child item instead of two, no dataset copies).
    ``getData`` returns view coordinates (log10 on a log axis), ``getOriginalDataset`` the data.
    """

    def __init__(self, pen: Any, logx: bool, logy: bool, connect: str = "all") -> None:
        self._logx, self._logy = logx, logy
        self._original: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
        self._pixel: tuple[float, float] | None = None  # a view pixel in data units, per view
        self._segmented: bool | None = None  # drawn as line segments (per pen)
        super().__init__(pen=pen, connect=connect)

    def setData(self, *args: Any, **kwargs: Any) -> None:
        if len(args) != 2:
            super().setData(*args, **kwargs)
            return
        x, y = (np.asarray(v, dtype=float).ravel() for v in args)
        if x.shape != y.shape:
            raise ValueError(f"x and y differ in length: {x.shape} and {y.shape}")
        self._original = (x, y)
        with np.errstate(all="ignore"):
            x = np.log10(x) if self._logx else x
            y = np.log10(y) if self._logy else y
        if kwargs:
            super().setData(x=x, y=y, **kwargs)
            return
        # what pyqtgraph's updateData does for new x and y alone (its argument handling and
        # profiler cost more than the rest for the few dozen points a step sends)
        self.xData, self.yData = x, y
        self.invalidateBounds()
        self.prepareGeometryChange()
        self.informViewBoundsChanged()
        self.path = self.fillPath = self._fillPathList = self._mouseShape = None
        self._lineSegmentsRendered = False
        self.update()
        self.sigPlotChanged.emit(self)

    def getOriginalDataset(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self._original

    # The scene asks for the bounding rectangle of every changed item at every step; pyqtgraph
    # recomputes it from nanmin/nanmax under a warnings guard and the item's device transform
    # (~25 us a curve). Here the bounds take one fmin/fmax pass and the pixel size is kept until
    # the view changes.
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange: Any = None) -> Any:  # noqa: N803 (pyqtgraph API)
        if frac < 1.0 or orthoRange is not None or self.opts["fillLevel"] is not None:
            return super().dataBounds(ax, frac, orthoRange)
        cache = self._boundsCache[ax]
        if cache is not None and cache[0] == (frac, None):
            return cache[1]
        bounds = _finite_bounds(self.xData if ax == 0 else self.yData)
        self._boundsCache[ax] = [(frac, None), bounds]
        return bounds

    def viewTransformChanged(self) -> None:
        self._pixel = None
        super().viewTransformChanged()

    def setPen(self, *args: Any, **kwargs: Any) -> None:
        super().setPen(*args, **kwargs)
        self._segmented = None

    def paint(self, p: Any, opt: Any, widget: Any) -> None:
        """pyqtgraph's paint for a plain line (no fill, shadow or OpenGL, which these curves
        never use): the same drawing without its per-call profiler and option checks, which
        cost more than drawing a 64-point line."""
        o = self.opts
        if o["fillLevel"] is not None or o["shadowPen"] is not None or o["compositionMode"] is not None:
            super().paint(p, opt, widget)
            return
        pen = o["pen"]
        if self.xData is None or not len(self.xData) or pen is None or pen.style() == Qt.PenStyle.NoPen:
            return
        aa = self._exportOpts.get("antialias", True) if self._exportOpts is not False else o["antialias"]
        p.setRenderHint(p.RenderHint.Antialiasing, aa)
        p.setPen(pen)
        if self._segmented is None:  # (wide solid pens: segments, as pyqtgraph chooses)
            self._segmented = self._shouldUseDrawLineSegments(pen)
        if self._segmented and not aa:
            p.drawLines(*self._getLineSegments())
        else:
            p.drawPath(self.getPath())

    def boundingRect(self) -> QRectF:
        if self._boundingRect is None:
            (x0, x1), (y0, y1) = self.dataBounds(0), self.dataBounds(1)
            if x0 is None or y0 is None:
                return QRectF()
            pad = self.pixelPadding()
            if pad > 0 and self._pixel is None:
                vx, vy = self.pixelVectors()
                if vx is not None and vy is not None:  # (None before the item is first shown)
                    self._pixel = (vx.length(), vy.length())
            px, py = (pad * self._pixel[0], pad * self._pixel[1]) if pad > 0 and self._pixel else (0.0, 0.0)
            self._boundingRect = QRectF(x0 - px, y0 - py, x1 - x0 + 2 * px, y1 - y0 + 2 * py)
        return self._boundingRect


def _finite_bounds(values: np.ndarray | None) -> tuple[float, float] | tuple[None, None]:
    """(min, max) of the finite values, NaN ignored; (None, None) when there are none."""
    if values is None or not len(values):
        return None, None
    lo, hi = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))
    if math.isfinite(lo) and math.isfinite(hi):
        return lo, hi
    finite = values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else (None, None)


def _view(value: Any, log: bool) -> float:
    """A data value in view coordinates: log10 on a log axis (NaN for values it cannot show)."""
    if value is None:
        return math.nan
    v = float(value)
    if not log:
        return v
    return math.log10(v) if v > 0.0 and v != math.inf else math.nan


class _Markers(pg.GraphicsObject):
    """A few symbols at data points, drawn at a fixed size in screen pixels.

    pyqtgraph's ScatterPlotItem costs ~0.25 ms per repaint even for one point; a plot has
    several single-point markers, so they are drawn here as one path each. Coordinates follow
    the plot's log modes (``getData`` returns log10 values on a log axis, like a PlotDataItem);
    ``sample`` is a PlotDataItem with the same symbol, for legends.
    """

    def __init__(self, color: str, symbol: str, size: int, logx: bool, logy: bool) -> None:
        super().__init__()
        from pyqtgraph.graphicsItems.ScatterPlotItem import Symbols

        self._logx, self._logy, self._size = logx, logy, float(size)
        self._path = QTransform.fromScale(size, size).map(Symbols[symbol])
        self._brush = pg.mkBrush(color)
        self._outline = pg.mkPen("w", width=1)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._rect = QRectF()
        self._pixel: tuple[float, float] | None = None  # a view pixel in data units, per view
        self._sprite: tuple[float, QPixmap, float] | None = None  # (pixel ratio, symbol, half size)
        self._symbol = symbol
        self._sample: pg.PlotDataItem | None = None
        self.setZValue(10)

    @property
    def sample(self) -> pg.PlotDataItem:
        """A PlotDataItem drawn like these markers, for a legend (made on first use)."""
        if self._sample is None:  # one point, so that its symbol style reaches the legend
            self._sample = pg.PlotDataItem([0.0], [0.0], pen=None, symbol=self._symbol, symbolSize=self._size,
                                           symbolBrush=self._brush, symbolPen=self._outline)  # fmt: skip
        return self._sample

    def setData(self, x: Any, y: Any) -> None:
        if isinstance(x, list | tuple) and len(x) <= 4 and len(y) == len(x):
            # a few points (a plan's star, its two frontier points): plain floats, not numpy's
            # array machinery, which costs ten times more for one or two values
            pts = [(_view(a, self._logx), _view(b, self._logy)) for a, b in zip(x, y, strict=True)]
            pts = [(a, b) for a, b in pts if math.isfinite(a) and math.isfinite(b)]
            x = np.array([a for a, _b in pts], dtype=float)
            y = np.array([b for _a, b in pts], dtype=float)
        else:
            with np.errstate(all="ignore"):
                x = np.asarray(x, dtype=float).ravel()
                y = np.asarray(y, dtype=float).ravel()
                x = np.log10(x) if self._logx else x
                y = np.log10(y) if self._logy else y
            ok = np.isfinite(x) & np.isfinite(y)
            x, y = x[ok], y[ok]
        self.prepareGeometryChange()  # before the bounding rectangle changes (scene index)
        self._x, self._y = x, y
        self._rect = QRectF()
        self.update()

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def _paint_sprites(self, p: Any, tr: QTransform) -> None:
        """Each symbol as a copy of one pixmap drawn once per style and pixel ratio (drawing an
        antialiased path costs ~15 us a symbol, a copy ~2 us; exports still draw paths)."""
        ratio = p.device().devicePixelRatio()
        if self._sprite is None or self._sprite[0] != ratio:
            half = math.ceil(self._size / 2.0 + 2.0)
            pix = QPixmap(int(2 * half * ratio), int(2 * half * ratio))
            pix.setDevicePixelRatio(ratio)
            pix.fill(Qt.GlobalColor.transparent)
            q = QPainter(pix)
            q.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            q.setPen(self._outline)
            q.setBrush(self._brush)
            q.translate(half, half)
            q.drawPath(self._path)
            q.end()
            self._sprite = (ratio, pix, float(half))
        _ratio, pix, half = self._sprite
        p.resetTransform()
        for x, y in zip(self._x, self._y, strict=True):
            pt = tr.map(QPointF(x, y))
            p.drawPixmap(QPointF(pt.x() - half, pt.y() - half), pix)
        p.setTransform(tr)

    def setSymbolBrush(self, brush: Any) -> None:
        self._brush = pg.mkBrush(brush)
        self._sprite = None
        if self._sample is not None:
            self._sample.setSymbolBrush(self._brush)
        self.update()

    def setSymbolPen(self, pen: Any) -> None:
        self._outline = pg.mkPen(pen)
        self._sprite = None
        if self._sample is not None:
            self._sample.setSymbolPen(self._outline)
        self.update()

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: Any = None
    ) -> tuple[float, float] | None:
        v = self._x if ax == 0 else self._y
        return (float(v.min()), float(v.max())) if v.size else None

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # the symbols' size in data units changes with the view
        super().viewTransformChanged()
        self._rect = QRectF()
        self._pixel = None

    def boundingRect(self) -> QRectF:
        if not self._x.size:
            return QRectF()
        if self._rect.isNull():
            if self._pixel is None:
                pw, ph = self.pixelWidth(), self.pixelHeight()
                if pw and ph:  # (0 before the item is first shown)
                    self._pixel = (pw, ph)
            pw, ph = self._pixel or (0.0, 0.0)
            px, py = pw * self._size, ph * self._size
            x0, x1 = float(self._x.min()), float(self._x.max())
            y0, y1 = float(self._y.min()), float(self._y.max())
            self._rect = QRectF(x0 - px, y0 - py, x1 - x0 + 2 * px, y1 - y0 + 2 * py)
        return self._rect

    def paint(self, p: Any, *args: Any) -> None:
        if not self._x.size:
            return
        tr = p.transform()
        if self._exportOpts is False and p.device() is not None and p.device().devicePixelRatio() > 0:
            self._paint_sprites(p, tr)  # on screen: a pre-drawn symbol, copied
            return
        screen = self.deviceTransform_()
        scale = 1.0  # the symbol keeps its size relative to the plot in exports (PDF, 2× PNG)
        if screen is not None and screen.determinant():
            scale = math.sqrt(abs(tr.determinant() / screen.determinant())) or 1.0
        p.resetTransform()
        p.setRenderHint(p.RenderHint.Antialiasing, True)
        p.setPen(self._outline)
        p.setBrush(self._brush)
        path = self._path if scale == 1.0 else QTransform.fromScale(scale, scale).map(self._path)
        for x, y in zip(self._x, self._y, strict=True):
            pt = tr.map(QPointF(x, y))
            p.translate(pt)
            p.drawPath(path)
            p.translate(-pt)
        p.setTransform(tr)


class _Plot(pg.PlotWidget):
    """A PlotWidget with the planner's axes styling, a legend made on demand, range following."""

    def __init__(self, title: str, xlabel: str, ylabel: str, logx: bool, logy: bool) -> None:
        super().__init__(  # (no context menus: the view box's is not even built, 2 ms a plot)
            axisItems={side: _Axis(side) for side in ("left", "bottom", "top", "right")}, enableMenu=False
        )
        self.setMinimumSize(200, 140)  # four fit a 1366x768 laptop screen beside the cards
        # one rectangle around what changed: a step moves curves and markers all over the plot,
        # and painting the cached axes, legend and title through a region of many small
        # rectangles (pyqtgraph's minimal mode) costs more than painting their bounding box
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.BoundingRectViewportUpdate)
        pi = self.getPlotItem()
        pi.hideAxis("top")  # (given as _Axis so that none re-sets its label at every range)
        pi.hideAxis("right")
        pi.hideButtons()
        pi.setLogMode(x=logx, y=logy)
        pi.setTitle(title, size="10pt")
        pi.setLabel("bottom", xlabel)
        pi.setLabel("left", ylabel)
        _cache(pi.titleLabel.item)
        vb = pi.getViewBox()
        self.grid = _Grid(pi)
        vb.addItem(self.grid, ignoreBounds=True)
        vb.disableAutoRange()
        vb.setMouseEnabled(x=True, y=True)
        self.logx, self.logy = logx, logy
        self._title = title
        self._xlabel = xlabel
        self._legend_entries: tuple = ()
        self._legend_corner = (0, 0)  # (x, y): 0 left/top, 1 right/bottom
        self.dragging = False  # a slider is held: looser ranges, a legend that stays put
        self._legend_checked = 0.0  # perf_counter of the last legend placement while dragging
        self.released = False  # the update at a slider's release: ranges tidied
        self._colors = LIGHT
        self.message = pg.TextItem("", anchor=(0.5, 0.5))
        self.message.setZValue(100)
        pi.addItem(self.message, ignoreBounds=True)
        self.message.hide()
        self._blank = pg.PlotCurveItem(pen=None)  # a legend sample that draws nothing (text lines)

    # -------------------------------------------------------------- items
    def curve(self, pen: pg.QtGui.QPen, connect: str = "all") -> _Curve:
        item = _Curve(pen, self.logx, self.logy, connect)
        self.getPlotItem().addItem(item)
        return item

    def marker(self, color: str, symbol: str = "o", size: int = 9) -> _Markers:
        item = _Markers(color, symbol, size, self.logx, self.logy)
        self.getPlotItem().addItem(item)
        return item

    def line(self, angle: int) -> pg.InfiniteLine:
        """A hidden, labelled constraint line (position in log10 on a log axis)."""
        # the label reads to the right of a vertical line near the top, above a horizontal one
        # at its right end
        opts: dict[str, Any] = {"position": 0.96, "color": LIGHT["bound"], "movable": False,
                                "anchors": [(0, 0), (0, 0)] if angle == 90 else [(1, 1), (1, 1)]}  # fmt: skip
        line = pg.InfiniteLine(angle=angle, movable=False, pen=_pen(LIGHT["bound"], dashed=True),
                               label="", labelOpts=opts)  # fmt: skip
        line.setZValue(5)
        line.hide()
        self.getPlotItem().addItem(line, ignoreBounds=True)
        return line

    def set_xlabel(self, text: str) -> None:
        if text != self._xlabel:
            self._xlabel = text
            self.getPlotItem().setLabel("bottom", text)

    # -------------------------------------------------------------- legend
    def set_legend(self, entries: Sequence[tuple[Any, str]]) -> None:
        """Show ``(item, label)`` entries (item None: a text-only line); rebuilt only on change.

        The legend goes to the corner of the view that covers the fewest data points
        (:meth:`place_legend`, called after every update).
        """
        key = tuple((id(item), label) for item, label in entries)
        if key == self._legend_entries:
            return
        self._legend_entries = key
        pi = self.getPlotItem()
        legend = pi.legend
        if legend is None:
            legend = pi.addLegend(offset=(8, 8), labelTextSize="8pt", verSpacing=-6)
            _cache(legend)
        legend.clear()
        for item, label in entries:
            sample = getattr(item, "sample", item) if item is not None else self._blank
            legend.addItem(sample, label)
        for sample, label_item in legend.items:  # each label's text, drawn at every repaint else
            _cache(sample, label_item.item)
        self._style_legend()
        legend.setVisible(bool(entries))

    def shown_data(self) -> Iterator[tuple[Any, np.ndarray, np.ndarray]]:
        """(item, x, y) of every visible curve and marker set with data, in view coordinates
        (log10 on a log axis, like the view range)."""
        for item in self.getPlotItem().items:
            if not isinstance(item, _Curve | _Markers) or not item.isVisible():
                continue
            x, y = item.getData()
            if x is None or len(x) == 0:
                continue
            yield item, x, y

    def place_legend(self) -> None:
        """Move the legend to the view corner covering the fewest points of the plot's curves
        and markers (it stays put unless another corner is clearly emptier: no jumping)."""
        pi = self.getPlotItem()
        legend = pi.legend
        if legend is None or not legend.isVisible():
            return
        if self.dragging:  # (it stays put anyway unless it hides much: look now and then)
            now = time.perf_counter()
            if now - self._legend_checked < LEGEND_CHECK_S:
                return
            self._legend_checked = now
        vb = pi.getViewBox()
        w, h = vb.width(), vb.height()
        rect = legend.boundingRect()
        lw, lh = rect.width(), rect.height()
        if w <= 0 or h <= 0 or lw <= 0:
            return
        xs, ys = [], []
        for _item, x, y in self.shown_data():
            if len(x) == 2:  # a straight line: points along it
                x, y = x[0] + _ALONG * (x[1] - x[0]), y[0] + _ALONG * (y[1] - y[0])
            xs.append(x)
            ys.append(y)
        if not xs:
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        px = (np.concatenate(xs) - x0) / (x1 - x0) * w
        py = (y1 - np.concatenate(ys)) / (y1 - y0) * h
        m = 8.0
        counts = {}
        for cx, cy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            bx = m if cx == 0 else w - m - lw
            by = m if cy == 0 else h - m - lh
            counts[cx, cy] = int(
                ((px >= bx) & (px <= bx + lw) & (py >= by) & (py <= by + lh)).sum()
            )
        here = self._legend_corner
        best = min(counts, key=lambda c: (counts[c], c != here))
        if self.dragging:  # (a legend jumping about under the pointer distracts: only if it hides much)
            move = counts[here] > 2 * counts[best] + 16
        else:
            move = counts[best] + 4 < counts[here] or (counts[best] == 0 < counts[here])
        if move:
            self._legend_corner = best
            legend.anchor(
                itemPos=best,
                parentPos=best,
                offset=(m if best[0] == 0 else -m, m if best[1] == 0 else -m),
            )

    def _style_legend(self) -> None:
        legend = self.getPlotItem().legend
        if legend is None:
            return
        c = self._colors
        legend.setLabelTextColor(c["fg"])
        for _sample, label in legend.items:
            label.setText(label.text, color=c["fg"])
        legend.setBrush(pg.mkBrush(with_alpha(c["legend"], 170)))
        legend.setPen(_pen(c["grid"]))

    def legend_labels(self) -> list[str]:
        """The legend's visible labels (tests, report)."""
        legend = self.getPlotItem().legend
        if legend is None or not legend.isVisible():
            return []
        return [label.text for _sample, label in legend.items]

    # -------------------------------------------------------------- ranges
    def follow(self, x: tuple[float, float] | None, y: tuple[float, float] | None) -> None:
        """Re-range the axes whose data ``x``/``y`` (view coordinates) left their view
        (:func:`follow_range`)."""
        vb = self.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        known = getattr(self, "_ranged", (False, False))
        kw = DRAG_FOLLOW if self.dragging else RELEASE_FOLLOW if self.released else {}
        nx = follow_range((x0, x1) if known[0] else None, *x, log=self.logx, **kw) if x else None
        ny = follow_range((y0, y1) if known[1] else None, *y, log=self.logy, **kw) if y else None
        nx = None if nx == (x0, x1) else nx
        ny = None if ny == (y0, y1) else ny
        self._ranged = (known[0] or nx is not None, known[1] or ny is not None)
        if nx is not None and ny is not None:
            vb.setRange(xRange=nx, yRange=ny, padding=0)
        elif nx is not None:
            vb.setXRange(*nx, padding=0)
        elif ny is not None:
            vb.setYRange(*ny, padding=0)

    # -------------------------------------------------------------- text and colours
    def show_message(self, text: str) -> None:
        """Centre ``text`` over the plot (e.g. allocation-only laws have no loss curve)."""
        if not text:
            if self.message.isVisible():
                self.message.hide()
            return
        vb = self.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        self.message.setText(text)
        self.message.setPos((x0 + x1) / 2, (y0 + y1) / 2)
        self.message.show()

    def apply_colors(self, c: dict[str, str]) -> None:
        self._colors = c
        self.setBackground(c["bg"])
        pi = self.getPlotItem()
        for name in ("left", "bottom", "top", "right"):
            ax = pi.getAxis(name)
            ax.set_colors(c["grid"], c["fg"])
            ax.setStyle(tickAlpha=255, maxTickLevel=1)  # opaque ticks, two tick levels
            ax.setZValue(-1)  # behind curves, markers and legend
        self.grid.set_color(c["grid"])
        pi.setTitle(self._title, size="10pt", color=c["fg"])
        self.message.setColor(c["muted"])
        self._style_legend()


# ---------------------------------------------------------------------------------------------
# the panel


def _on_log_axis(value: float | None) -> bool:
    """Whether ``value`` has a place on a log axis (positive and finite)."""
    return value is not None and value > 0 and math.isfinite(value)


def _show_line(line: pg.InfiniteLine, value: float | None, label: str = "") -> None:
    """Show ``line`` at ``value`` (log10 position) with ``label``; hide it for None."""
    if not _on_log_axis(value):
        if line.isVisible():
            line.hide()
        return
    pos = math.log10(value)
    if not line.isVisible():
        line.show()
    if line.value() != pos:
        line.setPos(pos)
    if line.label.format != label or line.label.toPlainText() != label:
        line.label.setFormat(label)  # the label draws its text only while visible


class _BoundLines:
    """A plot's labelled constraint lines by key, each made when first shown (a line with its
    label costs ~0.7 ms to build, and most plans have no bound)."""

    def __init__(self, plot: _Plot, angle: int, keys: Sequence[str]) -> None:
        self._plot, self._angle, self.keys = plot, angle, tuple(keys)
        self.lines: dict[str, pg.InfiniteLine] = {}
        self._color = LIGHT["bound"]

    def show(self, key: str, value: float | None, label: str = "") -> None:
        line = self.lines.get(key)
        if line is None:
            if not _on_log_axis(value):
                return
            line = self.lines[key] = self._plot.line(self._angle)
            self._style(line)
        _show_line(line, value, label)

    def set_color(self, color: str) -> None:
        self._color = color
        for line in self.lines.values():
            self._style(line)

    def _style(self, line: pg.InfiniteLine) -> None:
        line.setPen(_pen(self._color, dashed=True))
        line.label.setColor(self._color)


class _Side(NamedTuple):
    """One law's curves for one plan (the main law, or the compare law)."""

    law: Law
    plan: Plan
    question: Question
    iso: curves.IsoCurves | None  # at round budgets around the plan's (curves.iso_budgets)
    own: curves.IsoCurves | None  # at the plan's budget, through the plan's point
    frontier: Frontier
    coarse: bool
    notes: tuple[str, ...]
    bounds: tuple[curves.Bound, ...]


def _moe(q: Question) -> bool:
    return q.moe_activation is not None and q.moe_activation < 1.0


class PlotPanel(QWidget):
    """Four plots in a 2×2 grid; standalone, no main window needed.

    ``update_plan(law, plan, compare_law=None, compare_plan=None)`` redraws everything;
    ``plot_widgets()`` returns ``{"isoflop", "frontier", "loss", "serving"}`` → PlotWidget.
    """

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("plotPanel")
        self._last: tuple | None = None
        self._filled: set[Any] = set()
        self._keys: dict[Any, tuple] = {}
        self._fine: dict[tuple, Frontier] = {}
        self._cost: dict[tuple, float] = {}
        self._band_key: tuple | None = None
        self._frontier_grid = np.logspace(*np.log10(FLOPS_RANGE), FRONTIER_POINTS)
        self.bands: dict[str, tuple[np.ndarray, np.ndarray]] | None = None  # shown bands
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_MS)
        self._refine_timer.timeout.connect(self._refine)

        self.iso = _Plot("IsoFLOP curves: the plan's budget (thick), every ½ decade", "Parameters N",
                         "Loss", True, False)  # fmt: skip
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

    # ------------------------------------------------------------------ construction
    def _build_items(self) -> None:
        c = LIGHT
        # a law's curves at round budgets in one item, separated by NaN (set when the budgets
        # change), and its curve at the plan's budget (set at every step)
        self._iso_curves = self.iso.curve(_pen(c["main"]), connect="finite")
        self._iso_own = self.iso.curve(_pen(c["main"], 2))
        # the compare law: its curve at the plan's budget only, thick in its own colour (solid:
        # a thick dashed line costs three times a solid one)
        self._iso_cmp_own = self.iso.curve(_pen(c["compare"], 2))
        self._iso_valley = self.iso.marker(c["main"], size=6)
        self._iso_opt = self.iso.marker(c["marker"], symbol="star", size=15)
        self._iso_cmp_opt = self.iso.marker(c["compare"], symbol="star", size=13)
        self._iso_bounds = _BoundLines(self.iso, 90, ("lo", "hi"))

        self._front_n = self.front.curve(_pen(c["main"], 2))
        self._front_d = self.front.curve(_pen(c["second"], 2))
        self._front_n_cmp = self.front.curve(_pen(c["main"], dashed=True))
        self._front_d_cmp = self.front.curve(_pen(c["second"], dashed=True))
        # InfiniteLine is not log-transformed by PlotItem: its position is log10(C).
        self._front_vline = pg.InfiniteLine(angle=90, movable=False, pen=_pen(c["muted"]))
        self.front.getPlotItem().addItem(self._front_vline, ignoreBounds=True)
        self._front_pts = self.front.marker(c["marker"], size=9)
        self._front_cmp_pts = self.front.marker(c["compare"], size=8)
        self._front_ia = self.front.marker(c["ia"], symbol="d", size=10)
        self._front_bounds = _BoundLines(self.front, 0, ("n_params", "n_tokens"))

        self._loss_curve = self.lossp.curve(_pen(c["main"], 2))
        self._loss_cmp = self.lossp.curve(_pen(c["compare"], dashed=True))
        self._loss_pt = self.lossp.marker(c["marker"], symbol="star", size=15)
        self._loss_cmp_pt = self.lossp.marker(c["compare"], symbol="star", size=13)

        # uncertainty bands (fitted laws): two edge curves and a fill each, hidden by default
        self._band_items: dict[str, tuple[pg.PlotDataItem, ...]] = {}
        bands = (("n_params", self.front, "main"), ("n_tokens", self.front, "second"),
                 ("loss", self.lossp, "main"))  # fmt: skip
        for key, plot, color in bands:
            lo = plot.curve(_pen(with_alpha(c[color], 2 * BAND_ALPHA)))
            hi = plot.curve(_pen(with_alpha(c[color], 2 * BAND_ALPHA)))
            fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(with_alpha(c[color], BAND_ALPHA)))
            fill.setZValue(-0.5)  # above the grid (axes at -1), below the curves
            plot.getPlotItem().addItem(fill)
            for item in (lo, hi, fill):
                item.setVisible(False)
            self._band_items[key] = (lo, hi, fill)

        self._serve_train = self.serve.curve(_pen(c["main"], 2))
        self._serve_inf = self.serve.curve(_pen(c["second"], 2))
        self._serve_total = self.serve.curve(_pen(c["third"], 2))
        self._serve_total_cmp = self.serve.curve(_pen(c["compare"], dashed=True))
        self._serve_ia = self.serve.curve(_pen(c["ia"], 2, dotted=True))
        self._serve_pt = self.serve.marker(c["marker"], size=9)
        self._serve_ia_pt = self.serve.marker(c["ia"], symbol="d", size=10)

    def apply_theme(self, dark: bool) -> None:
        """Light or dark colours for backgrounds, axes, curves, markers and legends."""
        c = DARK if dark else LIGHT
        self._colors = c
        for p in self._plots.values():
            p.apply_colors(c)
        pens = ((self._iso_curves, _pen(c["main"])),
                (self._iso_own, _pen(c["main"], 2)), (self._iso_cmp_own, _pen(c["compare"], 2)),
                (self._front_n, _pen(c["main"], 2)), (self._front_d, _pen(c["second"], 2)),
                (self._front_n_cmp, _pen(c["main"], dashed=True)), (self._front_d_cmp, _pen(c["second"], dashed=True)),
                (self._loss_curve, _pen(c["main"], 2)), (self._loss_cmp, _pen(c["compare"], dashed=True)),
                (self._serve_train, _pen(c["main"], 2)), (self._serve_inf, _pen(c["second"], 2)),
                (self._serve_total, _pen(c["third"], 2)), (self._serve_total_cmp, _pen(c["compare"], dashed=True)),
                (self._serve_ia, _pen(c["ia"], 2, dotted=True)))  # fmt: skip
        for item, pen in pens:
            item.setPen(pen)
        self._front_vline.setPen(_pen(c["muted"]))
        for lines in (self._iso_bounds, self._front_bounds):
            lines.set_color(c["bound"])
        for key, (lo, hi, fill) in self._band_items.items():
            color = c["second"] if key == "n_tokens" else c["main"]
            for edge in (lo, hi):
                edge.setPen(_pen(with_alpha(color, 2 * BAND_ALPHA)))
            fill.setBrush(pg.mkBrush(with_alpha(color, BAND_ALPHA)))
        outline = pg.mkPen(c["bg"], width=1)
        for item, key in ((self._iso_valley, "main"), (self._iso_opt, "marker"), (self._iso_cmp_opt, "compare"),
                          (self._front_pts, "marker"), (self._front_cmp_pts, "compare"), (self._front_ia, "ia"),
                          (self._loss_pt, "marker"), (self._loss_cmp_pt, "compare"), (self._serve_pt, "marker"),
                          (self._serve_ia_pt, "ia")):  # fmt: skip
            item.setSymbolBrush(pg.mkBrush(c[key]))
            item.setSymbolPen(outline)

    # ------------------------------------------------------------------ public API
    def plot_widgets(self) -> dict[str, pg.PlotWidget]:
        """The four PlotWidgets by key: "isoflop", "frontier", "loss", "serving"."""
        return dict(self._plots)

    def set_dragging(self, dragging: bool) -> None:
        """A slider is held (True) or released (False).

        Axes follow the plan either way (no frozen, empty plots), but while a slider is held
        they re-range less often (:data:`DRAG_FOLLOW`: room ahead of the data's motion, a view
        kept while the data fill 12% of it) and legends move only off a corner where they hide
        much: each re-range redraws the axes (~2 ms) and a moving legend distracts. On release
        the full frontier is drawn and the ranges and legends are tidied at once.
        """
        for plot in self._plots.values():
            plot.dragging, plot.released = dragging, not dragging
        if not dragging:
            refined = self._refine_timer.isActive()
            self.flush()
            if not refined and self._last is not None:
                self.update_plan(*self._last)
            for plot in self._plots.values():
                plot.released = False

    def flush(self) -> None:
        """Draw pending full-resolution frontiers now (tests, release of a slider)."""
        if self._refine_timer.isActive():
            self._refine_timer.stop()
            self._refine()

    def update_plan(
        self, law: Law, plan: Plan, compare_law: Law | None = None, compare_plan: Plan | None = None
    ) -> None:
        """Redraw every plot for ``plan`` (and the dashed overlay of ``compare_plan``)."""
        if compare_law is None or compare_plan is None or not compare_plan.success:
            compare_law = compare_plan = None
        self._last = (law, plan, compare_law, compare_plan)
        main = self._side(law, plan) if plan.success else None
        other = (
            self._side(compare_law, compare_plan, family=False)
            if compare_law is not None and compare_plan is not None
            else None
        )
        if main is None:  # (the window keeps its last good plan; a report may not)
            self._clear(*list(self._filled))
            for plot in self._plots.values():
                plot.show_message(f"No plan: {plan.message}")
            return
        self._update_iso(main, other)
        self._update_frontier(main, other)
        self._update_loss(main, other)
        self._update_serving(main, other)
        for plot in self._plots.values():
            plot.place_legend()
        has_loss = law.has_loss or (other is not None and other.law.has_loss)
        msg = "" if has_loss else "Allocation-only law: no loss surface"
        self.iso.show_message(msg)
        self.lossp.show_message(msg)
        for key in ("frontier", "serving"):
            self._plots[key].show_message("")

    # ------------------------------------------------------------------ data
    def _side(self, law: Law, plan: Plan, family: bool = True) -> _Side:
        """One law's curves for ``plan``; ``family``: also its curves at the round budgets
        around the plan's (the compare law shows only its curve at the plan's budget)."""
        q = plan.question if plan.question is not None else Question(law=law, flops=plan.flops)
        iso = own = None
        if law.has_loss:
            qf = curves.free_question(q)  # (once: its cache misses at every new budget)
            try:  # (the round budgets' curves are cached: a drag recomputes only the plan's)
                iso = curves.isoflop_curves(qf, curves.iso_budgets(plan.flops)) if family else None
                own = curves.isoflop_curves(qf, [plan.flops], include=[plan.n_params])
            except (ValueError, ArithmeticError):
                iso = own = None
        grid = self._grid_for(plan.flops)
        frontier, coarse = self._frontier(q, grid)
        return _Side(
            law,
            plan,
            q,
            iso,
            own,
            frontier,
            coarse,
            curves.plan_notes(plan),
            curves.constraint_bounds(plan),
        )

    def _grid_for(self, flops: float) -> np.ndarray:
        """The frontier's budgets: the slider's range, widened by whole decades to a plan beyond it."""
        lo, hi = np.log10(FLOPS_RANGE)
        c = math.log10(flops)
        lo, hi = min(lo, math.floor(c)), max(hi, math.ceil(c))
        if (lo, hi) != tuple(np.log10(self._frontier_grid[[0, -1]]).round(9)):
            self._frontier_grid = np.logspace(lo, hi, FRONTIER_POINTS)
        return self._frontier_grid

    def _frontier(self, q: Question, grid: np.ndarray) -> tuple[Frontier, bool]:
        """The frontier on ``grid``: cached; coarse (refined later) when the full grid is slow.

        How long a full frontier takes is remembered per kind of question (law, which inputs
        are set, method), so a drag of a cheap one (an MoE ratio) computes it at once.
        """
        qf = curves.free_question(q)
        key = (qf, float(grid[0]), float(grid[-1]), len(grid))
        fine = self._fine.get(key)
        if fine is not None:
            return fine, False
        if not self.isVisible():  # a panel off screen (the PDF report) is not being dragged
            return self._store(key, curves.frontier_curves(q, grid)), False
        kind = (qf.law, tuple(sorted(qf.inputs())), qf.moe_law, qf.method)
        if len(self._cost) > 64:
            self._cost.clear()
        cost = self._cost.get(kind)
        if cost is None:  # estimate from a coarse grid, drawn at once if the full one is slow
            t0 = time.perf_counter()
            coarse = curves.frontier_curves(q, np.geomspace(grid[0], grid[-1], COARSE_POINTS))
            cost = (time.perf_counter() - t0) * len(grid) / COARSE_POINTS
            self._cost[kind] = cost
            if cost > FINE_NOW_S:
                self._refine_timer.start()
                return coarse, True
        elif cost > FINE_NOW_S:
            self._refine_timer.start()
            return curves.frontier_curves(q, np.geomspace(grid[0], grid[-1], COARSE_POINTS)), True
        t0 = time.perf_counter()
        fine = self._store(key, curves.frontier_curves(q, grid))
        took = time.perf_counter() - t0
        if took > 2e-4:  # (a cached frontier says nothing about the cost)
            self._cost[kind] = took
        return fine, False

    def _store(self, key: tuple, frontier: Frontier) -> Frontier:
        if len(self._fine) >= 8:
            self._fine.pop(next(iter(self._fine)))
        self._fine[key] = frontier
        return frontier

    def _refine(self) -> None:
        """Compute the full frontiers of the last plans and redraw with them."""
        if self._last is None:
            return
        law, plan, compare_law, compare_plan = self._last
        for lw, pl in ((law, plan), (compare_law, compare_plan)):
            if lw is None or pl is None or not pl.success:
                continue
            q = pl.question if pl.question is not None else Question(law=lw, flops=pl.flops)
            grid = self._grid_for(pl.flops)
            key = (curves.free_question(q), float(grid[0]), float(grid[-1]), len(grid))
            if key not in self._fine:
                self._store(key, curves.frontier_curves(q, grid))
        self.update_plan(*self._last)

    # ------------------------------------------------------------------ helpers
    def _clear(self, *items: Any) -> None:
        """Empty items once (setData costs ~0.1 ms; skip it for items already empty)."""
        for item in items:
            self._keys.pop(item, None)
            if item in self._filled:
                self._filled.discard(item)
                item.setData([], [])

    def _shows(self, item: Any, key: tuple) -> bool:
        """Whether ``item`` already shows the data of ``key`` (objects compared by identity,
        numbers by value)."""
        old = self._keys.get(item)
        return old is not None and len(old) == len(key) and all(
            a is b or (isinstance(a, float | int | str) and a == b) for a, b in zip(old, key, strict=True))  # fmt: skip

    def _set(self, item: Any, x: Any, y: Any, key: tuple | None = None) -> None:
        """``item.setData(x, y)``; skipped when ``key`` is the key of the data the item already
        shows (:meth:`_shows`), e.g. a cached frontier."""
        if key is not None:
            if self._shows(item, key):
                return
            self._keys[item] = key
        else:
            self._keys.pop(item, None)
        self._filled.add(item)
        item.setData(x, y)

    @staticmethod
    def _frontier_xy(
        side: _Side, values: np.ndarray | None, own: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Budgets and values of a frontier curve (finite, positive); a coarse frontier gets the
        plan's own point, so the plan sits on the line while the full grid is pending."""
        x = side.frontier.flops
        y = np.full(len(x), np.nan) if values is None else np.asarray(values, dtype=float)
        ok = np.isfinite(y) & (y > 0)
        x, y = x[ok], y[ok]
        if (
            side.coarse
            and side.plan.question is not None
            and not _fixed(side.question)
            and math.isfinite(own)
        ):
            i = int(np.searchsorted(x, side.plan.flops))
            x, y = np.insert(x, i, side.plan.flops), np.insert(y, i, own)
        return x, y

    # ------------------------------------------------------------------ isoFLOP plot
    @staticmethod
    def _iso_xy(iso: curves.IsoCurves) -> tuple[np.ndarray, np.ndarray]:
        sep = np.full((len(iso.flops), 1), np.nan)
        return np.hstack([iso.n_params, sep]).ravel(), np.hstack([iso.loss, sep]).ravel()

    def _update_iso(self, main: _Side, other: _Side | None) -> None:
        self.iso.set_xlabel("Active parameters N" if _moe(main.question) else "Parameters N")
        xs: list[Any] = []
        ys: list[Any] = []
        entries: list[tuple[pg.PlotDataItem | None, str]] = []
        for side, curve, own_curve, star, valley in (
            (main, self._iso_curves, self._iso_own, self._iso_opt, self._iso_valley),
            (other, None, self._iso_cmp_own, self._iso_cmp_opt, None),
        ):
            iso, own = (side.iso, side.own) if side is not None else (None, None)
            if side is None or own is None or not np.isfinite(own.loss).any():
                self._clear(*(it for it in (curve, own_curve, star, valley) if it is not None))
                continue
            if curve is not None and iso is not None:  # round budgets: set when the set changes
                if not self._shows(curve, (iso,)):
                    self._set(curve, *self._iso_xy(iso), key=(iso,))
                xs.append(iso.n_params)
                ys.append(iso.loss_min)
            elif curve is not None:
                self._clear(curve)
            self._set(own_curve, own.n_params[0], own.loss[0])
            if valley is not None:  # every curve's minimum, in budget order
                parts = [own] if iso is None else [iso, own]
                order = np.argsort(np.concatenate([c.flops for c in parts]))
                n_min = np.concatenate([c.n_min for c in parts])[order]
                l_min = np.concatenate([c.loss_min for c in parts])[order]
                ok = np.isfinite(n_min) & np.isfinite(l_min)
                self._set(valley, n_min[ok], l_min[ok])
            pl = side.plan
            if pl.loss is not None and math.isfinite(pl.loss):
                self._set(star, [pl.n_params], [pl.loss])
                xs.append(pl.n_params)
                ys.append(pl.loss)
            else:
                self._clear(star)
            xs.append(own.n_params)
            middle = own.loss[0]
            ends = middle[np.isfinite(middle)][[0, -1]] if np.isfinite(middle).sum() >= 2 else []
            ys += [own.loss_min, ends]
            if other is not None or own.surface != side.law.id:
                entries.append((own_curve, own.surface))
            for i, note in enumerate(side.notes):  # the first beside the plan's own marker
                entries.append((star, note.removeprefix("★ ")) if i == 0 else (None, note))
        bounds = {b.quantity + (":lo" if "≥" in b.label else ":hi"): b for b in main.bounds}
        for side_key in self._iso_bounds.keys:
            b = bounds.get(f"n_params:{side_key}")
            self._iso_bounds.show(
                side_key,
                b.value if b else None,
                (b.label + (" (binding)" if b.binding else "")) if b else "",
            )
            if b is not None:
                xs.append(b.value)
        self.iso.set_legend(entries)
        self.iso.follow(_extent(xs, True), _extent(ys, False))

    # ------------------------------------------------------------------ frontier plot
    def _update_frontier(self, main: _Side, other: _Side | None) -> None:
        pl = main.plan
        xs: list[Any] = [main.frontier.flops[[0, -1]], pl.flops]
        ys: list[Any] = [pl.n_params, pl.n_tokens]
        n_label = "N* (active parameters)" if _moe(main.question) else "N* (parameters)"
        entries: list[tuple[pg.PlotDataItem | None, str]] = []
        for side, n_item, d_item, pts in ((main, self._front_n, self._front_d, self._front_pts),
                                          (other, self._front_n_cmp, self._front_d_cmp, self._front_cmp_pts)):  # fmt: skip
            if side is None:
                self._clear(n_item, d_item, pts)
                continue
            p = side.plan
            nx, ny = self._frontier_xy(side, side.frontier.n_params, p.n_params)
            dx, dy = self._frontier_xy(side, side.frontier.n_tokens, p.n_tokens)
            key = (side.frontier, side.coarse, p.flops if side.coarse else 0.0)
            self._set(n_item, nx, ny, key)
            self._set(d_item, dx, dy, key)
            self._set(pts, [p.flops, p.flops], [p.n_params, p.n_tokens])
            xs += [p.flops]
            ys += [ny, dy, p.n_params, p.n_tokens]
            if other is not None:
                dashed = " (dashed)" if side is other else ""
                entries += [
                    (n_item, f"N* {side.law.id}{dashed}"),
                    (d_item, f"D* {side.law.id}{dashed}"),
                ]
        if other is None:
            entries = [(self._front_n, n_label), (self._front_d, "D* (tokens)")]
        self._front_vline.setPos(math.log10(pl.flops))
        ia = pl.inference_aware or {}
        if ia.get("train_flops") and ia.get("n_params") and ia.get("n_tokens"):
            c_ia = float(ia["train_flops"])
            self._set(self._front_ia, [c_ia, c_ia], [float(ia["n_params"]), float(ia["n_tokens"])])
            xs.append(c_ia)
            ys += [ia["n_params"], ia["n_tokens"]]
            entries.append((self._front_ia, "inference-aware N, D"))
        else:
            self._clear(self._front_ia)
        shown = set()
        for b in main.bounds:
            if b.quantity not in self._front_bounds.keys or b.quantity in shown:
                continue
            shown.add(b.quantity)
            self._front_bounds.show(b.quantity, b.value, b.label + (" (binding)" if b.binding else ""))
            ys.append(b.value)
        for quantity in self._front_bounds.keys:
            if quantity not in shown:
                self._front_bounds.show(quantity, None)
        self._update_bands(main)
        self.front.set_legend(entries)
        self.front.follow(_extent(xs, True), _extent(ys, True))

    def band_grid(self) -> np.ndarray:
        """The budgets of the bootstrap bands: the frontier's range at :data:`BAND_POINTS`
        (smooth curves; each point takes 1,000 samples' quantiles, drawn at start-up)."""
        lo, hi = np.log10(self._frontier_grid[[0, -1]])
        return np.logspace(lo, hi, BAND_POINTS)

    def _update_bands(self, main: _Side) -> None:
        """The law's bootstrap bands on the budget grid when the plan carries intervals (the
        law's own frontier, no effect changing it), else hidden; computed once per law."""
        law = main.law
        shown = bool(main.plan.intervals) and curves.is_law_frontier(main.question)
        key = (law, shown, float(self._frontier_grid[0]), float(self._frontier_grid[-1]))
        if key == self._band_key:
            return
        self._band_key = key
        bands = frontier_bands(law, self.band_grid()) if shown else None
        if bands is not None and not law.has_loss:
            bands = {k: v for k, v in bands.items() if k != "loss"}
        self.bands = bands
        grid = self.band_grid()
        for key_, (lo, hi, fill) in self._band_items.items():
            pair = bands.get(key_) if bands else None
            if pair is None:
                if lo.isVisible():
                    for item in (lo, hi, fill):
                        item.setVisible(False)
                    lo.setData([], [])
                    hi.setData([], [])
                continue
            lo_v, hi_v = (np.asarray(v, dtype=float) for v in pair)
            ok = np.isfinite(lo_v) & np.isfinite(hi_v)
            if key_ != "loss":
                ok &= (lo_v > 0) & (hi_v > 0)
            lo.setData(grid[ok], lo_v[ok])
            hi.setData(grid[ok], hi_v[ok])
            for item in (lo, hi, fill):
                item.setVisible(bool(ok.any()))

    # ------------------------------------------------------------------ loss plot
    def _update_loss(self, main: _Side, other: _Side | None) -> None:
        xs: list[Any] = [main.frontier.flops[[0, -1]]]
        ys: list[Any] = []
        entries: list[tuple[pg.PlotDataItem | None, str]] = []
        for side, curve, star in ((main, self._loss_curve, self._loss_pt),
                                  (other, self._loss_cmp, self._loss_cmp_pt)):  # fmt: skip
            if side is None or not side.law.has_loss or side.frontier.loss is None:
                self._clear(curve, star)
                continue
            p = side.plan
            x, y = self._frontier_xy(
                side, side.frontier.loss, p.loss if p.loss is not None else math.nan
            )
            self._set(curve, x, y, (side.frontier, side.coarse, p.flops if side.coarse else 0.0))
            ys.append(y)
            if p.loss is not None and math.isfinite(p.loss):
                self._set(star, [p.flops], [p.loss])
                xs.append(p.flops)
                ys.append(p.loss)
            else:
                self._clear(star)
            if other is not None:
                entries.append((curve, side.law.id + (" (dashed)" if side is other else "")))
            if _fixed(side.question):
                entries.append((star, "★ fixed size: above the frontier"))
        self.lossp.set_legend(entries)
        self.lossp.follow(_extent(xs, True), _extent(ys, False))

    # ------------------------------------------------------------------ serving plot
    def _update_serving(self, main: _Side, other: _Side | None) -> None:
        pl = main.plan
        lo, hi = INFERENCE_RANGE
        d_inf = pl.inference_tokens
        if d_inf and d_inf > 0:
            lo, hi = min(lo, d_inf / 3.0), max(hi, d_inf * 3.0)
        x = _serving_grid(lo, hi)
        costs = curves.serving_costs(pl, x)
        self._set(self._serve_train, x[[0, -1]], np.array([costs.training, costs.training]))
        self._set(self._serve_inf, x, costs.serving)
        self._set(self._serve_total, x, costs.total)
        ys: list[Any] = [costs.training, costs.serving, costs.total]
        xs: list[Any] = [x[[0, -1]]]
        suffix = f", {main.law.id}" if other is not None else ""
        entries: list[tuple[pg.PlotDataItem | None, str]] = [
            (self._serve_train, "training" + suffix), (self._serve_inf, "serving" + suffix),
            (self._serve_total, "total" + suffix)]  # fmt: skip
        if d_inf and d_inf > 0:
            self._set(
                self._serve_pt,
                [d_inf],
                [pl.cost_usd + d_inf * pl.inference_usd_per_million_tokens / 1e6],
            )
        else:
            self._clear(self._serve_pt)
        ia = curves.inference_aware_costs(pl, x)
        if ia is not None and d_inf and d_inf > 0:
            self._set(self._serve_ia, x, ia.total)
            ia_pt = curves.inference_aware_costs(pl, np.array([d_inf]))
            self._set(self._serve_ia_pt, [d_inf], ia_pt.total if ia_pt is not None else [np.nan])
            ys += [ia.total]
            entries.append((self._serve_ia, "inference-aware total"))
        else:
            self._clear(self._serve_ia, self._serve_ia_pt)
        if other is not None:
            cc = curves.serving_costs(other.plan, x)
            self._set(self._serve_total_cmp, x, cc.total)
            ys.append(cc.total)
            entries.append((self._serve_total_cmp, f"total, {other.law.id} (dashed)"))
        else:
            self._clear(self._serve_total_cmp)
        self.serve.set_legend(entries)
        y = _extent(ys, True)
        if y is not None:  # costs over many decades: show 6 below the top, and every training cost
            trains = _extent([costs.training] + ([ia.training] if ia is not None else [])
                             + ([cc.training] if other is not None else []), True)  # fmt: skip
            y = (min(max(y[0], y[1] - 6.0), trains[0] if trains else y[1]), y[1])
        self.serve.follow(_extent(xs, True), y)


@lru_cache(maxsize=8)
def _serving_grid(lo: float, hi: float) -> np.ndarray:
    x = np.geomspace(lo, hi, SERVING_POINTS)
    x.flags.writeable = False
    return x


def _fixed(q: Question) -> bool:
    return q.fixed_params is not None or q.n_tokens is not None


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
