"""Pinned results of the architecture step: shape proposal, training memory and layout, serving.

``tests/data/arch_pins.json`` holds, for a grid of (law meaning, N, vocabulary, MoE) plus fixed
dimensions and the Hugging Face configs, the proposed shape, the fewest GPUs and layouts under
four training settings, the GPUs per serving replica under three serving settings, and a digest
of every value of the three ``to_dict()`` results (floats exactly, by ``repr``) and of the rows
and warnings the front ends show. It was written
by the straightforward implementation before the speed work, so any change of any result fails
here. When a result changes on purpose, regenerate it and say why in the commit:

    .venv/bin/python tests/core/test_arch_pins.py --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planner.costs.hardware import CATALOGUE, Hardware
from planner.costs.hf_config import load_hf_config
from planner.costs.launch import architecture_warnings
from planner.costs.memory import training_plan
from planner.costs.proposal import MoESpec, describe
from planner.costs.serving import serving_from_shape
from planner.summary import architecture_rows

DATA = Path(__file__).resolve().parents[1] / "data"
PINS = DATA / "arch_pins.json"

MOES = {"dense": None, "ling": MoESpec(activation=0.078), "fine": MoESpec(0.25, granularity=4.0, shared_experts=2,
                                                                          dense_layers=1)}  # fmt: skip
N_GRID = [float(f"{x:.6g}") for x in 1.0137 * np.logspace(6, 12.7, 12)]
TRAIN = [  # (hardware, training_plan keywords)
    (Hardware(), {}),
    (Hardware(CATALOGUE["H100 SXM"], n_gpus=8),
     {"zero_stage": 0, "recompute": "none", "micro_batch": 2, "seq_len": 8192}),
    (Hardware(CATALOGUE["MI300X"], n_gpus=96), {"zero_stage": 3, "optimizer": "adamw8bit"}),
    (Hardware(CATALOGUE["A100 80GB SXM"], n_gpus=100), {"zero_stage": 2, "recompute": "full"}),
]
SERVE = [
    (Hardware(), {}),
    (Hardware(), {"context": 32768, "batch": 1, "precision": "fp8", "kv_precision": "fp8"}),
    (Hardware(CATALOGUE["B200"]), {"batch": 256, "precision": "int4"}),
]
CONFIGS = ["llama-2-7b", "llama-2-70b", "llama-3-8b", "llama-3-70b", "mixtral-8x7b", "deepseek-v3", "qwen2-7b",
           "qwen2-57b-a14b"]  # fmt: skip


def cases() -> list[tuple[str, dict[str, Any]]]:
    """(case name, describe keywords) over the grid, fixed dimensions and the configs."""
    out = []
    for meaning in ("total", "non_embedding", "flops_per_token"):
        for vocab in (32_000, 102_400):
            for moe_name, moe in MOES.items():
                for n in N_GRID:
                    kw = {"n_params": n, "n_meaning": meaning, "vocab_size": vocab, "moe": moe}
                    out.append((f"{meaning}|{n:.6g}|{vocab}|{moe_name}", kw))
    fixed = [{"n_layers": 24}, {"n_layers": 61}, {"d_model": 6144}, {"head_dim": 64}, {"n_layers": 2, "d_model": 512},
             {"n_layers": 40, "d_model": 5120}]  # fmt: skip
    for extra in fixed:
        for n in (3.1e9, 7.3e10):
            name = ",".join(f"{k}={v}" for k, v in extra.items())
            out.append((f"total|{n:.6g}|32000|dense|{name}", {"n_params": n, "n_meaning": "total", **extra}))
    out.append(("flops_per_token|M given", {"n_params": 6.7e9, "n_meaning": "flops_per_token",
                                            "flops_per_token": 3.3e11, "vocab_size": 102_400}))  # fmt: skip
    out.append(("total|seq 8192", {"n_params": 1.3e10, "n_meaning": "total", "seq_len": 8192}))
    for name in CONFIGS:
        a = load_hf_config(DATA / "hf_configs" / f"{name}.json").architecture
        out.append((f"config|{name}", {"n_params": float(a.params_active), "n_meaning": "total", "arch": a,
                                       "source": "config"}))  # fmt: skip
    return out


def _lay(x: dict[str, int] | None) -> str:
    return "-" if x is None else f"{x['tp']}x{x['pp']}x{x['dp']}x{x['ep']}"


def pin(kw: dict[str, Any]) -> dict[str, Any]:
    """The readable summary and the digest of every result for one case."""
    plan = describe(**kw)
    a = plan.architecture
    full: dict[str, Any] = {"architecture": plan.to_dict(), "rows": [], "train": [], "serve": []}
    train, t0, s0 = [], None, None
    for hw, tkw in TRAIN:
        tm = training_plan(a, hw, **tkw)
        t0 = t0 or tm
        t = tm.to_dict()
        full["train"].append(t)
        train.append(f"{t['min_gpus']}:{_lay(t['min_layout'])}/{_lay(t['layout'])}:{t['recompute']}")
    serve = []
    for hw, skw in SERVE:
        sv = serving_from_shape(a, hw, **skw)
        s0 = s0 or sv
        s = sv.to_dict()
        full["serve"].append(s)
        serve.append(s["gpus_to_hold"])
    full["rows"] = [list(r) for r in architecture_rows(plan, t0, s0)]
    full["warnings"] = architecture_warnings(plan, t0)
    text = json.dumps(full, sort_keys=True, ensure_ascii=True)
    shape = [a.n_layers, a.d_model, a.n_heads, a.n_kv_heads, a.head_dim, a.d_ff, a.n_experts, a.experts_per_token,
             a.d_expert, a.n_shared_experts, a.n_dense_layers]  # fmt: skip
    return {"shape": shape, "mismatch": f"{plan.mismatch:.6g}", "train": train, "serve": serve,
            "digest": hashlib.sha256(text.encode()).hexdigest()[:24]}  # fmt: skip


def _pinned() -> dict[str, dict[str, Any]]:
    return json.loads(PINS.read_text(encoding="utf-8"))


CASES = cases()


def test_the_grid_is_the_pinned_grid() -> None:
    assert [name for name, _ in CASES] == list(_pinned())


@pytest.mark.parametrize(("name", "kw"), CASES, ids=[c[0] for c in CASES])
def test_results_match_the_pins(name: str, kw: dict[str, Any]) -> None:
    want = _pinned()[name]
    got = pin(kw)
    for key in ("shape", "mismatch", "train", "serve"):  # readable parts first, then every value
        assert got[key] == want[key], (name, key)
    assert got["digest"] == want["digest"], name


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("usage: test_arch_pins.py --write")
    pins = {name: pin(kw) for name, kw in CASES}
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(v, separators=(',', ':'))}" for k, v in pins.items())
    PINS.write_text("{\n" + lines + "\n}\n", encoding="utf-8")
    print(f"wrote {len(pins)} cases to {PINS}")
