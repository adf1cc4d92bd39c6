"""Soak: 100,000 plan() calls and 100,000 flops-slider events in one process.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_soak.py [--n 100000]``.
Prints resident memory (VmRSS) after a warm-up and at the end; the goal is growth < 20 MB
and no crash. The window part runs if ``ui/main_window.py`` exists (window hidden, events
processed every 50 steps); ``--no-window`` skips it. All settings and state go to a
temporary folder.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TMP = Path(tempfile.mkdtemp(prefix="bench-soak-"))
for var, sub in (("PLANNER_USER_DIR", "user"), ("PLANNER_STATE_DIR", "state"), ("PLANNER_LOG_DIR", "log"),
                 ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_STATE_HOME", "xstate")):
    os.environ[var] = str(TMP / sub)  # fmt: skip
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def soak_plan(n: int) -> tuple[float, float, float]:
    from planner import plan
    from planner.costs.hardware import CATALOGUE, Hardware
    from planner.presets.load import builtin_presets

    laws = [p.law for p in builtin_presets()]
    gpus = list(CATALOGUE.values())
    warm = min(5000, n // 10)
    t0 = time.perf_counter()
    base = 0.0
    for i in range(n):
        if i == warm:
            gc.collect()
            base = rss_mb()
            t0 = time.perf_counter()
        law = laws[i % len(laws)]
        flops = 10 ** (18 + 9 * ((i * 7919) % 10007) / 10007)
        hw = Hardware(gpus[i % len(gpus)], n_gpus=1 + i % 4096, mfu=0.05 + 0.9 * ((i * 31) % 97) / 97)
        p = plan(law, flops, hardware=hw)
        if not (math.isfinite(p.n_params) and math.isfinite(p.gpu_hours)):
            raise AssertionError(f"non-finite plan at step {i}: {p}")
    dt = time.perf_counter() - t0
    gc.collect()
    return base, rss_mb(), dt / max(1, n - warm) * 1e6


def soak_window(n: int) -> tuple[float, float, float] | None:
    if not (ROOT / "ui" / "main_window.py").exists():
        return None
    from PySide6.QtWidgets import QApplication, QSlider

    app = QApplication.instance() or QApplication([])
    from ui.main_window import MainWindow

    win = MainWindow(restore=False)
    slider = win.findChild(QSlider, "flopsSlider")
    if slider is None:
        print("window: no QSlider named 'flopsSlider'; skipped")
        return None
    lo, hi = slider.minimum(), slider.maximum()
    span = hi - lo
    warm = min(5000, n // 10)
    base = 0.0
    t0 = time.perf_counter()
    for i in range(n):
        if i == warm:
            app.processEvents()
            gc.collect()
            base = rss_mb()
            t0 = time.perf_counter()
        # a back-and-forth drag over the whole range, one tick at a time
        phase = i % (2 * span)
        slider.setValue(lo + (phase if phase < span else 2 * span - phase))
        if i % 50 == 0:
            app.processEvents()
    app.processEvents()
    dt = time.perf_counter() - t0
    gc.collect()
    end = rss_mb()
    win.close()
    return base, end, dt / max(1, n - warm) * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--window-n", type=int, default=None)
    ap.add_argument("--no-window", action="store_true")
    args = ap.parse_args()
    print(f"start RSS {rss_mb():.1f} MB")
    base, end, us = soak_plan(args.n)
    print(f"plan():      {args.n:>7,} calls  {us:7.1f} µs/call  RSS {base:.1f} -> {end:.1f} MB  "
          f"growth {end - base:+.1f} MB  ({'OK' if end - base < 20 else 'OVER 20 MB'})")  # fmt: skip
    ok = end - base < 20
    if not args.no_window:
        res = soak_window(args.window_n or args.n)
        if res is None:
            print("window: ui/main_window.py not available; skipped")
        else:
            base, end, us = res
            n = args.window_n or args.n
            print(f"flops slider:{n:>7,} events {us:7.1f} µs/event RSS {base:.1f} -> {end:.1f} MB  "
                  f"growth {end - base:+.1f} MB  ({'OK' if end - base < 20 else 'OVER 20 MB'})")  # fmt: skip
            ok = ok and end - base < 20
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
