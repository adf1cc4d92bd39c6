"""File and clipboard actions of the window, as plain functions (testable without dialogs).

* :func:`save_preset` — current law + ``[hardware]`` + ``[budget]`` as TOML (tomli-w via
  :func:`planner.presets.write.dumps_preset`, validated first), written with ``QSaveFile``.
* :func:`export_plot` — a PlotWidget as PNG (``QSaveFile``; twice the screen's pixels by
  default, or a chosen size) or SVG (``QSvgGenerator`` into a temporary file, then
  ``os.replace``; pyqtgraph's own SVG exporter fails on Qt >= 6.11).
* :func:`results_markdown` / :func:`results_json` — the result rows as Markdown or JSON.
* :func:`about_text` — versions for Help > About.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QIODevice, QRectF, QSaveFile, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPen
from PySide6.QtWidgets import QWidget

from planner import Plan
from planner.summary import plan_json, result_rows
from ui.state import PlanInputs


class ExportError(OSError):
    """A file could not be written; ``str()`` is one line naming the file."""


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` through QSaveFile (temporary file, committed by rename)."""
    f = QSaveFile(str(path))
    if not f.open(QIODevice.OpenModeFlag.WriteOnly):
        raise ExportError(f"{path}: cannot write ({f.errorString()})")
    if f.write(QByteArray(data)) != len(data):
        f.cancelWriting()
        raise ExportError(f"{path}: write failed ({f.errorString()})")
    if not f.commit():
        raise ExportError(f"{path}: could not save ({f.errorString()})")


def preset_text(law, inputs: PlanInputs) -> str:
    """TOML text for the law with the window's hardware and budget (validated)."""
    from planner.presets.write import dumps_preset
    from planner.question import HARDWARE_INPUTS

    given = inputs.question(law).inputs()  # what the user set; defaults stay the Question's
    hardware = {k: v for k, v in given.items() if k in HARDWARE_INPUTS}
    budget = {k: v for k, v in given.items() if k not in HARDWARE_INPUTS}
    header = "Saved by the Compute Budget Planner window: law, hardware and budget."
    return dumps_preset(law, hardware=hardware, budget=budget, header=header)


def save_preset(path: str | Path, law, inputs: PlanInputs) -> None:
    """Validate, then write atomically; raises PresetError or ExportError with one line."""
    write_bytes_atomic(path, preset_text(law, inputs).encode("utf-8"))


PNG_SCALE = 2.0
"""PNG export: image pixels per screen pixel (the screen's own size is too small to print)."""


def export_plot(
    widget: QWidget, path: str | Path, *, scale: float = PNG_SCALE, size: tuple[int, int] | None = None
) -> None:
    """Save a plot widget as PNG or SVG (by suffix).

    A PNG is ``scale`` times the widget's pixel size (default 2×: text, markers and lines drawn
    at that resolution, not enlarged), or exactly ``size`` = (width, height) pixels, the plot
    laid out at ``size / scale`` so that text keeps its size relative to the image (then laid
    out again at its own size).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        _export_svg(widget, path)
    elif suffix == ".png":
        image = plot_image(widget, scale=scale, size=size)
        buf = QByteArray()
        from PySide6.QtCore import QBuffer

        b = QBuffer(buf)
        b.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(b, "PNG"):
            raise ExportError(f"{path}: could not encode PNG")
        b.close()
        write_bytes_atomic(path, bytes(buf.data()))
    else:
        raise ExportError(
            f"{path}: unknown image type {suffix or '(none)'} (expected .png or .svg)"
        )


def plot_image(widget: QWidget, *, scale: float = PNG_SCALE, size: tuple[int, int] | None = None) -> QImage:
    """The plot rendered into an image of ``scale`` × its pixel size, or of ``size`` pixels.

    A pyqtgraph PlotWidget is rendered from its scene into a high-resolution image (device pixel
    ratio ``scale``; 1-px cosmetic pens are widened by ``scale`` while it renders, then
    restored); any other widget is grabbed and scaled.
    """
    if not scale > 0:
        raise ExportError(f"image scale must be above 0, not {scale!r}")
    view_rect = widget.rect()
    width, height = (round(view_rect.width() * scale), round(view_rect.height() * scale)) if size is None else size
    if width < 1 or height < 1 or width * height > 20000 * 20000:
        raise ExportError(f"image size {width}x{height} is out of range")
    item = widget.getPlotItem() if hasattr(widget, "getPlotItem") else None
    if item is None:
        grabbed = widget.grab().toImage()
        return grabbed.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)  # fmt: skip
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    image.fill(widget.backgroundBrush().color())
    logical = QRectF(0, 0, width / scale, height / scale)
    geometry = item.geometry()
    restore = _widen_cosmetic_pens(widget.scene(), scale)
    painter = QPainter(image)
    done = _export_mode(widget, painter)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if size is not None:  # lay the plot out at the requested shape, then put it back
            item.setGeometry(logical)
            item.layout.activate()
        widget.scene().render(painter, logical, item.sceneBoundingRect(), Qt.AspectRatioMode.IgnoreAspectRatio)
    finally:
        painter.end()
        done()
        restore()
        if size is not None:  # (its axes may keep room for the export's tick labels: a few px)
            item.setGeometry(geometry)
            item.layout.activate()
    return image


def _export_mode(widget: QWidget, painter: QPainter):
    """:func:`ui.plots.begin_export` for a plot widget painted by ``painter``."""
    from ui.plots import begin_export

    scene = widget.scene() if hasattr(widget, "scene") else None
    if scene is None:
        return lambda: None
    background = widget.backgroundBrush().color() if hasattr(widget, "backgroundBrush") else None
    return begin_export(scene, {"antialias": True, "background": background, "painter": painter,
                                "resolutionScale": 1.0})  # fmt: skip


def _widen_cosmetic_pens(scene, scale: float):
    """Widen the cosmetic pens of curves and lines by ``scale``; returns the undo function."""
    import pyqtgraph as pg

    undo = []
    for it in scene.items():
        if isinstance(it, pg.PlotCurveItem):
            pen = it.opts["pen"]
        elif isinstance(it, pg.InfiniteLine):
            pen = it.pen
        else:
            continue
        if not isinstance(pen, QPen) or not pen.isCosmetic() or pen.style() == Qt.PenStyle.NoPen:
            continue
        wide = QPen(pen)
        wide.setWidthF(max(pen.widthF(), 1.0) * scale)
        it.setPen(wide)
        undo.append((it, QPen(pen)))

    def restore() -> None:
        for it, pen in undo:
            it.setPen(pen)

    return restore


def _export_svg(widget: QWidget, path: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    scene = widget.scene()
    view_rect = widget.viewport().rect()
    source = widget.mapToScene(view_rect).boundingRect()
    fd, tmp = tempfile.mkstemp(prefix=".plot-", suffix=".svg", dir=str(path.parent))
    os.close(fd)
    try:
        gen = QSvgGenerator()
        gen.setFileName(tmp)
        gen.setSize(QSize(view_rect.width(), view_rect.height()))
        gen.setViewBox(QRectF(0, 0, view_rect.width(), view_rect.height()))
        gen.setTitle("Compute Budget Planner plot")
        painter = QPainter()
        if not painter.begin(gen):
            raise ExportError(f"{path}: cannot start SVG painter")
        done = _export_mode(widget, painter)
        try:
            scene.render(painter, QRectF(0, 0, view_rect.width(), view_rect.height()), source)
        finally:
            painter.end()
            done()
        if os.path.getsize(tmp) == 0:
            raise ExportError(f"{path}: SVG output is empty")
        os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, ExportError):
            raise
        raise ExportError(f"{path}: {exc.strerror or exc}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def results_markdown(plan: Plan, compare: Plan | None = None) -> str:
    """The result rows as a Markdown table (a compare column when given)."""
    rows = result_rows(plan)
    if compare is None:
        lines = [
            f"**{plan.law_title}** (`{plan.preset}`)",
            "",
            "| Result | Value | Unit |",
            "|---|---:|---|",
        ]
        lines += [f"| {r.label} | {r.value} | {r.unit} |" for r in rows]
    else:
        other = {r.key: r for r in result_rows(compare)}
        lines = [f"| Result | {plan.preset} | {compare.preset} | Unit |", "|---|---:|---:|---|"]
        for r in rows:
            c = other.get(r.key)
            lines.append(f"| {r.label} | {r.value} | {c.value if c else '—'} | {r.unit} |")
    warnings = list(plan.warnings) + (
        [f"{compare.preset}: {w}" for w in compare.warnings] if compare else []
    )
    if warnings:
        lines += ["", "Warnings:"] + [f"- {w}" for w in warnings]
    return "\n".join(lines) + "\n"


def results_json(plan: Plan, compare: Plan | None = None) -> str:
    data = plan_json(plan) if compare is None else {"plan": plan_json(plan), "compare": plan_json(compare)}
    return json.dumps(data, indent=2, default=str, allow_nan=False) + "\n"


def about_text() -> str:
    import numpy
    import pyqtgraph
    import PySide6
    from PySide6.QtCore import qVersion

    import planner
    import ui

    try:
        from importlib.metadata import version

        scipy_v = version("scipy")
    except Exception:
        scipy_v = "unknown"
    return (
        "<b>Compute Budget Planner</b><br>"
        "Plan a language model's training budget from published or fitted scaling laws.<br><br>"
        f"App {ui.__version__} (planner {planner.__version__})<br>"
        f"Python {platform.python_version()}<br>"
        f"Qt {qVersion()}, PySide6 {PySide6.__version__}<br>"
        f"pyqtgraph {pyqtgraph.__version__}, numpy {numpy.__version__}, scipy {scipy_v}<br><br>"
        "Prices per GPU-hour are illustrative defaults; replace them with your own."
    )
