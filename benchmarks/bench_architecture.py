"""Speed of the architecture step of a plan: shape proposal, training memory and layout, serving.

Target (issue #12): shape proposal + memory + layout add at most 20 µs to a plan (median); here
the serving of the proposed shape is counted too, as a plan calls ``describe``, ``training_plan``
and ``serving_from_shape`` on every plan. Every call gets a new N (the law's N* over a log grid
of budgets from 1e19 to 1e27 FLOPs, one distinct value per call, shuffled), as when a slider
moves, so nothing keyed by N can be reused. The floor is a bare closed-form N*, D* computed
inline in the same run; the ratio says how many floors each step costs. The target applies to
dense presets; the MoE rows (Mixtral-like and DeepSeek-V3-like proposals, and the two published
configs) are shown beside it.

    .venv/bin/python benchmarks/bench_architecture.py
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from _timing import median_seconds

from planner import get_law
from planner.costs.hardware import Hardware
from planner.costs.hf_config import load_hf_config
from planner.costs.memory import training_plan
from planner.costs.proposal import MoESpec, describe
from planner.costs.serving import serving_from_shape

TARGET_S = 20e-6
NUMBER, REPEAT = 1000, 15  # calls per batch, batches (median over batches)
CONFIGS = Path(__file__).resolve().parents[1] / "tests" / "data" / "hf_configs"
VOCAB = {"epoch-2024": 32_000, "kaplan-2020": 50_257, "deepseek-2024": 102_400}
MIXTRAL_LIKE = MoESpec(activation=0.25, granularity=1.15, shared_experts=0)  # 8 experts, 2 per token
DEEPSEEK_LIKE = MoESpec(activation=9 / 257, granularity=5.2, shared_experts=1, dense_layers=3)  # 256 + 1, 8 + 1


def n_values(preset: str, count: int, seed: int = 0) -> list[float]:
    """``count`` distinct N* of ``preset`` over a log grid of budgets 1e19-1e27, shuffled."""
    law = get_law(preset)
    ns = [law.allocate_scalar(float(c))[0] for c in np.logspace(19, 27, count)]
    np.random.default_rng(seed).shuffle(ns)
    return ns


def timed(make: Callable[[Iterator], Callable[[], object]], values: list, number: int = NUMBER) -> float:
    """Median seconds per call of ``make(iterator)``; one value of ``values`` per call, none twice."""
    assert len(values) >= number * REPEAT
    return median_seconds(make(iter(values)), number, REPEAT)


def main() -> None:
    hw = Hardware()  # H100 SXM × 1,024
    law = get_law("epoch-2024")
    A, B, alpha, beta = law.A, law.B, law.alpha, law.beta  # type: ignore[attr-defined]
    count = NUMBER * REPEAT
    budgets = np.logspace(19, 27, 4 * count).tolist()

    def floor(it: Iterator) -> Callable[[], object]:
        def f() -> tuple[float, float]:  # Chinchilla closed form (LAWS.md §1), inline
            c = next(it)
            g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
            x = c / 6.0
            return g * x ** (beta / (alpha + beta)), x ** (alpha / (alpha + beta)) / g

        return f

    def together(meaning: str, vocab: int, moe: MoESpec | None = None, serve: bool = True):
        def make(it: Iterator) -> Callable[[], object]:
            def f() -> object:
                a = describe(next(it), meaning, vocab_size=vocab, moe=moe).architecture
                t = training_plan(a, hw)
                return serving_from_shape(a, hw) if serve else t

            return f

        return make

    ns = n_values("epoch-2024", count)
    shapes = [describe(n, "total", vocab_size=32_000).architecture for n in ns]
    rows: list[tuple[str, float, float | None]] = [
        ("floor: closed-form N*, D* (inline)", timed(floor, budgets, 4 * NUMBER), None),
        ("shape proposal (describe)", timed(lambda it: lambda: describe(next(it), "total", vocab_size=32_000), ns),
         None),
        ("training memory + fewest GPUs + layout", timed(lambda it: lambda: training_plan(next(it), hw), shapes), None),
        ("serving from the shape", timed(lambda it: lambda: serving_from_shape(next(it), hw), shapes), None),
        ("proposal + memory + layout", timed(together("total", 32_000, serve=False), ns), None),
    ]  # fmt: skip
    for preset, vocab in VOCAB.items():
        meaning = get_law(preset).info.n_meaning
        values = ns if preset == "epoch-2024" else n_values(preset, count)
        rows.append((f"all together, {preset} ({meaning})", timed(together(meaning, vocab), values), TARGET_S))
    moe_rows = [
        ("all together, Mixtral-like MoE (8 experts, 2 active)", timed(together("total", 32_000, MIXTRAL_LIKE), ns,
                                                                         200)),
        ("all together, DeepSeek-V3-like MoE (256 + 1, 8 + 1)", timed(together("total", 32_000, DEEPSEEK_LIKE), ns,
                                                                        200)),
    ]  # fmt: skip
    for name in ("mixtral-8x7b", "deepseek-v3"):
        a = load_hf_config(CONFIGS / f"{name}.json").architecture
        gpus = itertools.cycle((1024, 1000, 512, 96))  # the shape is fixed: vary the GPU count instead
        moe_rows.append((f"memory + layout, {name} config", timed(lambda it, a=a: lambda: training_plan(
            a, hw, n_gpus=next(it)), list(itertools.islice(gpus, 200 * REPEAT)), 200)))  # fmt: skip
    rows += [(name, t, None) for name, t in moe_rows]

    fl = rows[0][1]
    print(f"{'benchmark (median, a new N every call)':<56} {'median':>10} {'× floor':>9} {'target':>9}  ok")
    for name, t, target in rows:
        tgt = f"{target * 1e6:.0f} µs" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<56} {t * 1e6:>7.2f} µs {t / fl:>8.1f}× {tgt:>9}  {ok}")
    worst = max(t for _, t, target in rows if target)
    verdict = "met" if worst <= TARGET_S else "NOT met"
    print(f"\nTarget: proposal + training memory + fewest GPUs + layout + serving <= {TARGET_S * 1e6:.0f} µs per plan "
          f"(median, dense presets): {verdict} (slowest preset {worst * 1e6:.1f} µs, {worst / fl:.0f}× the floor).")


if __name__ == "__main__":
    main()
