"""Speed of the core: one full plan (all outputs) and a 400-budget frontier.

Targets (issue "The planning engine"): one plan <= 50 µs; a 400-budget frontier <= 0.2 ms,
on a 2-core machine; a fitted law's plan with 1,000 bootstrap samples (intervals) well under
1 ms. Prints medians over repeated batches.

    .venv/bin/python benchmarks/bench_plan.py
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from _timing import median_seconds

from planner import frontier, frontier_intervals, get_law, plan
from planner.laws import ChinchillaLaw


def main() -> None:
    law = get_law("epoch-2024")
    budgets = np.logspace(18, 27, 400)
    rows = [
        ("one full plan (closed form, all outputs)", median_seconds(lambda: plan(law, 1e21), 2000), 50e-6),
        ("one full plan, numerical (scipy brentq)", median_seconds(lambda: plan(law, 1e21, method="numerical"), 200), None),
        ("400-budget frontier (closed form)", median_seconds(lambda: frontier(law, budgets), 2000), 0.2e-3),
        ("400-budget frontier (vectorised numerical)", median_seconds(lambda: frontier(law, budgets, "numerical"), 50), None),
    ]  # fmt: skip
    # a fitted law with 1,000 bootstrap samples: the plan also carries N*, D*, D/N and loss intervals
    rng = np.random.default_rng(0)
    base = law.coefficients()
    samples = np.array([[base[k] for k in ("E", "A", "B", "alpha", "beta")]] * 1000)
    samples *= np.exp(rng.normal(0.0, [0.015, 0.25, 0.6, 0.04, 0.05], samples.shape))
    info = replace(law.info, id="fitted-bench", bootstrap_samples=samples, bootstrap_level=0.95)
    fitted = ChinchillaLaw(info, **base)
    assert plan(fitted, 1e21).intervals is not None
    rows.append(("one full plan + intervals (1,000 bootstrap samples)",
                 median_seconds(lambda: plan(fitted, 1e21), 2000), 1e-3))
    rows.append(("400-budget frontier bands (1,000 samples)",
                 median_seconds(lambda: frontier_intervals(fitted, budgets), 20), None))
    for preset in ("kaplan-2020", "deepseek-2024", "llama3-2024"):
        other = get_law(preset)
        rows.append((f"one full plan, {preset}", median_seconds(lambda o=other: plan(o, 1e21), 2000), 50e-6))
    print(f"{'benchmark':<48} {'median':>12} {'target':>10}  ok")
    for name, t, target in rows:
        tgt = f"{target * 1e6:.0f} µs" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<48} {t * 1e6:>9.2f} µs {tgt:>10}  {ok}")


if __name__ == "__main__":
    main()
