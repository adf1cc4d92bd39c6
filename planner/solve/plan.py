"""The planner: one question, one problem, one frozen plan.

``plan(Question(law=get_law("epoch-2024"), flops=1e22))`` resolves the budget (FLOPs, GPU-hours,
dollars or a deadline; or the budget a fixed size or a target loss implies), poses the problem
with every effect's terms (:mod:`planner.solve.terms`), solves it (:func:`~planner.solve.problem.solve`:
closed form where it holds, else numerical), lets the effects refine and report, and returns a
frozen :class:`~planner.solve.result.Plan`. ``plan(law, flops, **inputs)`` is the same call for
scripts. Constraints that cannot all hold give a plan with ``success`` False and a message
naming them; invalid inputs raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from planner.costs.hardware import budget_to_flops, gpu_hours_to_days, gpu_hours_to_usd
from planner.laws import ChinchillaLaw, Law
from planner.question import LIMITS, Question
from planner.solve.problem import Conflict, Point, Problem, Term, solve
from planner.solve.result import Plan, failed
from planner.solve.terms import TERMS
from planner.solve.warnings import extrapolation_warnings
from planner.units import fmt_count, fmt_flops

MIN_FLOPS, MAX_FLOPS = LIMITS["flops"].lo, LIMITS["flops"].hi
NO_SERVING = {"inference_flops_per_token": math.nan, "inference_usd_per_million_tokens": math.nan,
              "inference_bound": "", "serving_memory_bytes": math.nan}  # fmt: skip
"""Serving fields before the launch term prices the shape (they stay so when it is left out)."""
PLAN_FIELDS: dict[str, Any] = {**dict.fromkeys(Plan._fields), **Plan._field_defaults, **NO_SERVING}
"""Every field of :class:`Plan` in order, at its default. The report starts from a copy and the
plan is built from its values (``Plan._make``: a key that is not a field makes it refuse them)."""


def plan(question: Question | Law, flops: float | None = None, *, terms: Sequence[Term] = TERMS,
         **inputs: Any) -> Plan:
    """Plan a training run: the best (N, D) for the question, its loss, costs and warnings.

    ``question`` is a :class:`~planner.question.Question`, or a law followed by the question's
    inputs as keyword arguments (``plan(law, 1e22, moe_activation=0.25)``; ``hardware=`` takes a
    :class:`~planner.costs.hardware.Hardware` for the GPU, count, MFU, price and precision).

    ``terms`` are the effects taken into account, in order (default: every registered effect,
    :data:`~planner.solve.terms.TERMS`). :data:`~planner.solve.terms.WITHOUT_ARCHITECTURE` leaves
    out the launch report (the shape, its training memory and serving from it): the same N, D,
    loss, budget, hyperparameters and warnings of the law, without ``architecture``,
    ``training_memory`` and ``serving``, and NaN for the serving cost and memory. Scripts that
    need only the allocation use it, and the benchmarks time the architecture separately.
    """
    if "hardware" in inputs:
        hw = inputs.pop("hardware")
        inputs = {"gpu": hw.accelerator.name, "n_gpus": hw.n_gpus, "mfu": hw.mfu,
                  "usd_per_gpu_hour": hw.usd_per_gpu_hour, "precision": hw.precision, **inputs}  # fmt: skip
    q = question if isinstance(question, Question) else Question(law=question, flops=flops, **inputs)
    terms = [t for t in terms if t.applies(q)]
    try:
        c, kind = resolve_budget(q, terms)
        problem = pose(q, terms, c)
        point = solve(problem)
        for term in terms:
            if term.refines:
                point = term.refine(problem, point)
        out = core_fields(problem, point, kind)
        for term in terms:
            term.report(problem, point, out)
        finish(problem, out, terms)
    except Conflict as exc:
        return failed(q, str(exc))
    return Plan._make(out.values())


def pose(q: Question, terms: list[Term], flops: float, *, constrained: bool = True) -> Problem:
    """The problem at budget ``flops``: the law's surface, then every term's contribution.

    ``constrained=False`` leaves out fixed sizes and constraint terms (the unconstrained optimum).
    """
    law = q.law
    p = Problem(q, law, q.hardware, flops,
                law.loss if law.has_loss else None,  # loss: the surface L(N, D)  # type: ignore[attr-defined]
                getattr(law, "loss_grad_log", None),  # grad_log: its gradient in ln N, ln D
                law.allocate_scalar,  # closed: the law's closed form
                law.frontier_loss if law.form == "kaplan" else None)  # closed_loss: Kaplan's L(C) there  # fmt: skip
    if constrained:
        p.fixed_n, p.fixed_d = q.fixed_params, q.n_tokens
    for term in terms:
        if term.poses and (constrained or not term.constraint):
            term.pose(p)
    p.budget_for_loss = lambda ell: budget_for_loss(q, terms, ell)
    return p


def law_loss(p: Problem, pt: Point) -> float | None:
    """The solved point's loss in the law's own unit (an MoE surface maps back to the law)."""
    return pt.loss if p.law_loss is None else p.law_loss(pt.n, pt.d, pt.loss)


# ---------------------------------------------------------------------------------------------
# the budget


def resolve_budget(q: Question, terms: list[Term]) -> tuple[float, str]:
    """Training FLOPs and how they were set: a budget form, a fixed size, or a target loss."""
    kind = q.budget_kind
    if kind is not None:
        c = budget_to_flops(kind, getattr(q, kind), q.hardware)
        if not MIN_FLOPS <= c <= MAX_FLOPS:
            raise Conflict(f"the budget of {fmt_flops(c)} FLOPs is out of range ({fmt_flops(MIN_FLOPS)} to {fmt_flops(MAX_FLOPS)} FLOPs)")
        return c, kind
    n_fixed = q.fixed_params
    if n_fixed is not None and q.n_tokens is not None:
        p = pose(q, terms, 1e20)
        return p.per_token(n_fixed) * q.n_tokens, "fixed_size"
    if n_fixed is not None:
        return _budget_where(q, terms, 0, n_fixed), "compute_optimal_size"
    if q.n_tokens is not None:
        return _budget_where(q, terms, 1, q.n_tokens), "compute_optimal_tokens"
    if q.target_loss is not None:
        return budget_for_loss(q, terms, q.target_loss), "target_loss"
    raise ValueError("give a budget (--flops, --gpu-hours, --usd, or --days with --gpus), a fixed size "
                     "(--n-params or --n-tokens) or a --target-loss")  # fmt: skip


def _free_point(q: Question, terms: list[Term], flops: float) -> tuple[Problem, Point]:
    p = pose(q, terms, flops, constrained=False)
    return p, solve(p)


def _budget_where(q: Question, terms: list[Term], index: int, target: float) -> float:
    """The budget at which the unconstrained optimum has N (index 0) or D (1) equal to ``target``."""
    law = q.law
    p, _ = _free_point(q, terms, 1e20)
    if p.pristine and isinstance(law, ChinchillaLaw):
        return float(law.flops_for_params(target) if index == 0 else law.flops_for_tokens(target))

    def f(x: float) -> float:
        pt = _free_point(q, terms, math.exp(x))[1]
        return math.log((pt.n, pt.d)[index]) - math.log(target)

    return _root_in_log_budget(f, f"{('N', 'D')[index]} = {fmt_count(target, 4)} is outside what {law.id} allocates "
                                  f"for budgets {fmt_flops(MIN_FLOPS)} to {fmt_flops(MAX_FLOPS)} FLOPs")  # fmt: skip


def budget_for_loss(q: Question, terms: list[Term], target: float) -> float:
    """The smallest budget whose (unconstrained) plan reaches loss ``target``."""
    law = q.law
    if not law.has_loss:
        raise Conflict(f"{law.id} has no loss, so no budget can be derived for a target loss")
    p, _ = _free_point(q, terms, 1e20)
    if p.pristine and isinstance(law, ChinchillaLaw):
        c = law.flops_for_loss(target)
        if not math.isfinite(c):
            raise Conflict(f"target loss {target:g} is unreachable with {law.id} (at or below its floor E = {law.E:g})")
        return c

    def f(x: float) -> float:
        p, pt = _free_point(q, terms, math.exp(x))
        return float(law_loss(p, pt)) - target  # type: ignore[arg-type]

    if f(math.log(MIN_FLOPS)) < 0:
        return MIN_FLOPS
    return _root_in_log_budget(f, f"target loss {target:g} is unreachable with {law.id} (below its floor)")


def _root_in_log_budget(f: Any, message: str) -> float:
    from scipy.optimize import brentq

    lo, hi = math.log(MIN_FLOPS), math.log(MAX_FLOPS)
    f_lo, f_hi = f(lo), f(hi)
    if f_lo * f_hi > 0:
        raise Conflict(message)
    return math.exp(brentq(f, lo, hi, xtol=1e-13, rtol=1e-15))


# ---------------------------------------------------------------------------------------------
# the report


def core_fields(p: Problem, pt: Point, kind: str) -> dict[str, Any]:
    """The fields every plan has, before the terms add theirs and :func:`finish` prices it: every
    field of :class:`~planner.solve.result.Plan`, in order, the ones no term has set at defaults."""
    q, law, hw = p.question, p.law, p.hardware
    info = law.info
    extra = extrapolation_warnings(law, p.leverage * p.flops, p.leverage * pt.n, pt.d)
    if extra and p.leverage != 1.0:  # the law is evaluated at the MoE's dense-equivalent budget and size
        extra = [w.replace("Budget =", "Dense-equivalent budget EL·C =").replace("N =", "Dense-equivalent N =")
                 for w in extra]  # fmt: skip
    n, d = pt.n, pt.d
    out = PLAN_FIELDS.copy()
    out["preset"], out["law_title"], out["n_meaning"], out["loss_unit"] = (
        law.id, info.title, info.n_meaning, info.loss_unit)  # fmt: skip
    out["flops"], out["n_params"], out["n_tokens"], out["tokens_per_param"] = p.flops, n, d, d / n
    out["loss"] = law_loss(p, pt)
    out["train_flops"], out["method"], out["budget_kind"] = float(law.train_flops(n, d)), pt.method, kind
    out["n_params_total"] = out["n_params_active"] = n
    out["gpu"], out["n_gpus"], out["mfu"], out["usd_per_gpu_hour"] = hw.accelerator.name, hw.n_gpus, hw.mfu, hw.price
    out["context"], out["decode_batch"], out["serve_precision"], out["serve_on"] = (
        q.context, q.decode_batch, q.serve_precision, q.serve_on)  # fmt: skip
    out["warnings"], out["binding"] = [*info.warnings, *extra], list(pt.binding)
    out["question"], out["extras"] = q, {}
    return out


def finish(p: Problem, out: dict[str, Any], terms: list[Term]) -> None:
    """Price the training run, and the loss its binding constraints cost (serving is priced by
    the shape, :mod:`planner.costs.launch`)."""
    hw = p.hardware
    gh = p.flops / hw.flops_per_gpu_hour
    out["gpu_hours"], out["wall_clock_days"], out["cost_usd"] = gh, gpu_hours_to_days(gh, hw), gpu_hours_to_usd(gh, hw)
    binding = out["binding"]
    if binding and out["loss"] is not None:
        p0, pt0 = _free_point(p.question, terms, p.flops)
        out["unconstrained_loss"] = law_loss(p0, pt0)
    out["binding"] = _unique(binding)
    out["warnings"] = _unique(out["warnings"])


def _unique(items: list[str]) -> tuple[str, ...]:
    """``items`` without repeats, in order."""
    return tuple(dict.fromkeys(items)) if len(items) > 1 else tuple(items)
