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
    ("epoch-2024", {"flops": 1e24, "serve_on": "8xH100 SXM"}),  # the serving limit binds
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


def test_default_terms_are_every_registered_effect() -> None:
    q = Question(law=get_law("chinchilla-2022-a3"), flops=1e22)
    assert plan(q) == plan(q, terms=TERMS)
    assert len(WITHOUT_ARCHITECTURE) == len(TERMS) - 1

