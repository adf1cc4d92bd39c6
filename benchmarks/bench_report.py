"""Time the PDF report: in-process (QApplication already up) and the cold ``planner report`` CLI.

    .venv/bin/python benchmarks/bench_report.py [--runs 7]

Prints medians (the machine is shared; single runs are noisy). Target: a standard report in
<= 1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication([])  # (held: the report draws with Qt)
    from planner import get_law, plan
    from ui.report import write_report

    law = get_law("epoch-2024")
    p = plan(law, 1e24)
    other = get_law("kaplan-2020")
    q = plan(other, 1e24)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.pdf"
        write_report(out, law, p)  # warm-up: imports, fonts
        for label, extra in (("standard report (A4, 1 law)", ()), ("compare report (2 laws)", (other, q))):
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                res = write_report(out, law, p, *extra)
                times.append(time.perf_counter() - t0)
            print(f"{label:<34} median {statistics.median(times) * 1e3:7.1f} ms  "
                  f"(min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}, {args.runs} runs, {res.pages} pages, "
                  f"{out.stat().st_size / 1024:.0f} KiB)")  # fmt: skip
        cold = []
        exe = [sys.executable, "-m", "planner", "report", "-o", str(Path(tmp) / "cli.pdf"), "--flops", "1e24"]
        for _ in range(max(3, args.runs // 2)):
            t0 = time.perf_counter()
            subprocess.run(exe, check=True, capture_output=True)
            cold.append(time.perf_counter() - t0)
        print(f"{'cold CLI: planner report':<34} median {statistics.median(cold) * 1e3:7.1f} ms  "
              f"(min {min(cold) * 1e3:.1f}, max {max(cold) * 1e3:.1f}, {len(cold)} runs, whole process)")  # fmt: skip


if __name__ == "__main__":
    main()
