"""Speed of the core: one plan (every output) against a bare closed form, and a 400-budget frontier.

Targets (issue #11): a dense closed-form plan with every output, for a preset without bootstrap
samples (chinchilla-2022-a3), at most 25x a bare closed form written inline (N*, D* and the loss
from the coefficients, LAWS.md §1) timed in the same run. The architecture's additions (shape,
training memory, serving from the shape: planner.costs.launch) and a fitted law's intervals are
measured separately: the core plan is ``plan(question, terms=WITHOUT_ARCHITECTURE)``, the full
plan ``plan(question)``. Older targets kept: a 400-budget frontier <= 0.2 ms, a plan with
1,000-sample intervals <= 1 ms.

Every call gets the next of 400 budgets from 1e19 to 1e22 FLOPs (inside chinchilla-2022-a3's
fitted range, so its plans carry no extrapolation warning) and questions are built beforehand
(one row builds them too). Cases are timed in turn, a batch of each per round, so a busier
stretch of the shared machine falls on all of them; medians over the rounds.

    .venv/bin/python benchmarks/bench_plan.py
"""

from __future__ import annotations

import itertools

import numpy as np
from _timing import alternating_medians

from planner import Question, frontier, get_law, plan
from planner.solve.terms import WITHOUT_ARCHITECTURE

BUDGETS = np.logspace(19, 22, 400).tolist()
RATIO_TARGET = 25.0


def main() -> None:
    law = get_law("chinchilla-2022-a3")
    E, A, B, alpha, beta = (law.coefficients()[k] for k in ("E", "A", "B", "alpha", "beta"))
    c_iter = itertools.cycle(BUDGETS)

    def floor() -> tuple[float, float, float]:  # the Chinchilla closed form, inline (LAWS.md §1)
        c = next(c_iter)
        g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        x = c / 6.0
        n, d = g * x ** (beta / (alpha + beta)), x ** (alpha / (alpha + beta)) / g
        return n, d, E + A * n**-alpha + B * d**-beta

    def questions(preset: str) -> itertools.cycle:
        p = get_law(preset)
        return itertools.cycle([Question(law=p, flops=c) for c in BUDGETS])

    core_q, full_q = questions("chinchilla-2022-a3"), questions("chinchilla-2022-a3")
    others = {name: questions(name) for name in ("kaplan-2020", "deepseek-2024", "llama3-2024")}
    fitted = get_law("epoch-2024")  # ships 1,000 bootstrap samples and an extrapolation calibration
    assert fitted.info.bootstrap_samples is not None and len(fitted.info.bootstrap_samples) == 1000
    fitted_q = questions("epoch-2024")
    assert plan(next(fitted_q)).intervals is not None
    grid = np.logspace(18, 27, 400)
    cases = {
        "floor: bare closed form N*, D*, loss (inline)": (floor, 5000),
        "core dense plan, every output (chinchilla-2022-a3)": (
            lambda: plan(next(core_q), terms=WITHOUT_ARCHITECTURE), 500),
        "  the same, building the Question in the call": (
            lambda: plan(law, next(c_iter), terms=WITHOUT_ARCHITECTURE), 300),
        "full plan with the architecture (chinchilla-2022-a3)": (lambda: plan(next(full_q)), 100),
        **{f"core plan, {name}": ((lambda q=q: plan(next(q), terms=WITHOUT_ARCHITECTURE)), 300)
           for name, q in others.items()},
        **{f"full plan, {name}": ((lambda q=q: plan(next(q))), 100) for name, q in others.items()},
        "core plan + intervals (epoch-2024, 1,000 samples)": (
            lambda: plan(next(fitted_q), terms=WITHOUT_ARCHITECTURE), 20),
        "400-budget frontier (closed form)": (lambda: frontier(law, grid), 300),
    }  # fmt: skip
    targets = {"core dense plan, every output (chinchilla-2022-a3)": "ratio",
               "core plan + intervals (epoch-2024, 1,000 samples)": 1e-3,
               "400-budget frontier (closed form)": 0.2e-3}  # fmt: skip
    medians = alternating_medians(cases, rounds=31)
    fl = medians["floor: bare closed form N*, D*, loss (inline)"]
    print(f"{'benchmark':<54} {'median':>11} {'x floor':>8} {'target':>10}  ok")
    for name, t in medians.items():
        target = targets.get(name)
        if target == "ratio":
            tgt, ok = f"<= {RATIO_TARGET:.0f}x", "yes" if t / fl <= RATIO_TARGET else "NO"
        elif target is not None:
            tgt, ok = f"{target * 1e6:.0f} µs", "yes" if t <= target else "NO"
        else:
            tgt, ok = "—", ""
        print(f"{name:<54} {t * 1e6:>8.2f} µs {t / fl:>7.1f}x {tgt:>10}  {ok}")


if __name__ == "__main__":
    main()
