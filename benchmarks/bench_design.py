"""Benchmark a design's simulation: 200 simulated plain fits (no rolling-fold intervals) and, in the
same run, the floor: one plain fit of the same runs with ``planner fit``'s fitter.

Target (issue #17): the default design (IsoFLOP grid, 35 runs, for epoch-2024 at 1e24 FLOPs with 2%
of its compute) simulated with 200 fits in <= 5 s, with progress shown. Each simulated fit is
:func:`planner.fitting.batch.fit_batch` (the fitter's 196 grid starts, its Newton steps on the best
8 and its convergence test, chunks of 25 data sets together; the L-BFGS-B polish only where Newton
did not converge) followed by :func:`planner.plan` of the target with the fitted law.

    .venv/bin/python benchmarks/bench_design.py [--repeats 5] [--design isoflop|ladder|overtrained|all]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner import Question, get_law  # noqa: E402
from planner.fitting import design as dz  # noqa: E402
from planner.fitting.fitter import fit  # noqa: E402
from planner.fitting.runs import Runs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--design", default="isoflop", choices=(*dz.DESIGNS, "all"))
    args = ap.parse_args()
    q = Question(law=get_law("epoch-2024"), flops=1e24)
    kinds = list(dz.DESIGNS) if args.design == "all" else [args.design]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    for kind in kinds:
        design = dz.propose(q, kind, fraction=0.02)
        n, d = design.n_params, design.n_tokens
        truth = q.law.loss(n, d)
        rng = np.random.default_rng(0)
        fit(Runs.from_arrays(n, truth, n_tokens=d))  # import scipy before timing
        singles = []
        for _ in range(20):
            runs = Runs.from_arrays(n, truth * np.exp(dz.NOISE_SD * rng.standard_normal(len(n))), n_tokens=d)
            t0 = time.perf_counter()
            fit(runs)
            singles.append(time.perf_counter() - t0)
        floor = statistics.median(singles)
        times = []
        for r in range(args.repeats):
            ticks: list[int] = []
            t0 = time.perf_counter()
            p = dz.simulate(design, reps=200, seed=r, progress=lambda i, _n, t=ticks: t.append(i))
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"{kind}: {len(design.runs)} runs; 200 simulated fits + plans: median {med:.2f} s over {args.repeats} "
              f"(min {min(times):.2f}, max {max(times):.2f}; progress reported {len(ticks)} times) -> "
              f"{'meets' if med <= 5.0 else 'MISSES'} the 5 s target")
        print(f"    floor: one plain fit() of the same runs {floor * 1e3:.1f} ms (median of 20); 200 of them one by "
              f"one would take {200 * floor:.2f} s; the simulation spends {med / 200 * 1e3:.1f} ms per fit")
        print(f"    last run: {p.n_converged}/200 converged, N* x/÷{p.spread_factor('n_params'):.3g}, "
              f"loss ±{p.loss_half_width:.1%}")


if __name__ == "__main__":
    main()
