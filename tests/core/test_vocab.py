"""Tao et al. 2024 (arXiv 2407.13623) vocabulary module: LAWS.md §3 oracles and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.effects import vocab as vb


# --- counting -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("n_nv", "d"),
    [
        (3.3e7, 512),
        (5e7, 512),
        (5.0001e7, 768),
        (1e9, 1536),
        (1.5e9, 2048),
        (2.87e9, 3200),
        (4e10, 6048),
        (1e12, 20480),
        (2e12, 24576),
    ],
)
def test_width_lookup(n_nv, d):
    assert vb.width_for_params(n_nv) == d


def test_width_lookup_vectorised():
    np.testing.assert_array_equal(vb.width_for_params(np.array([1e8, 3e9])), [768, 3200])


@pytest.mark.parametrize(
    ("v", "f"),
    [
        (4096, 0.3318),
        (16384, 0.2723),
        (32000, 0.2524),
        (43000, 0.2454),
        (65536, 0.2374),
        (128000, 0.2293),
        (200_000, 0.2272),
        (250_000, 0.2272),
    ],
)
def test_tokens_per_char_table(v, f):
    assert vb.tokens_per_char(v) == pytest.approx(f, abs=5e-5)


def test_tokens_per_char_caps_at_200k():
    assert vb.tokens_per_char(250_000) == vb.tokens_per_char(200_000)
    assert vb.tokens_per_char(1e7) == vb.tokens_per_char(200_000)


def test_chars_tokens_round_trip_and_flops():
    h = 1e12
    d = vb.tokens_from_chars(h, 50_000)
    assert vb.chars_from_tokens(d, 50_000) == pytest.approx(h)
    assert vb.train_flops(1e9, 32_000, 2048, 1e10) == pytest.approx(
        6 * (1e9 + 32_000 * 2048) * 1e10
    )


# --- approaches 1 and 2 ---------------------------------------------------------------------
def test_approach2_root_oracle():
    assert vb.approach2_root(1e9, 1536) == pytest.approx(54_683, abs=1)


def test_approach1_optimal_flops_oracle():
    assert vb.approach1_optimal_flops(1.5e9) == pytest.approx(3.238e20, rel=5e-4)
    assert vb.approach1_optimal_flops(4e10) == pytest.approx(2.303e23, rel=5e-4)


TABLE = [  # N_nv, d, app. 1 / 2 / 3 at C*, app. 3 at 4·C* (LAWS.md §3, DERIVED)
    (1.5e9, 2048, 34_537, 37_250, 31_459, 45_854),
    (4e10, 6048, 180_071, 195_927, 181_971, 264_655),
]


@pytest.mark.parametrize(("n_nv", "d", "v1", "v2", "v3", "v3x4"), TABLE)
def test_prediction_table(n_nv, d, v1, v2, v3, v3x4):
    c = vb.approach1_optimal_flops(n_nv)
    assert int(vb.approach1_vocab_size(c, d)) == pytest.approx(v1, abs=1)
    assert int(vb.approach2_vocab_size(n_nv, d)) == pytest.approx(v2, abs=1)
    assert int(vb.approach3_optimal_vocab(n_nv, d, c)) == pytest.approx(v3, abs=1)
    assert int(vb.approach3_optimal_vocab(n_nv, d, 4 * c)) == pytest.approx(v3x4, abs=1)


# --- approach 3 -----------------------------------------------------------------------------
def test_approach3_oracle_3b_at_2p3e21():
    v = vb.approach3_optimal_vocab(2.87e9, 3200, 2.3e21)
    assert v == pytest.approx(42_211, rel=0.02)
    assert v == pytest.approx(42_211, abs=1)  # the root itself is exact


def test_approach3_root_zeroes_the_shipped_derivative():
    v = vb.approach3_optimal_vocab(2.87e9, 3200, 2.3e21)
    g = vb.approach3_dloss_dvocab(np.array([0.9 * v, v, 1.1 * v]), 2.87e9, 3200, 2.3e21)
    assert g[0] < 0 < g[2]
    assert abs(g[1]) < 1e-9 * max(abs(g[0]), abs(g[2]))


def test_approach3_agrees_with_brentq():
    from scipy.optimize import brentq

    for n_nv, d, c in [
        (1.5e9, 2048, 3.2e20),
        (2.87e9, 3200, 2.3e21),
        (4e10, 6048, 1e24),
        (5e7, 512, 1e18),
    ]:
        root = brentq(
            lambda v, n_nv=n_nv, d=d, c=c: vb.approach3_dloss_dvocab(v, n_nv, d, c),
            10.0,
            1e9,
            xtol=1e-9,
            rtol=1e-14,
        )
        assert vb.approach3_optimal_vocab(n_nv, d, c) == pytest.approx(root, rel=1e-10)


def test_approach3_vectorised_matches_scalar():
    c = np.array([1e20, 1e21, 1e22])
    vs = vb.approach3_optimal_vocab(1.5e9, 2048, c)
    for ci, vi in zip(c, vs, strict=True):
        assert vb.approach3_optimal_vocab(1.5e9, 2048, ci) == pytest.approx(vi, rel=1e-12)


def test_approach3_is_the_minimum_of_lu():
    n_nv, d, c = 2.87e9, 3200, 2.3e21
    v_opt = vb.approach3_optimal_vocab(n_nv, d, c)
    grid = np.exp(np.linspace(np.log(4e3), np.log(1e6), 4001))
    lu = vb.unigram_normalised_loss(n_nv, grid, d, c)
    assert grid[np.argmin(lu)] == pytest.approx(v_opt, rel=5e-3)
    assert vb.unigram_normalised_loss(n_nv, v_opt, d, c) < 0  # beats unigram frequencies


@settings(max_examples=60, deadline=None)
@given(
    n_nv=st.floats(3e7, 1e11),
    log_c=st.floats(17.5, 25.0),
    factor=st.floats(1.01, 100.0),
)
def test_optimal_vocab_grows_with_compute(n_nv, log_c, factor):
    d = vb.width_for_params(n_nv)
    c = 10.0**log_c
    assert vb.approach3_optimal_vocab(n_nv, d, c * factor) > vb.approach3_optimal_vocab(n_nv, d, c)


def test_loss_change_is_zero_at_optimum_and_positive_elsewhere():
    n_nv, d, c = 2.87e9, 3200, 2.3e21
    v_opt = vb.approach3_optimal_vocab(n_nv, d, c)
    assert vb.vocab_loss_change(n_nv, v_opt, d, c) == pytest.approx(0.0, abs=1e-14)
    ch = vb.vocab_loss_change(n_nv, np.array([8000.0, 32000.0, 150000.0]), d, c)
    assert np.all(ch > 0)
    assert ch[0] > ch[1]  # 8K is further from 42K than 32K


def test_optimal_vocab_band_and_warnings():
    o = vb.optimal_vocab(2.87e9, 2.3e21)
    assert o.d_model == 3200
    assert o.vocab_size == pytest.approx(42_211, abs=1)
    assert o.band[0] <= o.band[1]
    assert o.band == (min(o.approach1, o.approach2), max(o.approach1, o.approach2))
    assert o.warnings == ()
    big = vb.optimal_vocab(4e10, 1e25)
    assert any("beyond" in w for w in big.warnings)
    assert any("200K" in w for w in big.warnings)
    assert vb.optimal_vocab(2.87e9, 2.3e21, d_model=4096).d_model == 4096


def test_vocab_warnings():
    assert vb.vocab_warnings(1e9, 32_000) == ()
    assert len(vb.vocab_warnings(4e9, 300_000)) == 2


# --- sub-allocation without double counting ------------------------------------------------
N_DENSE, D_DENSE = 2.7785e9, 5.999e10  # epoch-2024 at 1e21 (LAWS.md §2.3)


def test_split_at_reference_vocab_is_the_dense_plan():
    s = vb.plan_vocab_split(N_DENSE, D_DENSE, 32_000)
    assert s.n_tokens == pytest.approx(D_DENSE, rel=1e-14)
    assert s.n_params_total == pytest.approx(N_DENSE, rel=1e-14)
    assert s.n_nonvocab + s.n_vocab_params == pytest.approx(N_DENSE, rel=1e-14)
    assert s.n_vocab_params == 32_000 * s.d_model
    assert s.flops == pytest.approx(6 * N_DENSE * D_DENSE, rel=1e-14)


@settings(max_examples=80, deadline=None)
@given(v=st.floats(4096, 400_000))
def test_split_holds_characters_and_flops(v):
    ref = vb.plan_vocab_split(N_DENSE, D_DENSE, 32_000)
    s = vb.plan_vocab_split(N_DENSE, D_DENSE, v)
    assert s.n_chars == pytest.approx(ref.n_chars, rel=1e-14)  # H fixed: data not double counted
    assert s.n_tokens == pytest.approx(s.n_chars * vb.tokens_per_char(v), rel=1e-14)
    assert s.flops == pytest.approx(ref.flops, rel=1e-12)  # budget not double counted
    assert s.n_nonvocab + s.n_vocab_params == pytest.approx(s.n_params_total, rel=1e-14)
    assert s.flops == pytest.approx(
        vb.train_flops(s.n_nonvocab, v, s.d_model, s.n_tokens), rel=1e-12
    )


def test_split_larger_vocab_means_fewer_tokens_same_text():
    small = vb.plan_vocab_split(N_DENSE, D_DENSE, 16_000)
    large = vb.plan_vocab_split(N_DENSE, D_DENSE, 128_000)
    assert large.n_tokens < small.n_tokens
    assert large.n_chars == pytest.approx(small.n_chars)
    assert large.n_params_total > small.n_params_total  # the freed compute buys parameters


def test_split_hold_params_moves_flops():
    s = vb.plan_vocab_split(N_DENSE, D_DENSE, 128_000, hold="params")
    assert s.n_params_total == pytest.approx(N_DENSE)
    assert s.flops < 6 * N_DENSE * D_DENSE  # fewer tokens for the same text


def test_split_non_embedding_convention_adds_vocab_on_top():
    s = vb.plan_vocab_split(1e9, 2e10, 32_000, params_convention="non_embedding", d_model=2048)
    assert s.n_nonvocab == pytest.approx(1e9)
    assert s.n_params_total == pytest.approx(1e9 + 32_000 * 2048)


def test_split_user_width_and_degenerate_case():
    s = vb.plan_vocab_split(N_DENSE, D_DENSE, 50_000, d_model=2560)
    assert s.d_model == 2560
    tiny = vb.plan_vocab_split(5e7, 1e9, 200_000)
    assert tiny.n_nonvocab <= 0 or tiny.n_vocab_params > tiny.n_nonvocab
    assert tiny.warnings


def test_plan_vocab_fixed_point():
    p = vb.plan_vocab(N_DENSE, D_DENSE)
    opt = p.optimal
    assert p.optimal_vocab_size == pytest.approx(
        vb.approach3_optimal_vocab(opt.n_nonvocab, opt.d_model, opt.flops), rel=1e-8
    )
    assert p.split.vocab_size == pytest.approx(p.optimal_vocab_size)
    assert p.loss_change == pytest.approx(0.0, abs=1e-12)
    assert p.band[0] <= p.band[1]
    assert p.iterations < 20


def test_plan_vocab_chosen_vocab_has_positive_loss_change():
    p = vb.plan_vocab(N_DENSE, D_DENSE, 8_000)
    assert p.split.vocab_size == 8_000
    assert p.loss_change > 0
    assert math.isfinite(p.optimal_vocab_size)


def test_plan_vocab_optimum_grows_with_budget():
    # epoch-2024 closed-form allocations (LAWS.md §2.3)
    allocations = [(8.535e8, 1.953e10), (2.7785e9, 5.999e10), (9.5861e10, 1.7386e12)]
    vs = [vb.plan_vocab(n, d).optimal_vocab_size for n, d in allocations]
    assert vs[0] < vs[1] < vs[2]


def test_scalar_and_array_paths_agree():
    n_nv = np.array([5e7, 1.5e9, 2.87e9, 4e10])
    d = vb.width_for_params(n_nv)
    c = np.array([1e18, 3.2e20, 2.3e21, 1e24])
    v = vb.approach3_optimal_vocab(n_nv, d, c)
    lu = vb.unigram_normalised_loss(n_nv, 50_000.0, d, c)
    f = vb.tokens_per_char(np.array([4096.0, 250_000.0]))
    for i in range(4):
        assert vb.width_for_params(float(n_nv[i])) == d[i]
        assert vb.approach3_optimal_vocab(float(n_nv[i]), int(d[i]), float(c[i])) == pytest.approx(
            v[i], rel=1e-12
        )
        args = (float(n_nv[i]), 50_000.0, int(d[i]), float(c[i]))
        assert vb.unigram_normalised_loss(*args) == pytest.approx(lu[i], rel=1e-12)
    assert vb.tokens_per_char(4096.0) == pytest.approx(f[0], rel=1e-15)
    assert vb.tokens_per_char(250_000) == pytest.approx(f[1], rel=1e-15)
    assert math.isnan(vb.approach3_optimal_vocab(-1.0, 512, 1e20))
    assert math.isnan(vb.unigram_normalised_loss(-1.0, 32_000.0, 512, 1e20))
