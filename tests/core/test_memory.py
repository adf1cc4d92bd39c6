"""Training memory, fewest GPUs and layouts; serving a known shape.

Oracles: ZeRO (Rajbhandari et al. 2020, arXiv 1910.02054) Table 1 and its 16Ψ; Korthikanti et al.
2022 (arXiv 2205.05198) activation bytes per layer; LAWS.md §5 KV cache bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from planner.costs.architecture import Architecture
from planner.costs.hardware import CATALOGUE, Hardware
from planner.costs.hf_config import load_hf_config
from planner.costs.memory import (
    USABLE_FRACTION,
    _choose,
    _dense_plan,
    _general_plan,
    _model,
    activation_bytes_per_layer,
    lowest_bytes_per_gpu,
    model_state_bytes,
    training_plan,
)
from planner.costs.proposal import MoESpec, describe
from planner.costs.serving import serving_from_shape

CONFIGS = Path(__file__).resolve().parents[1] / "data" / "hf_configs"
H100 = CATALOGUE["H100 SXM"]


def arch(name: str) -> Architecture:
    return load_hf_config(CONFIGS / f"{name}.json").architecture


def test_mixed_precision_adamw_is_16_bytes_per_parameter() -> None:
    # ZeRO §3.1: 2Ψ + 2Ψ + 12Ψ = 16Ψ before activations
    assert model_state_bytes(1.0, "adamw") == 16.0
    a = arch("llama-2-7b")
    t = training_plan(a, H100, n_gpus=8, zero_stage=0)
    assert t.bytes_per_param == 16.0 and t.model_state_bytes == 16.0 * a.params_total
    lay = t.layout
    assert t.weights_bytes + t.gradients_bytes + t.optimizer_bytes == pytest.approx(
        16.0 * a.params_total / (lay.tp * lay.pp), rel=1e-12)  # fmt: skip
    assert model_state_bytes(1.0, "adamw8bit") == 10.0  # 8-bit m and v (Dettmers et al. 2022)


@pytest.mark.parametrize(("stage", "published_gb"), [(0, 120.0), (1, 31.4), (2, 16.6), (3, 1.88)])
def test_zero_table_1_example(stage: int, published_gb: float) -> None:
    # ZeRO Table 1: Ψ = 7.5B, N_d = 64, K = 12 -> 120 GB, 31.4 GB, 16.6 GB, 1.88 GB per device
    assert model_state_bytes(7.5e9, "adamw", stage, 64) / 1e9 == pytest.approx(published_gb, rel=0.01)


def test_korthikanti_activation_formulas() -> None:
    s, b, h, a = 2048, 1, 12288, 96
    assert activation_bytes_per_layer(s, b, h, a, "none") == s * b * h * (34 + 5 * a * s / h)
    assert activation_bytes_per_layer(s, b, h, a, "selective") == 34 * s * b * h
    assert activation_bytes_per_layer(s, b, h, a, "full") == 2 * s * b * h
    for mode in ("none", "selective", "full"):  # tensor + sequence parallel divide everything by t
        assert activation_bytes_per_layer(s, b, h, a, mode, tp=8) == pytest.approx(
            activation_bytes_per_layer(s, b, h, a, mode) / 8)  # fmt: skip
    with pytest.raises(ValueError, match="recomputation"):
        activation_bytes_per_layer(s, b, h, a, "sometimes")


@st.composite
def shapes(draw: st.DrawFn) -> Architecture:
    n = draw(st.floats(3e8, 2e12))
    return describe(n, "total").architecture


@given(a=shapes(), zero=st.integers(0, 3), rc=st.sampled_from(["none", "selective", "full"]),
       opt=st.sampled_from(["adamw", "adamw8bit"]), n=st.integers(1, 600))  # fmt: skip
@settings(max_examples=40, deadline=None)
def test_more_gpus_never_need_more_memory_per_gpu(a: Architecture, zero: int, rc: str, opt: str, n: int) -> None:
    m = _model(a, optimizer=opt, zero_stage=zero, recompute=rc)
    assert lowest_bytes_per_gpu(m, n + 1) <= lowest_bytes_per_gpu(m, n) * (1 + 1e-12)
    assert lowest_bytes_per_gpu(m, 2 * n) <= lowest_bytes_per_gpu(m, n) * (1 + 1e-12)
    # a fixed tensor × pipeline split: more data-parallel replicas never add memory
    lay = (8, 1) if a.n_heads % 8 == 0 else (1, 1)
    assert m.total(*lay, 2 * n, 1) <= m.total(*lay, n, 1) * (1 + 1e-12)


@given(a=shapes(), zero=st.integers(0, 3))
@settings(max_examples=25, deadline=None)
def test_min_gpus_is_the_fewest_that_fit(a: Architecture, zero: int) -> None:
    t = training_plan(a, H100, n_gpus=1, zero_stage=zero, recompute="selective")
    if t.min_gpus is None:
        return
    m = _model(a, zero_stage=zero, recompute="selective")
    usable = H100.memory_bytes * USABLE_FRACTION
    assert _choose(m, t.min_gpus, usable)[0] is not None
    if t.min_gpus > 1:
        assert _choose(m, t.min_gpus - 1, usable)[0] is None
        assert not training_plan(a, H100, n_gpus=t.min_gpus - 1, zero_stage=zero, recompute="selective").fits
    for more in (t.min_gpus + 1, 2 * t.min_gpus + 3):  # once it fits, more GPUs keep fitting
        assert training_plan(a, H100, n_gpus=more, zero_stage=zero, recompute="selective").fits


@st.composite
def any_shapes(draw: st.DrawFn) -> Architecture:
    """Proposed shapes of every meaning and vocabulary, tiny to far beyond a thousand GPUs, and a few
    odd ones (prime layer counts, head counts that allow no tensor parallelism, GELU, tied)."""
    if draw(st.booleans()):
        n = draw(st.floats(1e6, 3e14))
        meaning = draw(st.sampled_from(["total", "non_embedding", "flops_per_token"]))
        return describe(n, meaning, vocab_size=draw(st.sampled_from([32_000, 50_257, 102_400]))).architecture
    L = draw(st.sampled_from([1, 2, 7, 13, 32, 61, 80, 97, 126, 180, 240]))
    hd = draw(st.sampled_from([64, 128]))
    nh = draw(st.sampled_from([1, 3, 6, 8, 12, 28, 40, 64, 96, 128, 250]))
    return Architecture(L, nh * hd, nh, 1 if nh % 4 else 4, hd, draw(st.integers(1, 500)) * 128,
                        draw(st.sampled_from([32_000, 128_256])), ffn_kind=draw(st.sampled_from(["swiglu", "gelu"])),
                        tied_embeddings=draw(st.booleans()))  # fmt: skip


@given(a=any_shapes(), n=st.one_of(st.integers(1, 64), st.integers(1, 20_000)),
       gpu=st.sampled_from(["H100 SXM", "A100 80GB SXM", "MI300X", "L40S", "TPU v5e"]),
       opt=st.sampled_from(["adamw", "adamw8bit"]), zero=st.integers(0, 3),
       rc=st.sampled_from(["auto", "none", "selective", "full"]), b=st.integers(1, 8),
       s=st.sampled_from([1024, 4096, 8192, 32_768]), frac=st.sampled_from([0.9, 0.5, 1.0]))  # fmt: skip
@settings(max_examples=600, deadline=None)
def test_the_flat_dense_path_gives_the_model_objects_results(a: Architecture, n: int, gpu: str, opt: str,
                                                              zero: int, rc: str, b: int, s: int,
                                                              frac: float) -> None:  # fmt: skip
    # training_plan runs a dense model through _dense_plan (written out for speed); the straightforward
    # path (_Model, _min_gpus, _choose, _least_layout) must give every field identically
    acc = CATALOGUE[gpu]
    usable = acc.memory_bytes * frac
    fast = _dense_plan(a, acc, n, usable, s, b, opt, zero, rc)
    slow = _general_plan(a, acc, n, usable, s, b, opt, zero, rc)
    assert fast == slow
    assert [type(x) for x in fast] == [type(x) for x in slow]


def test_layout_is_concrete_and_fits() -> None:
    a = arch("llama-2-70b")
    t = training_plan(Architecture(**{**a.shape_dict()}), Hardware(H100, n_gpus=1024))
    lay = t.layout
    assert t.fits and lay.gpus == 1024 and lay.tp in (1, 2, 4, 8) and a.n_layers % lay.pp == 0
    assert a.n_heads % lay.tp == 0
    assert t.bytes_per_gpu <= t.usable_bytes
    assert t.bytes_per_gpu == pytest.approx(t.weights_bytes + t.gradients_bytes + t.optimizer_bytes
                                            + t.activations_bytes)  # fmt: skip
    d = t.to_dict()
    assert {"bytes_per_gpu", "min_gpus", "layout"} <= set(d) and d["layout"]["gpus"] == 1024


def test_too_few_gpus_warn_with_the_shortfall() -> None:
    t = training_plan(arch("llama-2-70b"), H100, n_gpus=8)
    assert not t.fits and t.layout is None
    assert t.shortfall_bytes == pytest.approx(t.bytes_per_gpu - t.usable_bytes) and t.shortfall_bytes > 0
    (w,) = [w for w in t.warnings if "cannot hold" in w]
    assert "short by" in w and f"{t.min_gpus:,} GPUs" in w
    assert f"{t.shortfall_bytes / 2**30:,.1f} GiB" in w


def test_moe_layout_uses_expert_parallelism() -> None:
    a = arch("mixtral-8x7b")
    t = training_plan(a, H100, n_gpus=64)
    assert t.fits and t.layout.ep > 1 and a.n_experts % t.layout.ep == 0 and t.layout.dp % t.layout.ep == 0
    assert t.min_gpus is not None and t.min_gpus <= 64


def test_auto_recomputation_falls_back_to_full_when_activations_do_not_fit() -> None:
    a = describe(2e12, "total").architecture
    sel = training_plan(a, H100, n_gpus=4096, recompute="selective")
    auto = training_plan(a, H100, n_gpus=4096)
    assert sel.min_gpus is None and auto.recompute == "full" and auto.min_gpus is not None
    assert any("Full activation recomputation" in w for w in auto.warnings)


def test_bad_settings_are_refused() -> None:
    a = arch("llama-3-8b")
    for kw in ({"optimizer": "sgd"}, {"zero_stage": 4}, {"n_gpus": 0}, {"micro_batch": 0}):
        with pytest.raises(ValueError):
            training_plan(a, H100, **kw)


# --------------------------------------------------------------------------------------------
# serving a known shape


def test_serving_memory_kv_and_gpus_per_replica() -> None:
    hw = Hardware(H100)
    a = arch("llama-2-70b")
    s = serving_from_shape(a, hw, context=4096, batch=8)
    assert s.kv_bytes_per_token == 327_680  # LAWS.md §5
    assert s.serving_memory_bytes == a.params_total * 2 + 327_680 * 4096 * 8
    assert s.gpus_to_hold == math.ceil(s.serving_memory_bytes / (80e9 * USABLE_FRACTION))
    fp8 = serving_from_shape(a, hw, context=4096, batch=8, precision="fp8")
    int4 = serving_from_shape(a, hw, context=4096, batch=8, precision="int4")
    assert fp8.weight_bytes == s.weight_bytes / 2 and int4.weight_bytes == fp8.weight_bytes / 2
    assert int4.gpus_to_hold <= fp8.gpus_to_hold <= s.gpus_to_hold
    assert serving_from_shape(arch("deepseek-v3"), hw).kv_bytes_per_token == 70_272
    with pytest.raises(ValueError, match="precision"):
        serving_from_shape(a, hw, precision="fp3")


def test_moe_decoding_reads_active_weights_at_batch_1_and_all_at_large_batch() -> None:
    hw = Hardware(H100)
    a = arch("mixtral-8x7b")
    assert serving_from_shape(a, hw, batch=1).weight_bytes_per_step == pytest.approx(2 * a.params_active)
    assert serving_from_shape(a, hw, batch=512).weight_bytes_per_step == pytest.approx(2 * a.params_total, rel=1e-6)


def test_results_are_plain_json() -> None:
    import json

    from planner.summary import architecture_rows

    hw = Hardware(H100, n_gpus=16)
    plan = describe(3e10, "total")
    t = training_plan(plan.architecture, hw)
    s = serving_from_shape(plan.architecture, hw, precision="fp8")
    text = json.dumps({"architecture": plan.to_dict(), "training_memory": t.to_dict(), "serving": s.to_dict()})
    back = json.loads(text)
    assert back["architecture"]["n_layers"] == plan.architecture.n_layers
    assert back["training_memory"]["layout"]["gpus"] <= 16
    keys = [r.key for r in architecture_rows(plan, t, s)]
    assert keys[:2] == ["architecture.shape", "architecture.shape_n"] and "training_memory.min_gpus" in keys


# --------------------------------------------------------------------------------------------
# MoE: fewest GPUs and the layout, against the rules spelled out


def layout_spelled_out(m: Any, n: int, usable: float) -> tuple[int, int, int, int] | None:
    """Every (t, p) with dp = (n/t)/p and ep = gcd(dp, E) (1 when every layer is dense); among those
    that fit, the least key
    (some GPUs idle, t·p, p): the layout rule of the memory module, without its shortcuts."""
    best = None
    for tp in (1, 2, 4, 8):
        if tp > n or m.heads % tp or usable - m.act[tp] <= 0:
            continue
        q = n // tp
        for pp in [p for p in range(1, m.L + 1) if m.L % p == 0]:
            if pp > q:
                break
            dp = q // pp
            ep = math.gcd(dp, m.E) if m.exp else 1  # no expert layers (all dense): nothing to spread
            if m.total(tp, pp, dp, ep) > usable:
                continue
            key = (0 if n % tp == 0 and q % pp == 0 else 1, tp * pp, pp)
            if best is None or key < best[0]:
                best = (key, (tp, pp, dp, ep))
    return best[1] if best else None


MOE_SPECS = [MoESpec(0.25, 1.15, 0), MoESpec(9 / 257, 5.2, 1, 3), MoESpec(0.078), MoESpec(0.2, 2.0, 0),
             MoESpec(0.5, 4.0, 2, 1)]  # fmt: skip


@st.composite
def moe_shapes(draw: st.DrawFn) -> Architecture:
    if draw(st.integers(0, 4)) == 0:
        return arch(draw(st.sampled_from(["mixtral-8x7b", "deepseek-v3", "qwen2-57b-a14b"])))
    return describe(draw(st.floats(1e8, 3e11)), "total", moe=draw(st.sampled_from(MOE_SPECS))).architecture


@given(a=moe_shapes(), zero=st.integers(0, 3), rc=st.sampled_from(["none", "selective", "full"]),
       opt=st.sampled_from(["adamw", "adamw8bit"]), gpu=st.sampled_from(["H100 SXM", "L40S", "MI300X"]),
       n=st.one_of(st.integers(1, 300), st.sampled_from([512, 1000, 1024, 4096])))  # fmt: skip
@settings(max_examples=120, deadline=None)
@example(a=Architecture(n_layers=2, d_model=1024, n_heads=16, n_kv_heads=8, head_dim=64, d_ff=4608, vocab_size=32000,
                        n_experts=342, experts_per_token=11, d_expert=384, n_shared_experts=1, d_shared_expert=384,
                        n_dense_layers=2),
         zero=0, rc="none", opt="adamw", gpu="H100 SXM", n=2)  # an "MoE" whose 2 layers are all dense (found by CI)
def test_moe_layout_follows_the_rule(a: Architecture, zero: int, rc: str, opt: str, gpu: str, n: int) -> None:
    m = _model(a, optimizer=opt, zero_stage=zero, recompute=rc)
    usable = CATALOGUE[gpu].memory_bytes * USABLE_FRACTION
    lay = _choose(m, n, usable)[0]
    assert (tuple(lay) if lay else None) == layout_spelled_out(m, n, usable)


@given(a=moe_shapes(), zero=st.integers(0, 3), rc=st.sampled_from(["none", "selective", "full"]),
       opt=st.sampled_from(["adamw", "adamw8bit"]), gpu=st.sampled_from(["H100 SXM", "L40S", "MI300X"]))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_moe_fewest_gpus_is_the_first_count_that_fits(a: Architecture, zero: int, rc: str, opt: str,
                                                      gpu: str) -> None:  # fmt: skip
    # memory is not monotone in dp for an MoE (ep = gcd(dp, E)), so the fewest GPUs is found exactly,
    # not by bisection; here by trying every count from 1 (when it is small enough to try)
    m = _model(a, optimizer=opt, zero_stage=zero, recompute=rc)
    usable = CATALOGUE[gpu].memory_bytes * USABLE_FRACTION
    t = training_plan(a, CATALOGUE[gpu], n_gpus=1, optimizer=opt, zero_stage=zero, recompute=rc)
    limit = 1500 if t.min_gpus is None else min(t.min_gpus, 1500)
    first = next((k for k in range(1, limit + 1) if layout_spelled_out(m, k, usable)), None)
    if t.min_gpus is None or t.min_gpus <= 1500:
        assert first == t.min_gpus
        if first:
            assert tuple(t.min_layout) == layout_spelled_out(m, first, usable)
    else:
        assert first is None  # nothing below the reported count fits


def test_moe_fewest_gpus_where_bisection_went_wrong() -> None:
    # a 57-layer MoE with 8 experts on L40S (ZeRO-0, no recomputation): 96 to 119 GPUs fit (TP 8 × PP 3
    # × DP 4, EP 4) but 120 do not (DP 5 shares no factor with 8: no expert parallelism); a bisection
    # over the count answered 152
    a = describe(2e10, "total", moe=MoESpec(0.25, 1.15, 0)).architecture
    t = training_plan(a, CATALOGUE["L40S"], n_gpus=96, zero_stage=0, recompute="none")
    m = _model(a, zero_stage=0, recompute="none")
    usable = CATALOGUE["L40S"].memory_bytes * USABLE_FRACTION
    first = next(k for k in range(1, 200) if layout_spelled_out(m, k, usable))
    assert t.min_gpus == first == 96 and t.fits
    assert layout_spelled_out(m, 119, usable) and layout_spelled_out(m, 120, usable) is None


def test_serving_an_moe_whose_layers_are_all_dense() -> None:
    # a config may mark every layer dense (serving used to divide by zero); the proposal keeps one
    # MoE layer however shallow the shape
    plan = describe(3e6, "total", moe=MoESpec(0.25, 4.0, 2, dense_layers=3))
    assert plan.architecture.n_moe_layers == 1 and "1 of the 3 dense layers" in " ".join(plan.notes)
    a = plan.architecture.with_(n_dense_layers=plan.architecture.n_layers)
    assert a.is_moe and a.n_moe_layers == 0 and a.expert_params() == 0
    s = serving_from_shape(a, Hardware(H100), batch=4)
    assert s.weight_bytes_per_step == pytest.approx(2 * a.params_total)
    assert training_plan(a, H100, n_gpus=8).fits
