"""Bootstrap intervals of compute-optimal plans (numpy only; fast enough to run on every plan).

Every bootstrap sample of a fitted law is a law of its own; its compute-optimal allocation at a
budget C is a closed form whose logarithm is affine in ln C:

- Chinchilla form (LAWS.md §1), samples (E, A, B, alpha, beta):
  G = (alpha A / (beta B))^(1/(alpha+beta)), N* = G (C/6)^(beta/(alpha+beta)),
  D* = (C/6)^(alpha/(alpha+beta)) / G, L* = E + K (C/6)^(-alpha beta/(alpha+beta)) with
  K = A G^-alpha + B G^beta;
- loss-only Kaplan form (Kaplan et al. 2020, Eq. 1.5 minimised on C = 6ND), samples
  (N_c, D_c, alpha_N, alpha_D): with p = alpha_N/alpha_D,
  N*^(p+1) = p N_c^p C / (6 D_c), D* = C/(6 N*), L* = [(N_c/N*)^p + D_c/D*]^alpha_D.

The per-sample intercepts and slopes are computed once per sample array and cached, so a plan
with 1,000 samples costs a few vector operations and one partial sort.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner.fitting.memo import ByIdentity

__all__ = ["KEYS", "loss_interval", "plan_intervals", "sample_curves"]

#: Quantities an interval is given for, in this order.
KEYS = ("n_params", "n_tokens", "tokens_per_param", "loss")
_LN6 = math.log(6.0)
_CURVES: ByIdentity[_Curves] = ByIdentity(32)


class _Curves:
    """ln N*, ln D* affine in ln C per sample, plus what the loss needs."""

    __slots__ = ("form", "ln_n0", "ln_n1", "loss_a", "loss_b", "loss_c", "n")

    def __init__(self, samples: np.ndarray, form: str) -> None:
        s = np.asarray(samples, dtype=float)
        with np.errstate(all="ignore"):
            if form == "chinchilla":
                E, A, B, al, be = s.T
                ok = np.isfinite(s).all(1) & (s[:, 1:] > 0).all(1) & (E >= 0)
                E, A, B, al, be = (x[ok] for x in (E, A, B, al, be))
                ab = al + be
                ln_g = (np.log(al * A) - np.log(be * B)) / ab
                # ln N* = ln G + a (ln C - ln 6); ln D* = b (ln C - ln 6) - ln G
                self.ln_n0 = ln_g - (be / ab) * _LN6
                self.ln_n1 = be / ab
                ln_k = np.logaddexp(np.log(A) - al * ln_g, np.log(B) + be * ln_g)
                g = al * be / ab
                # L* = E + exp(ln K - g (ln C - ln 6))
                self.loss_a, self.loss_b, self.loss_c = E, ln_k + g * _LN6, g
            elif form == "kaplan":
                nc, dc, an, ad = s.T
                ok = np.isfinite(s).all(1) & (s > 0).all(1)
                nc, dc, an, ad = (x[ok] for x in (nc, dc, an, ad))
                p = an / ad
                self.ln_n0 = (np.log(p) + p * np.log(nc) - np.log(6.0 * dc)) / (p + 1.0)
                self.ln_n1 = 1.0 / (p + 1.0)
                self.loss_a, self.loss_b, self.loss_c = (p, np.log(nc), np.log(dc)), ad, None
            else:
                raise ValueError(f"bootstrap intervals need chinchilla or kaplan samples, not {form!r}")
        self.form = form
        self.n = int(ok.sum())
        if self.n == 0:
            raise ValueError("no usable bootstrap samples (all non-finite or non-positive)")

    def evaluate(self, ln_c: np.ndarray) -> np.ndarray:
        """(4, k, *ln_c.shape): N*, D*, D*/N*, L* per sample and budget."""
        shape = (-1,) + (1,) * ln_c.ndim
        with np.errstate(all="ignore"):
            ln_n = self.ln_n0.reshape(shape) + self.ln_n1.reshape(shape) * ln_c
            ln_d = ln_c - _LN6 - ln_n
            if self.form == "chinchilla":
                loss = self.loss_a.reshape(shape) + np.exp(self.loss_b.reshape(shape)
                                                           - self.loss_c.reshape(shape) * ln_c)
            else:
                p, ln_nc, ln_dc = (x.reshape(shape) for x in self.loss_a)
                ad = self.loss_b.reshape(shape)
                loss = np.exp(ad * np.logaddexp(p * (ln_nc - ln_n), ln_dc - ln_d))
            return np.stack([np.exp(ln_n), np.exp(ln_d), np.exp(ln_d - ln_n), loss])


def sample_curves(samples: np.ndarray, form: str) -> _Curves:
    """Per-sample allocation curves, cached by array identity (read-only arrays of a law)."""
    if isinstance(samples, np.ndarray) and not samples.flags.writeable:
        return _CURVES.get(samples, lambda s: _Curves(s, form))
    return _Curves(samples, form)


def _quantiles(values: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided percentile interval along axis 1 of (4, k, ...) values ('linear' method)."""
    k = values.shape[1]
    pos = np.array([(1 - level) / 2, (1 + level) / 2]) * (k - 1)
    lo_i, hi_i = np.floor(pos).astype(int), np.ceil(pos).astype(int)
    if np.isfinite(values).all():  # (sorting 1,000 samples beats np.partition's select here)
        part = np.sort(values, axis=1)
        w = pos - lo_i
        lo = part[:, lo_i[0]] * (1 - w[0]) + part[:, hi_i[0]] * w[0]
        hi = part[:, lo_i[1]] * (1 - w[1]) + part[:, hi_i[1]] * w[1]
        return lo, hi
    with np.errstate(all="ignore"):  # rare: overflow in a far-out sample
        masked = np.where(np.isfinite(values), values, np.nan)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanpercentile(masked, [50 * (1 - level), 50 * (1 + level)], axis=1)
    return lo, hi


def plan_intervals(samples: Any, flops: float | np.ndarray, level: float = 0.95, *,
                   form: str | None = None) -> dict[str, tuple[Any, Any]]:
    """Percentile intervals of the compute-optimal plan at budget(s) ``flops`` (FLOP).

    Parameters
    ----------
    samples : numpy.ndarray or BootstrapResult
        (k, 5) chinchilla-form samples (E, A, B, alpha, beta) or (k, 4) loss-only Kaplan
        samples (N_c, D_c, alpha_N, alpha_D); a :class:`planner.fitting.fitter.BootstrapResult`.
    flops : float or array
        Training budget(s) C in FLOP.
    level : float
        Two-sided level (0.95 -> 2.5th and 97.5th percentiles).
    form : {"chinchilla", "kaplan"}, optional
        Default: from the BootstrapResult's names, else chinchilla (Kaplan arrays need
        ``form="kaplan"``).

    Returns
    -------
    dict
        ``n_params`` (parameters), ``n_tokens`` (tokens), ``tokens_per_param`` and ``loss``,
        each ``(lo, hi)``; floats for scalar ``flops``, arrays shaped like ``flops`` otherwise.
        Samples with non-finite or non-positive values are ignored.
    """
    names = getattr(samples, "names", None)
    if names is not None and hasattr(samples, "samples"):
        samples = samples.samples
        if form is None:
            form = "kaplan" if "N_c" in names else "chinchilla"
    s = samples if isinstance(samples, np.ndarray) else np.asarray(samples, dtype=float)
    if s.ndim != 2 or s.shape[1] not in (4, 5):
        raise ValueError(f"samples must be (k, 5) E, A, B, alpha, beta or (k, 4) N_c, D_c, alpha_N, "
                         f"alpha_D; got shape {s.shape}")  # fmt: skip
    if form is None:
        if s.shape[1] != 5:
            raise ValueError(f"samples of shape {s.shape} are not chinchilla-form (k, 5); pass form='kaplan' "
                             "for (k, 4) N_c, D_c, alpha_N, alpha_D samples")  # fmt: skip
        form = "chinchilla"
    if s.shape[1] != (5 if form == "chinchilla" else 4):
        raise ValueError(f"{form} samples need {5 if form == 'chinchilla' else 4} columns, got {s.shape[1]}")
    if not 0 < level < 1:
        raise ValueError(f"level {level!r} must be in (0, 1)")
    curves = sample_curves(s, form)
    c = np.asarray(flops, dtype=float)
    lo, hi = _quantiles(curves.evaluate(np.log(c)), level)
    if c.ndim == 0:
        return {key: (float(lo[i]), float(hi[i])) for i, key in enumerate(KEYS)}
    return {key: (lo[i], hi[i]) for i, key in enumerate(KEYS)}


def loss_interval(samples: np.ndarray, form: str, n_params: float, n_tokens: float,
                  level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the loss at a fixed (N, D) over the bootstrap samples."""
    s = np.asarray(samples, dtype=float)
    with np.errstate(all="ignore"):
        if form == "chinchilla":
            E, A, B, al, be = s.T
            loss = E + A * n_params**-al + B * n_tokens**-be
        elif form == "kaplan":
            nc, dc, an, ad = s.T
            loss = ((nc / n_params) ** (an / ad) + dc / n_tokens) ** ad
        else:
            raise ValueError(f"bootstrap intervals need chinchilla or kaplan samples, not {form!r}")
    lo, hi = _quantiles(loss.reshape(1, -1), level)
    return float(lo[0]), float(hi[0])
