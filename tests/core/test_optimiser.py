"""Properties of the planner: closed form = numerical optimum, monotone frontiers, inverses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.hardware import Hardware, get_accelerator
from planner.optimiser import (
    allocate,
    flops_for_loss,
    frontier,
    isoflop_curve,
    optimal_params_for_tokens,
    optimal_tokens_for_params,
    plan,
)
from planner.presets import builtin_presets, get_law

LOSS_LAWS = ["epoch-2024", "chinchilla-2022-a3", "chinchilla-2022-a3-rounded", "muennighoff-2023"]
ALL_IDS = [p.id for p in builtin_presets()]
budgets = st.floats(min_value=1e16, max_value=1e28)


@pytest.mark.parametrize("preset_id", LOSS_LAWS)
@given(c=budgets)
@settings(max_examples=40, deadline=None)
def test_closed_form_equals_numerical_optimum(preset_id: str, c: float) -> None:
    law = get_law(preset_id)
    n_closed, d_closed = allocate(law, c, "closed")
    n_num, d_num = allocate(law, c, "numerical")
    assert n_num == pytest.approx(n_closed, rel=1e-9)
    assert d_num == pytest.approx(d_closed, rel=1e-9)


@pytest.mark.parametrize("preset_id", LOSS_LAWS)
def test_vectorised_numerical_path_agrees(preset_id: str) -> None:
    law = get_law(preset_id)
    c = np.logspace(17, 28, 400)
    closed = frontier(law, c, "closed")
    num = frontier(law, c, "numerical")
    np.testing.assert_allclose(num.n_params, closed.n_params, rtol=1e-9)
    np.testing.assert_allclose(num.n_tokens, closed.n_tokens, rtol=1e-9)
    np.testing.assert_allclose(num.loss, closed.loss, rtol=1e-12)


def test_numerical_optimum_is_a_minimum_of_the_isoflop_curve() -> None:
    law = get_law("epoch-2024")
    c = 1e23
    n_star, _ = allocate(law, c, "numerical")
    grid = n_star * np.logspace(-1, 1, 201)
    losses = isoflop_curve(law, c, grid)
    assert np.argmin(losses) == 100
    assert float(law.loss(n_star, c / (6 * n_star))) <= losses.min() + 1e-15


def test_kaplan_surface_closed_form_matches_numerical() -> None:
    law = get_law("kaplan-2020")
    for c in (1e19, 1e22, 1e25):
        n_closed, d_closed = law.surface_optimum(c)
        n_num, d_num = allocate(law, c, "numerical")
        assert n_num == pytest.approx(float(n_closed), rel=1e-9)
        assert d_num == pytest.approx(float(d_closed), rel=1e-9)


@pytest.mark.parametrize("preset_id", ALL_IDS)
def test_n_and_d_grow_with_compute(preset_id: str) -> None:
    law = get_law(preset_id)
    f = frontier(law, np.logspace(17, 28, 200))
    assert np.all(np.diff(f.n_params) > 0)
    assert np.all(np.diff(f.n_tokens) > 0)
    if f.loss is not None:
        assert np.all(np.diff(f.loss) < 0)


@pytest.mark.parametrize("preset_id", ALL_IDS)
def test_vectorised_frontier_equals_scalar_plans(preset_id: str) -> None:
    law = get_law(preset_id)
    c = np.logspace(18, 26, 17)
    f = frontier(law, c)
    for i, ci in enumerate(c):
        p = plan(law, float(ci))
        assert p.n_params == pytest.approx(f.n_params[i], rel=1e-12)
        assert p.n_tokens == pytest.approx(f.n_tokens[i], rel=1e-12)
        if f.loss is not None:
            assert p.loss == pytest.approx(f.loss[i], rel=1e-12)


@pytest.mark.parametrize("preset_id", ["epoch-2024", "chinchilla-2022-a3", "porian-2024", "llama3-2024", "kaplan-2020"])
def test_inverse_questions_round_trip(preset_id: str) -> None:
    law = get_law(preset_id)
    n, d = law.allocate_scalar(3e22)
    assert optimal_tokens_for_params(law, n) == pytest.approx(d, rel=1e-8)
    assert optimal_params_for_tokens(law, d) == pytest.approx(n, rel=1e-8)
    if law.has_loss:
        target = float(law.frontier_loss(3e22))
        assert flops_for_loss(law, target) == pytest.approx(3e22, rel=1e-8)


def test_fixed_model_size_spends_the_budget_on_tokens() -> None:
    law = get_law("epoch-2024")
    p = plan(law, 1e22, n_params=1e9)
    assert p.n_params == 1e9 and p.n_tokens == pytest.approx(1e22 / 6e9)
    assert p.loss == pytest.approx(float(law.loss(1e9, 1e22 / 6e9)))
    # a forced size is never better than the compute-optimal one
    assert p.loss > plan(law, 1e22).loss
    q = plan(law, 1e22, n_tokens=1e11)
    assert q.n_params * q.n_tokens * 6 == pytest.approx(1e22)


def test_gpu_hours_budget_round_trips() -> None:
    law = get_law("epoch-2024")
    hw = Hardware(get_accelerator("H100 SXM"), n_gpus=2048, mfu=0.4)
    p = plan(law, gpu_hours=1e6, hardware=hw)
    assert p.flops == pytest.approx(1.42e24, rel=5e-3)  # LAWS.md §6 oracle
    assert p.gpu_hours == pytest.approx(1e6, rel=1e-12)
    q = plan(law, p.flops, hardware=hw)
    assert q.n_params == pytest.approx(p.n_params, rel=1e-12)
    assert p.wall_clock_days == pytest.approx(1e6 / 2048 / 24)
    assert p.cost_usd == pytest.approx(2e6)


def test_extrapolation_is_warned() -> None:
    law = get_law("epoch-2024")
    assert plan(law, 1e21).warnings == ()
    w = plan(law, 1e23).warnings  # 7.7x above the largest fitted budget (1.3e22)
    assert any(s.startswith("Extrapolation") and "Budget" in s for s in w)
    assert any(s.startswith("Far extrapolation") for s in plan(law, 1e25).warnings)  # 769x
    assert any("below the smallest" in s for s in plan(law, 1e17).warnings)


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf, 1e40])
def test_bad_budgets_raise_clear_errors(bad: float) -> None:
    with pytest.raises(ValueError, match="budget|FLOPs"):
        plan(get_law("epoch-2024"), bad)


def test_plan_is_frozen_and_serialisable() -> None:
    p = plan(get_law("epoch-2024"), 1e21)
    with pytest.raises(AttributeError):
        p.n_params = 1.0  # type: ignore[misc]
    d = p.to_dict()
    assert d["formatted"]["n_params"] == "2.7785e9"
    assert d["formatted"]["loss"] == "2.3055"
