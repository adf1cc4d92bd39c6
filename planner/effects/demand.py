"""Inference-aware allocation (Sardana et al. 2024, arXiv 2401.00448; LAWS.md §2.10).

"Beyond Chinchilla-Optimal: Accounting for Inference in LM Scaling Laws". For a
Chinchilla-form law L(N, D) = E + A/N^α + B/D^β, a target loss ℓ and lifetime inference
tokens D_inf, minimise the lifetime compute

    6·N·D_tr + 2·N·D_inf   subject to   L(N, D_tr) = ℓ

(inference priced at 2N per token, prefill and decode alike; LAWS.md §2.10 pitfall).

Reduction to one dimension: on the constraint N(D) = (A/(ℓ − E − B/D^β))^(1/α) for
D > D_min = (B/(ℓ − E))^(1/β). With k = B/(ℓ − E), the first-order condition
d ln[N(D)·(6D + 2D_inf)]/d ln D = 0 is, after multiplying out,

    p(D) = 3α·D^(1+β) − 3(α+β)·k·D − β·k·D_inf = 0,

a function that is negative at D → 0⁺, convex and increasing past its minimum, so it has
exactly one positive root. D_inf = 0 gives the §1 optimum D0 = ((α+β)·k/α)^(1/β). The root
is found by Newton's method in ln D from a point to its right (monotone convergence,
vectorised, ~1e−15 relative); :func:`training_tokens_brentq` solves the same condition with
scipy's brentq for cross-checking. The authors' code uses Newton on D_tr too (AUTHORS' CODE).

**Crossover demand** (a definition of this module): the smallest D_inf at which the
inference-aware optimum's N is at least ``threshold`` (default 1%) below the compute-optimal
N for the same ℓ. Any D_inf > 0 shrinks N a little; the threshold says when it matters.
It has a closed form: N_c = (1 − t)·N0, D_c = N⁻¹(N_c), D_inf = p's root solved for D_inf.

**Mixture of experts** (``leverage``): with Ling's efficiency leverage the MoE acts as a
dense model with N_eq = EL·N_act parameters (planner.effects.moe.EL_MAPPING_LABEL), and EL(C) is
affine in ln C: ln EL = k0 + s·ln C (planner.effects.moe.el_log_affine). Lifetime compute is then
N_act·(6D + 2D_inf) with ln N_act = (ln N_eq(D) − k0 − s·ln 6D)/(1 + s), and the first-order
condition becomes 6D/(6D + 2D_inf) = R(D), R = ((β/α)·r/(1 − r) + s)/(1 + s), r = k·D^−β:
D_inf(D) = 3D·(1/R − 1) is increasing in D, and its root is found with scipy's brentq.
s = 0 is the dense problem (any constant EL leaves the optimal D unchanged).

Oracles (LAWS.md §2.10, DERIVED, epoch-2024, ℓ = L*(1e24) = 1.959712): D_inf 1e13 →
N 4.8283e10, D_tr 4.3223e12, total 2.2178e24; the compute-optimal model costs 2.917e24.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.costs.hardware import flops_to_gpu_hours, gpu_hours_to_usd
from planner.laws import ChinchillaLaw
from planner.solve.problem import Conflict, Point, Problem, Term
from planner.units import fmt_flops

if TYPE_CHECKING:
    from planner.question import Question

ArrayLike = float | np.ndarray

CITATION = "Sardana et al. 2024, arXiv 2401.00448 (§2.10 of LAWS.md)"
TRAIN_FLOPS_PER_PARAM_TOKEN = 6.0  # C_train = 6·N·D_tr (LAWS.md §0.3, Sardana row)
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0  # C_inf = 2·N·D_inf
DEFAULT_CROSSOVER_THRESHOLD = 0.01  # 1% smaller N than compute-optimal


@dataclass(frozen=True, slots=True)
class Coefficients:
    """Chinchilla-form coefficients L = E + A/N^α + B/D^β (any parametric preset)."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float


def _k(target_loss: float, c: Coefficients) -> float:
    return c.B / (target_loss - c.E)


def min_training_tokens(target_loss: float, c: Coefficients) -> float:
    """D_min = (B/(ℓ − E))^(1/β): fewer tokens cannot reach ℓ at any size."""
    return _k(target_loss, c) ** (1.0 / c.beta)


def params_for_loss(target_loss: float, n_tokens: ArrayLike, c: Coefficients) -> ArrayLike:
    """N(D) = (A/(ℓ − E − B/D^β))^(1/α); ``inf`` at or below D_min."""
    if isinstance(n_tokens, float | int):  # scalar fast path (root finders call this per step)
        if n_tokens <= 0:
            return math.inf
        gap = target_loss - c.E - c.B * n_tokens**-c.beta
        return (c.A / gap) ** (1.0 / c.alpha) if gap > 0 else math.inf
    gap = target_loss - c.E - c.B * np.asarray(n_tokens, dtype=float) ** -c.beta
    with np.errstate(divide="ignore"):
        out = np.where(gap > 0, (c.A / np.where(gap > 0, gap, 1.0)) ** (1.0 / c.alpha), np.inf)
    return float(out) if np.ndim(out) == 0 else out


def tokens_for_params(target_loss: float, n_params: ArrayLike, c: Coefficients) -> ArrayLike:
    """Inverse of :func:`params_for_loss`: D(N) = (B/(ℓ − E − A/N^α))^(1/β)."""
    if isinstance(n_params, float | int):
        if n_params <= 0:
            return math.inf
        gap = target_loss - c.E - c.A * n_params**-c.alpha
        return (c.B / gap) ** (1.0 / c.beta) if gap > 0 else math.inf
    gap = target_loss - c.E - c.A * np.asarray(n_params, dtype=float) ** -c.alpha
    with np.errstate(divide="ignore"):
        out = np.where(gap > 0, (c.B / np.where(gap > 0, gap, 1.0)) ** (1.0 / c.beta), np.inf)
    return float(out) if np.ndim(out) == 0 else out


def compute_optimal_for_loss(target_loss: float, c: Coefficients) -> tuple[float, float]:
    """(N0, D0) minimising 6ND on L = ℓ: D0 = ((α+β)·k/α)^(1/β), k = B/(ℓ − E)."""
    d0 = ((c.alpha + c.beta) * _k(target_loss, c) / c.alpha) ** (1.0 / c.beta)
    return float(params_for_loss(target_loss, d0, c)), d0


def _foc(d: ArrayLike, k: float, inference_tokens: ArrayLike, c: Coefficients) -> ArrayLike:
    return (
        3.0 * c.alpha * d ** (1.0 + c.beta)
        - 3.0 * (c.alpha + c.beta) * k * d
        - c.beta * k * inference_tokens
    )


Leverage = tuple[float, float]
DENSE: Leverage = (0.0, 0.0)


def active_params(
    n_equivalent: ArrayLike, n_tokens: ArrayLike, leverage: Leverage = DENSE
) -> ArrayLike:
    """N_act with N_act·EL(6·N_act·D) = N_eq, ln EL = k0 + s·ln C (N_eq itself when dense)."""
    k0, s = leverage
    if k0 == 0.0 and s == 0.0:
        return n_equivalent
    if isinstance(n_equivalent, float | int) and isinstance(n_tokens, float | int):
        return math.exp((math.log(n_equivalent) - k0 - s * math.log(6.0 * n_tokens)) / (1.0 + s))
    return np.exp(
        (np.log(n_equivalent) - k0 - s * np.log(6.0 * np.asarray(n_tokens, dtype=float)))
        / (1.0 + s)
    )


def demand_for_tokens(
    target_loss: float, n_tokens: float, c: Coefficients, leverage: Leverage = DENSE
) -> float:
    """The D_inf for which ``n_tokens`` is the optimal D_tr: 3D·(1/R(D) − 1) (≥ 0 for D ≥ D0)."""
    s = leverage[1]
    r = _k(target_loss, c) * n_tokens**-c.beta
    big_r = (c.beta / c.alpha * r / (1.0 - r) + s) / (1.0 + s)
    return 3.0 * n_tokens * (1.0 / big_r - 1.0)


def training_tokens(
    target_loss: float, inference_tokens: ArrayLike, c: Coefficients, leverage: Leverage = DENSE
) -> ArrayLike:
    """Inference-aware D_tr: the root of p(D) (module docstring), vectorised over D_inf.

    Newton in x = ln D from D_start = max(2^(1/β)·D0, (2β·k·D_inf/(3α))^(1/(1+β))), where
    p ≥ 0; p(e^x) is convex and increasing for D ≥ D0, so the iterates fall monotonically to
    the root. With an MoE ``leverage`` whose s ≠ 0, scipy's brentq solves the generalised
    condition per element (:func:`training_tokens_brentq`).
    """
    if leverage[1] != 0.0:
        if np.ndim(inference_tokens) == 0:
            return training_tokens_brentq(target_loss, float(inference_tokens), c, leverage)
        flat = [
            training_tokens_brentq(target_loss, float(x), c, leverage)
            for x in np.ravel(inference_tokens)
        ]
        return np.reshape(np.array(flat), np.shape(inference_tokens))
    if not target_loss > c.E:
        raise ValueError(f"target loss {target_loss} must exceed the irreducible loss E = {c.E}")
    d_inf = np.asarray(inference_tokens, dtype=float)
    if np.any(d_inf < 0) or not np.all(np.isfinite(d_inf)):
        raise ValueError("inference tokens must be finite and >= 0")
    k = _k(target_loss, c)
    a, b = c.alpha, c.beta
    d0 = ((a + b) * k / a) ** (1.0 / b)
    x = np.log(
        np.maximum(2.0 ** (1.0 / b) * d0, (2.0 * b * k * d_inf / (3.0 * a)) ** (1.0 / (1.0 + b)))
    )
    for _ in range(100):
        d = np.exp(x)
        p = 3.0 * a * d ** (1.0 + b) - 3.0 * (a + b) * k * d - b * k * d_inf
        dp_dx = 3.0 * a * (1.0 + b) * d ** (1.0 + b) - 3.0 * (a + b) * k * d
        step = p / dp_dx
        x = x - step
        if np.all(np.abs(step) < 1e-12):  # quadratic convergence: the next error is ~step²
            break
    d = np.where(d_inf == 0.0, d0, np.exp(x))
    return float(d) if np.ndim(d) == 0 else d


def training_tokens_brentq(
    target_loss: float, inference_tokens: float, c: Coefficients, leverage: Leverage = DENSE
) -> float:
    """Optimal D_tr by scipy's brentq in ln D on D_inf(D) − D_inf = 0 (scalar).

    Solves the same condition as :func:`training_tokens` (cross-check when dense) and the
    MoE generalisation (module docstring) when ``leverage`` has s ≠ 0.
    """
    from scipy.optimize import brentq

    if not target_loss > c.E:
        raise ValueError(f"target loss {target_loss} must exceed the irreducible loss E = {c.E}")
    if not (inference_tokens >= 0 and math.isfinite(inference_tokens)):
        raise ValueError("inference tokens must be finite and >= 0")
    k = _k(target_loss, c)
    d0 = ((c.alpha + c.beta) * k / c.alpha) ** (1.0 / c.beta)
    if inference_tokens == 0:
        return d0

    def g(x: float) -> float:
        return demand_for_tokens(target_loss, math.exp(x), c, leverage) - inference_tokens

    lo, hi = math.log(d0), math.log(d0) + 1.0
    while g(hi) < 0:
        lo, hi = hi, hi + 1.0
    return math.exp(brentq(g, lo, hi, xtol=1e-15, rtol=1e-15))


def crossover_inference_tokens(
    target_loss: float,
    c: Coefficients,
    threshold: float = DEFAULT_CROSSOVER_THRESHOLD,
    leverage: Leverage = DENSE,
) -> float:
    """Smallest D_inf whose optimum has N (active) ≤ (1 − threshold)·N0.

    Dense: closed form, D_inf = 3D·(1/R − 1) at D = D(N_c), N_c = (1 − t)·N0. With an MoE
    leverage (s ≠ 0) the D with N_act(D) = (1 − t)·N_act0 is found by brentq first.
    """
    if not 0 < threshold < 1:
        raise ValueError("threshold must be in (0, 1)")
    n0, d0 = compute_optimal_for_loss(target_loss, c)
    s = leverage[1]
    if s == 0.0:
        d = float(tokens_for_params(target_loss, (1.0 - threshold) * n0, c))
        if not math.isfinite(d):
            return math.inf
    else:
        from scipy.optimize import brentq

        # ln N_eq(D) − s·ln D falls with D; target: its value at D0 + (1 + s)·ln(1 − t)
        target = math.log(n0) - s * math.log(d0) + (1.0 + s) * math.log(1.0 - threshold)

        def h(x: float) -> float:
            return math.log(float(params_for_loss(target_loss, math.exp(x), c))) - s * x - target

        lo, hi = math.log(d0), math.log(d0) + 1.0
        while h(hi) > 0:
            lo, hi = hi, hi + 1.0
        d = math.exp(brentq(h, lo, hi, xtol=1e-14, rtol=1e-15))
    return demand_for_tokens(target_loss, d, c, leverage)


@dataclass(frozen=True, slots=True)
class InferenceAwarePlan:
    """Compute-optimal vs inference-aware plans for one (ℓ, D_inf)."""

    target_loss: float
    inference_tokens: float
    n_params: float  # inference-aware
    n_tokens: float  # training tokens D_tr
    train_flops: float
    inference_flops: float
    total_flops: float
    compute_optimal_n_params: float
    compute_optimal_n_tokens: float
    compute_optimal_train_flops: float
    compute_optimal_total_flops: float  # same ℓ, same D_inf, N0
    total_flops_saving: float  # compute-optimal total − inference-aware total (≥ 0)
    total_flops_saving_fraction: float
    crossover_inference_tokens: float
    crossover_threshold: float
    leverage: Leverage = DENSE  # MoE: ln EL = k0 + s·ln C; n_params are then active
    source: str = CITATION


def inference_aware_plan(
    target_loss: float,
    inference_tokens: float,
    c: Coefficients,
    *,
    crossover_threshold: float = DEFAULT_CROSSOVER_THRESHOLD,
    leverage: Leverage = DENSE,
) -> InferenceAwarePlan:
    """Both plans at loss ℓ with ``inference_tokens`` lifetime tokens, and the saving.

    With an MoE ``leverage`` the parameter counts are active parameters (6·N_act per
    training token, 2·N_act per inference token).
    """
    d = float(training_tokens(target_loss, inference_tokens, c, leverage))
    n = float(active_params(params_for_loss(target_loss, d, c), d, leverage))
    n0_eq, d0 = compute_optimal_for_loss(target_loss, c)
    n0 = float(active_params(n0_eq, d0, leverage))
    train = TRAIN_FLOPS_PER_PARAM_TOKEN * n * d
    inf = INFERENCE_FLOPS_PER_PARAM_TOKEN * n * inference_tokens
    train0 = TRAIN_FLOPS_PER_PARAM_TOKEN * n0 * d0
    total0 = train0 + INFERENCE_FLOPS_PER_PARAM_TOKEN * n0 * inference_tokens
    saving = max(total0 - (train + inf), 0.0)  # ≥ 0 by optimality; clip rounding
    return InferenceAwarePlan(
        target_loss=float(target_loss),
        inference_tokens=float(inference_tokens),
        n_params=n,
        n_tokens=d,
        train_flops=train,
        inference_flops=inf,
        total_flops=train + inf,
        compute_optimal_n_params=n0,
        compute_optimal_n_tokens=d0,
        compute_optimal_train_flops=train0,
        compute_optimal_total_flops=total0,
        total_flops_saving=saving,
        total_flops_saving_fraction=saving / total0,
        crossover_inference_tokens=crossover_inference_tokens(
            target_loss, c, crossover_threshold, leverage
        ),
        crossover_threshold=crossover_threshold,
        leverage=leverage,
    )


# ---------------------------------------------------------------------------------------
# inference demand's contribution to a plan


def _finite_or_none(x: Any) -> Any:
    return None if isinstance(x, float) and not math.isfinite(x) else x


class DemandTerm(Term):
    """Lifetime inference demand: Sardana's plan (training + serving compute at the target loss,
    else the plan's own loss) beside the compute-optimal one, with the saving and the crossover
    demand. Dense and Ling MoE use the preset's Chinchilla-form coefficients; Krajewski's MoE
    solves the same problem on his own surface."""

    name = "inference_demand"

    def applies(self, q: Question) -> bool:
        return q.inference_tokens > 0 or q.target_loss is not None

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        q = p.question
        moe_on = q.moe_activation is not None and q.moe_activation < 1.0
        if moe_on and q.moe_law == "krajewski":
            block = self._krajewski(p, out)
        else:
            block = self._chinchilla(p, out, moe_on)
        if block is not None:
            gh = flops_to_gpu_hours(block["train_flops"], p.hardware)
            block.update(train_gpu_hours=gh, train_cost_usd=gpu_hours_to_usd(gh, p.hardware))
            out["inference_aware"] = {k: _finite_or_none(v) for k, v in block.items()}
        out["inference_tokens"] = float(q.inference_tokens)

    def _chinchilla(self, p: Problem, out: dict[str, Any], moe_on: bool) -> dict[str, Any] | None:
        from planner.effects import moe

        q, law, loss = p.question, p.law, out["loss"]
        if not isinstance(law, ChinchillaLaw):
            out["warnings"].append(f"Inference-aware allocation needs a Chinchilla-form law "
                                   f"(L = E + A/N^α + B/D^β); {law.id} has none.")  # fmt: skip
            return None
        coef = Coefficients(law.E, law.A, law.B, law.alpha, law.beta)
        ell = q.target_loss if q.target_loss is not None else loss
        if ell is None or not ell > coef.E:
            raise Conflict(f"target loss {ell:g} is unreachable with {law.id} (its floor is E = {coef.E:g})")
        if moe_on:
            g = moe.granularity_of(q)
            leverage, how = moe.el_log_affine(q.moe_activation, g), "MoE: EL(C) varies with C; brentq on the FOC"
        else:
            leverage, how = DENSE, "dense: closed first-order condition, Newton in ln D"
        r = inference_aware_plan(ell, q.inference_tokens, coef, leverage=leverage)
        if q.target_loss is not None and loss is not None and loss > q.target_loss * (1 + 1e-12):
            out["warnings"].append(f"The budget's plan reaches loss {loss:.4g}, above the target {q.target_loss:.4g}; "
                                   f"the inference-aware plan needs {fmt_flops(r.train_flops)} training FLOPs.")  # fmt: skip
        if q.unique_tokens is not None:
            out["warnings"].append("Inference-aware allocation ignores the unique-data limit (Sardana has no "
                                   "repetition model).")  # fmt: skip
        n_tot = float(moe.total_params_from_active(r.n_params, q.moe_activation)) if moe_on else r.n_params
        return {
            "target_loss": r.target_loss, "inference_tokens": r.inference_tokens,
            "n_params": r.n_params, "n_params_total": n_tot, "n_tokens": r.n_tokens,
            "tokens_per_param": r.n_tokens / r.n_params,
            "train_flops": r.train_flops, "inference_flops": r.inference_flops, "total_flops": r.total_flops,
            "compute_optimal_n_params": r.compute_optimal_n_params,
            "compute_optimal_n_tokens": r.compute_optimal_n_tokens,
            "compute_optimal_train_flops": r.compute_optimal_train_flops,
            "compute_optimal_total_flops": r.compute_optimal_total_flops,
            "total_flops_saving": r.total_flops_saving,
            "total_flops_saving_fraction": r.total_flops_saving_fraction,
            "crossover_inference_tokens": r.crossover_inference_tokens,
            "crossover_threshold": r.crossover_threshold,
            "crossover_definition": "smallest lifetime inference tokens at which the optimal N is "
                                    f"{r.crossover_threshold:.0%} below the compute-optimal N",
            "method": how, "source": r.source,
        }  # fmt: skip

    def _krajewski(self, p: Problem, out: dict[str, Any]) -> dict[str, Any]:
        from planner.effects import moe

        q, loss = p.question, out["loss"]
        g = moe.granularity_of(q)
        ell_k = out["extras"]["moe"]["krajewski_loss_c4_nats"]
        if q.target_loss is not None:
            c_t = p.budget_for_loss(q.target_loss)  # type: ignore[misc]
            ell_k = moe.krajewski_plan(c_t, g).loss
            if loss is not None and loss > q.target_loss * (1 + 1e-12):
                out["warnings"].append(f"The budget's plan reaches loss {loss:.4g}, above the target "
                                       f"{q.target_loss:.4g}.")  # fmt: skip
        r = moe.krajewski_inference_aware(float(ell_k), q.inference_tokens, g)
        saving = max(r.compute_optimal_total_flops - r.total_flops, 0.0)
        return {
            "target_loss": q.target_loss if q.target_loss is not None else loss, "krajewski_loss_c4_nats": ell_k,
            "inference_tokens": q.inference_tokens, "n_params": r.n_params_active,
            "n_params_total": float(moe.krajewski_total_params(r.n_params_active)), "n_tokens": r.n_tokens,
            "tokens_per_param": r.n_tokens / r.n_params_active, "train_flops": r.train_flops,
            "inference_flops": r.total_flops - r.train_flops, "total_flops": r.total_flops,
            "compute_optimal_n_params": r.compute_optimal_n_params_active,
            "compute_optimal_n_tokens": r.compute_optimal_n_tokens,
            "compute_optimal_train_flops": r.compute_optimal_train_flops,
            "compute_optimal_total_flops": r.compute_optimal_total_flops,
            "total_flops_saving": saving, "total_flops_saving_fraction": saving / r.compute_optimal_total_flops,
            "crossover_inference_tokens": None, "crossover_threshold": None,
            "crossover_definition": "not computed on Krajewski's surface",
            "method": "MoE (Krajewski): numerical on its own surface, routing FLOPs included",
            "source": CITATION + "; " + moe.KRAJEWSKI_CITATION,
        }  # fmt: skip


TERM = DemandTerm()
