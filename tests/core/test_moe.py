"""MoE laws: Ling EL (LAWS.md §4.1) and Krajewski fine-grained MoE (§4.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.effects import moe


# --- Ling EL, Eq. 13 (log10 C, log2 G) ---------------------------------------------------
@pytest.mark.parametrize("g", [2, 8, 12])
@pytest.mark.parametrize("c", [1e20, 1e22])
def test_el_dense_is_just_below_one(g, c):
    el = moe.efficiency_leverage(1.0, g, c)
    assert 0.98955 <= el <= 0.99375  # 0.9896–0.9937 as printed (4 decimals)
    assert moe.efficiency_leverage(1.0, g, c, clamp_dense=True) == 1.0


@pytest.mark.parametrize(
    ("a", "g", "c", "el"), [(0.078, 2, 1e20, 2.525), (0.1, 4, 1e21, 3.164), (0.05, 8, 1e20, 3.808)]
)
def test_el_oracles(a, g, c, el):
    assert moe.efficiency_leverage(a, g, c) == pytest.approx(el, abs=6e-4)


def test_el_paper_claims():
    assert moe.efficiency_leverage(0.031, 12, 1e22) > 7
    g_star = moe.optimal_granularity()
    assert 8 <= g_star <= 12
    grid = np.linspace(1, 64, 6301)
    assert grid[np.argmax(moe.efficiency_leverage(0.031, grid, 1e22))] == pytest.approx(
        g_star, abs=0.01
    )


def test_el_log_base_is_labelled_in_one_place():
    assert moe.EL_LOG_BASE_C == 10.0
    assert moe.EL_LOG_BASE_G == 2.0
    assert "reconstruction" in moe.EL_LOG_BASE_LABEL


@given(a=st.floats(0.01, 0.9), g=st.floats(2, 16), log_c=st.floats(18, 24), k=st.floats(1.1, 10))
def test_el_monotone_in_activation_and_compute(a, g, log_c, k):
    c = 10.0**log_c
    assert (
        moe.efficiency_leverage(a, g, c) > moe.efficiency_leverage(min(a * k, 1.0), g, c)
        or a * k >= 1
    )
    assert moe.efficiency_leverage(a, g, c * k) > moe.efficiency_leverage(a, g, c)


def test_effective_activation():
    assert moe.effective_activation(0.078) == pytest.approx(0.078 + 0.0163, abs=1e-6)


def test_dense_equivalent_flops():
    assert moe.dense_equivalent_flops(0.078, 2, 1e20) == pytest.approx(2.525e20, rel=3e-4)


# --- Ling allocation ---------------------------------------------------------------------
def test_ling_allocation_oracles():
    _m, d = moe.ling_moe_allocation(1e22)
    assert d == pytest.approx(3.23e11, abs=0.005e11)
    _md, dd = moe.ling_dense_allocation(1e22)
    assert dd == pytest.approx(1.80e11, abs=0.005e11)
    m20, d20 = moe.ling_dense_allocation(1e20)
    assert m20 == pytest.approx(4.57e9, abs=0.005e9)  # 3 significant figures as printed
    assert d20 == pytest.approx(2.19e10, abs=0.005e10)


@pytest.mark.parametrize("c", [1e18, 1e20, 1e22, 1e24])
def test_ling_allocation_is_compute_consistent(c):
    for m, d in (moe.ling_moe_allocation(c), moe.ling_dense_allocation(c)):
        assert m * d == pytest.approx(c, rel=6e-4)  # M·D = C within 0.06% (LAWS.md §4.1)


def test_m_and_total_param_conversions():
    assert moe.active_params_from_m(6e9) == pytest.approx(1e9)
    assert moe.m_from_active_params(1e9) == pytest.approx(6e9)
    assert moe.total_params_from_active(1e9, 0.05) == pytest.approx(2e10)
    assert moe.total_params_from_active(1e9, 1.0) == pytest.approx(1e9)
    assert moe.total_params_from_active(1e9, 0.05, non_expert_fraction=0.3) == pytest.approx(
        1e9 * (0.3 + 0.7 / 0.05)
    )
    assert "M/6" in moe.M_CONVERSION_LABEL


def test_ling_learning_rate_and_batch():
    assert moe.ling_learning_rate(1e22) == pytest.approx(5.01e-4, rel=1e-3)
    assert moe.ling_batch_size(1e22) == pytest.approx(7.21e6, rel=1e-3)


def test_ling_plan_dense_limit():
    p = moe.ling_plan(1e20, 1.0, 2)
    assert p.efficiency_leverage == 1.0
    assert p.n_params_total == p.n_params_active
    m, d = moe.ling_dense_allocation(1e20)
    assert p.n_tokens == pytest.approx(d)
    assert p.n_params_active == pytest.approx(m / 6)
    assert p.warnings == ()


def test_ling_plan_moe():
    p = moe.ling_plan(1e20, 0.078, 2)
    assert p.efficiency_leverage == pytest.approx(2.525, abs=6e-4)
    assert p.n_params_total == pytest.approx(p.n_params_active / 0.078)
    assert p.flops_per_token * p.n_tokens == pytest.approx(1e20, rel=6e-4)
    assert not any("outside" in w for w in p.warnings)  # inside the fitted grid
    assert moe.EL_LOG_BASE_LABEL in p.labels


def test_moe_warnings_grid_and_reasoning():
    w = moe.moe_warnings(0.005, 32, 1e22, n_tokens=1e11, n_params_total=1e12)
    text = " | ".join(w)
    assert "outside Ling's fitted" in text
    assert "below the fitted 0.8%" in text
    assert "outside the fitted 2–16" in text
    assert "low active compute" in text
    assert "tokens per total parameter" in text
    assert moe.moe_warnings(1.0, 2, 1e25) == ()
    quiet = moe.moe_warnings(0.078, 2, 1e20, n_tokens=2e11, n_params_total=1e10)
    assert quiet == ()


# --- Krajewski ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_act", "g", "d", "n_tot", "flops", "loss"),
    [(5e8, 8, 2e10, 2.15e10, 6.431e19, 2.6267), (2e9, 16, 1e11, 8.6e10, 1.309e21, 2.2377)],
)
def test_krajewski_oracles(n_act, g, d, n_tot, flops, loss):
    assert moe.krajewski_total_params(n_act) == pytest.approx(n_tot, rel=1e-12)
    assert moe.krajewski_flops(n_act, g, d) == pytest.approx(flops, rel=5e-4)
    assert moe.krajewski_loss(n_tot, d, g) == pytest.approx(loss, abs=6e-5)


def test_krajewski_dense_oracle():
    assert moe.krajewski_dense_loss(1e9, 2e10) == pytest.approx(2.9803, abs=6e-5)


def test_krajewski_shape():
    n_blocks, d = moe.krajewski_shape(5e8)
    assert d == pytest.approx(64 * n_blocks)
    assert 12 * d**2 * n_blocks == pytest.approx(5e8)


def test_krajewski_allocate_is_optimal():
    n_act, d, loss = moe.krajewski_allocate(1e21, 8)
    assert moe.krajewski_flops(n_act, 8, d) == pytest.approx(1e21, rel=1e-9)
    for f in (0.8, 1.25):
        n2 = n_act * f
        d2 = 1e21 / moe.krajewski_flops_per_token(n2, 8)
        assert moe.krajewski_loss(moe.krajewski_total_params(n2), d2, 8) > loss


def test_krajewski_dense_frontier_round_trip():
    # compute-optimal dense loss at C, then back to C
    from scipy.optimize import minimize_scalar

    c = 1e21
    res = minimize_scalar(
        lambda x: moe.krajewski_dense_loss(math.exp(x), c / (6 * math.exp(x))),
        bounds=(10, 30),
        method="bounded",
        options={"xatol": 1e-10},
    )
    assert moe.krajewski_dense_flops_for_loss(res.fun) == pytest.approx(c, rel=1e-6)
    assert moe.krajewski_dense_flops_for_loss(0.4) == math.inf


def test_krajewski_plan_matches_paper_claim_at_1e20():
    # "a compute-optimal MoE at 1e20 matches dense at 20x compute" (LAWS.md §4.2, CONFIRMED claim)
    p = moe.krajewski_plan(1e20, 8)
    assert 15 < p.efficiency_leverage < 25
    assert p.n_params_total == pytest.approx(43 * p.n_params_active)
    assert p.loss is not None
    assert any("C4" in w for w in p.warnings)


def test_krajewski_warnings():
    w = moe.krajewski_warnings(1e12, 1e13, 32, activation=0.1)
    text = " | ".join(w)
    assert "129M–3.7B" in text and "16B–130B" in text and "1–16" in text and "E = 64" in text
    assert len(moe.krajewski_warnings(1e9, 5e10, 8, activation=1 / 64)) == 1  # only the C4 note


def test_granularity_conversion():
    assert moe.ling_to_krajewski_granularity(12) == 24


def test_krajewski_inference_aware_zero_demand_is_the_dual_optimum():
    p = moe.krajewski_plan(1e21, 8)
    r = moe.krajewski_inference_aware(p.loss, 0.0, 8)
    assert r.n_params_active == pytest.approx(p.n_params_active, rel=1e-6)
    assert r.n_tokens == pytest.approx(p.n_tokens, rel=1e-6)
    assert r.train_flops == pytest.approx(1e21, rel=1e-9)


def test_krajewski_inference_aware_properties():
    p = moe.krajewski_plan(1e21, 8)
    lo = moe.krajewski_inference_aware(p.loss, 1e11, 8)
    hi = moe.krajewski_inference_aware(p.loss, 1e13, 8)
    assert hi.n_params_active < lo.n_params_active < p.n_params_active
    assert hi.train_flops > lo.train_flops > 1e21 * (1 - 1e-9)
    assert lo.total_flops <= lo.compute_optimal_total_flops
    n_tot = moe.krajewski_total_params(hi.n_params_active)
    assert moe.krajewski_loss(n_tot, hi.n_tokens, 8) == pytest.approx(p.loss, rel=1e-12)
    with pytest.raises(ValueError):
        moe.krajewski_inference_aware(0.4, 1e12, 8)


def test_el_affine_form_and_inverses():
    a, g = 0.05, 8
    k0, s = moe.el_log_affine(a, g)
    for c in (1e19, 1e22):
        assert math.log(moe.efficiency_leverage(a, g, c)) == pytest.approx(
            k0 + s * math.log(c), rel=1e-12
        )
    assert moe.el_log_affine(1.0, 8) == (0.0, 0.0)
    c = moe.budget_for_dense_equivalent(3e22, a, g)
    assert moe.efficiency_leverage(a, g, c) * c == pytest.approx(3e22, rel=1e-12)
    n_act = moe.active_params_for_equivalent(5e10, 1e12, a, g)
    assert n_act * moe.efficiency_leverage(a, g, 6 * n_act * 1e12) == pytest.approx(5e10, rel=1e-12)
