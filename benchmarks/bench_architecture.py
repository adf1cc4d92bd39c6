"""Speed of the architecture step of a plan: shape proposal, training memory and layout, serving.

Target (issue #12): shape proposal + memory + layout add at most 20 µs to a plan (median). The
serving of the proposed shape is counted too, since a plan calls ``describe``, ``training_plan``
and ``serving_from_shape`` every time. Every call gets a new N: the law's N* over a log grid of
budgets from 1e19 to 1e27 FLOPs, one distinct value per call (15,000 per row), so nothing keyed
by N can be reused. Two orders:

* **sweep**: the grid in order, as when a slider moves (consecutive shapes are alike), each batch
  of calls over the whole range;
* **shuffled**: the same values in random order, every call unlike the last (a stress test:
  the interpreter's branches are then hardest to predict, about 15% slower).

The floor is a bare closed-form N*, D* computed inline in the same run; "× floor" says how many
floors each row costs. The target applies to the dense presets (total, non-embedding and
DeepSeek's M meanings of N). MoE rows (Mixtral-like and DeepSeek-V3-like proposals, the two
published configs with a GPU count that changes per call) are shown beside it.

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
DENSE = {"epoch-2024": 32_000, "kaplan-2020": 50_257, "deepseek-2024": 102_400}  # preset: its vocabulary
MIXTRAL_LIKE = MoESpec(activation=0.25, granularity=1.15, shared_experts=0)  # 8 experts, 2 per token
DEEPSEEK_LIKE = MoESpec(activation=9 / 257, granularity=5.2, shared_experts=1, dense_layers=3)  # 256 + 1, 8 + 1


def n_values(preset: str, count: int, shuffled: bool, number: int = NUMBER) -> list[float]:
    """``count`` distinct N* of ``preset`` over a log grid of budgets 1e19-1e27.

    Sweep: each batch of ``number`` calls runs over the whole range in order (batch b takes grid
    points b, b + k, b + 2k, … for k batches), so every batch sees the same mix of model sizes.
    Shuffled: all values in random order.
    """
    law = get_law(preset)
    ns = [law.allocate_scalar(float(c))[0] for c in np.logspace(19, 27, count)]
    if shuffled:
        np.random.default_rng(0).shuffle(ns)
        return ns
    k = count // number
    return [ns[b + k * i] for b in range(k) for i in range(number)]


def timed(make: Callable[[Iterator], Callable[[], object]], values: list, number: int = NUMBER) -> float:
    """Median seconds per call of ``make(iterator)``; one value of ``values`` per call, none twice."""
    assert len(values) >= number * REPEAT
    return median_seconds(make(iter(values)), number, REPEAT)


def main() -> None:
    hw = Hardware()  # H100 SXM × 1,024
    law = get_law("epoch-2024")
    A, B, alpha, beta = law.A, law.B, law.alpha, law.beta  # type: ignore[attr-defined]
    count = NUMBER * REPEAT

    def floor(it: Iterator) -> Callable[[], object]:
        def f() -> tuple[float, float]:  # Chinchilla closed form (LAWS.md §1), inline
            c = next(it)
            g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
            x = c / 6.0
            return g * x ** (beta / (alpha + beta)), x ** (alpha / (alpha + beta)) / g

        return f

    def plan(meaning: str, vocab: int, moe: MoESpec | None = None, serve: bool = True):
        def make(it: Iterator) -> Callable[[], object]:
            def f() -> object:  # what a plan adds: the shape, its training memory and layout, serving it
                a = describe(next(it), meaning, vocab_size=vocab, moe=moe).architecture
                t = training_plan(a, hw)
                return serving_from_shape(a, hw) if serve else t

            return f

        return make

    ns = n_values("epoch-2024", count, shuffled=False)
    shapes = [describe(n, "total", vocab_size=32_000).architecture for n in ns]
    budgets = np.logspace(19, 27, 4 * count)
    floor_s = timed(floor, [float(c) for b in range(REPEAT) for c in budgets[b::REPEAT]], 4 * NUMBER)
    rows: list[tuple[str, float, float | None]] = [
        ("floor: closed-form N*, D* (inline)", floor_s, None),
        ("epoch-2024, sweep: shape proposal (describe)",
         timed(lambda it: lambda: describe(next(it), "total", vocab_size=32_000), ns), None),
        ("epoch-2024, sweep: training memory + fewest GPUs + layout",
         timed(lambda it: lambda: training_plan(next(it), hw), shapes), None),
        ("epoch-2024, sweep: serving from the shape",
         timed(lambda it: lambda: serving_from_shape(next(it), hw), shapes), None),
        ("epoch-2024, sweep: proposal + memory + layout", timed(plan("total", 32_000, serve=False), ns), None),
    ]  # fmt: skip
    for order in ("sweep", "shuffled"):
        for preset, vocab in DENSE.items():
            meaning = get_law(preset).info.n_meaning
            values = n_values(preset, count, shuffled=order == "shuffled")
            rows.append((f"{preset}, {order}: all together ({meaning})", timed(plan(meaning, vocab), values),
                         TARGET_S))  # fmt: skip
    moe_values = n_values("epoch-2024", 200 * REPEAT, shuffled=False, number=200)
    rows.append(("MoE, sweep: all together, Mixtral-like (8 experts, 2 active)",
                 timed(plan("total", 32_000, MIXTRAL_LIKE), moe_values, 200), None))  # fmt: skip
    rows.append(("MoE, sweep: all together, DeepSeek-V3-like (256 + 1, 8 + 1)",
                 timed(plan("total", 32_000, DEEPSEEK_LIKE), moe_values, 200), None))  # fmt: skip
    for name in ("mixtral-8x7b", "deepseek-v3"):
        a = load_hf_config(CONFIGS / f"{name}.json").architecture
        gpus = list(itertools.islice(itertools.cycle((1024, 1000, 512, 96)), 200 * REPEAT))  # a fixed shape: vary n
        memory = timed(lambda it, a=a: lambda: training_plan(a, hw, n_gpus=next(it)), gpus, 200)
        rows.append((f"MoE: memory + layout, {name} config", memory, None))

    print(f"{'benchmark (median, a new N every call)':<66} {'median':>10} {'× floor':>9} {'target':>8}  ok")
    for name, t, target in rows:
        tgt = f"{target * 1e6:.0f} µs" if target else "—"
        ok = "" if target is None else ("yes" if t <= target else "NO")
        print(f"{name:<66} {t * 1e6:>7.2f} µs {t / floor_s:>8.1f}× {tgt:>8}  {ok}")
    for order in ("sweep", "shuffled"):
        worst = max(t for name, t, target in rows if target and f", {order}:" in name)
        verdict = "met" if worst <= TARGET_S else "NOT met"
        print(f"Target {TARGET_S * 1e6:.0f} µs per plan for proposal + memory + fewest GPUs + layout + serving, dense "
              f"presets, {order}: {verdict} (slowest {worst * 1e6:.1f} µs, {worst / floor_s:.0f}× the floor).")


if __name__ == "__main__":
    main()
