"""The optimisation a question poses, the terms effects contribute to it, and its solution.

One problem for every question: minimise the predicted loss L(N, D) along the budget
C = per_token(N)·D, over N in [n_lo, n_hi] (a fixed N or D pins it). The law gives the surface;
each effect (:class:`Term`, registered in :mod:`planner.solve.terms`) contributes what it
changes: MoE leverage and the data limit change the surface, Krajewski's law replaces surface
and compute, a serving-memory limit bounds N, the vocabulary refines the solved point, and
demand, hyperparameters, intervals and costs add to the report.

:func:`solve` takes the closed form when the problem still has one (``closed``), else the
general numerical path: the root of dL/d ln N along the budget (brentq on the surface's
analytic gradient), or a bounded Brent search for surfaces without one; a bound that binds
puts N on it. Symbols follow the papers (N, D, C); the solved point is in the law's meaning of
N (active parameters for an MoE).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from planner.units import fmt_count, fmt_flops

if TYPE_CHECKING:
    from planner.costs.hardware import Hardware
    from planner.laws import Law
    from planner.question import Question

Surface = Callable[[Any, Any], Any]
"""L(N, D): scalars or numpy arrays."""


class Conflict(ValueError):
    """The question's constraints cannot all hold; the message names them."""


def six_n(n: float) -> float:
    return 6.0 * n


def one(n: float) -> float:
    return 1.0


@dataclass(slots=True)
class Problem:
    """Minimise ``loss`` on ``per_token(N)·D = flops`` for N in [``n_lo``, ``n_hi``].

    ``closed(flops) -> (N, D)`` is the fast path while no term has broken it; ``closed_loss``
    gives the loss reported at the closed point when it is not ``loss(N, D)`` (Kaplan's Eq. 1.3
    frontier beside its Table 6 allocation). ``elasticity(N)`` = d ln per_token / d ln N.
    """

    question: Question
    law: Law
    hardware: Hardware
    flops: float
    loss: Surface | None
    grad_log: Callable[[float, float], tuple[float, float]] | None
    closed: Callable[[float], tuple[float, float]] | None
    closed_loss: Callable[[float], float] | None = None
    per_token: Callable[[float], float] = six_n
    elasticity: Callable[[float], float] = one
    n_lo: float = 0.0
    n_hi: float = math.inf
    bound_names: dict[str, str] | None = None  # "lo"/"hi" -> constraint name
    fixed_n: float | None = None
    fixed_d: float | None = None
    leverage: float = 1.0  # MoE efficiency leverage EL: the law sees EL·N and EL·C
    total_per_active: float = 1.0  # total / active parameters (MoE), for memory
    budget_for_loss: Callable[[float], float] | None = None  # smallest budget reaching a loss
    law_loss: Callable[[float, float, float | None], float | None] | None = None
    """(N, D, surface loss) -> the loss in the law's unit, when the surface is not the law's own."""
    pristine: bool = True  # the law's own surface and compute, untouched by any term
    extras: dict[str, Any] | None = None  # what terms hand to their own reports

    def tokens_at(self, n: float) -> float:
        """D on the budget for a model of size N."""
        return self.flops / self.per_token(n)

    def size_for_tokens(self, d: float) -> float:
        """N on the budget for D tokens (per_token is increasing in N)."""
        target = self.flops / d
        if self.per_token is six_n:
            return target / 6.0
        from scipy.optimize import brentq

        return math.exp(brentq(lambda x: math.log(self.per_token(math.exp(x)) / target), -5.0, 90.0, xtol=1e-14))

    def bound(self, side: str, n: float, name: str) -> None:
        """Tighten the lower (``lo``) or upper (``hi``) bound on N, remembering its name."""
        names = self.bound_names = self.bound_names or {}
        if side == "hi" and n < self.n_hi:
            self.n_hi, names["hi"] = n, name
        elif side == "lo" and n > self.n_lo:
            self.n_lo, names["lo"] = n, name


class Point(NamedTuple):
    """A solved problem: N (law's meaning; active for an MoE), D, the loss, how it was found."""

    n: float
    d: float
    loss: float | None
    method: str
    binding: tuple[str, ...] = ()


class Term:
    """One effect's contribution to the problem and the plan; override what applies.

    ``constraint`` terms are left out of the unconstrained problem. ``poses`` and ``refines`` say
    whether a subclass overrides :meth:`pose` and :meth:`refine` (set when the class is made), so
    the planner calls only the steps an effect takes part in.
    """

    name = ""
    constraint = False
    poses = False
    refines = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "poses" not in cls.__dict__:
            cls.poses = cls.pose is not Term.pose
        if "refines" not in cls.__dict__:
            cls.refines = cls.refine is not Term.refine

    def applies(self, q: Question) -> bool:
        return False

    def pose(self, p: Problem) -> None:
        """Change the surface, the compute or the bounds (called at every budget tried)."""

    def refine(self, p: Problem, pt: Point) -> Point:
        """Adjust the solved point (e.g. a sub-allocation); return it unchanged if nothing to do."""
        return pt

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        """Add fields of :class:`~planner.solve.result.Plan` (and warnings) to ``out``."""


class LazyTerm(Term):
    """An effect's term registered by its module and the question inputs it reads: the module is
    imported (its ``TERM`` used) the first time a question sets one of them. With all of them at
    their defaults the effect has nothing to do, so a plain plan imports none of its science.

    It stands in for the term everywhere (the planner does not tell them apart).
    """

    def __init__(self, module: str, inputs: tuple[str, ...]) -> None:
        from operator import attrgetter

        from planner.question import default

        self.module, self.inputs = module, inputs
        self._read = attrgetter(*inputs)  # the inputs of a question (one value, or a tuple of them)
        self._unset = default(inputs[0]) if len(inputs) == 1 else tuple(default(name) for name in inputs)
        self._term: Term | None = None

    @property
    def term(self) -> Term:
        if self._term is None:
            import importlib

            self._term = importlib.import_module(self.module).TERM
        return self._term

    def applies(self, q: Question) -> bool:
        if self._term is None and self._read(q) == self._unset:  # not imported, and none of its inputs set
            return False
        return self.term.applies(q)

    name = property(lambda self: self.term.name)  # type: ignore[assignment]
    constraint = property(lambda self: self.term.constraint)  # type: ignore[assignment]
    poses = property(lambda self: self.term.poses)  # type: ignore[assignment]
    refines = property(lambda self: self.term.refines)  # type: ignore[assignment]

    def pose(self, p: Problem) -> None:
        self.term.pose(p)

    def refine(self, p: Problem, pt: Point) -> Point:
        return self.term.refine(p, pt)

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        self.term.report(p, pt, out)

    def __repr__(self) -> str:
        return f"LazyTerm({self.module!r}, {self.inputs!r})"


# ---------------------------------------------------------------------------------------------
# solving


def solve(p: Problem) -> Point:
    """The optimum of ``p``: closed form where it still holds, else numerical; bounds respected."""
    if p.fixed_n is not None or p.fixed_d is not None:
        return _fixed(p)
    if p.n_lo > p.n_hi:
        names = p.bound_names or {}
        raise Conflict(f"{names.get('lo', 'a lower bound')} needs N >= {fmt_count(p.n_lo, 4)} but "
                       f"{names.get('hi', 'an upper bound')} allows at most {fmt_count(p.n_hi, 4)}")  # fmt: skip
    use_closed = p.closed is not None and (p.question.method != "numerical" or p.loss is None)
    if use_closed:
        n, d = p.closed(p.flops)  # type: ignore[misc]
        method = "closed"
    elif p.loss is None:
        raise Conflict(f"{p.law.id} has no loss surface to optimise numerically")
    else:
        n = _numerical(p)
        d = p.tokens_at(n)
        method = "numerical"
    side = "hi" if n >= p.n_hi * (1 - 1e-12) else "lo" if n <= p.n_lo * (1 + 1e-12) else None
    if side is None:
        if use_closed and p.closed_loss is not None:
            return Point(n, d, p.closed_loss(p.flops), method)
        return Point(n, d, None if p.loss is None else float(p.loss(n, d)), method)
    n = p.n_hi if side == "hi" else p.n_lo
    d = p.tokens_at(n)
    return Point(n, d, _loss(p, n, d), method, (p.bound_names[side],))


def _fixed(p: Problem) -> Point:
    """A fixed size, fixed tokens, or both: the budget buys the rest; bounds must still hold."""
    from planner.question import LIMITS

    n, d = p.fixed_n, p.fixed_d
    if n is not None and d is not None:
        need = p.per_token(n) * d
        if need > p.flops * (1 + 1e-9):
            raise Conflict(f"fixed N = {fmt_count(n, 4)} and D = {fmt_count(d, 4)} need {fmt_flops(need)} FLOPs, above the budget of "
                           f"{fmt_flops(p.flops)} FLOPs")  # fmt: skip
        point = Point(n, d, _loss(p, n, d), "fixed N and D", ("fixed_n_params", "fixed_n_tokens"))
    elif n is not None:
        d = p.tokens_at(n)
        if d < LIMITS["n_tokens"].lo:
            raise Conflict(f"fixed N = {fmt_count(n, 4)} parameters leaves {fmt_count(d, 4)} training tokens in the budget of "
                           f"{fmt_flops(p.flops)} FLOPs: give a larger budget or a smaller N")  # fmt: skip
        point = Point(n, d, _loss(p, n, d), "fixed N", ("fixed_n_params",))
    else:
        n = p.size_for_tokens(d)  # type: ignore[arg-type]
        if n < LIMITS["n_params"].lo:
            raise Conflict(f"fixed D = {fmt_count(d, 4)} tokens leaves a {fmt_count(n, 4)}-parameter model in the budget of "
                           f"{fmt_flops(p.flops)} FLOPs: give a larger budget or fewer tokens")  # fmt: skip
        point = Point(n, d, _loss(p, n, d), "fixed D", ("fixed_n_tokens",))  # type: ignore[arg-type]
    if point.n > p.n_hi * (1 + 1e-12):
        raise Conflict(f"{point.method} gives N = {fmt_count(point.n, 4)}, but {p.bound_names['hi']} allows at most "
                       f"N = {fmt_count(p.n_hi, 4)}")  # fmt: skip
    if point.n < p.n_lo * (1 - 1e-12):
        raise Conflict(f"{point.method} gives N = {fmt_count(point.n, 4)}, but {p.bound_names['lo']} needs at least "
                       f"N = {fmt_count(p.n_lo, 4)}")  # fmt: skip
    return point


def _loss(p: Problem, n: float, d: float) -> float | None:
    return None if p.loss is None else float(p.loss(n, d))


def _slope(p: Problem, x: float) -> float:
    """dL/d ln N along the budget at N = e^x: ∂L/∂lnN − elasticity(N)·∂L/∂lnD."""
    n = math.exp(x)
    g_n, g_d = p.grad_log(n, p.tokens_at(n))  # type: ignore[misc]
    return float(g_n - p.elasticity(n) * g_d)


def _numerical(p: Problem) -> float:
    """argmin over ln N in the bounds (scipy): FOC root with a gradient, bounded Brent without."""
    import numpy as np
    from scipy.optimize import brentq, minimize_scalar

    centre = 0.5 * math.log(p.flops / 6.0)
    lo = max(centre - 30.0, math.log(p.n_lo) if p.n_lo > 0 else -math.inf)
    hi = min(centre + 30.0, math.log(p.n_hi) if math.isfinite(p.n_hi) else math.inf)
    if lo >= hi:
        return math.exp(hi)
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if p.grad_log is not None:
            g_lo, g_hi = _slope(p, lo), _slope(p, hi)
            if not g_lo < 0:
                return math.exp(lo)
            if not g_hi > 0:
                return math.exp(hi)
            return math.exp(brentq(lambda x: _slope(p, x), lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps,
                                   maxiter=400, disp=False))
        grid = np.linspace(lo, hi, 241)
        n_grid = np.exp(grid)
        values = p.loss(n_grid, p.flops / np.array([p.per_token(float(v)) for v in n_grid]))  # type: ignore[misc]
        i = int(np.nanargmin(values))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        res = minimize_scalar(lambda x: float(p.loss(math.exp(x), p.tokens_at(math.exp(x)))),  # type: ignore[misc]
                              bounds=(a, b), method="bounded", options={"xatol": 1e-10})  # fmt: skip
        return math.exp(float(res.x))
