"""Speed of the joint numerical plan: vocabulary + MoE + inference demand in one ``plan()``.

Target: the joint plan (optimal vocabulary by Tao's fixed point, Ling-EL MoE, Sardana with
EL(C) varying, solved by brentq) <= 2 ms median on a 2-core machine. Also times each piece
alone and the data-constrained and Krajewski paths. Prints medians over repeated batches
(the machine is shared; single runs are noisy).

    .venv/bin/python benchmarks/bench_joint.py
"""

from __future__ import annotations

from _timing import median_seconds

from planner import get_law, plan


def main() -> None:
    law = get_law("epoch-2024")
    c = 1e22
    joint = {
        "optimal_vocab": True,
        "moe_activation": 0.05,
        "moe_granularity": 8,
        "inference_tokens": 1e13,
    }
    rows = [
        ("joint: vocabulary + MoE + inference demand", lambda: plan(law, c, **joint), 2e-3),
        ("joint + data limit (U = 1e11)", lambda: plan(law, c, unique_tokens=1e11, **joint), None),
        ("dense plan (reference)", lambda: plan(law, c), None),
        ("optimal vocabulary only", lambda: plan(law, c, optimal_vocab=True), None),
        ("chosen vocabulary (128K)", lambda: plan(law, c, vocab_size=128_000), None),
        ("MoE (Ling EL) only", lambda: plan(law, c, moe_activation=0.05, moe_granularity=8), None),
        (
            "MoE (Krajewski, numerical)",
            lambda: plan(law, c, moe_activation=1 / 64, moe_granularity=8, moe_law="krajewski"),
            None,
        ),
        (
            "inference demand only (dense, Newton)",
            lambda: plan(law, c, inference_tokens=1e13),
            None,
        ),
        ("data limit only (U = 1e10, scipy)", lambda: plan(law, c, unique_tokens=1e10), None),
        ("target loss only (no budget)", lambda: plan(law, None, target_loss=2.2), None),
    ]
    print(f"{'benchmark':<48} {'median':>12} {'target':>10}  ok")
    for name, fn, target in rows:
        fn()  # warm: lazy scipy import
        t = median_seconds(fn, 200)
        tgt = f"{target * 1e3:.0f} ms" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<48} {t * 1e6:>9.1f} µs {tgt:>10}  {ok}")


if __name__ == "__main__":
    main()
