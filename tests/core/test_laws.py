"""Published and derived oracles for every built-in law (LAWS.md, tolerances as stated there)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner import flops_for_loss, frontier, plan
from planner.laws import deepseek_m
from planner.presets.load import builtin_ids, get_law

EXPECTED_IDS = {
    "epoch-2024", "chinchilla-2022-a3", "chinchilla-2022-a3-rounded", "chinchilla-2022-a1", "kaplan-2020",
    "porian-2024", "deepseek-2024", "llama3-2024", "muennighoff-2023",
}  # fmt: skip


def test_every_preset_ships_and_default_is_epoch() -> None:
    assert set(builtin_ids()) >= EXPECTED_IDS
    assert builtin_ids()[0] == "epoch-2024"


@pytest.mark.parametrize("preset_id", sorted(EXPECTED_IDS))
def test_every_preset_has_citation_and_plans(preset_id: str) -> None:
    law = get_law(preset_id)
    assert law.info.citation.arxiv and law.info.citation.text
    p = plan(law, 1e21)
    assert p.n_params > 0 and p.n_tokens > 0 and math.isfinite(p.tokens_per_param)
    assert (p.loss is None) == (not law.has_loss)


# LAWS.md §2.3 DERIVED oracle table (G = 0.119630, a = 0.512612): 5 significant figures
EPOCH_TABLE = [
    (1e18, 8.0532e7, 2.0696e9, 25.70, 3.49049),
    (1e20, 8.535e8, 1.953e10, 22.88, 2.55341),
    (1e21, 2.7785e9, 5.999e10, 21.59, 2.30553),
    (5.76e23, 7.2249e10, 1.3287e12, 18.39, 1.97444),
    (1e24, 9.5861e10, 1.7386e12, 18.14, 1.95971),
    (1e25, 3.1207e11, 5.3407e12, 17.11, 1.91173),
    (1e26, 1.0159e12, 1.6405e13, 16.15, 1.87990),
]


@pytest.mark.parametrize(("c", "n", "d", "ratio", "loss"), EPOCH_TABLE)
def test_epoch_refit_oracles(c: float, n: float, d: float, ratio: float, loss: float) -> None:
    p = plan(get_law("epoch-2024"), c)
    assert p.n_params == pytest.approx(n, rel=1e-3)
    assert p.n_tokens == pytest.approx(d, rel=1e-3)
    assert p.tokens_per_param == pytest.approx(ratio, rel=1e-3)
    assert p.loss == pytest.approx(loss, rel=1e-5)


def test_epoch_constants_and_other_oracles() -> None:
    law = get_law("epoch-2024")
    assert law.G == pytest.approx(0.119630, rel=1e-5)
    assert law.a == pytest.approx(0.512612, rel=1e-5)
    assert law.K == pytest.approx(1967.86, rel=1e-5)
    assert law.loss(70e9, 1.4e12) == pytest.approx(1.97388, rel=1e-5)
    assert law.loss(1e9, 2e10) == pytest.approx(2.53005, rel=1e-5)
    assert law.flops_for_params(7e10) == pytest.approx(5.415e23, rel=1e-3)
    assert flops_for_loss(law, 2.0) == pytest.approx(2.4748e23, rel=1e-4)
    assert flops_for_loss(law, law.E) == math.inf


def test_done_when_oracle_four_significant_figures() -> None:
    p = plan(get_law("epoch-2024"), 1e21)
    assert f"{p.n_params:.4e}" == "2.7785e+09"
    assert f"{p.n_tokens:.4e}" == "5.9985e+10"
    assert f"{p.loss:.4f}" == "2.3055"


# LAWS.md §2.2 DERIVED closed forms: printed (rounded) and full-precision sets, rtol 1e-3
CHINCHILLA = {
    "chinchilla-2022-a3-rounded": [
        (1e21, 1.8242e9, 9.136e10, 50.08, 2.32888),
        (5.76e23, 3.2190e10, 2.982e12, 92.65, 1.93075),
        (1e24, 4.1297e10, 4.036e12, 97.73, 1.91120),
        (1e25, 1.1682e11, 1.427e13, 122.12, 1.84532),
    ],
    "chinchilla-2022-a3": [
        (1e21, 2.2170e9, 7.518e10, 33.91, 2.29549),
        (5.76e23, 4.0361e10, 2.3785e12, 58.93, 1.91841),
        (1e24, 5.1920e10, 3.2101e12, 61.83, 1.89999),
        (1e25, 1.4855e11, 1.1220e13, 75.53, 1.83802),
    ],
}


@pytest.mark.parametrize("preset_id", sorted(CHINCHILLA))
def test_chinchilla_approach3_oracles(preset_id: str) -> None:
    law = get_law(preset_id)
    for c, n, d, ratio, loss in CHINCHILLA[preset_id]:
        p = plan(law, c)
        assert p.n_params == pytest.approx(n, rel=1e-3)
        assert p.n_tokens == pytest.approx(d, rel=1e-3)
        assert p.tokens_per_param == pytest.approx(ratio, rel=1e-3)
        assert p.loss == pytest.approx(loss, rel=1e-3)


def test_chinchilla_gopher_budget_and_exponents() -> None:
    full, printed = get_law("chinchilla-2022-a3"), get_law("chinchilla-2022-a3-rounded")
    assert full.a == pytest.approx(0.4565, abs=1e-4) and full.G == pytest.approx(1.30005, rel=1e-5)
    assert printed.a == pytest.approx(0.4516, abs=1e-4) and printed.G == pytest.approx(1.34471, rel=1e-5)
    # "Approach 3 -> 40B at the Gopher budget" (Hoffmann Fig. 4) with the full-precision set
    assert plan(full, 5.76e23).n_params == pytest.approx(40e9, rel=0.02)
    assert printed.loss(70e9, 1.4e12) == pytest.approx(1.93665, rel=1e-3)
    assert full.loss(70e9, 1.4e12) == pytest.approx(1.92085, rel=1e-3)
    assert any("Legacy" in w for w in plan(printed, 1e21).warnings)


# Hoffmann Table 3 (Approach 1), params and tokens, with ~5% tolerance (LAWS.md §2.2)
TABLE3 = [
    (1.92e19, 400e6, 8.0e9), (1.21e20, 1e9, 20.2e9), (1.23e22, 10e9, 205.1e9), (5.76e23, 67e9, 1.5e12),
    (3.85e24, 175e9, 3.7e12), (9.90e24, 280e9, 5.9e12), (3.43e25, 520e9, 11.0e12), (1.27e26, 1e12, 21.2e12),
    (1.30e28, 10e12, 216.2e12),
]  # fmt: skip


@pytest.mark.parametrize(("c", "n", "d"), TABLE3)
def test_chinchilla_approach1_table3(c: float, n: float, d: float) -> None:
    p = plan(get_law("chinchilla-2022-a1"), c)
    assert p.n_params == pytest.approx(n, rel=0.05)
    assert p.n_tokens == pytest.approx(d, rel=0.05)
    assert p.loss is None


def test_chinchilla_approach1_d4_oracle() -> None:
    # App. D.4: at 1e21 Approach 1 gives 2.86B
    assert plan(get_law("chinchilla-2022-a1"), 1e21).n_params == pytest.approx(2.860e9, rel=1e-3)


# Kaplan Table 6 / Eq. 1.3 DERIVED table (LAWS.md §2.1)
KAPLAN = [(8.64e19, 1.300e9, 2.000e10, 2.6581), (1e21, 7.768e9, 3.874e10, 2.3518),
          (1e23, 2.240e11, 1.343e11, 1.8681), (1e24, 1.203e12, 2.501e11, 1.6649)]  # fmt: skip


@pytest.mark.parametrize(("c", "n", "d", "loss"), KAPLAN)
def test_kaplan_oracles(c: float, n: float, d: float, loss: float) -> None:
    p = plan(get_law("kaplan-2020"), c)
    assert p.n_params == pytest.approx(n, rel=1e-3)
    assert p.n_tokens == pytest.approx(d, rel=1e-3)
    assert p.loss == pytest.approx(loss, rel=1e-4)
    assert p.n_meaning == "non_embedding"


def test_kaplan_published_ratios_and_surface() -> None:
    law = get_law("kaplan-2020")
    n1, d1 = law.allocate_scalar(1e22)
    n2, d2 = law.allocate_scalar(1e23)
    assert n2 / n1 == pytest.approx(5.37, rel=1e-2)  # "10x compute => model x5.5"
    assert d2 / d1 == pytest.approx(1.86, rel=1e-2)  # "data x1.8"
    assert law.loss(1e9, 1e10) == pytest.approx(2.4197, rel=1e-4)  # Eq. 1.5 with Table 2 constants
    # Table 6 is not 6ND-consistent: 6·N·D / C = 1.806 at every budget
    for c in (1e20, 1e24):
        n, d = law.allocate_scalar(c)
        assert 6 * n * d / c == pytest.approx(1.806, rel=1e-3)


def test_porian_oracles() -> None:
    p = plan(get_law("porian-2024"), 1e21)
    assert p.n_params == pytest.approx(3.237e9, rel=1e-3)
    assert p.n_tokens == pytest.approx(5.147e10, rel=1e-3)
    assert get_law("porian-2024").allocate_scalar(5.88e23)[0] == pytest.approx(7.69e10, rel=5e-3)


def test_deepseek_eq2_table3_ratios() -> None:
    # Table 3 of arXiv 2401.02954: (8 layers, d 512) and (80, 8192), vocab 102400, l_seq 4096
    m = deepseek_m(8, 512, 4096)
    n1 = 12 * 8 * 512**2
    n2 = n1 + 102400 * 512
    assert n1 == pytest.approx(25.2e6, rel=2e-3)
    assert n2 == pytest.approx(77.6e6, rel=2e-3)
    assert m == pytest.approx(352e6, rel=2e-3)
    assert 6 * n1 / m == pytest.approx(0.43, abs=0.005)
    assert 6 * n2 / m == pytest.approx(1.32, abs=0.005)
    big = deepseek_m(80, 8192, 4096)
    assert 6 * 12 * 80 * 8192**2 / big == pytest.approx(0.92, abs=0.005)
    assert 6 * (12 * 80 * 8192**2 + 102400 * 8192) / big == pytest.approx(0.94, abs=0.005)


@pytest.mark.parametrize(("c", "m", "d"), [(1e17, 1.404e8, 7.123e8), (1e20, 5.251e9, 1.905e10),
                                           (1e22, 5.873e10, 1.703e11), (1e25, 2.197e12, 4.553e12)])
def test_deepseek_allocation_oracles(c: float, m: float, d: float) -> None:
    law = get_law("deepseek-2024")
    n, dd = law.allocate_scalar(c)
    assert dd == pytest.approx(d, rel=1e-3)
    # N converts M through the stated architecture rule; converting back gives M* exactly
    assert law.train_flops(n, dd) / dd == pytest.approx(m, rel=1e-3)
    assert 6 * n < m  # M includes attention, so 6N < M


@pytest.mark.parametrize(("c", "d", "n"), [(1e20, 1.155e10, 1.444e9), (1e22, 1.326e11, 1.257e10),
                                           (1e24, 1.522e12, 1.095e11)])
def test_llama3_oracles(c: float, d: float, n: float) -> None:
    p = plan(get_law("llama3-2024"), c)
    assert p.n_tokens == pytest.approx(d, rel=1e-3)
    assert p.n_params == pytest.approx(n, rel=1e-3)
    assert any("mismatch" in w for w in p.warnings)


def test_llama3_loose_405b_oracle() -> None:
    # 3.8e25 -> 402B on 16.55T in the paper; LAWS.md: a loose oracle only (±40% on D)
    p = plan(get_law("llama3-2024"), 3.8e25)
    assert p.n_tokens == pytest.approx(1.046e13, rel=1e-3)
    assert p.n_tokens == pytest.approx(16.55e12, rel=0.4)


def test_muennighoff_oracles() -> None:
    law = get_law("muennighoff-2023")
    assert law.A == pytest.approx(520.82, rel=1e-5) and law.B == pytest.approx(1487.72, rel=1e-5)
    assert law.G == pytest.approx(0.225802, rel=1e-5)
    assert law.loss(1e9, 2e10) == pytest.approx(2.56464, rel=1e-5)
    n, u = 8.7e9, 178e9
    assert law.loss(n, u, u) == pytest.approx(2.19216, rel=1e-5)
    n_eff, d_eff = law.effective(n, 4 * u, u)
    assert d_eff == pytest.approx(6.632e11, rel=1e-3)
    assert law.loss(n, 4 * u, u) == pytest.approx(2.13266, rel=1e-5)
    assert law.effective(n, 16 * u, u)[1] == pytest.approx(1.884e12, rel=1e-3)
    assert law.loss(n, 16 * u, u) == pytest.approx(2.10163, rel=1e-5)
    # unconstrained D/N is constant (alpha = beta): 19.6
    assert plan(law, 1e20).tokens_per_param == pytest.approx(19.6, rel=5e-3)
    assert plan(law, 1e24).tokens_per_param == pytest.approx(19.6, rel=5e-3)


def test_loss_is_vectorised() -> None:
    law = get_law("epoch-2024")
    n = np.array([1e9, 7e10])
    d = np.array([2e10, 1.4e12])
    np.testing.assert_allclose(law.loss(n, d), [2.53005, 1.97388], rtol=1e-5)
    f = frontier(law, np.logspace(18, 26, 9))
    assert f.n_params.shape == (9,) and f.loss is not None
