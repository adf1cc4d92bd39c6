"""The curves the plots draw, taken from the same problem the plan solves.

A plot that shows the bare law while the plan optimises something else (an MoE's leverage, a
data-limited surface, Krajewski's own surface) contradicts the plan. Every function here poses
the question's own problem (:func:`planner.solve.plan.pose`, every applicable term of
:data:`planner.solve.terms.TERMS`) at other budgets, so the curves are the ones the plan
optimises, in the law's meaning of N (active parameters for an MoE) and in the law's loss unit:

* :func:`isoflop_curves` — loss along the budget line C = per_token(N)·D at a few budgets, with
  each curve's minimum; :func:`plan_notes` says why the plan's point can sit off them (a
  vocabulary split moves N and D after the optimum; Kaplan's plan is its Table 6 allocation
  with the Eq. 1.3 loss, which is not a point of the Eq. 1.5 surface).
* :func:`frontier_curves` — N*, D* and the loss at a grid of budgets for the question with its
  budget replaced and fixed sizes removed, constraints kept; cached by the question's other
  inputs, so a budget drag never recomputes it.
* :func:`constraint_bounds` — the bounds the constraints put on N (serving memory) and D
  (unique data) at the plan's budget, and whether they bind.
* :func:`serving_costs` — training, serving and total dollars against lifetime inference
  tokens, for the plan and for its inference-aware alternative.

Everything is numpy, vectorised over the sizes of a curve; a surface a term gives only for
scalars (Krajewski's FLOPs per token, his loss mapped to the law's) is evaluated point by
point. Symbols: N parameters, D tokens, C training FLOPs, U unique tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from planner.question import NEW_PLAN_FLOPS, Question
from planner.solve.plan import law_loss, pose
from planner.solve.problem import Conflict, Problem, Term, solve
from planner.solve.result import Frontier, Plan
from planner.solve.terms import TERMS
from planner.units import fmt_count

ISO_SPAN = 30.0
"""Each isoFLOP curve spans N_min/ISO_SPAN … N_min·ISO_SPAN around its own minimum."""
ISO_POINTS = 48
ISO_STEP = 0.5
"""Decades between the round budgets (10^(k/2) FLOPs) whose isoFLOP curves surround a plan."""
_SEARCH = 10.0 ** np.linspace(-6.0, 6.0, 49)  # sizes around sqrt(C/120) searched for a minimum
_REPORT_ONLY = {"inference_tokens": 0.0, "target_loss": None}
"""Inputs only the plan's reports read (never a term's pose or refine): left out of cache keys."""


class IsoCurves(NamedTuple):
    """IsoFLOP curves of one question: row i is the budget ``flops[i]``.

    ``n_params`` and ``loss`` are (k, m) arrays (N in the law's meaning, active parameters for
    an MoE; loss in the law's unit, NaN where undefined); ``n_min``/``loss_min`` are each
    curve's minimum (grid minimum polished by a parabola in ln N). ``surface`` says in a few
    words which surface the curves follow.
    """

    flops: np.ndarray
    n_params: np.ndarray
    loss: np.ndarray
    n_min: np.ndarray
    loss_min: np.ndarray
    surface: str


class Bound(NamedTuple):
    """A constraint's limit at the plan's budget: ``quantity`` is "n_params" or "n_tokens"."""

    quantity: str
    value: float
    name: str
    label: str
    binding: bool


@lru_cache(maxsize=64)
def free_question(question: Question, flops: float = NEW_PLAN_FLOPS) -> Question:
    """The question at budget ``flops`` with fixed sizes removed (constraints kept).

    Inputs only the reports read (lifetime inference tokens, a target loss) are reset, so the
    result is also the cache key of everything that does not depend on the budget.
    """
    return question.with_(flops=flops, n_params=None, n_tokens=None, arch=None, **_REPORT_ONLY)


def iso_budgets(flops: float, each_side: int = 2) -> tuple[float, ...]:
    """Round budgets around a plan's budget ``flops``: ``each_side`` below and above it.

    The budgets are 10^(k/2) FLOPs (3.16e22, 1e23, 3.16e23, ...) around the round budget
    nearest ``flops``, which is left out: the plan's own curve takes its place, at least a
    quarter decade from the others. Being fixed, not multiples of the plan's budget, the curves
    read as round numbers and stay put while a slider moves the plan (they change once per half
    decade), so only the plan's own curve is recomputed.
    """
    nearest = round(math.log10(flops) / ISO_STEP)
    ks = [*range(nearest - each_side, nearest), *range(nearest + 1, nearest + each_side + 1)]
    return tuple(float(10.0 ** (k * ISO_STEP)) for k in ks)


def _terms(question: Question, terms: Sequence[Term]) -> tuple[Term, ...]:
    return tuple(t for t in terms if t.applies(question))


# ---------------------------------------------------------------------------------------------
# evaluating a posed problem on arrays of sizes


def _tokens(p: Problem, n: np.ndarray) -> np.ndarray:
    """D on the budget line for every N (``per_token`` vectorised when it can be)."""
    try:
        per = np.asarray(p.per_token(n), dtype=float)  # type: ignore[arg-type]
        if per.shape == n.shape:
            return p.flops / per
    except (TypeError, ValueError):
        pass
    return np.array([p.tokens_at(float(x)) for x in n])


def _surface(p: Problem, n: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The problem's own surface L(N, D) (the quantity the solver minimises)."""
    with np.errstate(all="ignore"):
        try:
            out = np.asarray(p.loss(n, d), dtype=float)  # type: ignore[misc]
            if out.shape == n.shape:
                return out
        except (TypeError, ValueError):
            pass
        return np.array([float(p.loss(a, b)) for a, b in zip(n, d, strict=True)])  # type: ignore[misc]


def _in_law_unit(p: Problem, n: np.ndarray, d: np.ndarray, surface: np.ndarray) -> np.ndarray:
    """``surface`` in the law's loss unit (a term's own surface maps back through ``law_loss``)."""
    if p.law_loss is None:
        return surface
    leverage = p.leverage  # Krajewski's mapping records its leverage on the problem: keep it
    with np.errstate(all="ignore"):
        try:
            out = np.asarray(p.law_loss(n, d, surface), dtype=float)  # type: ignore[arg-type]
            if out.shape == n.shape:
                return out
        except (TypeError, ValueError):
            pass
        out = np.full(n.shape, np.nan)
        for i, (a, b, s) in enumerate(zip(n, d, surface, strict=True)):
            if math.isfinite(s):
                v = p.law_loss(float(a), float(b), float(s))
                out[i] = np.nan if v is None else v
    p.leverage = leverage
    return out


def _polish(u: np.ndarray, y: np.ndarray, i: int) -> float:
    """ln N of the minimum of the parabola through the grid minimum and its neighbours."""
    if i <= 0 or i >= len(u) - 1 or not np.isfinite(y[i - 1 : i + 2]).all():
        return float(u[i])
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    den = y0 - 2.0 * y1 + y2
    if not den > 0:
        return float(u[i])
    h = u[i + 1] - u[i]
    return float(u[i] + 0.5 * h * (y0 - y2) / den)


def _curve_minimum(p: Problem) -> float:
    """N at the minimum of the surface along the budget line (wide log grid, then a parabola)."""
    centre = math.sqrt(p.flops / 120.0)  # about 20 tokens per parameter
    n = centre * _SEARCH
    y = _surface(p, n, _tokens(p, n))
    y = np.where(np.isfinite(y), y, np.inf)
    i = int(np.argmin(y))
    if not np.isfinite(y[i]):
        return centre
    return math.exp(_polish(np.log(n), y, i))


# ---------------------------------------------------------------------------------------------
# isoFLOP curves


def surface_label(question: Question) -> str:
    """A few words naming the surface the isoFLOP curves follow for ``question``.

    Only the kind of effect, not its value: the label stays put while a slider moves the value
    (a legend that changes text is laid out again), and the value is shown beside the slider.
    """
    q = question
    parts = [q.law.id]
    if q.moe_activation is not None and q.moe_activation < 1.0:
        law = "Krajewski MoE surface" if q.moe_law == "krajewski" else "MoE via Ling EL"
        parts.append(f"{law}, N active")
    if q.unique_tokens is not None:
        parts.append("limited unique data")
    return ", ".join(parts)


def isoflop_curves(
    question: Question,
    budgets: Sequence[float] | np.ndarray,
    *,
    span: float = ISO_SPAN,
    points: int = ISO_POINTS,
    include: Sequence[float | None] | None = None,
    terms: Sequence[Term] = TERMS,
) -> IsoCurves | None:
    """Loss along the budget line at each of ``budgets``, on the surface the plan optimises.

    Parameters
    ----------
    question : Question
        The plan's question; its budget is replaced by each of ``budgets`` (FLOPs) and fixed
        sizes are removed (a fixed N is a point of its budget's curve).
    budgets : sequence of float
        Training budgets C (FLOPs), shape (k,).
    span : float
        Each curve covers N_min/span … N_min·span around its minimum N_min.
    points : int
        Sizes per curve, m.
    include : sequence of (float or None), optional
        Per budget, a size N the curve must also cover, as one of its points (e.g. the plan's
        N, also when a constraint or a published allocation puts it away from the minimum).
    terms : sequence of Term
        The effect registry (default :data:`~planner.solve.terms.TERMS`).

    Returns
    -------
    IsoCurves or None
        ``None`` when the law has no loss surface (allocation-only laws).
    """
    c = np.asarray(budgets, dtype=float).reshape(-1)
    key = (free_question(question), tuple(c.tolist()), float(span), int(points),
           None if include is None else tuple(include), tuple(terms))  # fmt: skip
    return _isoflop_cached(*key)


@lru_cache(maxsize=4)
def _offsets(span: float, points: int) -> np.ndarray:
    out = np.geomspace(1.0 / span, span, points)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=8)
def _isoflop_cached(
    qf: Question,
    budgets: tuple[float, ...],
    span: float,
    points: int,
    include: tuple[float | None, ...] | None,
    terms: tuple[Term, ...],
) -> IsoCurves | None:
    rows = []
    for i, flops in enumerate(budgets):
        extra = include[i] if include is not None else None
        # (a curve through a given size is the plan's own, new at every step: not cached)
        row = _isoflop_row if extra is None else _isoflop_row.__wrapped__
        rows.append(row(qf, flops, span, points, extra, terms))
    if any(r is _NO_LOSS for r in rows):
        return None
    k = len(budgets)
    n_out = np.full((k, points), np.nan)
    l_out = np.full((k, points), np.nan)
    n_min = np.full(k, np.nan)
    l_min = np.full(k, np.nan)
    for i, row in enumerate(rows):
        if row is not None:  # (None: no problem at this budget, a row of NaN)
            n_out[i], l_out[i], n_min[i], l_min[i] = row
    return IsoCurves(np.asarray(budgets), n_out, l_out, n_min, l_min, surface_label(qf))


_NO_LOSS = object()  # a law without a loss surface: no curves at all


@lru_cache(maxsize=96)
def _isoflop_row(qf: Question, flops: float, span: float, points: int, extra: float | None,
                 terms: tuple[Term, ...]) -> tuple[np.ndarray, np.ndarray, float, float] | object | None:  # fmt: skip
    """One budget's curve (N, loss, N at the minimum, loss there), cached by budget: round
    budgets recur as a slider moves the plan, so a new set of them computes one or two curves."""
    try:
        p = pose(qf, list(_terms(qf, terms)), flops)
    except Conflict:
        return None
    if p.loss is None:
        return _NO_LOSS
    centre = _curve_minimum(p)
    n = centre * _offsets(span, points)
    ok_extra = extra is not None and extra > 0 and math.isfinite(extra)
    if ok_extra and not n[0] * 3 <= extra <= n[-1] / 3:
        n = np.geomspace(min(n[0], extra / 3.0), max(n[-1], extra * 3.0), points)
    d = _tokens(p, n)
    surf = _surface(p, n, d)
    loss = _in_law_unit(p, n, d, surf)
    loss[~np.isfinite(loss)] = np.nan
    fin = np.where(np.isfinite(surf), surf, np.inf)
    j = int(np.argmin(fin))
    n_min = l_min = math.nan
    if np.isfinite(fin[j]):  # (on the even grid: the parabola assumes even steps)
        nm = np.array([math.exp(_polish(np.log(n), fin, j))])
        dm = _tokens(p, nm)
        n_min, l_min = float(nm[0]), float(_in_law_unit(p, nm, dm, _surface(p, nm, dm))[0])
    if ok_extra:  # the included size becomes a point of the curve, exactly
        at = int(np.argmin(np.abs(np.log(n / extra))))
        ne = np.array([extra])
        de = _tokens(p, ne)
        n = n.copy()
        value = float(_in_law_unit(p, ne, de, _surface(p, ne, de))[0])
        n[at], loss[at] = extra, value if math.isfinite(value) else math.nan
    return n, loss, n_min, l_min


def plan_notes(plan: Plan, terms: Sequence[Term] = TERMS) -> tuple[str, ...]:
    """Why the plan's point (★) sits off its isoFLOP curve's minimum, if it does (for a legend).

    * a vocabulary: the plan's N and D are after the vocabulary split, the curves are the law's
      at its reference vocabulary (the plan's loss is the curve's minimum);
    * a published allocation with its own frontier loss (Kaplan: Table 6 N and D with the
      Eq. 1.3 loss, beside the Eq. 1.5 surface the curves follow);
    * fixed sizes: the plan is a point of its curve but off the compute-optimal frontier.
    """
    q = plan.question
    if q is None or not plan.success:
        return ()
    notes = []
    if q.vocab_size is not None or q.optimal_vocab:  # (no value: the legend stays put in a drag)
        notes.append("★ N, D after the vocabulary split")
    note = _allocation_note(free_question(q), tuple(terms))
    if note:
        notes.append(note)
    if q.fixed_params is not None or q.n_tokens is not None:
        notes.append("★ fixed size, away from the curve minima")
    return tuple(notes)


@lru_cache(maxsize=8)
def _allocation_note(qf: Question, terms: tuple[Term, ...]) -> str:
    """A note when the plan reports a closed-form allocation and frontier loss, not a surface
    minimum (the problem keeps ``closed_loss``; it does not depend on the budget)."""
    try:
        p = pose(qf, list(_terms(qf, terms)), qf.flops)  # type: ignore[arg-type]
    except Conflict:
        return ""
    if p.closed is None or p.closed_loss is None or qf.method == "numerical":
        return ""
    if qf.law.form == "kaplan":
        return "★ Table 6 N with the Eq. 1.3 loss, off these Eq. 1.5 curves"
    return "★ published allocation and frontier loss, off these curves"


# ---------------------------------------------------------------------------------------------
# the compute frontier


def frontier_curves(
    question: Question, budgets: Sequence[float] | np.ndarray, *, terms: Sequence[Term] = TERMS
) -> Frontier:
    """N*, D* and the loss (law's unit) at every budget, for the question's own problem.

    The question's budget is replaced by each budget, fixed sizes are removed and constraints
    kept; every applicable term poses and refines as in :func:`~planner.solve.plan.plan`, so the
    plan's (N, D, loss) is a point of this frontier. Budgets whose problem has no solution give
    NaN. Cached by the question's other inputs and the grid: a budget drag reuses it.
    """
    c = np.asarray(budgets, dtype=float).reshape(-1)
    return _frontier_cached(free_question(question), tuple(c.tolist()), tuple(terms))


def is_law_frontier(question: Question, terms: Sequence[Term] = TERMS) -> bool:
    """True when no term changes the law's own problem for ``question`` (its frontier is the
    law's published one, so e.g. the law's bootstrap bands describe it)."""
    return _untouched(_terms(free_question(question), terms))


def _untouched(active: Sequence[Term]) -> bool:
    return all(type(t).pose is Term.pose and type(t).refine is Term.refine for t in active)


@lru_cache(maxsize=16)
def _frontier_cached(qf: Question, budgets: tuple[float, ...], terms: tuple[Term, ...]) -> Frontier:
    from planner.solve.allocation import frontier

    c = np.asarray(budgets, dtype=float)
    active = _terms(qf, terms)
    law = qf.law
    if _untouched(active) and (qf.method != "numerical" or law.has_loss):
        with np.errstate(all="ignore"):  # the law's own vectorised frontier, as plan() solves it
            fr = frontier(law, c, "numerical" if qf.method == "numerical" else "closed")
        loss = None if fr.loss is None else np.asarray(fr.loss, dtype=float)
        return Frontier(
            c, np.asarray(fr.n_params, dtype=float), np.asarray(fr.n_tokens, dtype=float), loss
        )
    n = np.full(len(c), np.nan)
    d = np.full(len(c), np.nan)
    loss = np.full(len(c), np.nan)
    with np.errstate(all="ignore"):
        for i, flops in enumerate(budgets):
            try:
                p = pose(qf, list(active), flops)
                pt = solve(p)
                for t in active:
                    pt = t.refine(p, pt)
                ell = law_loss(p, pt)
            except (Conflict, ArithmeticError, ValueError):
                continue
            n[i], d[i] = pt.n, pt.d
            loss[i] = np.nan if ell is None else ell
    return Frontier(c, n, d, loss if np.isfinite(loss).any() else None)


def clear_caches() -> None:
    """Forget cached curves (tests; a law object is never mutated, so the app never needs it)."""
    _frontier_cached.cache_clear()
    _isoflop_cached.cache_clear()
    _isoflop_row.cache_clear()
    _allocation_note.cache_clear()
    free_question.cache_clear()


# ---------------------------------------------------------------------------------------------
# constraints and costs


def constraint_bounds(plan: Plan, terms: Sequence[Term] = TERMS) -> tuple[Bound, ...]:
    """The bounds the question's constraints put on N and D at the plan's budget.

    Bounds on N come from the posed problem (e.g. the serving memory's largest model); the
    unique-data limit is a bound on D (repeating beyond it costs loss). ``binding`` is True
    when the plan names the constraint among its binding ones.
    """
    q = plan.question
    if q is None or not plan.success:
        return ()
    out: list[Bound] = []
    qf = free_question(q)  # (the budget is pose's argument: the plots' cached free question)
    active = _terms(qf, terms)
    if any(getattr(t, "constraint", False) and type(t).pose is not Term.pose for t in active):
        try:
            p = pose(qf, list(active), plan.flops)
        except Conflict:
            p = None
        names = (p.bound_names or {}) if p is not None else {}
        for side, value in (("lo", p.n_lo if p else 0.0), ("hi", p.n_hi if p else math.inf)):
            name = names.get(side)
            if name is None or not (0 < value < math.inf):
                continue
            what = name.replace("_", " ")
            sign = "≥" if side == "lo" else "≤"
            out.append(Bound("n_params", float(value), name, f"{what}: N {sign} {fmt_count(value)}",
                             name in plan.binding))  # fmt: skip
    if q.unique_tokens is not None:
        out.append(Bound("n_tokens", float(q.unique_tokens), "unique_data",
                         f"unique data U = {fmt_count(q.unique_tokens)} tokens",
                         "unique_data" in plan.binding))  # fmt: skip
    return tuple(out)


class ServingCosts(NamedTuple):
    """Dollars against lifetime inference tokens ``tokens`` (arrays shaped like ``tokens``)."""

    tokens: np.ndarray
    training: float
    serving: np.ndarray
    total: np.ndarray


def serving_costs(plan: Plan, tokens: np.ndarray) -> ServingCosts:
    """Training cost (flat), serving cost (plan's $ per token × tokens) and their sum."""
    x = np.asarray(tokens, dtype=float)
    rate = plan.inference_usd_per_million_tokens / 1e6
    serving = x * rate
    return ServingCosts(x, float(plan.cost_usd), serving, plan.cost_usd + serving)


def inference_aware_costs(plan: Plan, tokens: np.ndarray) -> ServingCosts | None:
    """The inference-aware plan's costs (``plan.inference_aware``), or None without one.

    Training is its own ``train_cost_usd``; serving is the plan's $ per token scaled by the
    active parameters (serving compute is 2·N per token), N_ia / N_plan.
    """
    ia: dict[str, Any] | None = plan.inference_aware
    if (
        not ia
        or ia.get("train_cost_usd") is None
        or not ia.get("n_params")
        or not plan.n_params > 0
    ):
        return None
    x = np.asarray(tokens, dtype=float)
    rate = plan.inference_usd_per_million_tokens / 1e6 * float(ia["n_params"]) / plan.n_params
    serving = x * rate
    train = float(ia["train_cost_usd"])
    return ServingCosts(x, train, serving, train + serving)
