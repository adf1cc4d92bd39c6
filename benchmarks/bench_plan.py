"""Speed of the core: one full plan (all outputs) and a 400-budget frontier.

Targets (issue "The planning engine"): one plan <= 50 µs; a 400-budget frontier <= 0.2 ms,
on a 2-core machine. Prints medians over repeated batches.

    .venv/bin/python benchmarks/bench_plan.py
"""

from __future__ import annotations


import numpy as np

from _timing import median_seconds

from planner import frontier, get_law, plan




def main() -> None:
    law = get_law("epoch-2024")
    budgets = np.logspace(18, 27, 400)
    rows = [
        ("one full plan (closed form, all outputs)", median_seconds(lambda: plan(law, 1e21), 2000), 50e-6),
        ("one full plan, numerical (scipy brentq)", median_seconds(lambda: plan(law, 1e21, method="numerical"), 200), None),
        ("400-budget frontier (closed form)", median_seconds(lambda: frontier(law, budgets), 2000), 0.2e-3),
        ("400-budget frontier (vectorised numerical)", median_seconds(lambda: frontier(law, budgets, "numerical"), 50), None),
    ]  # fmt: skip
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
