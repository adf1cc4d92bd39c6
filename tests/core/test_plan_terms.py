"""``plan(question, terms=...)``: the plan of the law without the launch report (shape, training
memory, serving from the shape) is the full plan minus those fields, for every kind of question."""

from __future__ import annotations

import math

import pytest

from planner import Question, get_law, plan
from planner.solve.terms import TERMS, WITHOUT_ARCHITECTURE

LAUNCH_FIELDS = {"architecture", "training_memory", "serving", "inference_flops_per_token",
                 "inference_usd_per_million_tokens", "inference_bound", "serving_memory_bytes",
                 "serving_gpus"}  # fmt: skip

QUESTIONS = [
    ("chinchilla-2022-a3", {"flops": 1e22}),
    ("epoch-2024", {"flops": 1e21}),  # bootstrap intervals
    ("kaplan-2020", {"flops": 1e21}),
    ("deepseek-2024", {"flops": 1e21}),
    ("llama3-2024", {"usd": 5e6}),
    ("epoch-2024", {"flops": 1e22, "optimal_vocab": True, "moe_activation": 0.05, "moe_granularity": 8,
                    "inference_tokens": 1e13, "serve_on": "8xH100 SXM"}),
    ("epoch-2024", {"flops": 1e26, "serve_on": "8xH100 SXM"}),  # the serving limit binds
    ("chinchilla-2022-a3", {"target_loss": 2.2}),
    ("muennighoff-2023", {"flops": 1e22, "unique_tokens": 1e10}),
]


@pytest.mark.parametrize(("preset", "inputs"), QUESTIONS)
def test_without_architecture_is_the_plan_minus_the_launch_fields(preset: str, inputs: dict) -> None:
    q = Question(law=get_law(preset), **inputs)
    full, core = plan(q), plan(q, terms=WITHOUT_ARCHITECTURE)
    assert full.success and core.success
    assert core.architecture is None and core.training_memory is None and core.serving is None
    assert math.isnan(core.inference_flops_per_token) and math.isnan(core.serving_memory_bytes)
    assert core.inference_bound == ""
    full_warnings = set(full.warnings)
    assert set(core.warnings) <= full_warnings  # the launch term only adds shape and memory notes
    for name in full._fields:
        if name in LAUNCH_FIELDS or name in ("warnings", "extras"):
            continue
        assert getattr(core, name) == getattr(full, name), name
    assert set(core.extras) == set(full.extras)
    if "serve_on" in inputs and inputs["flops"] > 1e25:
        assert core.binding == ("serving_memory",)


def test_default_terms_are_every_registered_effect() -> None:
    q = Question(law=get_law("chinchilla-2022-a3"), flops=1e22)
    assert plan(q) == plan(q, terms=TERMS)
    assert len(WITHOUT_ARCHITECTURE) == len(TERMS) - 1



@pytest.mark.parametrize("inputs", [
    {},
    {"moe_activation": 0.05, "moe_granularity": 8},
    {"serve_precision": "int4", "context": 32_768, "decode_batch": 8},
    {"moe_activation": 0.25, "moe_law": "krajewski", "serve_precision": "fp8"},
])  # fmt: skip
@pytest.mark.parametrize("n", [3e7, 1.3e9, 7e10, 2e12])
def test_the_serving_limit_holds_the_memory_serving_reports(inputs: dict, n: float) -> None:
    """The serving constraint sums the shape's weights and KV cache itself (no pricing on each
    step of its search): the same bytes serving_from_shape reports for that shape."""
    from planner.costs.launch import replica_memory, shape_for
    from planner.costs.serving import serving_from_shape
    from planner.solve.plan import pose

    q = Question(law=get_law("epoch-2024"), flops=1e22, serve_on="8xH100 SXM", **inputs)
    p = pose(q, [t for t in TERMS if t.applies(q)], 1e22)
    arch = shape_for(p, n).architecture
    served = serving_from_shape(arch, q.hardware, context=q.context, batch=q.decode_batch, precision=q.serve_precision)
    assert replica_memory(arch, q.serve_precision, q.context, q.decode_batch) == served.serving_memory_bytes


def test_the_serving_bound_is_the_same_remembered_or_not() -> None:
    """The serving limit remembers the memory of the shapes its search tries (they do not depend on
    the budget); a plan after the cache is cleared is the same plan."""
    from planner.costs import launch

    law = get_law("epoch-2024")
    for inputs in ({"serve_on": "8xH100 SXM"}, {"serve_on": "2xH100 SXM", "moe_activation": 0.05},
                   {"serve_on": "H200", "vocab_size": 128_000, "context": 32_768}):  # fmt: skip
        for c in (1e23, 1e25, 1e26):
            q = Question(law=law, flops=c, **inputs)
            launch._memory_table.cache_clear()
            first = plan(q, terms=WITHOUT_ARCHITECTURE)
            again = plan(q, terms=WITHOUT_ARCHITECTURE)
            assert first == again
            assert launch._memory_table.cache_info().hits > 0


LAZY_INPUTS = [
    {}, {"moe_activation": 0.25}, {"moe_granularity": 4.0}, {"moe_activation": 1.0}, {"unique_tokens": 1e10},
    {"unique_tokens": math.inf}, {"vocab_size": 64_000}, {"optimal_vocab": True}, {"inference_tokens": 1e12},
    {"inference_tokens": 0}, {"target_loss": 2.1}, {"flops": None, "target_loss": 2.1}, {"moe_law": "krajewski"},
    {"serve_on": "8xH100 SXM", "context": 8192},
]  # fmt: skip


@pytest.mark.parametrize("inputs", LAZY_INPUTS)
def test_a_lazy_term_stands_in_for_its_effect(inputs: dict) -> None:
    """Registered by module and inputs, a term applies exactly when the effect's own term does,
    whether its module is loaded yet or not, and it answers for the term in every step."""
    import importlib

    from planner.solve.problem import LazyTerm

    q = Question(law=get_law("epoch-2024"), **{"flops": 1e22, **inputs})
    lazy = [t for t in TERMS if isinstance(t, LazyTerm)]
    assert {t.module for t in lazy} == {f"planner.effects.{m}" for m in ("moe", "data_limit", "vocab", "demand")}
    for registered in lazy:
        real = importlib.import_module(registered.module).TERM
        fresh = LazyTerm(registered.module, registered.inputs)  # its module not looked up yet
        assert fresh.applies(q) == real.applies(q) == registered.applies(q)
        assert (fresh.name, fresh.constraint, fresh.poses, fresh.refines) == (
            real.name, real.constraint, real.poses, real.refines)  # fmt: skip


def test_a_plain_plan_imports_no_effect_it_does_not_use() -> None:
    import subprocess
    import sys

    code = ("import sys; from planner import get_law, plan; plan(get_law('chinchilla-2022-a3'), 1e22); "
            "print(sorted(m for m in sys.modules if m.startswith('planner.effects.')))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['planner.effects.hyperparams', 'planner.effects.uncertainty']"
