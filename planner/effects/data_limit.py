"""Data-constrained mode (Muennighoff et al. 2023, arXiv 2305.16264; LAWS.md §2.9).

"Scaling Data-Constrained Language Models". Repeating data has decaying value:

* effective data D′ = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D)), U_D = min(U, D),
  R_D = D/U_D − 1 (**repeats**, i.e. epochs − 1);
* effective parameters N′ = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N)),
  U_N = min((U_D·G)^(β/α)·G, N), R_N = max(N/U_N − 1, 0), G = (αA/(βB))^(1/(α+β));
* loss L = E + A/N′^α + B/D′^β (C4 nats); R* = ∞ recovers Chinchilla.

Coefficients (CONFIRMED, LAWS.md §2.9): [ln A, ln B, ln E, α, β, R*_D, R*_N] =
[6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596, 15.387756, 5.309743].

:func:`allocate` re-optimises N and D under C = 6ND with U unique tokens (one dimension in
ln N: a vectorised grid, then a bounded Brent polish with scipy). When U ≥ the unconstrained
D* (including U = ∞) the unconstrained closed form (LAWS.md §1) is returned unchanged: no
repetition happens and the decay terms vanish at the Chinchilla optimum.

The decay terms can be put on any Chinchilla-form coefficients with
:meth:`DataConstrainedCoefficients.from_chinchilla`; that is an extrapolation and labelled so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from planner.laws import ChinchillaLaw, DataConstrainedLaw, Law
from planner.laws.data_constrained import (
    EXTRAPOLATION_LABEL,
    FIT_MAX_PARAMS,
    FIT_MAX_TOKENS,
    MUENNIGHOFF,
    DataConstrainedCoefficients,
    effective_data,
    effective_params,
    loss,
    loss_grad_log,
    unconstrained_allocation,
)
from planner.solve.problem import Point, Problem, Term
from planner.units import fmt_count

if TYPE_CHECKING:
    from planner.question import Question


@dataclass(frozen=True, slots=True)
class DataConstrainedPlan:
    """Optimal (N, D) at budget C with U unique tokens, and the unconstrained reference."""

    flops: float
    unique_tokens: float
    n_params: float
    n_tokens: float
    epochs: float
    effective_params: float
    effective_tokens: float
    loss: float
    unconstrained_n_params: float
    unconstrained_n_tokens: float
    unconstrained_loss: float
    constrained: bool  # False: U ≥ D*, the unconstrained plan applies unchanged
    label: str
    warnings: tuple[str, ...]


def optimum_params(flops: float, unique_tokens: float, coef: DataConstrainedCoefficients = MUENNIGHOFF,
                   leverage: float = 1.0) -> float:
    """N minimising L(EL·N, C/(6N); U): the root of dL/d ln N (:func:`loss_grad_log`, brentq in ln N).

    The analytic slope keeps the optimum exact where the loss is flat in N (many epochs), so N*
    grows smoothly with C instead of following rounding noise in the loss.
    """
    from scipy.optimize import brentq

    def slope(x: float) -> float:
        n = math.exp(x)
        g_n, g_d = loss_grad_log(leverage * n, flops / (6.0 * n), unique_tokens, coef)
        return g_n - g_d

    centre = 0.5 * math.log(flops / 6.0)
    lo, hi = centre - 30.0, centre + 30.0
    if slope(lo) >= 0:
        return math.exp(lo)
    if slope(hi) <= 0:
        return math.exp(hi)
    return math.exp(brentq(slope, lo, hi, xtol=1e-13, rtol=1e-15, maxiter=400, disp=False))


def allocate(
    flops: float,
    unique_tokens: float = math.inf,
    coef: DataConstrainedCoefficients = MUENNIGHOFF,
    *,
    n_grid: int = 128,
) -> DataConstrainedPlan:
    """Minimise L(N, C/(6N); U) over N: grid in ln N (1e−2…1e4 × N*), then Brent polish.

    U ≥ D* (or ∞) returns the closed form exactly.
    """
    n_star, d_star = (float(x) for x in unconstrained_allocation(flops, coef))
    l_star = float(loss(n_star, d_star, math.inf, coef))
    warnings: list[str] = []
    if coef.extrapolated:
        warnings.append(EXTRAPOLATION_LABEL)
    if not unique_tokens > 0:
        raise ValueError("unique tokens must be > 0")
    if unique_tokens >= d_star:
        n, d, l_opt, constrained = n_star, d_star, l_star, False
    else:
        n = optimum_params(flops, unique_tokens, coef)
        d = flops / (6.0 * n)
        l_opt = float(loss(n, d, unique_tokens, coef))
        constrained = True
    ep = d / unique_tokens if math.isfinite(unique_tokens) else 0.0
    if ep > 1.0 + 1e-12:
        rd = ep - 1.0
        if rd > coef.r_star_d:
            warnings.append(
                f"data-constrained: {fmt_count(ep)} epochs; beyond ~{1 + coef.r_star_d:.0f} epochs extra "
                "repeats add almost nothing (R*_D)"
            )
        elif ep > 4.0:
            warnings.append(
                f"data-constrained: {fmt_count(ep)} epochs; beyond ~4 epochs repeats lose value"
            )
    if not coef.extrapolated and (n > FIT_MAX_PARAMS or d > FIT_MAX_TOKENS):
        warnings.append("data-constrained: beyond Muennighoff's runs (≤ 9B params, ≤ 900B tokens)")
    return DataConstrainedPlan(
        flops=float(flops),
        unique_tokens=float(unique_tokens),
        n_params=n,
        n_tokens=d,
        epochs=ep,
        effective_params=float(effective_params(n, d, unique_tokens, coef)),
        effective_tokens=float(effective_data(d, unique_tokens, coef.r_star_d)),
        loss=l_opt,
        unconstrained_n_params=n_star,
        unconstrained_n_tokens=d_star,
        unconstrained_loss=l_star,
        constrained=constrained,
        label=coef.label,
        warnings=tuple(warnings),
    )


# ---------------------------------------------------------------------------------------
# the data limit's contribution to a plan


def coefficients_for(law: Law) -> DataConstrainedCoefficients | None:
    """Muennighoff's own law, or his decay terms on another Chinchilla-form law (labelled)."""
    if isinstance(law, DataConstrainedLaw):
        return DataConstrainedCoefficients(law.E, law.A, law.B, law.alpha, law.beta, law.R_D_star, law.R_N_star)
    if isinstance(law, ChinchillaLaw):
        return DataConstrainedCoefficients.from_chinchilla(law.E, law.A, law.B, law.alpha, law.beta)
    return None


PLATEAU_TOLERANCE = 1e-9  # relative loss within which two plans are the same plan
PLATEAU_WIDTH = 0.01  # a near-optimal range wider than 1% in N is a plateau, not a minimum


def flat_range(p: Problem, pt: Point, tol: float = PLATEAU_TOLERANCE) -> tuple[float, float]:
    """The sizes N along the budget whose loss is within ``tol`` (relative) of the optimum's."""
    from scipy.optimize import brentq

    target = pt.loss * (1.0 + tol)  # type: ignore[operator]
    x0 = math.log(pt.n)

    def excess(x: float) -> float:
        n = math.exp(x)
        return float(p.loss(n, p.tokens_at(n))) - target  # type: ignore[misc]

    ends = []
    for far in (x0 - 30.0, x0 + 30.0):
        ends.append(far if excess(far) <= 0 else brentq(excess, min(x0, far), max(x0, far), xtol=1e-12, maxiter=400, disp=False))
    return math.exp(ends[0]), math.exp(ends[1])


class DataLimitTerm(Term):
    """U unique tokens: Chinchilla-form laws lose value on repeated data (effective N′, D′,
    LAWS.md §2.9), an extrapolation except for ``muennighoff-2023``; other laws report epochs.
    U counts tokens of the plan's own vocabulary; the law sees U·f(V_ref)/f(V)."""

    name = "unique_data"
    constraint = True

    def applies(self, q: Question) -> bool:
        return q.unique_tokens is not None

    def pose(self, p: Problem) -> None:
        q = p.question
        krajewski = q.moe_law == "krajewski" and q.moe_activation is not None and q.moe_activation < 1.0
        coef = None if krajewski else coefficients_for(p.law)
        p.extras = {**(p.extras or {}), "data_coefficients": coef}
        if coef is None:
            return
        u = self._reference_tokens(p, q.unique_tokens)
        el = p.leverage
        p.loss = lambda n, d: loss(el * n, d, u, coef)
        p.grad_log = lambda n, d: loss_grad_log(el * n, d, u, coef)
        p.pristine, p.closed_loss = False, None
        if p.closed is not None and p.closed(p.flops)[1] > u:
            p.closed = None  # the unconstrained optimum repeats data: solve numerically

    def refine(self, p: Problem, pt: Point) -> Point:
        """On a loss plateau (many epochs: N′ and D′ both saturate), the loss is the same to 1e-9
        over a wide range of N; the plan takes the range's geometric middle, so N* and D* keep
        growing with C, and reports the range."""
        if (p.extras or {}).get("data_coefficients") is None or pt.method != "numerical" or pt.binding:
            return pt
        lo, hi = flat_range(p, pt)
        if math.log(hi / lo) <= PLATEAU_WIDTH:
            return pt
        n = math.sqrt(lo * hi)
        d = p.tokens_at(n)
        p.extras = {**p.extras, "flat_range": (lo, hi)}  # type: ignore[dict-item]
        return Point(n, d, float(p.loss(n, d)), "numerical (middle of the loss plateau)", pt.binding)  # type: ignore[misc]

    @staticmethod
    def _reference_tokens(p: Problem, unique_tokens: float) -> float:
        from planner.effects.vocab import chosen_vocab, reference_vocab, tokens_per_char

        if not (p.question.vocab_size is not None or p.question.optimal_vocab):
            return unique_tokens
        n, d = p.closed(p.flops) if p.closed is not None else p.law.allocate_scalar(p.leverage * p.flops)
        v = chosen_vocab(p, n, d)
        return unique_tokens * float(tokens_per_char(reference_vocab(p.law.id))) / float(tokens_per_char(v))

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        q = p.question
        coef = (p.extras or {}).get("data_coefficients")
        epochs = out["n_tokens"] / q.unique_tokens
        out.update(unique_tokens=q.unique_tokens, epochs=epochs)
        out["extras"]["data_constrained"] = {"label": coef.label if coef else "epochs only (no repetition model)"}
        warnings = out["warnings"]
        if coef is None:
            if epochs > 1.0:
                warnings.append(f"{fmt_count(epochs)} epochs over the unique data: {p.law.id} has no repetition model, "
                                "so the loss treats repeated tokens as new.")  # fmt: skip
            return
        if coef.extrapolated:
            warnings.append(EXTRAPOLATION_LABEL)
        if epochs > 1.0 + 1e-12:
            if epochs - 1.0 > coef.r_star_d:
                warnings.append(f"data-constrained: {fmt_count(epochs)} epochs; beyond ~{1 + coef.r_star_d:.0f} epochs "
                                "extra repeats add almost nothing (R*_D)")  # fmt: skip
            elif epochs > 4.0:
                warnings.append(f"data-constrained: {fmt_count(epochs)} epochs; beyond ~4 epochs repeats lose value")
            if "unique_data" not in out["binding"] and pt.method != "closed":
                out["binding"].append("unique_data")
        flat = (p.extras or {}).get("flat_range")
        if flat is not None:
            out["extras"]["data_constrained"]["flat_range"] = list(flat)
            warnings.append(f"data-constrained: the loss is flat (to 1 part in a billion) for N from {fmt_count(flat[0])} "
                            f"to {fmt_count(flat[1])}: more compute buys nothing at {fmt_count(epochs)} epochs; the plan "
                            "takes the middle of that range")  # fmt: skip
        if not coef.extrapolated and (pt.n > FIT_MAX_PARAMS or pt.d > FIT_MAX_TOKENS):
            warnings.append("data-constrained: beyond Muennighoff's runs (≤ 9B params, ≤ 900B tokens)")


TERM = DataLimitTerm()
