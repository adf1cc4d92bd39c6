"""Speed of the joint plans: vocabulary + MoE + inference demand (+ a serving limit) in one ``plan()``.

Targets: the joint plan (optimal vocabulary by Tao's fixed point, Ling-EL MoE A = 0.05, G = 8,
Sardana with EL(C) varying, 1e13 inference tokens) <= 2 ms; the same with the serving constraint
(``serve_on="8xH100 SXM"``) <= 1 ms (issue #11).

With a serving limit the plan searches the largest shape that fits (~20 shapes proposed). That
search does not depend on the budget, so the memory of each size tried is remembered: the first
plan of a question pays for it ("first visit": the memory is forgotten before every call), a
budget sweep of the same question does not. The full plan includes the architecture (the
shape, its training memory and layout, serving from it); "without the architecture" leaves that
report out (``terms=WITHOUT_ARCHITECTURE``), as the architecture is measured separately
(``bench_architecture.py``); the serving search proposes shapes either way. Cases are timed in
turn (a batch of each per round; the machine is shared); medians over the rounds.

    .venv/bin/python benchmarks/bench_joint.py
"""

from __future__ import annotations

import itertools

import numpy as np
from _timing import alternating_medians

from planner import Question, get_law, plan
from planner.costs import launch
from planner.solve.terms import WITHOUT_ARCHITECTURE


def main() -> None:
    law = get_law("epoch-2024")
    c = 1e22
    joint = {"optimal_vocab": True, "moe_activation": 0.05, "moe_granularity": 8, "inference_tokens": 1e13}
    served = {**joint, "serve_on": "8xH100 SXM"}
    q_served = Question(law=law, flops=c, **served)
    sweep = itertools.cycle([Question(law=law, flops=b, **served) for b in np.logspace(21, 23, 50).tolist()])

    def first_visit(terms: tuple = ()) -> object:
        launch._memory_table.cache_clear()  # as for a question not planned before
        return plan(q_served, terms=terms) if terms else plan(q_served)

    rows = {
        "joint + serving limit, first visit (full plan)": (first_visit, 1e-3),
        "joint + serving limit, first visit, without the architecture": (
            lambda: first_visit(WITHOUT_ARCHITECTURE), 1e-3),
        "joint + serving limit, budget sweep (full plan)": (lambda: plan(next(sweep)), None),
        "joint: vocabulary + MoE + inference demand": (lambda: plan(law, c, **joint), 2e-3),
        "joint + data limit (U = 1e11)": (lambda: plan(law, c, unique_tokens=1e11, **joint), None),
        "dense plan (reference)": (lambda: plan(law, c), None),
        "optimal vocabulary only": (lambda: plan(law, c, optimal_vocab=True), None),
        "chosen vocabulary (128K)": (lambda: plan(law, c, vocab_size=128_000), None),
        "MoE (Ling EL) only": (lambda: plan(law, c, moe_activation=0.05, moe_granularity=8), None),
        "MoE (Krajewski, numerical)": (
            lambda: plan(law, c, moe_activation=1 / 64, moe_granularity=8, moe_law="krajewski"), None),
        "inference demand only (dense, Newton)": (lambda: plan(law, c, inference_tokens=1e13), None),
        "data limit only (U = 1e10, scipy)": (lambda: plan(law, c, unique_tokens=1e10), None),
        "target loss only (no budget)": (lambda: plan(law, None, target_loss=2.2), None),
    }  # fmt: skip
    medians = alternating_medians({name: (fn, 10) for name, (fn, _) in rows.items()}, rounds=21)
    print(f"{'benchmark':<62} {'median':>11} {'target':>8}  ok")
    for name, (_, target) in rows.items():
        t = medians[name]
        tgt = f"{target * 1e3:g} ms" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<62} {t * 1e6:>8.0f} µs {tgt:>8}  {ok}")


if __name__ == "__main__":
    main()
