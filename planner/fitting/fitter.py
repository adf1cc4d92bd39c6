"""Fit a scaling law to a team's own training runs, with bootstrap intervals and hold-out checks.

Forms (LAWS.md §1 and §2.1):

- ``"chinchilla"``: L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022,
  arXiv 2203.15556, Eq. 2);
- ``"kaplan"``: L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020,
  arXiv 2001.08361, Eq. 1.5).

Objective (Hoffmann Approach 3 as replicated by Besiroglu et al. 2024, arXiv 2404.10102):
with A = e^a, B = e^b, E = e^e the residual of run i is
r_i = LSE(a - alpha ln N_i, b - beta ln D_i, e) - ln L_i (for Kaplan, ln of Eq. 1.5 minus
ln L_i) and the fit minimises the SUM over runs of Huber_delta(r_i), delta = 1e-3
(Huber(r) = r^2/2 for |r| <= delta, else delta (|r| - delta/2)); ``loss_fn="ls"`` minimises
the sum of r_i^2/2 instead. The objective is reported in exactly these units, as in Epoch's code.

Method. Epoch run scipy L-BFGS-B from 4,500 grid starts. Here, for a grid of exponents the
law is linear in its coefficients, so one batched weighted least-squares solve per grid point
(variable projection, non-negative by enumerating active sets) gives a start for every
exponent pair at once. The best ``top_k`` starts then take damped Newton steps together,
vectorised in numpy with the analytic gradient and Hessian of the summed Huber objective
(Gauss-Newton/IRLS curvature for the Kaplan form), and the best few are polished by scipy
L-BFGS-B with the analytic gradient. Everything is deterministic. Unlike Epoch's
unconstrained search, the free parameters stay in a wide box (exponents in [0, 10],
ln E >= -30; Epoch's optimum is far inside it); a solution on its edge is reported as not
converged, because it means the runs do not determine the law. The bootstrap re-uses the
vectorised Newton solver: every resample is warm-started from the full-data optimum and all
resamples iterate together.

numpy only at import time; scipy is imported inside the functions that need it.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from planner.fitting.intervals import plan_intervals
from planner.fitting.runs import Runs, SkippedRow, drop_highest_loss

__all__ = [
    "CHINCHILLA_PARAMS",
    "KAPLAN_PARAMS",
    "BootstrapResult",
    "ComputeResiduals",
    "FitResult",
    "HoldoutResult",
    "bootstrap",
    "fit",
    "leave_largest_out",
    "plan_intervals",
    "residuals_by_compute",
]

CHINCHILLA_PARAMS = ("E", "A", "B", "alpha", "beta")
KAPLAN_PARAMS = ("N_c", "D_c", "alpha_N", "alpha_D")
_NAMES = {"chinchilla": CHINCHILLA_PARAMS, "kaplan": KAPLAN_PARAMS}
#: Exponent grid for the starts (alpha and beta; Kaplan: alpha_D and alpha_N/alpha_D).
_EXP_GRID = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.65, 0.8, 1.0, 1.5, 2.0])
_KAPLAN_AD = np.array([0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5, 0.8])
_KAPLAN_Q = np.array([0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0])
_RTOL_BEST = 1e-6  # a start "reached the best objective" within this relative tolerance


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FitResult:
    """A fitted law.

    Attributes
    ----------
    form : str
        ``"chinchilla"`` or ``"kaplan"``.
    params : dict[str, float]
        Natural units: chinchilla E (loss), A, B, alpha, beta; kaplan N_c (parameters),
        D_c (tokens), alpha_N, alpha_D.
    objective : float
        Sum over runs of Huber_delta(r_i) (or of r_i^2/2 for least squares), r in ln-loss.
    n_points : int
        Runs used by the fit.
    n_dropped : int
        Runs removed by the ``drop_highest`` outlier filter before fitting.
    seconds : float
        Wall-clock time of the fit.
    converged : bool
        The best solution is a stationary point to tolerance (Newton decrement and step
        checks, then L-BFGS-B); says nothing about global optimality, see ``n_at_best``.
    message : str
        Human-readable convergence report.
    pinned : dict[str, float]
        Parameters held fixed, natural units.
    loss_fn : str
        ``"huber"`` or ``"ls"``.
    delta : float
        Huber threshold in ln-loss units (``inf`` for least squares).
    n_starts : int
        Grid starts evaluated.
    n_refined : int
        Starts taken through the Newton stage.
    n_at_best : int
        Refined starts that ended within relative 1e-6 of the best objective.
    grad_norm : float
        Max-abs gradient of the objective at the solution over the free internal parameters
        (ln-coefficients and exponents, ln N and ln D centred on their means).
    ci : dict[str, tuple[float, float]] or None
        Bootstrap percentile interval per parameter (see :func:`bootstrap`).
    se : dict[str, float] or None
        Bootstrap standard error per parameter.
    dropped : tuple of SkippedRow
        Runs removed by the outlier filters (highest loss, residual), with reasons.
    identification : tuple of str
        Plain sentences saying what these runs do not determine (a coefficient at a bound,
        a minimum found by one start, an interval spanning orders of magnitude) and what that
        means for plans; empty when the fit is well identified (:func:`identification_issues`).
    """

    form: str
    params: dict[str, float]
    objective: float
    n_points: int
    n_dropped: int
    seconds: float
    converged: bool
    message: str
    pinned: dict[str, float]
    loss_fn: str = "huber"
    delta: float = 1e-3
    n_starts: int = 0
    n_refined: int = 0
    n_at_best: int = 0
    grad_norm: float = float("nan")
    ci: dict[str, tuple[float, float]] | None = None
    se: dict[str, float] | None = None
    dropped: tuple[SkippedRow, ...] = ()
    identification: tuple[str, ...] = ()

    def predict(self, n_params: np.ndarray | float, n_tokens: np.ndarray | float) -> np.ndarray:
        """Loss predicted by the fitted law for N parameters and D tokens (broadcasts)."""
        n = np.asarray(n_params, dtype=float)
        d = np.asarray(n_tokens, dtype=float)
        p = self.params
        if self.form == "chinchilla":
            return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
        return ((p["N_c"] / n) ** (p["alpha_N"] / p["alpha_D"]) + p["D_c"] / d) ** p["alpha_D"]


# --------------------------------------------------------------------------------------------
# Models: residual parts and Jacobians in internal coordinates, vectorised over starts
# --------------------------------------------------------------------------------------------
def _softmax(*t: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    m = t[0]
    for ti in t[1:]:
        m = np.maximum(m, ti)
    x = [np.exp(ti - m) for ti in t]
    s = sum(x)
    return m + np.log(s), [xi / s for xi in x]


class _Model:
    """Data, pins and internal parametrisation shared by both forms."""

    form = ""
    names: tuple[str, ...] = ()

    def __init__(self, runs: Runs, delta: float, pin: Mapping[str, float],
                 weights: np.ndarray | None = None) -> None:
        self.n = len(runs)
        self.w = 1.0 if weights is None else np.asarray(weights, dtype=float)
        self.L = runs.loss
        self.lnL = np.log(runs.loss)
        self.delta = float(delta)
        self.pin = {k: float(v) for k, v in pin.items()}
        self.free = np.array([k not in self.pin for k in self.names])
        self.F = np.flatnonzero(self.free)
        self.muN = float(np.mean(np.log(runs.n_params)))
        self.muD = float(np.mean(np.log(runs.n_tokens)))
        self.setup()
        self.x = np.log(runs.n_params) - self.muN
        self.y = np.log(runs.n_tokens) - self.muD

    def setup(self) -> None:  # pragma: no cover - overridden
        pass


class _Chinchilla(_Model):
    """theta = (e, a_c, b_c, alpha, beta): e = ln E, a_c = ln A - alpha mu_N, b_c likewise."""

    form = "chinchilla"
    names = CHINCHILLA_PARAMS
    exact_hessian = True
    lower = np.array([-30.0, -300.0, -300.0, 0.0, 0.0])
    upper = np.array([10.0, 300.0, 300.0, 10.0, 10.0])

    def setup(self) -> None:
        if "A" in self.pin:  # keep a_c = ln A fixed when A is pinned
            self.muN = 0.0
        if "B" in self.pin:
            self.muD = 0.0

    def to_internal(self, p: Mapping[str, float]) -> np.ndarray:
        return np.array([np.log(p["E"]), np.log(p["A"]) - p["alpha"] * self.muN,
                         np.log(p["B"]) - p["beta"] * self.muD, p["alpha"], p["beta"]])

    def to_natural(self, th: np.ndarray) -> np.ndarray:
        th = np.atleast_2d(th)
        with np.errstate(over="ignore"):
            return np.stack([np.exp(th[:, 0]), np.exp(th[:, 1] + th[:, 3] * self.muN),
                             np.exp(th[:, 2] + th[:, 4] * self.muD), th[:, 3], th[:, 4]], 1)

    def parts(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        e, a, b, al, be = (th[:, k : k + 1] for k in range(5))
        t1 = a - al * self.x
        t2 = b - be * self.y
        lse, (p1, p2, p3) = _softmax(t1, t2, np.broadcast_to(e, t1.shape))
        jac = np.stack([p3, p1, p2, -p1 * self.x, -p2 * self.y], axis=-1)
        return lse, jac, (p1, p2, p3)

    def second_order(self, cpsi: np.ndarray, aux: tuple) -> np.ndarray:
        """sum_i c_i psi_i M_i^T diag(p_i) M_i, the softmax part of the LSE Hessian."""
        p1, p2, p3 = aux
        q1, q2 = cpsi * p1, cpsi * p2
        out = np.zeros((len(cpsi), 5, 5))
        out[:, 0, 0] = (cpsi * p3).sum(1)
        out[:, 1, 1] = q1.sum(1)
        out[:, 1, 3] = out[:, 3, 1] = -(q1 @ self.x)
        out[:, 3, 3] = q1 @ self.x**2
        out[:, 2, 2] = q2.sum(1)
        out[:, 2, 4] = out[:, 4, 2] = -(q2 @ self.y)
        out[:, 4, 4] = q2 @ self.y**2
        return out

    def starts(self) -> np.ndarray:
        als = np.array([self.pin["alpha"]]) if "alpha" in self.pin else _EXP_GRID
        bes = np.array([self.pin["beta"]]) if "beta" in self.pin else _EXP_GRID
        al, be = (g.ravel() for g in np.meshgrid(als, bes, indexing="ij"))
        X = np.exp(-al[:, None] * self.x)
        Y = np.exp(-be[:, None] * self.y)
        phi = np.stack([np.ones_like(X), X, Y], axis=-1)
        known = {0: self.pin.get("E"), 1: self.pin.get("A"), 2: self.pin.get("B")}
        coef = _projected_coefficients(phi, np.broadcast_to(self.L, X.shape), known)
        return np.stack([np.log(coef[:, 0]), np.log(coef[:, 1]), np.log(coef[:, 2]), al, be], 1)


class _Kaplan(_Model):
    """theta = (u, v, alpha_N, alpha_D) with u = ln N_c - mu_N, v = ln D_c - mu_D."""

    form = "kaplan"
    names = KAPLAN_PARAMS
    exact_hessian = False
    lower = np.array([-300.0, -300.0, 1e-4, 1e-3])
    upper = np.array([300.0, 300.0, 10.0, 10.0])

    def to_internal(self, p: Mapping[str, float]) -> np.ndarray:
        return np.array([np.log(p["N_c"]) - self.muN, np.log(p["D_c"]) - self.muD,
                         p["alpha_N"], p["alpha_D"]])

    def to_natural(self, th: np.ndarray) -> np.ndarray:
        th = np.atleast_2d(th)
        with np.errstate(over="ignore"):
            return np.stack([np.exp(th[:, 0] + self.muN), np.exp(th[:, 1] + self.muD),
                             th[:, 2], th[:, 3]], axis=1)

    def parts(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple]:
        u, v, an, ad = (th[:, k : k + 1] for k in range(4))
        q = an / ad
        du = u - self.x
        s, (p1, p2) = _softmax(q * du, v - self.y)
        jac = np.stack([an * p1, ad * p2, p1 * du, s - q * p1 * du], axis=-1)
        return ad * s, jac, ()

    def starts(self) -> np.ndarray:
        ads = np.array([self.pin["alpha_D"]]) if "alpha_D" in self.pin else _KAPLAN_AD
        if "alpha_N" in self.pin:
            ad, q = ads, self.pin["alpha_N"] / ads
        else:
            ad, q = (g.ravel() for g in np.meshgrid(ads, _KAPLAN_Q, indexing="ij"))
        # L^(1/alpha_D) = exp(q u) exp(-q x) + exp(v) exp(-y): linear in (exp(q u), exp(v))
        target = self.L ** (1.0 / ad[:, None])
        scale = target.mean(1, keepdims=True)
        phi = np.stack([np.exp(-q[:, None] * self.x), np.broadcast_to(np.exp(-self.y),
                                                                        target.shape)], -1)
        known = {}
        if "N_c" in self.pin:
            known[0] = np.exp(q * (np.log(self.pin["N_c"]) - self.muN)) / scale[:, 0]
        if "D_c" in self.pin:
            known[1] = np.exp(np.log(self.pin["D_c"]) - self.muD) / scale[:, 0]
        coef = _projected_coefficients(phi, target / scale, known) * scale
        return np.stack([np.log(coef[:, 0]) / q, np.log(coef[:, 1]), q * ad, ad], 1)


def _projected_coefficients(phi: np.ndarray, target: np.ndarray,
                            known: Mapping[int, object]) -> np.ndarray:
    """Non-negative weighted least squares target ~ phi @ c per grid point (relative weights).

    phi (K, n, m), target (K, n); ``known`` maps column -> pinned coefficient (scalar or (K,)).
    Zero coefficients are replaced by a tiny positive value so their logarithm is finite.
    """
    K, _, m = phi.shape
    w = 1.0 / target**2
    coef = np.zeros((K, m))
    resid = target.copy()
    for col, val in known.items():
        if val is not None:
            coef[:, col] = val
            resid = resid - np.asarray(val).reshape(-1, 1) * phi[..., col]
    free = [c for c in range(m) if known.get(c) is None]
    wphi_t = (phi * w[..., None]).transpose(0, 2, 1)
    gram = wphi_t @ phi
    rhs = (wphi_t @ resid[..., None])[..., 0]
    total = np.sum(w * resid * resid, axis=1)
    best = np.full(K, np.inf)
    chosen = np.zeros((K, m))
    for mask in range(1, 2 ** len(free)):
        sub = [c for j, c in enumerate(free) if mask >> j & 1]
        g_s, r_s = gram[:, sub][:, :, sub], rhs[:, sub]
        with np.errstate(all="ignore"):
            sol = _batch_solve(g_s, r_s)
            sse = total - 2 * np.einsum("ki,ki->k", sol, r_s) + np.einsum(
                "ki,kij,kj->k", sol, g_s, sol)
        ok = np.all(sol > 0, axis=1) & np.isfinite(sse) & (sse < best)
        full = np.zeros((K, m))
        full[:, sub] = sol
        chosen[ok] = full[ok]
        best[ok] = sse[ok]
    coef[:, free] = chosen[:, free]
    tiny = 1e-9 * np.abs(target).mean(axis=1, keepdims=True)
    return np.maximum(coef, tiny)


def _batch_solve(m: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve m x = b for a stack of small systems; singular ones fall back to least squares."""
    try:
        return np.linalg.solve(m, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        pairs = zip(m, b, strict=True)
        return np.stack([np.linalg.lstsq(mi, bi, rcond=None)[0] for mi, bi in pairs])


# --------------------------------------------------------------------------------------------
# Objective, vectorised damped Newton, L-BFGS-B polish
# --------------------------------------------------------------------------------------------
def _evaluate(model: _Model, th: np.ndarray, c: np.ndarray | None = None, hess: bool = True,
              irls_full: bool = False):
    """Objective (S,), gradient (S,P) and, if ``hess``, the Hessian (S,P,P) and the IRLS
    (Gauss-Newton) matrix: its diagonal (S,P), or all of it (S,P,P) with ``irls_full``."""
    if model.form == "chinchilla" and not irls_full:
        return _evaluate_chinchilla(model, th, c, hess)
    with np.errstate(all="ignore"):
        lse, jac, aux = model.parts(th)
        r = lse - model.lnL
        d = model.delta
        if np.isinf(d):
            h, psi, inq = 0.5 * r * r, r, np.ones(r.shape, bool)
        else:
            ar = np.abs(r)
            inq = ar <= d
            h = np.where(inq, 0.5 * r * r, d * (ar - 0.5 * d))
            psi = np.clip(r, -d, d)
        cc = (1.0 if c is None else c) * model.w
        f = np.sum(cc * h, axis=1)
        cpsi = cc * psi
        g = (cpsi[:, None, :] @ jac)[:, 0]
        f = np.where(np.isfinite(f) & np.isfinite(g).all(1), f, np.inf)
        if not hess:
            return f, g
        w_irls = cc * np.where(inq, 1.0, psi / np.where(inq, 1.0, r))
        jt = jac.transpose(0, 2, 1)
        if model.exact_hessian:
            hm = jt @ (jac * (cc * (inq - psi))[..., None]) + model.second_order(cpsi, aux)
            gn = jt @ (jac * w_irls[..., None]) if irls_full else None
        else:
            hm = gn = jt @ (jac * w_irls[..., None])
        if not irls_full:
            gn = (w_irls[:, None, :] @ (jac * jac))[:, 0]
    return f, g, hm, gn


def _evaluate_chinchilla(model: _Model, th: np.ndarray, c: np.ndarray | None, hess: bool):
    """:func:`_evaluate` for the Chinchilla form without the (S, n, 5) Jacobian: the gradient and
    the 15 distinct Hessian entries are sums over runs of products of the softmax weights
    p1, p2, p3 with ln N and ln D (Jacobian columns p3, p1, p2, -p1 x, -p2 y). Same numbers,
    about half the memory traffic (the bootstrap's inner loop)."""
    x, y = model.x, model.y
    with np.errstate(all="ignore"):
        e, a, b, al, be = (th[:, k : k + 1] for k in range(5))
        t1 = a - al * x
        t2 = b - be * y
        m = np.maximum(np.maximum(t1, t2), e)
        p1, p2, p3 = np.exp(t1 - m), np.exp(t2 - m), np.exp(e - m)
        s = p1 + p2 + p3
        r = m + np.log(s) - model.lnL
        p1 /= s
        p2 /= s
        p3 /= s
        d = model.delta
        if np.isinf(d):
            h, psi, inq = 0.5 * r * r, r, None
        else:
            ar = np.abs(r)
            inq = ar <= d
            h = np.where(inq, 0.5 * r * r, d * (ar - 0.5 * d))
            psi = np.clip(r, -d, d)
        cc = model.w if c is None else c * model.w
        f = np.sum(cc * h, axis=1) if c is not None or not np.isscalar(cc) else cc * np.sum(h, axis=1)
        cpsi = cc * psi
        q1, q2, q3 = cpsi * p1, cpsi * p2, cpsi * p3
        S = len(th)
        g = np.empty((S, 5))
        g[:, 0] = q3.sum(1)
        g[:, 1] = q1.sum(1)
        g[:, 2] = q2.sum(1)
        g[:, 3] = -(q1 @ x)
        g[:, 4] = -(q2 @ y)
        f = np.where(np.isfinite(f) & np.isfinite(g).all(1), f, np.inf)
        if not hess:
            return f, g
        v = cc * ((1.0 if inq is None else inq) - psi)
        vp1, vp2, vp3 = v * p1, v * p2, v * p3
        w33, w31, w32 = vp3 * p3, vp3 * p1, vp3 * p2
        w11, w12, w22 = vp1 * p1, vp1 * p2, vp2 * p2
        hm = np.empty((S, 5, 5))
        hm[:, 0, 0] = w33.sum(1) + g[:, 0]
        hm[:, 0, 1] = w31.sum(1)
        hm[:, 0, 2] = w32.sum(1)
        hm[:, 0, 3] = -(w31 @ x)
        hm[:, 0, 4] = -(w32 @ y)
        hm[:, 1, 1] = w11.sum(1) + g[:, 1]
        hm[:, 1, 2] = w12.sum(1)
        hm[:, 1, 3] = -(w11 @ x) + g[:, 3]
        hm[:, 1, 4] = -(w12 @ y)
        hm[:, 2, 2] = w22.sum(1) + g[:, 2]
        hm[:, 2, 3] = -(w12 @ x)
        hm[:, 2, 4] = -(w22 @ y) + g[:, 4]
        hm[:, 3, 3] = w11 @ (x * x) + q1 @ (x * x)
        hm[:, 3, 4] = w12 @ (x * y)
        hm[:, 4, 4] = w22 @ (y * y) + q2 @ (y * y)
        iu = np.triu_indices(5, 1)
        hm[:, iu[1], iu[0]] = hm[:, iu[0], iu[1]]
        w_irls = cc * (1.0 if inq is None else np.where(inq, 1.0, psi / np.where(inq, 1.0, r)))
        wp1, wp2 = w_irls * p1 * p1, w_irls * p2 * p2
        gn = np.stack([(w_irls * p3 * p3).sum(1), wp1.sum(1), wp2.sum(1), wp1 @ (x * x), wp2 @ (y * y)], axis=1)
    return f, g, hm, gn


def _rows(model: _Model, idx: np.ndarray) -> _Model:
    """``model`` for rows ``idx`` of theta: itself, or, when it holds one data set per row (a
    (S, n) ``lnL``: simulated losses at shared N and D, :mod:`planner.fitting.batch`), a copy
    holding those rows' losses."""
    if model.lnL.ndim < 2:
        return model
    sub = copy.copy(model)
    sub.lnL = model.lnL[idx]
    return sub


def _newton(model: _Model, th: np.ndarray, c: np.ndarray | None = None, max_iter: int = 100,
            rtol: float = 1e-13) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levenberg-damped Newton on all rows of ``th`` at once; pinned entries stay fixed.

    Returns theta (S,P), objective (S,) and status (S,): 1 converged, 2 stalled, 3 max_iter.
    """
    th = np.array(th, dtype=float)
    S = len(th)
    F = model.F
    cw = None if c is None else np.asarray(c, dtype=float)
    f, g, hm, gn = _evaluate(model, th, cw)
    lam = np.full(S, 1e-3)
    status = np.zeros(S, dtype=int)
    floor = 1e-20 * model.n
    eye = np.eye(len(F))
    for _ in range(max_iter):
        act = np.flatnonzero(status == 0)
        if act.size == 0:
            break
        ca = None if cw is None else cw[act]
        dg = np.maximum(gn[act][:, F], 1e-12)
        mat = hm[act][:, F[:, None], F] + lam[act, None, None] * dg[:, :, None] * eye
        with np.errstate(all="ignore"):
            step = -_batch_solve(mat, g[act][:, F])
        ok = np.isfinite(step).all(1) & (np.einsum("sp,sp->s", step, g[act][:, F]) < 0)
        step[~ok] = 0.0
        trial = th[act].copy()
        trial[:, F] = np.clip(trial[:, F] + step, model.lower[F], model.upper[F])
        step = trial[:, F] - th[act][:, F]
        fn, gnew, hn, gnn = _evaluate(_rows(model, act), trial, ca)
        acc = ok & (fn < f[act])
        tiny_step = ok & (np.max(np.abs(step), axis=1)
                          <= 1e-12 * (1 + np.max(np.abs(trial), axis=1)))
        a_idx = act[acc]
        decrease = f[a_idx] - fn[acc]
        th[a_idx], f[a_idx], g[a_idx], hm[a_idx], gn[a_idx] = (
            trial[acc], fn[acc], gnew[acc], hn[acc], gnn[acc])
        lam[a_idx] = np.maximum(lam[a_idx] / 4, 1e-12)
        status[a_idx[(decrease <= rtol * f[a_idx] + floor) | tiny_step[acc]]] = 1
        r_idx = act[~acc]
        lam[r_idx] *= 8
        status[r_idx[(lam[r_idx] > 1e10) | tiny_step[~acc]]] = 2
    status[status == 0] = 3
    # A stalled row whose Newton decrement is negligible is at a stationary point.
    stalled = np.flatnonzero(status == 2)
    if stalled.size:
        gf = g[stalled][:, F]
        with np.errstate(all="ignore"):
            gfull = _evaluate(_rows(model, stalled), th[stalled], None if cw is None else cw[stalled],
                              irls_full=True)[3]
            sol = _batch_solve(gfull[:, F[:, None], F] + 1e-12 * eye, gf)
        dec = np.einsum("sp,sp->s", gf, sol)
        status[stalled[np.isfinite(dec) & (dec <= 1e-10 * f[stalled] + floor)]] = 1
    return th, f, status


def _polish(model: _Model, th0: np.ndarray,
            c: np.ndarray | None = None) -> tuple[np.ndarray, float, str, bool]:
    """scipy L-BFGS-B from ``th0`` on the (rescaled) objective with the analytic gradient."""
    from scipy.optimize import minimize

    F = model.F
    c = None if c is None else np.asarray(c, dtype=float).reshape(1, -1)
    f0 = float(_evaluate(model, th0[None], c, hess=False)[0][0])
    scale = 1.0 / max(f0, 1e-20 * model.n)

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        th = th0.copy()
        th[F] = z
        f, g = _evaluate(model, th[None], c, hess=False)
        if not np.isfinite(f[0]):
            return 1e300, np.zeros(len(F))
        return float(f[0]) * scale, g[0, F] * scale

    bounds = list(zip(model.lower[F], model.upper[F], strict=True))
    res = minimize(fun, th0[F], jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 200, "maxcor": 20})
    th = th0.copy()
    th[F] = res.x
    f = float(_evaluate(model, th[None], c, hess=False)[0][0])
    return th, f, str(res.message), bool(res.success)


def _make_model(runs: Runs, form: str, loss_fn: str, delta: float,
                pin: Mapping[str, float] | None, weights: np.ndarray | None = None) -> _Model:
    if form not in _NAMES:
        raise ValueError(f"unknown form {form!r}; use 'chinchilla' or 'kaplan'")
    if loss_fn not in ("huber", "ls"):
        raise ValueError(f"unknown loss_fn {loss_fn!r}; use 'huber' or 'ls'")
    if loss_fn == "huber" and not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"Huber delta must be a positive number, got {delta!r}")
    pin = dict(pin or {})
    bad = [k for k in pin if k not in _NAMES[form]]
    if bad:
        raise ValueError(f"cannot pin {bad} for form {form!r}; parameters: {_NAMES[form]}")
    for k, v in pin.items():
        if not np.isfinite(v) or (k in ("E", "A", "B", "N_c", "D_c", "alpha_D") and v <= 0):
            raise ValueError(f"pinned {k}={v!r} must be finite (and positive for {k})")
    for name in ("n_params", "n_tokens", "loss"):
        values = getattr(runs, name)
        if not np.all(np.isfinite(values) & (values > 0)):
            raise ValueError(f"runs.{name} must be finite and positive")
    n_free = len(_NAMES[form]) - len(pin)
    if len(runs) < max(n_free, 1):
        raise ValueError(f"{len(runs)} runs cannot determine {n_free} free parameters")
    cls = _Chinchilla if form == "chinchilla" else _Kaplan
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        if weights.shape != (len(runs),) or not np.all(np.isfinite(weights) & (weights > 0)):
            raise ValueError(f"weights must be {len(runs)} finite positive numbers, one per run")
        weights = weights / weights.mean()
    return cls(runs, np.inf if loss_fn == "ls" else delta, pin, weights)


#: Grid starts are screened, and refined first, on at most this many runs (a deterministic
#: sample spread over compute); the best then take Newton steps on every run.
SCREEN_ROWS = 20_000
#: Starts x runs evaluated at once (each element holds ~6 arrays of P doubles): memory stays
#: linear in the runs whatever the number of starts.
_ELEMENTS = 2_000_000
#: Runs x this many bytes is the memory a fit needs, at most (checked against what is free).
_BYTES_PER_RUN = 600


def _available_memory() -> float | None:
    """Bytes of memory available to this process (Linux ``MemAvailable``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        import os

        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(n_runs: int) -> None:
    """Raise ValueError (one line) when fitting ``n_runs`` runs would not fit in free memory."""
    need = n_runs * _BYTES_PER_RUN + 200e6
    avail = _available_memory()
    if avail is not None and need > avail:
        raise ValueError(f"{n_runs:,} runs need about {need / 1e9:.1f} GB of memory to fit, more than the "
                         f"{avail / 1e9:.1f} GB available: fit a sample of the runs")


def _screen_subset(runs: Runs) -> Runs:
    """At most :data:`SCREEN_ROWS` runs, evenly spaced in compute order (deterministic)."""
    if len(runs) <= SCREEN_ROWS:
        return runs
    order = np.argsort(runs.flops, kind="stable")
    pick = order[np.unique(np.linspace(0, len(runs) - 1, SCREEN_ROWS).round().astype(np.int64))]
    return runs.subset(np.sort(pick))


def _newton_grouped(model: _Model, th: np.ndarray, **kw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_newton` on groups of starts small enough that starts x runs <= _ELEMENTS."""
    g = max(1, _ELEMENTS // max(model.n, 1))
    if len(th) <= g:
        return _newton(model, th, **kw)
    parts = [_newton(model, th[i : i + g], **kw) for i in range(0, len(th), g)]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(3))  # type: ignore[return-value]


def _check_pins(model: _Model) -> None:
    """Pinned values must lie in the search box (a pinned alpha of 1e300 is not a law)."""
    box = {"chinchilla": {"E": (math.exp(-30), math.exp(10)), "A": (0.0, math.exp(300)),
                          "B": (0.0, math.exp(300)), "alpha": (0.0, 10.0), "beta": (0.0, 10.0)},
           "kaplan": {"N_c": (0.0, 1e130), "D_c": (0.0, 1e130), "alpha_N": (1e-4, 10.0), "alpha_D": (1e-3, 10.0)}}
    for k, v in model.pin.items():
        lo, hi = box[model.form][k]
        if not lo <= v <= hi:
            raise ValueError(f"pinned {k} = {v:g} is outside what a fit can use ({lo:g} to {hi:g})")


def fit(runs: Runs, *, form: str = "chinchilla", loss_fn: str = "huber", delta: float = 1e-3,
        pin: Mapping[str, float] | None = None, drop_highest: int = 0, top_k: int = 8,
        n_polish: int = 2, weights: np.ndarray | None = None, drop_residual: float = 0.0) -> FitResult:
    """Fit a scaling law to runs by minimising the summed Huber loss of ln-loss residuals.

    Parameters
    ----------
    runs : Runs
        Parameter counts N, tokens D and final losses (see :func:`planner.fitting.runs.load_runs`).
    form : {"chinchilla", "kaplan"}
        Law to fit (module docstring).
    loss_fn : {"huber", "ls"}
        Summed Huber_delta of the ln residuals, or plain least squares (sum of r^2/2).
    delta : float
        Huber threshold in ln-loss units (default 1e-3 as Hoffmann et al. and Epoch).
    pin : mapping, optional
        Parameters held fixed, natural units, e.g. ``{"E": 1.8}``.
    drop_highest : int
        Apply :func:`planner.fitting.runs.drop_highest_loss` with this k first (Epoch use 5).
    top_k : int
        Grid starts refined by the vectorised Newton stage.
    n_polish : int
        Distinct best solutions polished with scipy L-BFGS-B.
    weights : array, optional
        One positive weight per run of ``runs`` (normalised to mean 1); default all equal.
    drop_residual : float
        When > 0: fit, drop the runs whose |ln residual| exceeds ``drop_residual`` times the
        robust scale 1.4826 x median |residual| (:func:`drop_residual_outliers`), refit.

    Returns
    -------
    FitResult
        ``dropped`` lists every run a filter removed, with its reason.
    """
    t0 = time.perf_counter()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        used = drop_highest_loss(runs, drop_highest) if drop_highest else runs
        result = _fit(runs, used, form, loss_fn, delta, pin, top_k, n_polish, weights, t0)
        if drop_residual > 0 and result.converged is not None:
            trimmed = drop_residual_outliers(used, result, drop_residual)
            if len(trimmed) < len(used):
                result = _fit(runs, trimmed, form, loss_fn, delta, pin, top_k, n_polish, weights, t0)
    return result


def _fit(runs: Runs, used: Runs, form: str, loss_fn: str, delta: float, pin: Mapping[str, float] | None,
         top_k: int, n_polish: int, weights: np.ndarray | None, t0: float) -> FitResult:
    model = _make_model(used, form, loss_fn, delta, pin, _used_weights(runs, used, weights))
    _check_pins(model)
    names = model.names
    if model.F.size == 0:
        th = model.to_internal(model.pin)
        f = _evaluate(model, th[None], hess=False)[0]
        return _result(model, th, float(f[0]), 0.0, used, runs, t0, bool(np.isfinite(f[0])),
                       "all parameters pinned: objective evaluated only", 1, 1, 1)
    check_memory(model.n)
    screen = _screen_subset(used)
    smodel = model if screen is used else _make_model(screen, form, loss_fn, delta, pin,
                                                      _used_weights(runs, screen, weights))
    cand = smodel.starts()
    cand[:, ~smodel.free] = smodel.to_internal(_fill(smodel, names, cand[0]))[~smodel.free]
    cand[:, smodel.F] = np.clip(cand[:, smodel.F], smodel.lower[smodel.F], smodel.upper[smodel.F])
    f0 = np.concatenate([_evaluate(smodel, cand[i : i + 64], hess=False)[0] for i in range(0, len(cand), 64)])
    order = np.argsort(f0, kind="stable")[: max(1, top_k)]
    th, f, status = _newton_grouped(smodel, cand[order])
    if smodel is not model:  # refine the best few subsample optima on every run
        keep = np.argsort(f, kind="stable")[: max(2, n_polish)]
        th = np.stack([model.to_internal(_fill(smodel, names, t)) for t in th[keep]])
        th, f, status = _newton_grouped(model, th)
        order = order[keep]
    rank = np.argsort(f, kind="stable")
    best_th, best_f, best_ok = th[rank[0]], f[rank[0]], status[rank[0]] == 1
    notes: list[str] = []
    for i in rank[: max(0, n_polish)]:
        if notes and abs(f[i] - best_f) <= _RTOL_BEST * best_f and np.allclose(
                th[i], best_th, rtol=1e-6, atol=1e-9):
            continue  # same optimum as one already polished
        p_th, p_f, p_msg, p_ok = _polish(model, th[i])
        gain = (f[i] - p_f) / max(f[i], 1e-300)
        notes.append(f"objective lowered by a relative {gain:.1e} ({p_msg})" if gain > 0
                     else "no further decrease")
        if p_f <= best_f:
            best_th, best_f, best_ok = p_th, p_f, p_ok or status[i] == 1
    F = model.F
    _, g_b, _, gn_b = _evaluate(model, best_th[None], irls_full=True)
    dec = float(g_b[0, F] @ _batch_solve(gn_b[:, F[:, None], F] + 1e-12 * np.eye(len(F)), g_b[:, F])[0])
    stationary = best_ok or (np.isfinite(dec) and dec <= 1e-12 * best_f + 1e-20 * model.n)
    n_at_best = int(np.sum(f <= best_f * (1 + _RTOL_BEST) + 1e-20 * model.n))
    room = 1e-4 * (model.upper - model.lower)
    edge = [model.names[k] for k in F if min(best_th[k] - model.lower[k],
                                              model.upper[k] - best_th[k]) <= room[k]]
    converged = bool(stationary and np.isfinite(best_f) and not edge)
    gnorm = float(np.max(np.abs(g_b[0, F])))
    screened = (f" (starts screened on {len(screen):,} of {len(used):,} runs, the best refined on all)"
                if smodel is not model else "")
    msg = (f"{'converged' if converged else 'NOT converged'}: {n_at_best} of {len(order)} "
           f"refined starts (from {len(cand)} grid starts) reached the best objective "
           f"within rtol {_RTOL_BEST:g}{screened}; L-BFGS-B polish: {'; '.join(notes) or 'skipped'}")
    if n_at_best < 2 and len(order) > 1:
        msg += "; only one start found this minimum, it may not be global"
    if edge:
        msg += (f"; {', '.join(edge)} at a bound of the search box (ln E >= -30, exponents "
                "in [0, 10]): these runs do not determine the law, consider pinning")
    elif not converged:
        msg += "; the runs may not determine every parameter, consider pinning one (e.g. E)"
    return _result(model, best_th, float(best_f), gnorm, used, runs, t0, converged, msg,
                   len(cand), len(order), n_at_best)


def drop_residual_outliers(runs: Runs, fit_result: FitResult, k: float = 3.0) -> Runs:
    """Runs whose ln residual under ``fit_result`` is within ``k`` robust scales; the others
    are listed in :attr:`Runs.dropped` with their residual and the threshold.

    The robust scale is 1.4826 x the median absolute ln residual (the standard deviation for
    normal residuals, unmoved by the outliers themselves). Runs are only dropped, never
    reweighted; ``k`` 3 drops what normal scatter would give about 0.3% of the time.
    """
    if k <= 0:
        raise ValueError(f"the residual threshold must be positive, got {k!r}")
    with np.errstate(all="ignore"):
        r = np.log(np.asarray(fit_result.predict(runs.n_params, runs.n_tokens)) / runs.loss)
    scale = 1.4826 * float(np.median(np.abs(r)))
    if not (np.isfinite(scale) and scale > 0):
        return runs
    keep = np.abs(r) <= k * scale
    if keep.all() or keep.sum() < 2:
        return runs
    dropped = tuple(
        SkippedRow(int(row), f"residual outlier: ln(predicted/actual) = {ri:+.4f}, {abs(ri) / scale:.1f} robust "
                             f"scales (scale {scale:.4f} = 1.4826 x median |residual|; threshold {k:g})")
        for row, ri in zip(runs.rows[~keep], r[~keep], strict=True))
    return replace(runs.subset(keep), dropped=runs.dropped + dropped)


def used_runs(runs: Runs, fit_result: FitResult) -> Runs:
    """``runs`` less the runs ``fit_result``'s filters dropped (listed in ``.dropped``)."""
    if not fit_result.dropped:
        return runs
    gone = np.array([d.row for d in fit_result.dropped], dtype=np.int64)
    keep = ~np.isin(runs.rows, gone)
    return replace(runs.subset(keep), dropped=runs.dropped + tuple(fit_result.dropped))


def _used_weights(runs: Runs, used: Runs, weights: np.ndarray | None) -> np.ndarray | None:
    """``weights`` (one per run of ``runs``) restricted to the runs a filter kept."""
    if weights is None or used is runs:
        return weights
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(runs),):
        raise ValueError(f"weights must be {len(runs)} numbers, one per run")
    return w[np.isin(runs.rows, used.rows)]


def _fill(model: _Model, names: tuple[str, ...], th: np.ndarray) -> dict[str, float]:
    nat = dict(zip(names, model.to_natural(th)[0], strict=True))
    nat.update(model.pin)
    return nat


def _result(model: _Model, th: np.ndarray, f: float, gnorm: float, used: Runs, runs: Runs,
            t0: float, converged: bool, msg: str, n_starts: int, n_refined: int,
            n_at_best: int) -> FitResult:
    params = {k: float(v) for k, v in _fill(model, model.names, th).items()}
    gone = set(used.rows.tolist())
    dropped = tuple(d for d in used.dropped if d.row not in gone)
    result = FitResult(form=model.form, params=params, objective=f, n_points=len(used),
                     n_dropped=len(runs) - len(used), seconds=time.perf_counter() - t0,
                     converged=converged, message=msg, pinned=dict(model.pin),
                     loss_fn="ls" if np.isinf(model.delta) else "huber",
                     delta=model.delta, n_starts=n_starts, n_refined=n_refined,
                     n_at_best=n_at_best, grad_norm=gnorm, dropped=dropped)
    return replace(result, identification=tuple(identification_issues(result, min_loss=float(np.min(used.loss)))))


_EXP_NAMES = {"alpha", "beta", "alpha_N", "alpha_D"}
#: An interval whose ends differ by more than this factor "spans orders of magnitude".
_WIDE_RATIO = 100.0


def identification_issues(fit_result: FitResult, ci: Mapping[str, tuple[float, float]] | None = None,
                          *, min_loss: float | None = None, level: float = 0.95) -> list[str]:
    """Plain sentences on what the runs do not determine, and what it means for plans.

    Flags: the loss floor E at (or, by its bootstrap interval ``ci``, reaching down to) zero;
    an exponent at a limit of the search (below 0.01 or above 3, the largest a preset may
    hold); a minimum reached by a single start; a coefficient whose interval spans orders of
    magnitude (its ends more than 100x apart). ``min_loss`` is the lowest loss of the runs.
    """
    p, pinned, out = fit_result.params, fit_result.pinned, []
    ci = ci if ci is not None else fit_result.ci
    if fit_result.form == "chinchilla" and "E" not in pinned:
        floor_low = p["E"] < 1e-3 * (min_loss or 1.0)
        lo, hi = (ci or {}).get("E", (math.nan, math.nan))
        reach_zero = math.isfinite(lo) and lo < 1e-3 * (min_loss or 1.0)
        if floor_low or reach_zero:
            what = (f"the fit puts E at {p['E']:.3g}, its lower limit" if floor_low else
                    f"its {level:.0%} bootstrap interval runs from {lo:.3g} to {hi:.3g}")
            out.append(f"E is not determined by these runs ({what}): the loss floor, and so long-range "
                       "predictions, are unreliable; fix E with --pin E=... or add runs")
    for k in _EXP_NAMES & set(p) - set(pinned):
        if p[k] < 0.01 or p[k] > 3.0:
            out.append(f"{k} = {p[k]:.3g} is at a limit of what the fit allows (exponents between 0.01 and 3): "
                       f"these runs do not determine it, so plans from this law are unreliable; pin {k} "
                       "(--pin) or add runs of other sizes")
    if fit_result.n_refined > 1 and fit_result.n_at_best < 2 and not set(p) <= set(pinned):
        out.append(f"only one of {fit_result.n_refined} refined starts reached this minimum: it may not be the "
                   "global one, and another law may fit these runs as well; check by pinning a coefficient or adding runs")
    for k, (lo, hi) in (ci or {}).items():
        if k in pinned or (k == "E" and any("E is not" in o for o in out)):
            continue
        if math.isfinite(lo) and math.isfinite(hi) and lo > 0 and hi / lo > _WIDE_RATIO:
            out.append(f"{k}'s {level:.0%} interval spans {math.log10(hi / lo):.1f} orders of magnitude "
                       f"({lo:.3g} to {hi:.3g}): {k} is poorly determined by these runs, so plans carry wide "
                       "intervals; read them through their intervals, pin a coefficient or add runs")
    return out


# --------------------------------------------------------------------------------------------
# Bootstrap and plan intervals
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap of a fit: resample runs with replacement, refit, keep every estimate.

    Attributes
    ----------
    fit : FitResult
        Full-data fit with ``ci`` and ``se`` filled in.
    samples : numpy.ndarray
        (n_ok, n_params) estimates in natural units, columns in ``names`` order; only
        resamples whose refit converged.
    names : tuple of str
        Column names of ``samples``.
    level : float
        Confidence level of ``ci`` (0.95 gives the 2.5th and 97.5th percentiles).
    ci : dict[str, tuple[float, float]]
        Percentile interval per parameter.
    se : dict[str, float]
        Standard deviation of the bootstrap estimates per parameter (ddof 1).
    n_requested, n_ok : int
        Resamples drawn, and resamples whose refit converged and was kept.
    seed : int
        Seed of ``numpy.random.default_rng`` used to draw the resamples.
    seconds : float
        Wall-clock time including the full-data fit.
    """

    fit: FitResult
    samples: np.ndarray
    names: tuple[str, ...]
    level: float
    ci: dict[str, tuple[float, float]]
    se: dict[str, float]
    n_requested: int
    n_ok: int
    seed: int
    seconds: float


def bootstrap(runs: Runs, n: int = 1000, seed: int = 0, *, level: float = 0.95,
              form: str = "chinchilla", loss_fn: str = "huber", delta: float = 1e-3,
              pin: Mapping[str, float] | None = None, drop_highest: int = 0,
              base: FitResult | None = None, chunk: int = 500,
              weights: np.ndarray | None = None, progress: Any = None,
              drop_residual: float = 0.0) -> BootstrapResult:
    """Percentile bootstrap of the fitted coefficients.

    Each resample draws ``len(runs)`` runs with replacement (after the ``drop_highest``
    filter, as Besiroglu et al. bootstrap the 240 filtered points), is warm-started from the
    full-data optimum and refitted by the vectorised Newton solver; all resamples in a chunk
    iterate together. Resamples whose refit does not converge are left out and counted.

    Parameters
    ----------
    runs : Runs
        Runs to resample.
    n : int
        Number of resamples.
    seed : int
        Seed for ``numpy.random.default_rng``; same seed, same result.
    level : float
        Two-sided confidence level of the percentile intervals.
    form, loss_fn, delta, pin, drop_highest
        As for :func:`fit`.
    base : FitResult, optional
        Full-data fit to warm-start from (computed when omitted).
    chunk : int
        Resamples solved together (memory ~ chunk x runs x 5 doubles x a few; lowered for
        large tables so it stays linear in the runs).
    weights : array, optional
        Per-run weights, as for :func:`fit`.
    progress : callable, optional
        Called with the number of resamples finished after each chunk (a progress bar).

    The resampled runs are those ``base`` used (its ``dropped`` runs left out).
    """
    t0 = time.perf_counter()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if base is None:
            base = fit(runs, form=form, loss_fn=loss_fn, delta=delta, pin=pin, drop_highest=drop_highest,
                       weights=weights, drop_residual=drop_residual)
        used = used_runs(runs, base) if base.dropped else (
            drop_highest_loss(runs, drop_highest) if drop_highest else runs)
        w_used = _used_weights(runs, used, weights)
        model = _make_model(used, form, loss_fn, delta, pin, w_used)
        rng = np.random.default_rng(seed)
        m = len(used)
        names = model.names
        if model.F.size == 0:  # nothing free: no parameter noise to resample
            samples = np.tile([base.params[k] for k in names], (n, 1))
        else:
            samples = _resample(model, base, rng, n, m, chunk, progress)
        ci, se = summarise_bootstrap(samples, names, level)
    issues = identification_issues(base, ci, min_loss=float(np.min(used.loss)), level=level)
    return BootstrapResult(fit=replace(base, ci=ci, se=se, identification=tuple(issues)), samples=samples,
                           names=names, level=level, ci=ci, se=se, n_requested=n, n_ok=len(samples),
                           seed=seed, seconds=time.perf_counter() - t0)


def _resample(model: _Model, base: FitResult, rng: np.random.Generator, n: int, m: int, chunk: int,
              progress: Any) -> np.ndarray:
    th0 = model.to_internal(base.params)
    out, keep = [], []
    chunk = max(1, min(chunk, _ELEMENTS // max(m, 1)))
    for start in range(0, n, chunk):
        b = min(chunk, n - start)
        idx = rng.integers(0, m, size=(b, m))
        counts = np.zeros((b, m))
        np.add.at(counts, (np.repeat(np.arange(b), m), idx.ravel()), 1.0)
        th, f, status = _newton(model, np.tile(th0, (b, 1)), counts, max_iter=150, rtol=1e-10)
        slow = np.flatnonzero(status == 3)  # still walking a flat valley (often E towards 0):
        if slow.size:  # a few rows iterate on alone, far cheaper per step than all of them
            th[slow], f[slow], status[slow] = _newton(model, th[slow], counts[slow], max_iter=2500, rtol=1e-10)
        for i in np.flatnonzero(status != 1):  # stragglers: scipy L-BFGS-B from where they are
            p_th, p_f, _, p_ok = _polish(model, th[i], counts[i])
            if p_ok and p_f <= f[i]:
                th[i], f[i], status[i] = p_th, p_f, 1
        out.append(model.to_natural(th))
        keep.append((status == 1) & np.isfinite(f))
        if progress is not None:
            progress(b)
    return np.concatenate(out)[np.concatenate(keep)]


def summarise_bootstrap(samples: np.ndarray, names: tuple[str, ...], level: float):
    """Percentile intervals at ``level`` and standard errors per parameter (NaN below 2 samples)."""
    lo_q, hi_q = 50 * (1 - level), 50 * (1 + level)
    if len(samples) < 2:
        nan = float("nan")
        return dict.fromkeys(names, (nan, nan)), dict.fromkeys(names, nan)
    lo, hi = np.percentile(samples, [lo_q, hi_q], axis=0)
    sd = np.std(samples, axis=0, ddof=1)
    return ({k: (float(a), float(b)) for k, a, b in zip(names, lo, hi, strict=True)},
            {k: float(s) for k, s in zip(names, sd, strict=True)})


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class HoldoutResult:
    """Extrapolation check: fit without the largest-compute runs, predict them.

    Attributes
    ----------
    fit : FitResult
        Fit on the remaining runs.
    rows : numpy.ndarray
        File data-row numbers of the held-out runs, by increasing compute.
    flops, actual, predicted : numpy.ndarray
        Compute (FLOP), observed and predicted loss of the held-out runs.
    rel_error : numpy.ndarray
        (predicted - actual) / actual per held-out run.
    mean_abs_rel_error, max_abs_rel_error : float
        Mean and max of ``abs(rel_error)``.
    train_max_flops : float
        Largest compute among the runs used by the fit.
    """

    fit: FitResult
    rows: np.ndarray
    flops: np.ndarray
    actual: np.ndarray
    predicted: np.ndarray
    rel_error: np.ndarray
    mean_abs_rel_error: float
    max_abs_rel_error: float
    train_max_flops: float


def leave_largest_out(runs: Runs, frac: float = 0.2, k: int | None = None,
                      **fit_kwargs: object) -> HoldoutResult:
    """Fit without the ``k`` (default ``round(frac * len(runs))``, at least 1) largest-compute
    runs and report the relative loss error of the fit's predictions on them.

    ``fit_kwargs`` go to :func:`fit` (``drop_highest`` is applied to the training runs only).
    """
    order = np.argsort(runs.flops, kind="stable")
    k = max(1, round(frac * len(runs))) if k is None else int(k)
    if not 0 < k < len(runs):
        raise ValueError(f"cannot hold out {k} of {len(runs)} runs")
    held, train = order[-k:], order[:-k]
    result = fit(runs.subset(np.sort(train)), **fit_kwargs)  # type: ignore[arg-type]
    pred = np.asarray(result.predict(runs.n_params[held], runs.n_tokens[held]))
    actual = runs.loss[held]
    rel = (pred - actual) / actual
    return HoldoutResult(result, runs.rows[held], runs.flops[held], actual, pred, rel,
                         float(np.mean(np.abs(rel))), float(np.max(np.abs(rel))),
                         float(np.max(runs.flops[train])))


@dataclass(frozen=True, eq=False)
class ComputeResiduals:
    """Residuals of a fit, sorted by training compute.

    ``log_residual`` is ln(predicted) - ln(actual), the r_i of the objective; ``rel_error``
    is predicted/actual - 1. ``rows`` are file data-row numbers.
    """

    flops: np.ndarray
    rows: np.ndarray
    actual: np.ndarray
    predicted: np.ndarray
    log_residual: np.ndarray
    rel_error: np.ndarray


def residuals_by_compute(fit_result: FitResult, runs: Runs) -> ComputeResiduals:
    """Residuals of ``fit_result`` on ``runs``, ordered by increasing compute (FLOP)."""
    order = np.argsort(runs.flops, kind="stable")
    pred = np.asarray(fit_result.predict(runs.n_params[order], runs.n_tokens[order]))
    actual = runs.loss[order]
    return ComputeResiduals(runs.flops[order], runs.rows[order], actual, pred,
                            np.log(pred) - np.log(actual), pred / actual - 1.0)

