"""Many Chinchilla-form fits at once: data sets that share N and D and differ only in their losses.

A design's simulation (:mod:`planner.fitting.design`) fits the same runs hundreds of times with
freshly drawn losses. Fitting them one by one with :func:`planner.fitting.fitter.fit` costs
20-80 ms each, nearly all of it numpy's per-call overhead on a few dozen runs. :func:`fit_batch`
runs the *same algorithm* on a chunk of data sets together:

1. per data set, the fitter's grid of exponent starts with variable-projection coefficients
   (``_Chinchilla.starts``), screened by the objective; the best ``top_k`` (8) kept;
2. the kept starts of every data set in the chunk take the fitter's damped Newton steps together
   (:func:`planner.fitting.fitter._newton`, each row against its own data set's losses);
3. per data set, the best ``n_polish`` (2) distinct solutions are polished by the fitter's scipy
   L-BFGS-B step (optionally only those the Newton stage left unconverged), and convergence is
   judged exactly as :func:`~planner.fitting.fitter.fit` does (a stationary point, not on an edge
   of the search box).

Same objective (summed Huber, delta 1e-3, of ln-loss residuals), same starts, same steps: the
results agree with :func:`~planner.fitting.fitter.fit` to rounding (a test checks). Only the
Chinchilla form without pins or weights is supported, which is what a simulation needs.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.fitting import fitter as _f
from planner.fitting.runs import Runs

__all__ = ["BatchFit", "fit_batch"]

CHUNK = 25
"""Data sets fitted together (progress and cancel are checked between chunks)."""


@dataclass(frozen=True, eq=False)
class BatchFit:
    """Results of :func:`fit_batch`, one row per data set.

    ``params`` (S, 5) in natural units, columns E, A, B, alpha, beta; ``objective`` (S,) the summed
    Huber (or least-squares) objective; ``converged`` (S,) as :attr:`FitResult.converged`.
    """

    params: np.ndarray
    objective: np.ndarray
    converged: np.ndarray
    names: tuple[str, ...] = _f.CHINCHILLA_PARAMS

    def row(self, i: int) -> dict[str, float]:
        return {k: float(v) for k, v in zip(self.names, self.params[i], strict=True)}


def fit_batch(n_params: np.ndarray, n_tokens: np.ndarray, losses: np.ndarray, *, loss_fn: str = "huber",
              delta: float = 1e-3, top_k: int = 8, n_polish: int = 2, skip_converged_polish: bool = False,
              chunk: int = CHUNK,
              progress: Callable[[int, int], None] | None = None,
              is_cancelled: Callable[[], bool] | None = None) -> BatchFit:
    """Fit L = E + A/N^alpha + B/D^beta to every row of ``losses`` (S, n) at the shared ``n_params``
    and ``n_tokens`` (n,), as :func:`planner.fitting.fitter.fit` would fit each row alone.

    ``skip_converged_polish`` leaves out the L-BFGS-B polish of a solution the Newton stage already
    brought to convergence (a simulation's shortcut: on identified designs the polish moves such a
    solution by ~1e-11 relative, and it is most of the time spent in flat valleys).
    ``progress(done, S)`` is called after every chunk of ``chunk`` data sets; ``is_cancelled()`` is
    checked before each chunk, and when it is true the fits stop with ``InterruptedError``.
    """
    losses = np.atleast_2d(np.asarray(losses, dtype=float))
    n = np.asarray(n_params, dtype=float)
    d = np.asarray(n_tokens, dtype=float)
    if losses.shape[1] != len(n) or len(d) != len(n):
        raise ValueError(f"losses must be (S, {len(n)}), one column per run; got {losses.shape}")
    if not np.all(np.isfinite(losses) & (losses > 0)):
        raise ValueError("losses must be finite and positive")
    model = _f._make_model(Runs.from_arrays(n, losses[0], n_tokens=d), "chinchilla", loss_fn, delta, None)
    S = len(losses)
    params = np.full((S, 5), np.nan)
    objective = np.full(S, np.nan)
    converged = np.zeros(S, dtype=bool)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for a in range(0, S, max(1, chunk)):
            if is_cancelled is not None and is_cancelled():
                raise InterruptedError("fits cancelled")
            b = min(S, a + max(1, chunk))
            params[a:b], objective[a:b], converged[a:b] = _fit_chunk(model, losses[a:b], top_k, n_polish,
                                                                     skip_converged_polish)
            if progress is not None:
                progress(b, S)
    return BatchFit(params, objective, converged)


def _with_losses(model: _f._Model, losses: np.ndarray) -> _f._Model:
    m = copy.copy(model)
    m.L = losses
    m.lnL = np.log(losses)
    return m


def _fit_chunk(model: _f._Model, losses: np.ndarray, top_k: int, n_polish: int,
               skip_converged: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = len(losses)
    F = model.F
    singles = [_with_losses(model, losses[j]) for j in range(s)]
    starts = []
    for m in singles:  # the fitter's grid starts and screening, per data set
        cand = m.starts()
        cand[:, F] = np.clip(cand[:, F], m.lower[F], m.upper[F])
        f0 = np.concatenate([_f._evaluate(m, cand[i : i + 64], hess=False)[0] for i in range(0, len(cand), 64)])
        starts.append(cand[np.argsort(f0, kind="stable")[: max(1, top_k)]])
    k = len(starts[0])
    owner = np.repeat(np.arange(s), k)
    th0 = np.concatenate(starts)
    big = _with_losses(model, losses[owner])
    group = max(1, _f._ELEMENTS // max(model.n, 1))
    parts = [_f._newton(_f._rows(big, np.arange(i, min(i + group, len(th0)))), th0[i : i + group])
             for i in range(0, len(th0), group)]  # fmt: skip
    th, f, status = (np.concatenate([p[q] for p in parts]) for q in range(3))
    out_p = np.full((s, 5), np.nan)
    out_f = np.full(s, np.nan)
    out_ok = np.zeros(s, dtype=bool)
    for j, m in enumerate(singles):
        rows = np.flatnonzero(owner == j)
        rank = rows[np.argsort(f[rows], kind="stable")]
        best_th, best_f, best_ok = th[rank[0]], f[rank[0]], status[rank[0]] == 1
        polished = False
        for i in rank[: max(0, n_polish)]:  # as fitter._fit: polish the best few distinct optima
            if skip_converged and status[i] == 1:
                continue
            if polished and abs(f[i] - best_f) <= _f._RTOL_BEST * best_f and np.allclose(
                    th[i], best_th, rtol=1e-6, atol=1e-9):
                continue
            p_th, p_f, _msg, p_ok = _f._polish(m, th[i])
            polished = True
            if p_f <= best_f:
                best_th, best_f, best_ok = p_th, p_f, p_ok or status[i] == 1
        _, g_b, _, gn_b = _f._evaluate(m, best_th[None], irls_full=True)
        dec = float(g_b[0, F] @ _f._batch_solve(gn_b[:, F[:, None], F] + 1e-12 * np.eye(len(F)), g_b[:, F])[0])
        stationary = best_ok or (math.isfinite(dec) and dec <= 1e-12 * best_f + 1e-20 * m.n)
        room = 1e-4 * (m.upper - m.lower)
        edge = any(min(best_th[q] - m.lower[q], m.upper[q] - best_th[q]) <= room[q] for q in F)
        out_p[j] = m.to_natural(best_th)[0]
        out_f[j] = best_f
        out_ok[j] = bool(stationary and math.isfinite(best_f) and not edge)
    return out_p, out_f, out_ok
