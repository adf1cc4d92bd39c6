"""Slider step -> finished repaint, through the real window (offscreen, shown), and startup.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--steps 400]``

Startup is measured in a fresh interpreter (``python -m ui --smoke`` prints the time from
process start to a shown window; imports included). Each step sets the budget slider held
down (as a drag does: plots keep their axes), then runs the event loop once
(``processEvents``: layout requests, then the paint of every dirty region), so the figure
includes the plan, all widget updates and the paint of every visible plot (paint events on
the plots are counted to make sure they happened). A third run forces a synchronous repaint
of the whole window as well (pessimistic). Prints median and p95 per step; the target is p95 <= 10 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]


def startup_seconds() -> float:
    """Wall time from process start to the window shown, in a fresh interpreter (median of 3)."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "ui", "--smoke"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        total = time.perf_counter() - t0
        shown = float(out.stdout.split("startup_s=")[1].split()[0])
        # startup_s counts from main() (after interpreter start); add the interpreter start-up
        times.append((shown, total))
    shown = statistics.median(t[0] for t in times)
    total = statistics.median(t[1] for t in times)
    return shown, total


def _paint_counter_class():
    from PySide6.QtCore import QEvent, QObject

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                self.paints += 1
            return False

    return PaintCounter


def _PaintCounter():
    return _paint_counter_class()()


def drive(steps: int, compare: bool, full_repaint: bool = False) -> tuple[list[float], list[float]]:
    import tempfile

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    tmp = tempfile.mkdtemp(prefix="bench-settings-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
    os.environ["PLANNER_STATE_DIR"] = os.path.join(tmp, "state")  # the window's autosave, not the user's
    app = QApplication.instance() or QApplication([])
    from ui import theme
    from ui.main_window import MainWindow

    theme.apply_palette(app, False)
    win = MainWindow(restore=False)
    win.resize(1440, 900)
    win.show()
    win.controller.set_inputs(compare=compare)
    app.processEvents()
    slider = win.budget_panel.flops.slider
    slider.setSliderDown(True)  # a held slider: plots keep their axes
    lo, hi = slider.minimum() + 50, slider.maximum() - 50
    counter = _PaintCounter()
    for plot in win.plot_panel.plot_widgets().values():
        plot.viewport().installEventFilter(counter)
    times: list[float] = []
    cpu: list[float] = []
    value = lo
    direction = 1
    for _ in range(steps):
        value += 3 * direction
        if value >= hi or value <= lo:
            direction = -direction
        t0, c0 = time.perf_counter(), time.thread_time()
        slider.setValue(value)
        if full_repaint:
            win.repaint()
        app.processEvents()  # layout, then paint of every dirty region (plots, cards, fields)
        times.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.thread_time() - c0) * 1e3)
    slider.setSliderDown(False)
    win.close()
    if counter.paints < 3 * steps:
        raise SystemExit(
            f"plots were painted {counter.paints} times in {steps} steps: the figure would be wrong"
        )
    return times, cpu


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[int(0.95 * (len(xs) - 1))]


def report(name: str, result: tuple[list[float], list[float]]) -> None:
    wall, cpu = result
    print(
        f"{name}: wall median {statistics.median(wall):.2f} ms, p95 {_p95(wall):.2f} ms, max {max(wall):.2f} ms; "
        f"main-thread CPU median {statistics.median(cpu):.2f} ms, p95 {_p95(cpu):.2f} ms ({len(wall)} steps)"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    shown, total = startup_seconds()
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared: wall times include waiting)"
    )
    print(
        f"startup: window shown {shown:.2f} s after main() (process total incl. interpreter, smoke drive, exit: {total:.2f} s)"
    )
    drive(30, False)  # warm-up
    report("budget slider step -> repaint (1 preset)", drive(args.steps, False))
    report("budget slider step -> repaint (compare mode)", drive(args.steps, True))
    report(
        "budget slider step -> forced full-window repaint (pessimistic)",
        drive(args.steps, False, True),
    )


if __name__ == "__main__":
    main()
