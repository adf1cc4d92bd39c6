"""Fitting at scale: 1,000,000 runs loaded and fitted, wall time and peak memory (issue #15 item 6).

Writes a CSV of 1M synthetic runs (a Chinchilla-form law with 1% log-normal noise; numbers with
6 significant figures, ~29 MB) to a temporary folder, then in a fresh process runs what
`planner fit RUNS --bootstrap 0 --holdout 0 --folds 0` does: read with numpy's loader, fit
(starts screened on a 20,000-run sample, the best refined on every run). Prints the read and fit
times and the peak resident memory (ru_maxrss) of that process.

Target: <= 30 s and <= 2 GB peak RSS on the 2-core machine.

    .venv/bin/python benchmarks/bench_fit_scale.py [N_RUNS]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from planner.fitting.runs import load_runs
from planner.fitting.fitter import fit
runs = load_runs(sys.argv[1])
t1 = time.perf_counter()
result = fit(runs)
t2 = time.perf_counter()
print(json.dumps({"rows": len(runs), "read_s": t1 - t0, "fit_s": t2 - t1, "total_s": t2 - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "params": result.params, "converged": result.converged, "message": result.message}))
"""


def main() -> None:
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    rng = np.random.default_rng(0)
    N = 10 ** rng.uniform(7.0, 10.5, n)
    D = N * 10 ** rng.uniform(0.0, 2.5, n)
    loss = (1.8172 + 482.01 / N**0.3478 + 2085.43 / D**0.3658) * np.exp(rng.normal(0.0, 0.01, n))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.csv"
        t = time.perf_counter()
        with path.open("w") as fh:
            fh.write("params,tokens,loss\n")
            np.savetxt(fh, np.column_stack([N, D, loss]), fmt="%.6g", delimiter=",")
        print(f"wrote {n:,} runs, {path.stat().st_size / 1e6:.1f} MB, in {time.perf_counter() - t:.1f} s")
        done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, capture_output=True, text=True,
                              check=False)
    if done.returncode != 0:
        print(done.stderr)
        sys.exit(1)
    out = json.loads(done.stdout)
    p = out["params"]
    print(f"{out['rows']:,} runs: read {out['read_s']:.1f} s, fit {out['fit_s']:.1f} s, total {out['total_s']:.1f} s "
          f"(target <= 30 s); peak RSS {out['peak_rss_mb']:.0f} MB (target <= 2048 MB)")
    print(f"fit: E {p['E']:.4f} A {p['A']:.1f} B {p['B']:.1f} alpha {p['alpha']:.4f} beta {p['beta']:.4f} "
          f"(truth 1.8172, 482.01, 2085.43, 0.3478, 0.3658); {out['message'][:120]}")


if __name__ == "__main__":
    main()
