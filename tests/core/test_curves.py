"""planner.solve.curves: the plots' curves are the problem the plan solves, for every effect."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner import Question, plan
from planner.presets.load import get_law
from planner.solve import curves

EPOCH = get_law("epoch-2024")
FACTORS = np.array([0.1, 10**-0.5, 1.0, 10**0.5, 10.0])
GRID = np.logspace(18, 27, 19)

CASES = {
    "dense": {},
    "moe-ling": {"moe_activation": 0.1},
    "moe-krajewski": {"moe_activation": 1 / 64, "moe_law": "krajewski"},
    "vocabulary": {"vocab_size": 131072.0},
    "optimal-vocabulary": {"optimal_vocab": True},
    "unique-data": {"unique_tokens": 1e11},
    "serving-memory": {"serve_on": "1xH100 SXM"},
    "inference": {"inference_tokens": 1e14},
    "moe+unique": {"moe_activation": 0.25, "unique_tokens": 3e11},
}


def _question(case: str, flops: float = 1e23) -> Question:
    return Question(law=EPOCH, flops=flops, **CASES[case])


def _curve_at(n: np.ndarray, loss: np.ndarray, n_at: float) -> float:
    ok = np.isfinite(loss)
    return float(np.interp(math.log(n_at), np.log(n[ok]), loss[ok]))


@pytest.mark.parametrize("case", list(CASES))
def test_frontier_passes_through_the_plan_at_every_budget(case: str) -> None:
    q = _question(case)
    fr = curves.frontier_curves(q, GRID)
    for i in (0, 5, 10, 18):
        p = plan(q.with_(flops=float(GRID[i])))
        assert p.success
        assert fr.n_params[i] == pytest.approx(p.n_params, rel=1e-9)
        assert fr.n_tokens[i] == pytest.approx(p.n_tokens, rel=1e-9)
        assert fr.loss[i] == pytest.approx(p.loss, rel=1e-9)


@pytest.mark.parametrize(
    "case", ["dense", "moe-ling", "moe-krajewski", "unique-data", "inference", "moe+unique"]
)
def test_plan_sits_at_the_minimum_of_its_isoflop_curve(case: str) -> None:
    q = _question(case)
    p = plan(q)
    iso = curves.isoflop_curves(q, p.flops * FACTORS, include=[None, None, p.n_params, None, None])
    n, loss = iso.n_params[2], iso.loss[2]
    assert _curve_at(n, loss, p.n_params) == pytest.approx(p.loss, rel=2e-5)  # ★ on the curve
    assert np.nanmin(loss) >= p.loss - 1e-9 * abs(p.loss)  # ... at its lowest point
    assert iso.loss_min[2] == pytest.approx(p.loss, rel=1e-6)
    if not (case.endswith("unique") or case == "unique-data"):  # a plateau has no single minimum
        assert iso.n_min[2] == pytest.approx(p.n_params, rel=2e-3)
    assert curves.plan_notes(p) == ()


def test_each_curve_is_the_budget_line_of_its_own_budget() -> None:
    q = _question("moe-ling")
    iso = curves.isoflop_curves(q, 1e23 * FACTORS)
    for i, c in enumerate(1e23 * FACTORS):
        p = plan(q.with_(flops=float(c)))
        assert iso.loss_min[i] == pytest.approx(p.loss, rel=1e-6)
        assert iso.n_min[i] == pytest.approx(p.n_params, rel=2e-3)
    assert "Ling EL" in iso.surface and "N active" in iso.surface


def test_binding_serving_bound_is_a_point_of_the_curve_left_of_its_minimum() -> None:
    q = _question("serving-memory", 1e24)
    p = plan(q)
    assert "serving_memory" in p.binding
    iso = curves.isoflop_curves(q, p.flops * FACTORS, include=[None, None, p.n_params, None, None])
    assert _curve_at(iso.n_params[2], iso.loss[2], p.n_params) == pytest.approx(p.loss, rel=2e-5)
    assert iso.n_min[2] > p.n_params * 1.2  # the curve's own minimum lies beyond the bound
    (bound,) = [b for b in curves.constraint_bounds(p) if b.quantity == "n_params"]
    assert bound.name == "serving_memory" and bound.binding
    assert bound.value == pytest.approx(p.n_params, rel=1e-4)
    assert "N ≤" in bound.label


def test_unique_data_is_a_bound_on_tokens() -> None:
    p = plan(_question("unique-data", 1e24))
    (bound,) = curves.constraint_bounds(p)
    assert (bound.quantity, bound.value, bound.binding) == ("n_tokens", 1e11, True)
    assert curves.constraint_bounds(plan(_question("dense"))) == ()


def test_vocabulary_and_kaplan_say_why_the_plan_is_off_the_curves() -> None:
    p = plan(_question("vocabulary"))
    (note,) = curves.plan_notes(p)
    assert "vocabulary split" in note
    kaplan = get_law("kaplan-2020")
    pk = plan(kaplan, 1e23)
    (note,) = curves.plan_notes(pk)
    assert "Table 6" in note and "Eq. 1.3" in note and "Eq. 1.5" in note
    iso = curves.isoflop_curves(pk.question, pk.flops * FACTORS)
    assert abs(_curve_at(iso.n_params[2], iso.loss[2], pk.n_params) - pk.loss) > 0.01  # indeed off
    assert (
        curves.plan_notes(plan(kaplan, 1e23, method="numerical")) == ()
    )  # the surface's own optimum


def test_frontier_is_cached_by_everything_but_the_budget() -> None:
    curves.clear_caches()
    a = curves.frontier_curves(_question("unique-data", 1e20), GRID)
    b = curves.frontier_curves(_question("unique-data", 3e25), GRID)
    assert a is b
    c = curves.frontier_curves(_question("unique-data").with_(inference_tokens=1e13), GRID)
    assert c is a  # inference demand only changes the report
    d = curves.frontier_curves(_question("dense"), GRID)
    assert d is not a
    fixed = Question(law=EPOCH, n_params=7e9, n_tokens=1.4e11)  # fixed sizes are removed
    assert curves.frontier_curves(fixed, GRID) is d


def test_allocation_only_law_has_a_frontier_but_no_curves() -> None:
    law = get_law("llama3-2024")
    q = Question(law=law, flops=1e24)
    assert curves.isoflop_curves(q, 1e24 * FACTORS) is None
    fr = curves.frontier_curves(q, GRID)
    assert fr.loss is None and np.isfinite(fr.n_params).all()


def test_serving_costs_and_the_inference_aware_alternative() -> None:
    p = plan(_question("inference", 1e24))
    tokens = np.array([1e9, 1e14])
    costs = curves.serving_costs(p, tokens)
    rate = p.inference_usd_per_million_tokens / 1e6
    assert costs.training == p.cost_usd
    np.testing.assert_allclose(costs.total, p.cost_usd + rate * tokens)
    ia = curves.inference_aware_costs(p, tokens)
    assert ia is not None and ia.training == pytest.approx(p.inference_aware["train_cost_usd"])
    assert ia.total[1] < costs.total[1]  # cheaper over its lifetime at the demand it plans for
    assert curves.inference_aware_costs(plan(_question("dense")), tokens) is None


@pytest.mark.parametrize("flops", [1e18, 2.2e20, 1e23, 1.3e23, 3.1623e23, 9.9e26])
def test_iso_budgets_are_round_and_surround_the_plan(flops: float) -> None:
    budgets = curves.iso_budgets(flops)
    k = [2 * math.log10(b) for b in budgets]
    assert k == pytest.approx([round(x) for x in k], abs=1e-9)  # 10^(k/2): 1e23, 3.16e23, ...
    assert budgets == tuple(sorted(budgets)) and len(budgets) == 4
    below, above = budgets[:2], budgets[2:]
    assert max(below) < flops < min(above)
    gaps = [abs(math.log10(b / flops)) for b in budgets]
    assert min(gaps) >= 0.25 - 1e-9 and max(gaps) <= 1.25 + 1e-9
    assert np.all(np.diff(k) >= 1 - 1e-9)  # half-decade steps, the nearest left for the plan


def test_iso_budgets_stay_put_while_the_budget_moves() -> None:
    assert curves.iso_budgets(0.6e23) == curves.iso_budgets(1e23) == curves.iso_budgets(1.7e23)
    assert curves.iso_budgets(1.7e23) != curves.iso_budgets(1.8e23)  # past the midpoint to 3.16e23


@pytest.mark.parametrize("case", list(CASES))
def test_an_included_size_is_a_point_of_its_curve(case: str) -> None:
    """The plan's N is one of the points of its budget's curve, so the star sits on the line
    as drawn, not only on the surface between two of its points."""
    p = plan(Question(law=EPOCH, flops=1e23, **CASES[case]))
    own = curves.isoflop_curves(p.question, [p.flops], include=[p.n_params])
    assert own is not None
    n, loss = own.n_params[0], own.loss[0]
    at = int(np.argmin(np.abs(np.log(n / p.n_params))))
    assert n[at] == p.n_params
    assert np.all(np.diff(n) > 0) and len(n) == curves.ISO_POINTS
    if "vocab" not in case:  # (a vocabulary split moves the plan off the law's curve)
        assert loss[at] == pytest.approx(p.loss, rel=1e-9)


def test_a_new_set_of_round_budgets_computes_only_its_new_curves() -> None:
    curves.clear_caches()
    q = Question(law=EPOCH, flops=1.3e23)
    curves.isoflop_curves(q, curves.iso_budgets(1.3e23))  # 1e22, 3.16e22 | 3.16e23, 1e24
    hits = curves._isoflop_row.cache_info().hits
    later = curves.isoflop_curves(q, curves.iso_budgets(2e23))  # 3.16e22 1e23 | 1e24 3.16e24
    shared = set(curves.iso_budgets(1.3e23)) & set(curves.iso_budgets(2e23))
    assert len(shared) == 2 and curves._isoflop_row.cache_info().hits - hits == len(shared)
    assert later is not None and np.isfinite(later.loss).all()
