"""Hyperparameter laws: Step Law (LAWS.md §2.8), DeepSeek (§2.6), Ling (§4.1), Kaplan (§2.1)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner.effects import hyperparams as hp


@pytest.mark.parametrize(
    ("n", "d", "lr", "batch"),
    [
        (1e9, 1e11, 1.632e-3, 1.108e6),
        (4e8, 4e10, 2.368e-3, 6.565e5),
        (7e9, 2e12, 1.023e-3, 6.128e6),
        (7e10, 1.4e12, 1.775e-4, 4.999e6),
    ],
)
def test_step_law_oracles(n, d, lr, batch):
    est = hp.step_law(n, d)
    assert est.learning_rate == pytest.approx(lr, rel=5e-4)
    assert est.batch_size_tokens == pytest.approx(batch, rel=5e-4)
    assert "2503.04715" in est.source
    assert est.warnings == (hp.STEP_LAW_REFIT_WARNING,)
    assert "issue #10" in hp.STEP_LAW_REFIT_WARNING


@pytest.mark.parametrize(
    ("c", "lr", "batch"),
    [
        (1e17, 2.338e-3, 1.062e5),
        (1e20, 9.86e-4, 1.017e6),
        (1e22, 5.545e-4, 4.588e6),
        (1e25, 2.338e-4, 4.394e7),
    ],
)
def test_deepseek_oracles(c, lr, batch):
    est = hp.deepseek(c)
    assert est.learning_rate == pytest.approx(lr, rel=5e-4)
    assert est.batch_size_tokens == pytest.approx(batch, rel=5e-4)
    assert "2401.02954" in est.source


def test_deepseek_warns_far_outside_fit():
    assert hp.deepseek(1e19).warnings == ()
    assert hp.deepseek(1e25).warnings


def test_ling_moe_oracle():
    est = hp.ling_moe(1e22)
    assert est.learning_rate == pytest.approx(5.01e-4, rel=1e-3)
    assert est.batch_size_tokens == pytest.approx(7.21e6, rel=1e-3)
    assert "2507.17702" in est.source
    assert any("extrapolation" in w for w in est.warnings)
    assert not any("extrapolation" in w for w in hp.ling_moe(1e19).warnings)


def test_kaplan_critical_batch_oracles():
    assert hp.kaplan_critical_batch(3.0) == pytest.approx(1.069e6, rel=5e-4)
    assert hp.kaplan_critical_batch(2.5) == pytest.approx(2.547e6, rel=5e-4)


def test_vectorised():
    c = np.array([1e17, 1e20])
    est = hp.deepseek(c)
    assert isinstance(est.learning_rate, np.ndarray)
    assert est.learning_rate.shape == (2,)
    assert isinstance(hp.deepseek(1e20).learning_rate, float)


@given(st.floats(1e8, 1e11), st.floats(1e9, 1e13))
def test_step_law_directions(n, d):
    base = hp.step_law(n, d)
    more_data = hp.step_law(n, 2 * d)
    bigger = hp.step_law(2 * n, d)
    assert more_data.learning_rate > base.learning_rate  # LR rises with D (LAWS.md §2.8)
    assert more_data.batch_size_tokens > base.batch_size_tokens
    assert bigger.learning_rate < base.learning_rate


def test_recommend_orders_sources():
    dense = hp.recommend(1e9, 2e10, 1.2e20)
    assert [e.source for e in dense] == [hp.STEP_LAW_SOURCE, hp.DEEPSEEK_SOURCE]
    moe = hp.recommend(1e9, 2e10, 1.2e20, moe=True)
    assert moe[0].source == hp.LING_SOURCE
