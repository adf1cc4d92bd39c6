"""Slider step -> finished repaint and start-up of the real window, beside the bare floor.

Usage: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_window.py [--steps 400]``

Machines differ, so one run prints the floor measured on this machine beside the planner:

* **step floor** — a bare pyqtgraph window with four plots of one 64-point curve each, the
  size of the planner's plot panel: ``setData`` on the four curves, then the event loop runs
  once (``processEvents``: the repaint), measured in blocks between the planner's runs (each
  run is set against the blocks just before and after it: a shared machine's speed drifts);
* **start-up floor** — a fresh Python process that imports PySide6 and pyqtgraph and shows a
  window with those four plots (launch to shown, first paint included).

The planner is driven the same way: ``ui.main_window.MainWindow(restore=False, autosave=False)``
shown, a slider held down and stepped (the budget slider in single and compare mode, then
the MoE slider), each step timed from ``setValue`` to the end of ``processEvents``, i.e. the
plan, every widget update and the paint of everything that changed (paints of the four plots
are counted to make sure they happened; a snapped slider such as the MoE one can step to the
value it had, and such steps, which change nothing, are left out of the figures). Figures are main-thread CPU time (``thread_time``:
what the window costs, not what other processes on a shared machine take) with wall time
beside; medians and p95 of ``--steps`` steps, then the ratios against the targets: step p95 <=
2x the floor's p95 (one 60 Hz frame on a slow machine), start-up <= 1.3x the bare start-up.
The slider is held down, as a user drags it (the plots then keep their views longer, see
``PlotPanel.set_dragging``); scipy is imported first, as the window does in the background
within a second of start-up.

Where the time goes: the step is split into the plan, the result cards, the budget panel, the
plots' update, the plots' paint and the rest of the event loop (other widgets' paint and
layout), and the number of times the plot panel was resized (a resize lays out and repaints all
four plots); start-up is split into interpreter, imports, window construction and first paint.
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
PANEL_SIZE = (1000, 650)  # about the plot panel's size in a 1440x900 window
STEP_TARGET, STARTUP_TARGET = 2.0, 1.3

# ---------------------------------------------------------------------------------------------
# start-up, in fresh processes

_CHILD_COMMON = r"""
import os, sys, time, tempfile
T0 = float(os.environ["BENCH_T0"])
marks = [("interpreter", time.time())]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
tmp = tempfile.mkdtemp(prefix="bench-start-")
os.environ["PLANNER_STATE_DIR"] = os.path.join(tmp, "state")
os.environ["PLANNER_USER_DIR"] = os.path.join(tmp, "user")
from PySide6.QtCore import QSettings, qInstallMessageHandler
from PySide6.QtWidgets import QApplication
qInstallMessageHandler(lambda *a: None)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
marks.append(("import PySide6", time.time()))
"""

_CHILD_BARE = (
    _CHILD_COMMON
    + r"""
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QMainWindow, QWidget
marks.append(("import pyqtgraph", time.time()))
app = QApplication([])
win = QMainWindow(); central = QWidget(); grid = QGridLayout(central)
for i in range(4):
    w = pg.PlotWidget(); w.plot([1, 2, 3, 4], [1, 3, 2, 4]); grid.addWidget(w, i // 2, i % 2)
win.setCentralWidget(central); win.resize(1440, 900)
marks.append(("build window", time.time()))
win.show(); app.processEvents()
marks.append(("show + first paint", time.time()))
print("shown " + " ".join(f"{k.replace(' ', '_')}={t - T0:.4f}" for k, t in marks), flush=True)
os._exit(0)
"""
)

_CHILD_PLANNER = (
    _CHILD_COMMON
    + r"""
sys.path.insert(0, os.getcwd())
from ui import theme
from ui.main_window import MainWindow
marks.append(("import planner + ui", time.time()))
app = QApplication([])
theme.apply_palette(app, False)
win = MainWindow(restore=False, autosave=False)
marks.append(("build window", time.time()))
win.show(); app.processEvents()
marks.append(("show + first paint", time.time()))
print("shown " + " ".join(f"{k.replace(' ', '_')}={t - T0:.4f}" for k, t in marks), flush=True)
os._exit(0)
"""
)


def _launch(code: str) -> tuple[float, dict[str, float]]:
    """Seconds from launching a fresh interpreter to its window shown, and its phase marks."""
    env = {**os.environ, "BENCH_T0": repr(time.time())}
    # a user's second launch reads cached bytecode: let the warm-up launches write it (a shell
    # with PYTHONDONTWRITEBYTECODE would otherwise compile the planner's modules at every launch)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    line = proc.stdout.readline() if proc.stdout else ""
    total = time.perf_counter() - t0
    proc.wait()
    if not line.startswith("shown"):
        raise SystemExit(f"start-up child failed (exit {proc.returncode})")
    marks = {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
    return total, marks


def startup(runs: int) -> tuple[tuple[float, dict[str, float]], tuple[float, dict[str, float]]]:
    """Median start-up of the bare window and of the planner, interleaved (same load)."""
    bare, ours = [], []
    _launch(_CHILD_BARE)  # warm the file cache for both
    _launch(_CHILD_PLANNER)
    for _ in range(runs):
        bare.append(_launch(_CHILD_BARE))
        ours.append(_launch(_CHILD_PLANNER))

    def median(results: list[tuple[float, dict[str, float]]]) -> tuple[float, dict[str, float]]:
        keys = results[0][1]
        return statistics.median(r[0] for r in results), {
            k: statistics.median(r[1][k] for r in results) for k in keys
        }

    return median(bare), median(ours)


# ---------------------------------------------------------------------------------------------
# steps


def _quiet_qt() -> None:
    from PySide6.QtCore import qInstallMessageHandler

    qInstallMessageHandler(lambda *a: None)  # the offscreen plugin's propagateSizeHints lines


def _app():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def bare_steps(steps: int) -> tuple[list[float], list[float]]:
    """The floor: four bare PlotWidgets, setData on each curve, then one event-loop pass."""
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtWidgets import QGridLayout, QMainWindow, QWidget

    app = _app()
    win = QMainWindow()
    central = QWidget()
    panel = QWidget(central)
    panel.setFixedSize(*PANEL_SIZE)
    grid = QGridLayout(panel)
    x = np.linspace(0.0, 1.0, 64)
    curves = []
    for i in range(4):
        w = pg.PlotWidget()
        curves.append(w.plot(x, x))
        grid.addWidget(w, i // 2, i % 2)
    win.setCentralWidget(central)
    win.resize(1440, 900)
    win.show()
    app.processEvents()
    cpu, wall = [], []
    for k in range(steps):
        y = x ** (1.0 + 0.5 * np.sin(k / 25.0))
        t0, c0 = time.perf_counter(), time.thread_time()
        for curve in curves:
            curve.setData(x, y)
        app.processEvents()
        cpu.append((time.thread_time() - c0) * 1e3)
        wall.append((time.perf_counter() - t0) * 1e3)
    win.close()
    win.deleteLater()
    app.processEvents()
    return cpu, wall


class _Split:
    """Per-step time of named calls (wrapped on instances), and of the plots' paint events."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.total: dict[str, list[float]] = {}

    def wrap(self, obj: object, name: str, label: str) -> None:
        fn = getattr(obj, name, None)
        if fn is None:
            return

        def timed(*a, **k):
            t = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                self.times[label] = self.times.get(label, 0.0) + time.thread_time() - t

        setattr(obj, name, timed)

    def paint_filter(self):
        from PySide6.QtCore import QEvent, QObject

        split = self

        class Paints(QObject):
            count = 0

            def eventFilter(self, obj, event):
                if event.type() == QEvent.Type.Paint:
                    self.count += 1
                return False

        paints = Paints()

        def wrap_paint(widget) -> None:
            original = widget.paintEvent

            def paint(event) -> None:
                t = time.thread_time()
                original(event)
                split.times["plots' paint"] = (
                    split.times.get("plots' paint", 0.0) + time.thread_time() - t
                )

            widget.paintEvent = paint

        return paints, wrap_paint

    def close_step(self, total_ms: float) -> None:
        known = 0.0
        for k, v in self.times.items():
            self.total.setdefault(k, []).append(v * 1e3)
            known += v * 1e3
        self.total.setdefault("rest (signals, other widgets' paint, layout)", []).append(
            max(total_ms - known, 0.0)
        )
        self.times = {}


def planner_steps(steps: int, *, compare: bool, slider_name: str, pin_cards: bool = False):
    """Hold a slider down and step it; per-step CPU and wall ms, the split and resize count."""
    import tempfile

    from PySide6.QtCore import QEvent, QObject, QSettings
    from PySide6.QtWidgets import QSlider

    tmp = tempfile.mkdtemp(prefix="bench-settings-")
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
    os.environ["PLANNER_STATE_DIR"] = os.path.join(
        tmp, "state"
    )  # the window's autosave, not the user's
    os.environ["PLANNER_USER_DIR"] = os.path.join(tmp, "user")
    app = _app()
    from ui import theme
    from ui.main_window import MainWindow

    theme.apply_palette(app, False)
    win = MainWindow(restore=False, autosave=False)
    win.resize(1440, 900)
    win.show()
    win.controller.set_inputs(compare=compare)
    app.processEvents()
    cards = getattr(win, "result_cards", None)
    if pin_cards and cards is not None:  # diagnostic: what the step costs without card resizes
        cards.setFixedHeight(cards.height() + 80)
        app.processEvents()
    slider = win.findChild(QSlider, slider_name)
    if slider is None and slider_name == "flopsSlider":
        slider = win.budget_panel.flops.slider
    elif slider is None and slider_name == "moeSlider" and hasattr(win.budget_panel, "moe"):
        slider = win.budget_panel.moe.slider
    if slider is None:
        win.close()
        return None
    split = _Split()
    ctl = win.controller
    split.wrap(ctl, "compute", "plan")
    split.wrap(getattr(ctl, "cards", None), "show_plan", "result cards")
    split.wrap(getattr(ctl, "budget", None), "show_inputs", "budget panel")
    split.wrap(win.plot_panel, "update_plan", "plots' update")
    paints, wrap_paint = split.paint_filter()
    for plot in win.plot_panel.plot_widgets().values():
        plot.viewport().installEventFilter(paints)
        wrap_paint(plot)

    class Resizes(QObject):
        count = 0

        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Resize:
                self.count += 1
            return False

    resizes = Resizes()
    win.plot_panel.installEventFilter(resizes)
    slider.setSliderDown(True)
    lo, hi = slider.minimum() + slider.maximum() // 18, slider.maximum() - slider.maximum() // 18
    stride = max(1, (slider.maximum() - slider.minimum()) // 300)
    value, direction = lo, 1
    cpu, wall, changed = [], [], []
    for _ in range(steps):
        value += stride * direction
        if value >= hi or value <= lo:
            direction = -direction
        t0, c0 = time.perf_counter(), time.thread_time()
        slider.setValue(value)
        app.processEvents()  # layout, then paint of every dirty region (plots, cards, fields)
        c = (time.thread_time() - c0) * 1e3
        cpu.append(c)
        wall.append((time.perf_counter() - t0) * 1e3)
        changed.append("plots' update" in split.times)  # a snapped slider may repeat a value
        split.close_step(c)
    slider.setSliderDown(False)
    win.close()
    win.deleteLater()
    app.processEvents()
    n_changed = sum(changed)
    if n_changed < steps // 4 or paints.count < 3 * n_changed:
        raise SystemExit(
            f"plots were painted {paints.count} times in {n_changed} steps that changed the plan "
            f"(of {steps}): the figure would be wrong"
        )
    # figures over the steps that changed the plan (a step to the same snapped value costs little)
    cpu = [c for c, ch in zip(cpu, changed, strict=True) if ch]
    wall = [w for w, ch in zip(wall, changed, strict=True) if ch]
    return cpu, wall, split.total, resizes.count


# ---------------------------------------------------------------------------------------------
# report


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[int(0.95 * (len(xs) - 1))]


def _fig(xs: list[float]) -> str:
    return f"median {statistics.median(xs):6.2f} ms  p95 {_p95(xs):6.2f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--startup-runs", type=int, default=5)
    args = ap.parse_args()
    _quiet_qt()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a shared machine: wall times include "
          "waiting; CPU times are the main thread's)")  # fmt: skip
    (bare_s, bare_marks), (ours_s, ours_marks) = startup(args.startup_runs)

    # the window imports scipy in a background thread once it is shown; the steps measure the
    # window after that (a drag in the first second after launch shares the interpreter with it)
    import scipy.optimize  # noqa: F401

    # The floor is measured in blocks between the planner's runs, and each run is set against
    # the blocks just before and after it: a shared machine's speed drifts by 10% within a
    # minute, which a single floor measured first would put into the ratios.
    bare_steps(30)  # warm-up
    block = max(args.steps // 2, 50)
    floors = [bare_steps(block)]
    pooled = list(floors[0][0])
    print()
    planner_steps(30, compare=False, slider_name="flopsSlider")  # warm-up
    runs = [
        ("budget slider, one preset", {"compare": False, "slider_name": "flopsSlider"}),
        ("budget slider, compare mode", {"compare": True, "slider_name": "flopsSlider"}),
        ("MoE slider, one preset", {"compare": False, "slider_name": "moeSlider"}),
        ("budget slider, one preset, result cards' height pinned (diagnostic)",
         {"compare": False, "slider_name": "flopsSlider", "pin_cards": True}),
        ("budget slider, compare mode, result cards' height pinned (diagnostic)",
         {"compare": True, "slider_name": "flopsSlider", "pin_cards": True}),
    ]  # fmt: skip
    for name, kw in runs:
        out = planner_steps(args.steps, **kw)
        if out is None:
            print(f"PLANNER {name}: slider {kw['slider_name']!r} not found, skipped")
            continue
        cpu, wall, split, resizes = out
        floors.append(bare_steps(block))
        near = floors[-2][0] + floors[-1][0]
        pooled += floors[-1][0]
        floor = _p95(near)
        ratio = _p95(cpu) / floor
        verdict = "meets" if ratio <= STEP_TARGET else "misses"
        print(f"PLANNER {name}:")
        print(f"         CPU {_fig(cpu)}   (wall {_fig(wall)})")
        print(
            f"         p95 = {ratio:.2f}x the floor's p95 ({floor:.2f} ms, the floor's blocks before and after "
            f"this run): {verdict} the target <= {STEP_TARGET:g}x"
        )
        parts = ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in split.items())
        print(f"         median ms per step: {parts}")
        print(
            f"         plot panel resized {resizes} times; figures over the {len(cpu)} steps of "
            f"{args.steps} that changed the plan (each resize lays out all four plots)"
        )
    print()
    print(
        f"FLOOR  bare pyqtgraph, 4 plots x one 64-point curve ({PANEL_SIZE[0]}x{PANEL_SIZE[1]}), setData + repaint,"
        f" {len(floors)} blocks of {block} steps between the runs:"
    )
    print(f"         CPU {_fig(pooled)}; block p95s " + ", ".join(f"{_p95(f[0]):.2f}" for f in floors) + " ms")
    print(f"FLOOR  bare PySide6 + pyqtgraph window, launch to shown: {bare_s:.2f} s")
    print()
    ratio = ours_s / bare_s
    verdict = "meets" if ratio <= STARTUP_TARGET else "misses"
    print(f"PLANNER start-up, launch to shown: {ours_s:.2f} s = {ratio:.2f}x the bare start-up: {verdict} the target "
          f"<= {STARTUP_TARGET:g}x")  # fmt: skip

    def phases(marks: dict[str, float]) -> str:
        prev, out = 0.0, []
        for k, t in marks.items():
            out.append(f"{k.replace('_', ' ')} {t - prev:.2f} s")
            prev = t
        return ", ".join(out)

    print(f"         bare:    {phases(bare_marks)}")
    print(f"         planner: {phases(ours_marks)}")


if __name__ == "__main__":
    main()
