"""Speed of the architecture step of a plan: shape proposal, training memory and layout.

Target (issue #12): shape proposal + memory + layout add at most 20 µs to a plan (median). Each
call gets a new budget from a 400-point sweep of 1e19–1e27 FLOPs (Epoch's law), so every proposal
is computed afresh, as when a slider moves; the floor is a bare closed-form N*, D* computed inline
in the same run, and the ratio says how many floors the architecture step costs.

    .venv/bin/python benchmarks/bench_architecture.py
"""

from __future__ import annotations

import itertools

import numpy as np
from _timing import median_seconds

from planner import get_law
from planner.costs.hardware import Hardware
from planner.costs.memory import training_plan
from planner.costs.proposal import describe
from planner.costs.serving import serving_from_shape

TARGET_S = 20e-6


def main() -> None:
    law = get_law("epoch-2024")
    A, B, alpha, beta = law.A, law.B, law.alpha, law.beta  # type: ignore[attr-defined]
    budgets = np.logspace(19, 27, 400)
    n_star = [law.allocate_scalar(float(c))[0] for c in budgets]
    shapes = [describe(n).architecture for n in n_star]
    hw = Hardware()

    c_iter = itertools.cycle(budgets.tolist())
    n_iter = itertools.cycle(n_star)
    a_iter = itertools.cycle(shapes)

    def floor() -> tuple[float, float]:  # Chinchilla closed form (LAWS.md §1), inline
        c = next(c_iter)
        g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        x = c / 6.0
        return g * x ** (beta / (alpha + beta)), x ** (alpha / (alpha + beta)) / g

    def proposal() -> object:
        return describe(next(n_iter))

    def memory() -> object:
        return training_plan(next(a_iter), hw)

    def both() -> object:
        return training_plan(describe(next(n_iter)).architecture, hw)

    def serving() -> object:
        return serving_from_shape(next(a_iter), hw)

    rows = [
        ("floor: closed-form N*, D* (inline)", median_seconds(floor, 4000), None),
        ("shape proposal (describe)", median_seconds(proposal, 1000), None),
        ("training memory + fewest GPUs + layout", median_seconds(memory, 1000), None),
        ("proposal + memory + layout (the plan's added cost)", median_seconds(both, 1000), TARGET_S),
        ("serving from the shape", median_seconds(serving, 2000), None),
    ]
    fl = rows[0][1]
    print(f"{'benchmark':<52} {'median':>10} {'× floor':>9} {'target':>9}  ok")
    for name, t, target in rows:
        tgt = f"{target * 1e6:.0f} µs" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<52} {t * 1e6:>7.2f} µs {t / fl:>8.1f}× {tgt:>9}  {ok}")


if __name__ == "__main__":
    main()
