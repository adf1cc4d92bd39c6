"""Properties of the planner: closed form = numerical optimum, monotone frontiers, inverses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import (
    Plan,
    flops_for_loss,
    frontier,
    isoflop_curve,
    optimal_params_for_tokens,
    optimal_tokens_for_params,
    plan,
)
from planner.costs.hardware import Hardware, get_accelerator
from planner.presets.load import builtin_presets, get_law
from planner.solve.allocation import allocate

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
    from planner.summary import plan_json

    d = plan_json(p)
    assert d["formatted"]["n_params"].startswith("2.78B [")  # with its bootstrap interval (#13)
    assert d["formatted"]["loss"].startswith("2.3055 [")


# ---------------------------------------------------------------------------------------------
# the sliders' science inside plan(): vocabulary, MoE, inference demand, data limit


def _same_plan(a: Plan, b: Plan) -> None:
    for key in ("n_params", "n_tokens", "loss", "train_flops", "n_params_total", "n_params_active", "warnings",
                "serving_memory_bytes", "inference_flops_per_token", "learning_rate", "batch_size_tokens"):
        assert getattr(a, key) == getattr(b, key), key


@pytest.mark.parametrize("preset_id", ["epoch-2024", "muennighoff-2023", "kaplan-2020", "deepseek-2024"])
def test_unlimited_unique_data_changes_nothing(preset_id: str) -> None:
    law = get_law(preset_id)
    base = plan(law, 1e21)
    _same_plan(plan(law, 1e21, unique_tokens=math.inf), base)
    assert plan(law, 1e21, unique_tokens=math.inf).epochs is None


@pytest.mark.parametrize("preset_id", ["epoch-2024", "muennighoff-2023"])
def test_ample_unique_data_keeps_the_plan(preset_id: str) -> None:
    law = get_law(preset_id)
    base = plan(law, 1e21)
    p = plan(law, 1e21, unique_tokens=10 * base.n_tokens)
    assert p.n_params == pytest.approx(base.n_params, rel=1e-12)
    assert p.loss == pytest.approx(base.loss, rel=1e-12)
    assert p.epochs == pytest.approx(0.1)


def test_data_limit_uses_muennighoff() -> None:
    from planner.effects import data_limit as dc

    law = get_law("muennighoff-2023")
    p = plan(law, 1e22, unique_tokens=2e10)
    ref = dc.allocate(1e22, 2e10)  # Muennighoff's own coefficients (LAWS.md §2.9)
    assert p.n_params == pytest.approx(ref.n_params, rel=1e-9)
    assert p.loss == pytest.approx(ref.loss, rel=1e-12)
    assert p.epochs == pytest.approx(ref.n_tokens / 2e10, rel=1e-9)
    assert p.loss > plan(law, 1e22).loss
    other = plan(get_law("epoch-2024"), 1e22, unique_tokens=2e10)
    assert any("extrapolation" in w for w in other.warnings)  # decay terms on another preset
    kaplan = plan(get_law("kaplan-2020"), 1e22, unique_tokens=2e10)
    assert kaplan.epochs > 1 and any("no repetition model" in w for w in kaplan.warnings)


def test_moe_dense_activation_is_the_dense_plan() -> None:
    from planner.effects import moe

    law = get_law("epoch-2024")
    base = plan(law, 1e21)
    p = plan(law, 1e21, moe_activation=1.0, moe_granularity=8)
    assert p.efficiency_leverage == 1.0
    assert moe.efficiency_leverage(1.0, 8, 1e21) == pytest.approx(1.0, abs=0.011)  # EL ≈ 1 unclamped
    _same_plan(p, base)


def test_moe_plan_follows_el() -> None:
    from planner.effects import moe

    law = get_law("epoch-2024")
    c = 1e20
    p = plan(law, c, moe_activation=0.078, moe_granularity=2)
    el = moe.efficiency_leverage(0.078, 2, c)
    assert p.efficiency_leverage == pytest.approx(2.525, abs=6e-4)
    assert p.loss == pytest.approx(float(law.frontier_loss(el * c)), rel=1e-12)  # L*(EL·C), LAWS.md §7.4
    n_eq, d_eq = law.allocate_scalar(el * c)
    assert p.n_params_active == pytest.approx(n_eq / el, rel=1e-12)
    assert p.n_tokens == pytest.approx(d_eq, rel=1e-12)
    assert 6 * p.n_params_active * p.n_tokens == pytest.approx(c, rel=1e-12)
    assert p.n_params_total == pytest.approx(p.n_params_active / 0.078, rel=1e-12)
    assert p.loss < plan(law, c).loss
    assert p.moe_law == "ling" and p.moe_granularity == 2


@pytest.mark.parametrize("c", [1e18, 1e19, 1e20, 3e20, 6e20])
def test_el_mapping_reproduces_lings_moe_allocation(c: float) -> None:
    # with Ling's own dense law as the backbone, N_act = N*(EL·C)/EL and D*(EL·C) land within
    # 2.5% of Ling's MoE allocation law at its base configuration (A 7.8%, G 2)
    from planner.effects import moe

    el = moe.efficiency_leverage(0.078, 2, c)
    m_dense, d_dense = moe.ling_dense_allocation(el * c)
    m_moe, d_moe = moe.ling_moe_allocation(c)
    assert m_dense / el == pytest.approx(m_moe, rel=0.025)
    assert d_dense == pytest.approx(d_moe, rel=0.025)


def test_moe_fixed_active_params() -> None:
    law = get_law("epoch-2024")
    p = plan(law, 1e21, n_params=1e9, moe_activation=0.1, moe_granularity=4)
    assert p.n_params_active == 1e9 and p.n_tokens == pytest.approx(1e21 / 6e9)
    assert p.loss == pytest.approx(float(law.loss(p.efficiency_leverage * 1e9, 1e21 / 6e9)), rel=1e-12)


def test_krajewski_moe_plan() -> None:
    from planner.effects import moe

    law = get_law("epoch-2024")
    p = plan(law, 1e20, moe_activation=1 / 64, moe_granularity=8, moe_law="krajewski")
    ref = moe.krajewski_plan(1e20, 8)
    assert p.n_params_active == pytest.approx(ref.n_params_active, rel=1e-9)
    assert p.n_params_total == pytest.approx(43 * p.n_params_active, rel=1e-12)
    assert p.train_flops == 1e20
    assert p.efficiency_leverage == pytest.approx(ref.efficiency_leverage, rel=1e-9)
    assert p.extras["moe"]["krajewski_loss_c4_nats"] == pytest.approx(ref.loss)
    assert any("C4" in w for w in p.warnings)


SARDANA = [  # LAWS.md §2.10 (DERIVED, epoch-2024, ℓ = L*(1e24))
    (1e12, 7.8876e10, 2.1441e12, 1.1725e24),
    (1e13, 4.8283e10, 4.3223e12, 2.2178e24),
    (1e14, 2.9111e10, 1.4544e13, 8.3623e24),
]


@pytest.mark.parametrize(("d_inf", "n", "d", "total"), SARDANA)
def test_inference_aware_oracles_through_plan(d_inf: float, n: float, d: float, total: float) -> None:
    p = plan(get_law("epoch-2024"), 1e24, inference_tokens=d_inf)
    ia = p.inference_aware
    assert ia is not None
    assert ia["n_params"] == pytest.approx(n, rel=2e-4)
    assert ia["n_tokens"] == pytest.approx(d, rel=2e-4)
    assert ia["total_flops"] == pytest.approx(total, rel=2e-4)
    assert ia["compute_optimal_n_params"] == pytest.approx(p.n_params, rel=1e-9)
    assert p.n_params == plan(get_law("epoch-2024"), 1e24).n_params  # the main plan stays compute-optimal
    if d_inf == 1e13:
        assert ia["compute_optimal_total_flops"] == pytest.approx(2.917e24, rel=5e-4)


@pytest.mark.parametrize("moe_kw", [{}, {"moe_activation": 0.05, "moe_granularity": 8},
                                    {"moe_activation": 1 / 64, "moe_granularity": 8, "moe_law": "krajewski"}])
def test_zero_inference_demand_is_the_compute_optimal_plan(moe_kw: dict) -> None:
    law = get_law("epoch-2024")
    base = plan(law, 1e21, **moe_kw)
    p = plan(law, 1e21, inference_tokens=0.0, target_loss=base.loss, **moe_kw)
    ia = p.inference_aware
    assert ia["n_params"] == pytest.approx(base.n_params_active, rel=1e-6)
    assert ia["n_tokens"] == pytest.approx(base.n_tokens, rel=1e-6)
    assert ia["compute_optimal_n_params"] == pytest.approx(base.n_params_active, rel=1e-6)
    assert ia["total_flops_saving"] == pytest.approx(0.0, abs=1e-9 * ia["total_flops"])
    _same_plan(plan(law, 1e21, inference_tokens=0.0, **moe_kw), base)


@settings(max_examples=25, deadline=None)
@given(log_inf=st.floats(9, 15), k=st.floats(1.5, 50))
def test_more_inference_demand_never_grows_the_model(log_inf: float, k: float) -> None:
    law = get_law("epoch-2024")
    for kw in ({}, {"moe_activation": 0.05, "moe_granularity": 8}):
        lo = plan(law, 1e22, inference_tokens=10**log_inf, **kw).inference_aware
        hi = plan(law, 1e22, inference_tokens=10**log_inf * k, **kw).inference_aware
        assert hi["n_params"] <= lo["n_params"] * (1 + 1e-12)
        assert hi["train_flops"] >= lo["train_flops"] * (1 - 1e-12)
        assert lo["total_flops_saving"] >= 0


def test_target_loss_sets_the_budget() -> None:
    law = get_law("epoch-2024")
    p = plan(law, None, target_loss=2.2)
    assert p.loss == pytest.approx(2.2, rel=1e-12)
    q = plan(law, None, target_loss=2.2, moe_activation=0.05, moe_granularity=8)
    assert q.loss == pytest.approx(2.2, rel=1e-10)
    assert q.flops < p.flops
    unreachable = plan(law, None, target_loss=1.5)  # below the floor: a failed plan, not a crash
    assert not unreachable.success and "unreachable" in unreachable.message
    r = plan(law, 1e20, target_loss=2.2, inference_tokens=1e12)  # the budget cannot reach 2.2
    assert any("above the target" in w for w in r.warnings)
    assert r.inference_aware["target_loss"] == 2.2
    assert not plan(law, 1e21, target_loss=1.5).success


def test_inference_aware_needs_a_chinchilla_form_law() -> None:
    p = plan(get_law("kaplan-2020"), 1e21, inference_tokens=1e12)
    assert p.inference_aware is None
    assert any("Chinchilla-form" in w for w in p.warnings)


def test_vocabulary_at_the_reference_is_the_dense_plan() -> None:
    law = get_law("epoch-2024")
    base = plan(law, 1e21)
    p = plan(law, 1e21, vocab_size=32_000)
    assert p.n_params == pytest.approx(base.n_params, rel=1e-14)
    assert p.n_tokens == pytest.approx(base.n_tokens, rel=1e-14)
    assert p.loss == base.loss  # Tao never shifts the CE loss
    assert p.vocab_size == 32_000
    assert p.optimal_vocab_size > 0 and p.vocab_band[0] <= p.vocab_band[1]
    assert p.vocab_loss_change >= 0


def test_vocabulary_holds_text_and_compute() -> None:
    from planner.effects import vocab

    law = get_law("epoch-2024")
    base = plan(law, 1e21)
    p = plan(law, 1e21, vocab_size=128_000)
    f_ref, f_v = vocab.tokens_per_char(32_000), vocab.tokens_per_char(128_000)
    assert p.extras["vocab"]["n_chars"] == pytest.approx(base.n_tokens / f_ref)
    assert p.n_tokens == pytest.approx(base.n_tokens * f_v / f_ref)
    assert p.train_flops == pytest.approx(base.train_flops, rel=1e-12)
    ex = p.extras["vocab"]
    assert ex["n_nonvocab"] + ex["n_vocab_params"] == pytest.approx(p.n_params)
    assert ex["n_vocab_params"] == 128_000 * ex["d_model"]
    assert p.loss == base.loss
    q = plan(law, 1e21, optimal_vocab=True)
    assert q.vocab_size == q.optimal_vocab_size
    assert q.vocab_loss_change == pytest.approx(0.0, abs=1e-12)
    assert p.vocab_loss_change > 0


def test_vocabulary_non_embedding_law() -> None:
    law = get_law("kaplan-2020")  # non-embedding N; reference vocabulary GPT-2 BPE 50,257
    base = plan(law, 1e21)
    p = plan(law, 1e21, vocab_size=50_257)
    assert p.n_params == pytest.approx(base.n_params, rel=1e-14)
    assert p.n_params_total == pytest.approx(p.n_params + 50_257 * p.extras["vocab"]["d_model"])


def test_unique_tokens_count_in_the_chosen_vocabulary() -> None:
    law = get_law("muennighoff-2023")
    a = plan(law, 1e22, unique_tokens=2e10)
    b = plan(law, 1e22, unique_tokens=2e10, vocab_size=32_000)
    assert b.epochs == pytest.approx(a.epochs, rel=1e-12)
    c = plan(law, 1e22, unique_tokens=2e10, vocab_size=128_000)
    assert c.epochs < a.epochs  # U tokens of a larger vocabulary hold more text: fewer repeats


def test_hyperparameters_are_filled_and_labelled() -> None:
    from planner.effects import hyperparams

    law = get_law("epoch-2024")
    p = plan(law, 1e21)
    est = hyperparams.step_law(p.n_params, p.n_tokens)
    assert p.learning_rate == pytest.approx(est.learning_rate)
    assert p.hyperparameter_sources == (hyperparams.STEP_LAW_SOURCE, hyperparams.DEEPSEEK_SOURCE)
    q = plan(law, 1e21, moe_activation=0.05)
    assert q.learning_rate == pytest.approx(hyperparams.ling_moe(1e21).learning_rate)
    assert q.hyperparameter_sources[0] == hyperparams.LING_SOURCE


@pytest.mark.parametrize(
    "kwargs",
    [{"vocab_size": 10.0}, {"moe_activation": 0.0}, {"moe_activation": 1.5}, {"moe_law": "nope"},
     {"inference_tokens": -1.0}, {"inference_tokens": math.inf}, {"unique_tokens": 0.0},
     {"target_loss": math.nan}, {"moe_granularity": 0.5, "moe_activation": 0.1}],
)  # fmt: skip
def test_bad_science_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        plan(get_law("epoch-2024"), 1e21, **kwargs)


def test_joint_plan_is_serialisable() -> None:
    import json

    p = plan(get_law("epoch-2024"), 1e22, optimal_vocab=True, moe_activation=0.05, moe_granularity=8,
             inference_tokens=1e13, unique_tokens=1e11)  # fmt: skip
    d = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    assert d["inference_aware"]["total_flops_saving"] > 0
    assert d["n_params_total"] > d["n_params_active"]


def test_vocabulary_larger_than_the_model_is_reported() -> None:
    p = plan(get_law("epoch-2024"), 1e18, vocab_size=262_144)
    assert not p.success and "leaves nothing" in p.message
    assert p.vocab_loss_change is None  # a failed plan shows no impossible numbers
    assert math.isnan(p.n_params) and p.learning_rate is None and p.loss is None
