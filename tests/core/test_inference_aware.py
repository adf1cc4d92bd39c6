"""Sardana et al. 2024 inference-aware allocation (LAWS.md §2.10)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.effects import demand as ia

EPOCH = ia.Coefficients(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)
SARDANA_FIXTURE = ia.Coefficients(
    E=1.69, A=406.4, B=410.7, alpha=0.336, beta=0.283
)  # §2.10 test fixture
ELL = 1.959712  # L*(1e24) for epoch-2024

TABLE = [  # D_inf, N, D_tr, train FLOPs, total FLOPs (LAWS.md §2.10, DERIVED)
    (0.0, 9.5861e10, 1.7386e12, 1.0000e24, 1.0000e24),
    (1e12, 7.8876e10, 2.1441e12, 1.0147e24, 1.1725e24),
    (1e13, 4.8283e10, 4.3223e12, 1.2521e24, 2.2178e24),
    (1e14, 2.9111e10, 1.4544e13, 2.5402e24, 8.3623e24),
]


@pytest.mark.parametrize(("d_inf", "n", "d", "train", "total"), TABLE)
def test_sardana_table(d_inf, n, d, train, total):
    p = ia.inference_aware_plan(ELL, d_inf, EPOCH)
    assert p.n_params == pytest.approx(n, rel=2e-4)
    assert p.n_tokens == pytest.approx(d, rel=2e-4)
    assert p.train_flops == pytest.approx(train, rel=2e-4)
    assert p.total_flops == pytest.approx(total, rel=2e-4)


def test_compute_optimal_total_at_1e13():
    p = ia.inference_aware_plan(ELL, 1e13, EPOCH)
    assert p.compute_optimal_total_flops == pytest.approx(2.917e24, rel=5e-4)
    assert p.total_flops_saving == pytest.approx(
        p.compute_optimal_total_flops - p.total_flops, rel=1e-12
    )
    assert p.total_flops_saving_fraction == pytest.approx(1 - 2.2178 / 2.917, abs=1e-3)


def test_zero_demand_is_the_compute_optimal_plan():
    # §1 closed form for epoch-2024 at 1e24 reaches exactly ELL up to its 7 digits
    p = ia.inference_aware_plan(ELL, 0.0, EPOCH)
    assert p.n_params == p.compute_optimal_n_params
    assert p.n_tokens == p.compute_optimal_n_tokens
    assert p.total_flops_saving == 0.0
    G = (EPOCH.alpha * EPOCH.A / (EPOCH.beta * EPOCH.B)) ** (1 / (EPOCH.alpha + EPOCH.beta))
    a = EPOCH.beta / (EPOCH.alpha + EPOCH.beta)
    c6 = p.train_flops / 6
    assert p.n_params == pytest.approx(G * c6**a, rel=1e-10)  # on the §1 frontier


def test_compute_optimal_minimises_training_flops_on_the_isoloss():
    n0, d0 = ia.compute_optimal_for_loss(ELL, EPOCH)
    ds = d0 * np.exp(np.linspace(-0.5, 0.5, 101))
    flops = 6 * ia.params_for_loss(ELL, ds, EPOCH) * ds
    assert ds[np.argmin(flops)] == pytest.approx(d0, rel=0.011)
    assert 6 * n0 * d0 <= flops.min() * (1 + 1e-12)


@pytest.mark.parametrize("coef", [EPOCH, SARDANA_FIXTURE])
@pytest.mark.parametrize("d_inf", [1e9, 1e12, 3e13, 1e15, 1e18])
def test_newton_matches_brentq(coef, d_inf):
    ell = 2.1
    assert ia.training_tokens(ell, d_inf, coef) == pytest.approx(
        ia.training_tokens_brentq(ell, d_inf, coef), rel=1e-12
    )


def test_solution_is_the_minimum_of_lifetime_flops():
    d_inf = 1e13
    p = ia.inference_aware_plan(ELL, d_inf, EPOCH)
    ds = p.n_tokens * np.exp(np.linspace(-0.3, 0.3, 601))
    ns = ia.params_for_loss(ELL, ds, EPOCH)
    total = 6 * ns * ds + 2 * ns * d_inf
    assert ds[np.argmin(total)] == pytest.approx(p.n_tokens, rel=1.5e-3)
    assert p.total_flops <= total.min() * (1 + 1e-12)


def test_vectorised_over_demand():
    d_inf = np.array([0.0, 1e12, 1e13, 1e14])
    d = ia.training_tokens(ELL, d_inf, EPOCH)
    np.testing.assert_allclose(d, [r[2] for r in TABLE], rtol=2e-4)


@settings(max_examples=80, deadline=None)
@given(
    log_d=st.floats(8.0, 16.0),
    k=st.floats(1.01, 100.0),
    ell=st.floats(1.9, 3.5),
)
def test_properties_more_demand(log_d, k, ell):
    lo = ia.inference_aware_plan(ell, 10.0**log_d, EPOCH)
    hi = ia.inference_aware_plan(ell, 10.0**log_d * k, EPOCH)
    assert hi.n_params <= lo.n_params * (1 + 1e-12)  # more demand never grows N
    assert hi.n_tokens >= lo.n_tokens * (1 - 1e-12)
    assert hi.train_flops >= lo.train_flops * (1 - 1e-12)  # training FLOPs do not fall
    assert lo.n_params <= lo.compute_optimal_n_params * (1 + 1e-12)
    assert lo.total_flops <= lo.compute_optimal_total_flops * (1 + 1e-12)
    assert hi.total_flops_saving_fraction >= lo.total_flops_saving_fraction - 1e-12


def test_crossover_definition():
    t = 0.01
    d_c = ia.crossover_inference_tokens(ELL, EPOCH, t)
    p = ia.inference_aware_plan(ELL, d_c, EPOCH)
    assert p.n_params == pytest.approx((1 - t) * p.compute_optimal_n_params, rel=1e-9)
    before = ia.inference_aware_plan(ELL, 0.9 * d_c, EPOCH)
    assert before.n_params > (1 - t) * before.compute_optimal_n_params
    assert p.crossover_inference_tokens == pytest.approx(d_c)
    assert ia.crossover_inference_tokens(ELL, EPOCH, 0.1) > d_c


def test_params_and_tokens_inverse():
    d = 3e12
    n = ia.params_for_loss(ELL, d, EPOCH)
    assert ia.tokens_for_params(ELL, n, EPOCH) == pytest.approx(d, rel=1e-10)
    assert ia.params_for_loss(ELL, 0.5 * ia.min_training_tokens(ELL, EPOCH), EPOCH) == math.inf


def test_unreachable_loss_and_bad_demand():
    with pytest.raises(ValueError, match="irreducible"):
        ia.training_tokens(1.8, 1e12, EPOCH)
    with pytest.raises(ValueError):
        ia.training_tokens(ELL, -1.0, EPOCH)


# --- MoE leverage: ln EL = k0 + s·ln C, N_eq = EL·N_act -----------------------------------
LEVERAGE = (2.0, 0.08)  # e.g. planner.effects.moe.el_log_affine(0.05, 8) is about (2.2, 0.078)


def test_constant_leverage_keeps_the_dense_tokens():
    dense = ia.inference_aware_plan(ELL, 1e13, EPOCH)
    moe = ia.inference_aware_plan(ELL, 1e13, EPOCH, leverage=(math.log(3.0), 0.0))
    assert moe.n_tokens == pytest.approx(dense.n_tokens, rel=1e-12)
    assert moe.n_params == pytest.approx(dense.n_params / 3.0, rel=1e-12)
    assert moe.total_flops == pytest.approx(dense.total_flops / 3.0, rel=1e-12)


def test_leverage_zero_demand_is_compute_optimal():
    p = ia.inference_aware_plan(ELL, 0.0, EPOCH, leverage=LEVERAGE)
    n0, d0 = ia.compute_optimal_for_loss(ELL, EPOCH)
    assert p.n_tokens == d0
    assert p.n_params == pytest.approx(ia.active_params(n0, d0, LEVERAGE), rel=1e-12)
    assert p.n_params * math.exp(
        LEVERAGE[0] + LEVERAGE[1] * math.log(6 * p.n_params * d0)
    ) == pytest.approx(n0)


@pytest.mark.parametrize("d_inf", [1e11, 1e13, 1e15])
def test_leverage_solution_is_the_minimum_of_lifetime_flops(d_inf):
    p = ia.inference_aware_plan(ELL, d_inf, EPOCH, leverage=LEVERAGE)
    ds = p.n_tokens * np.exp(np.linspace(-0.3, 0.3, 601))
    n_act = ia.active_params(ia.params_for_loss(ELL, ds, EPOCH), ds, LEVERAGE)
    total = n_act * (6 * ds + 2 * d_inf)
    assert ds[np.argmin(total)] == pytest.approx(p.n_tokens, rel=1.5e-3)
    assert p.total_flops <= total.min() * (1 + 1e-12)
    assert p.total_flops_saving >= 0


@settings(max_examples=30, deadline=None)
@given(log_d=st.floats(9.0, 16.0), k=st.floats(1.5, 100.0))
def test_leverage_properties(log_d, k):
    lo = ia.inference_aware_plan(ELL, 10.0**log_d, EPOCH, leverage=LEVERAGE)
    hi = ia.inference_aware_plan(ELL, 10.0**log_d * k, EPOCH, leverage=LEVERAGE)
    assert hi.n_params <= lo.n_params * (1 + 1e-12)
    assert hi.train_flops >= lo.train_flops * (1 - 1e-12)


def test_leverage_crossover_definition():
    d_c = ia.crossover_inference_tokens(ELL, EPOCH, 0.01, LEVERAGE)
    p = ia.inference_aware_plan(ELL, d_c, EPOCH, leverage=LEVERAGE)
    assert p.n_params == pytest.approx(0.99 * p.compute_optimal_n_params, rel=1e-9)


def test_vectorised_leverage_path():
    d = ia.training_tokens(ELL, np.array([0.0, 1e13]), EPOCH, LEVERAGE)
    assert d.shape == (2,)
    assert d[1] == pytest.approx(ia.training_tokens_brentq(ELL, 1e13, EPOCH, LEVERAGE))
