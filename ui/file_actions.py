"""File and clipboard actions of the window, as plain functions (testable without dialogs).

* :func:`save_preset` — current law + ``[hardware]`` + ``[budget]`` as TOML (tomli-w via
  :func:`planner.presets.write.dumps_preset`, validated first), written with ``QSaveFile``.
* :func:`export_plot` — a PlotWidget as PNG (``QSaveFile``) or SVG (``QSvgGenerator`` into a
  temporary file, then ``os.replace``; pyqtgraph's own SVG exporter fails on Qt >= 6.11).
* :func:`results_markdown` / :func:`results_json` — the result rows as Markdown or JSON.
* :func:`about_text` — versions for Help > About.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from pathlib import Path

from PySide6.QtCore import QByteArray, QIODevice, QRectF, QSaveFile, QSize
from PySide6.QtGui import QPainter
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


def export_plot(widget: QWidget, path: str | Path) -> None:
    """Save a plot widget as PNG or SVG (by suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        _export_svg(widget, path)
    elif suffix == ".png":
        image = widget.grab().toImage()
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
        try:
            scene.render(painter, QRectF(0, 0, view_rect.width(), view_rect.height()), source)
        finally:
            painter.end()
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
