"""Hardware conversions and serving-cost accounting (LAWS.md §5-§6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.costs.hardware import (
    CATALOGUE,
    Hardware,
    days_to_gpu_hours,
    flops_to_gpu_hours,
    get_accelerator,
    gpu_hours_to_days,
    gpu_hours_to_flops,
    gpu_hours_to_usd,
    usd_to_gpu_hours,
)
from planner.costs.serving import inference_cost, shape_for_params

REQUIRED = ["A100 80GB SXM", "H100 SXM", "H100 PCIe", "H200 SXM", "B200", "MI300X", "MI325X",
            "TPU v4", "TPU v5e", "TPU v5p", "TPU v6e"]  # fmt: skip


def test_catalogue_has_required_accelerators_with_dense_peaks() -> None:
    for name in REQUIRED:
        assert name in CATALOGUE
    assert CATALOGUE["H100 SXM"].bf16_flops == 989.4e12
    assert CATALOGUE["H100 SXM"].fp8_flops == 1978.9e12
    assert CATALOGUE["TPU v5p"].bandwidth_bytes == 2765e9
    assert get_accelerator("h100-sxm") is CATALOGUE["H100 SXM"]
    with pytest.raises(KeyError, match="unknown GPU"):
        get_accelerator("Z9000")


def test_million_h100_hours_oracle() -> None:
    # LAWS.md §6: 1e6 H100-hours at MFU 0.40 gives 1.42e24 FLOPs
    assert gpu_hours_to_flops(1e6, Hardware(CATALOGUE["H100 SXM"], mfu=0.4)) == pytest.approx(1.42e24, rel=5e-3)


@given(
    gh=st.floats(1e-2, 1e10),
    mfu=st.floats(0.01, 1.0),
    n=st.integers(1, 100_000),
    name=st.sampled_from(sorted(CATALOGUE)),
)
def test_conversions_round_trip(gh: float, mfu: float, n: int, name: str) -> None:
    hw = Hardware(CATALOGUE[name], n_gpus=n, mfu=mfu)
    assert flops_to_gpu_hours(gpu_hours_to_flops(gh, hw), hw) == pytest.approx(gh, rel=1e-12)
    assert days_to_gpu_hours(gpu_hours_to_days(gh, hw), hw) == pytest.approx(gh, rel=1e-12)
    assert usd_to_gpu_hours(gpu_hours_to_usd(gh, hw), hw) == pytest.approx(gh, rel=1e-12)


@pytest.mark.parametrize("kwargs", [{"mfu": 0.0}, {"mfu": 1.5}, {"n_gpus": 0}, {"usd_per_gpu_hour": -1.0}])
def test_bad_hardware_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError, match="out of range"):
        Hardware(**kwargs)


def test_fp8_uses_fp8_peak_and_tpu_has_none() -> None:
    assert Hardware(CATALOGUE["H100 SXM"], precision="fp8").peak_flops == 1978.9e12
    with pytest.raises(ValueError, match="no FP8"):
        Hardware(CATALOGUE["TPU v5e"], precision="fp8")


def test_former_continuous_shape_rule_matches_kaplan_param_count() -> None:
    # Kaplan Table 1: N = 12·n_layer·d² ; GPT-3 (96 layers, d 12288) -> 1.74e11
    assert 12 * 96 * 12288**2 == pytest.approx(1.74e11, rel=1e-2)
    s = shape_for_params(1.74e11, aspect_ratio=128.0)
    assert 12 * s.n_layer * s.d_model**2 == pytest.approx(1.74e11)
    assert s.d_model / s.n_layer == pytest.approx(128)


def test_serving_shape_of_a_70b_model_has_llama_2_70b_kv_cache() -> None:
    # LAWS.md §5: (80 layers, 8 KV heads, d_head 128) -> 327,680 bytes/token in BF16. Llama-2-70B has
    # 68,976,648,192 parameters (its config, tests/data/hf_configs/llama-2-70b.json).
    hw = Hardware(CATALOGUE["H100 SXM"])
    s = shape_for_params(68_976_648_192)
    assert (s.n_layer, s.kv_dim) == (80, 8 * 128)
    assert inference_cost(68_976_648_192, hw).kv_bytes_per_token == 327_680


def test_inference_flops_and_memory() -> None:
    hw = Hardware(CATALOGUE["H100 SXM"])
    n = 7e10
    cost = inference_cost(n, hw, context=4096, batch=1)
    s = shape_for_params(n)
    assert cost.flops_per_token == pytest.approx(2 * n + 4 * s.n_layer * 4096 * s.d_model)
    assert cost.flops_per_token > 2 * n
    # BF16 weights + KV cache of one 4096-token sequence (8 KV heads x 128)
    assert cost.kv_bytes_per_token == pytest.approx(2 * s.n_layer * 1024 * 2)
    assert cost.serving_memory_bytes == pytest.approx(2 * n + cost.kv_bytes_per_token * 4096)
    # batch 1 decoding is bandwidth-bound on an H100 (arithmetic intensity ≪ 295 FLOP/byte)
    assert cost.bound == "bandwidth"
    assert cost.usd_per_million_tokens == cost.usd_per_million_bandwidth_bound


def test_large_batches_become_compute_bound_and_cheaper() -> None:
    hw = Hardware(CATALOGUE["H100 SXM"])
    small = inference_cost(7e9, hw, context=128, batch=1)
    big = inference_cost(7e9, hw, context=128, batch=4096)
    assert big.bound == "compute"
    assert big.usd_per_million_tokens < small.usd_per_million_tokens
    assert big.usd_per_million_tokens == pytest.approx(big.usd_per_million_compute_bound)


def test_moe_memory_follows_total_and_flops_follow_active() -> None:
    hw = Hardware(CATALOGUE["H100 SXM"])
    dense = inference_cost(3.7e10, hw)
    moe = inference_cost(3.7e10, hw, n_total=6.71e11)
    assert moe.flops_per_token == dense.flops_per_token
    assert moe.serving_memory_bytes - dense.serving_memory_bytes == pytest.approx(2 * (6.71e11 - 3.7e10))
