"""One question, one solver: budgets in four forms, fixed sizes, a serving limit, conflicts.

Properties: every closed-form fast path equals the general numerical path to 1e-9 relative on
random questions; budgets convert both ways to 1e-12; a data limit keeps N*(C) monotone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner import LIMITS, Question, get_law, plan
from planner.costs.hardware import budgets_of_flops, get_accelerator, parse_serve_target
from planner.question import default

LOSS_LAWS = ["epoch-2024", "chinchilla-2022-a3", "muennighoff-2023"]


@st.composite
def questions(draw: st.DrawFn) -> dict:
    """Random questions whose answer has a closed form: MoE (Ling), fixed N or D, a serving
    limit, a budget form, hardware."""
    kw: dict = {"law": get_law(draw(st.sampled_from(LOSS_LAWS)))}
    kind = draw(st.sampled_from(["flops", "gpu_hours", "usd", "days"]))
    c = 10 ** draw(st.floats(19, 26))
    kw["gpu"] = draw(st.sampled_from(["H100 SXM", "A100 80GB SXM", "B200"]))
    kw["n_gpus"] = draw(st.integers(8, 20_000))
    kw["mfu"] = draw(st.floats(0.2, 0.6))
    hw = Question(law=kw["law"], flops=1e20, gpu=kw["gpu"], n_gpus=kw["n_gpus"], mfu=kw["mfu"]).hardware
    kw[kind] = budgets_of_flops(c, hw)[kind]
    if draw(st.booleans()):
        kw["moe_activation"] = draw(st.floats(0.02, 0.9))
        if draw(st.booleans()):
            kw["moe_granularity"] = draw(st.floats(1.0, 32.0))
    extra = draw(st.sampled_from(["none", "n_params", "n_tokens", "serve_on"]))
    if extra == "n_params":
        kw["n_params"] = 10 ** draw(st.floats(8, 11))
    elif extra == "n_tokens":
        kw["n_tokens"] = 10 ** draw(st.floats(10, 13))
    elif extra == "serve_on":
        kw["serve_on"] = draw(st.sampled_from(["1xH100 SXM", "8xH100 SXM", "2xB200", "40GB"]))
        kw["decode_batch"] = draw(st.integers(1, 256))
    return kw


@given(kw=questions())
@settings(max_examples=150, deadline=None)
def test_closed_forms_equal_the_general_numerical_path(kw: dict) -> None:
    q = Question(**kw)
    fast = plan(q)
    general = plan(q.with_(method="numerical"))
    assume(fast.success)  # e.g. a fixed N beyond a small serving limit: refused by both paths
    assert general.success
    for key in ("n_params", "n_tokens", "loss", "n_params_total", "flops"):
        assert getattr(general, key) == pytest.approx(getattr(fast, key), rel=1e-9), key
    assert general.binding == fast.binding


@pytest.mark.parametrize("kind", ["gpu_hours", "usd", "days"])
@given(c=st.floats(1e18, 1e27), price=st.floats(0.5, 9.0), gpus=st.integers(1, 100_000))
@settings(max_examples=40, deadline=None)
def test_budget_forms_round_trip(kind: str, c: float, price: float, gpus: int) -> None:
    law = get_law()
    base = Question(law=law, flops=c, usd_per_gpu_hour=price, n_gpus=gpus)
    value = budgets_of_flops(c, base.hardware)[kind]
    assume(LIMITS[kind].lo <= value <= LIMITS[kind].hi)  # e.g. not 30,000 years on one GPU
    other = base.with_(**{kind: value})
    assert other.flops is None and other.budget_kind == kind
    p = plan(other)
    assert p.flops == pytest.approx(c, rel=1e-12)
    assert p.budget_kind == kind
    assert {"gpu_hours": p.gpu_hours, "usd": p.cost_usd, "days": p.wall_clock_days}[kind] == pytest.approx(
        getattr(other, kind), rel=1e-12)


def test_dollars_and_deadline_questions() -> None:
    law = get_law()
    p = plan(law, usd=5e6, usd_per_gpu_hour=2.0)
    assert p.cost_usd == pytest.approx(5e6, rel=1e-12)
    assert p.gpu_hours == pytest.approx(2.5e6, rel=1e-12)
    d = plan(law, days=60, n_gpus=2048)
    assert d.wall_clock_days == pytest.approx(60, rel=1e-12)
    assert d.flops == pytest.approx(60 * 24 * 2048 * 3600 * 989.4e12 * 0.4, rel=1e-12)


def test_one_budget_only() -> None:
    with pytest.raises(ValueError, match="one budget"):
        Question(law=get_law(), flops=1e22, usd=1e6)
    with pytest.raises(ValueError, match="give a budget"):
        plan(Question(law=get_law()))


def test_fixed_size_with_and_without_a_budget() -> None:
    law = get_law("epoch-2024")
    # we must ship a 7B model: with a budget, the tokens it buys
    p = plan(law, 1e23, n_params=7e9)
    assert p.n_params == 7e9 and p.n_tokens == pytest.approx(1e23 / (6 * 7e9), rel=1e-12)
    assert p.binding == ("fixed_n_params",)
    optimum = plan(law, 1e23)
    assert p.loss > optimum.loss and p.unconstrained_loss == pytest.approx(optimum.loss, rel=1e-12)
    # without one, the budget at which 7B is compute-optimal (LAWS.md §1: C(N) = 6·(N/G)^(1/a))
    q = plan(law, n_params=7e9)
    assert q.flops == pytest.approx(law.flops_for_params(7e9), rel=1e-12)
    assert q.budget_kind == "compute_optimal_size"
    assert q.n_tokens == pytest.approx(plan(law, q.flops).n_tokens, rel=1e-9)
    t = plan(law, n_tokens=2e12)
    assert t.n_tokens == 2e12 and t.flops == pytest.approx(law.flops_for_tokens(2e12), rel=1e-12)
    # an MoE's fixed size is its active parameters; the compute-optimal budget solved numerically
    m = plan(law, n_params=2e9, moe_activation=0.25)
    assert m.n_params == 2e9
    assert plan(law, m.flops, moe_activation=0.25).n_params == pytest.approx(2e9, rel=1e-9)


def test_serving_constraint_binds_and_names_itself() -> None:
    law = get_law("epoch-2024")
    free = plan(law, 1e25)
    p = plan(law, 1e25, serve_on="1xH100 SXM")
    assert p.binding == ("serving_memory",)
    assert p.serving_memory_bytes <= get_accelerator("H100 SXM").memory_bytes * (1 + 1e-9)
    assert p.serving_memory_bytes >= 0.99 * get_accelerator("H100 SXM").memory_bytes  # shapes come in steps
    assert p.n_params < free.n_params and p.loss > free.loss
    assert p.unconstrained_loss == pytest.approx(free.loss, rel=1e-12)
    assert p.serve_memory_limit_bytes == 80e9
    roomy = plan(law, 1e25, serve_on="64xH200 SXM")
    assert roomy.binding == () and roomy.n_params == pytest.approx(free.n_params, rel=1e-12)
    # a larger decode batch needs more KV cache: the limit binds harder
    assert plan(law, 1e25, serve_on="1xH100 SXM", decode_batch=256).n_params < p.n_params


def test_contradictory_constraints_fail_with_one_line() -> None:
    law = get_law("epoch-2024")
    p = plan(law, 1e24, serve_on="8xH100 SXM", n_params=5e11)
    assert not p.success and "fixed N" in p.message and "serving_memory" in p.message
    assert "\n" not in p.message and math.isnan(p.n_params) and p.loss is None
    both = plan(law, 1e20, n_params=1e10, n_tokens=1e12)
    assert not both.success and "above the budget" in both.message
    unreachable = plan(law, target_loss=1.5)
    assert not unreachable.success and "unreachable" in unreachable.message
    tiny = plan(law, 1e15, n_params=1e15)
    assert not tiny.success and "training tokens" in tiny.message


def test_serve_targets_parse() -> None:
    assert parse_serve_target("8xH100 SXM").memory_bytes == 640e9
    assert parse_serve_target("8 × h200").n_gpus == 8
    assert parse_serve_target("1.5 TiB").memory_bytes == 1.5 * 1024**4
    with pytest.raises(ValueError, match="neither"):
        parse_serve_target("8xZ9000")


@pytest.mark.parametrize("law_id", ["epoch-2024", "muennighoff-2023", "chinchilla-2022-a3"])
@given(log_u=st.floats(8.0, 12.0))
@settings(max_examples=25, deadline=None)
def test_a_data_limit_keeps_the_optimum_monotone(law_id: str, log_u: float) -> None:
    """Hardening issue item 12: with U unique tokens, N* and D* still grow with C."""
    law = get_law(law_id)
    budgets = np.logspace(19, 25, 40)
    plans = [plan(law, float(c), unique_tokens=10**log_u) for c in budgets]
    n = np.array([p.n_params for p in plans])
    d = np.array([p.n_tokens for p in plans])
    loss = np.array([p.loss for p in plans])
    assert np.all(np.diff(n) > 0) and np.all(np.diff(d) > 0)
    assert np.all(np.diff(loss) <= 1e-12)


def test_the_reported_case_of_a_flat_loss() -> None:
    """epoch-2024 with U = 6.96e8: N* went 5.30e9 -> 4.78e9 -> 5.67e9 as C rose."""
    law = get_law("epoch-2024")
    n = [plan(law, float(c), unique_tokens=6.96e8).n_params for c in np.logspace(21, 24, 61)]
    assert all(b > a for a, b in zip(n, n[1:], strict=False))


def test_defaults_and_limits_live_in_one_place() -> None:
    assert default("moe_granularity") is None  # the MoE law's own default applies
    assert default("context") == 4096 and default("decode_batch") == 64
    assert LIMITS["moe_granularity"].hi == 4096
    q = Question(law=get_law(), flops=1e22, moe_activation=0.25)
    assert plan(q).moe_granularity == 2.0  # Ling's base G (arXiv 2507.17702)
    assert Question(law=get_law(), flops=1e22, unique_tokens=math.inf).unique_tokens is None
    with pytest.raises(ValueError, match="moe_granularity = 5000 is out of range"):
        Question(law=get_law(), flops=1e22, moe_activation=0.5, moe_granularity=5000)


def test_question_inputs_round_trip() -> None:
    law = get_law()
    q = Question(law=law, usd=3e6, moe_activation=0.125, serve_on="8xH100 SXM", decode_batch=16)
    assert q.inputs() == {"usd": 3e6, "moe_activation": 0.125, "serve_on": "8xH100 SXM", "decode_batch": 16}
    assert Question.from_inputs(law, q.inputs()) == q
    with pytest.raises(ValueError, match="unknown input"):
        Question.from_inputs(law, {"flopz": 1})


def test_every_numeric_default_is_valid_as_written() -> None:
    """A Question checks only the numeric inputs that are not its own defaults, so every default
    must pass its limit unchanged (same value, same type)."""
    from planner.question import _NUMERIC_DEFAULTS, INPUT_NAMES, LIMITS, check_value

    assert {name for name, _ in _NUMERIC_DEFAULTS} == {name for name in LIMITS if name in INPUT_NAMES}
    for name, written in _NUMERIC_DEFAULTS:
        if written is not None:
            checked = check_value(name, written)
            assert checked == written and type(checked) is type(written), name


def test_questions_at_the_catalogue_price_share_their_hardware() -> None:
    """A set-up at the catalogue's price is made once (it is immutable); one with a price of its
    own, or any other input, is its own."""
    from planner.costs.hardware import Hardware, get_accelerator

    law = get_law()
    a, b = Question(law=law, flops=1e22), Question(law=law, flops=1e23)
    assert a.hardware is b.hardware and a.hardware == Hardware()
    c = Question(law=law, flops=1e22, gpu="a100", n_gpus=64, mfu=0.5, precision="bf16")
    assert c.hardware == Hardware(get_accelerator("A100 80GB SXM"), 64, 0.5, None, "bf16")
    d = Question(law=law, flops=1e22, usd_per_gpu_hour=-0.0)
    assert d.hardware.price == 0.0 and math.copysign(1.0, d.hardware.price) == -1.0
    with pytest.raises(ValueError, match="no FP8 peak"):
        Question(law=law, flops=1e22, gpu="A100", precision="fp8")
