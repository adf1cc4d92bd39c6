"""Kaplan et al. 2020 (arXiv 2001.08361): Eq. 1.5 loss surface, Eq. 1.3 frontier, Table 6 allocation."""

from __future__ import annotations

import math

import numpy as np

from planner.laws.base import ArrayLike, Law, LawInfo
from planner.units import PF_DAY_FLOPS


class KaplanLaw(Law):
    """Kaplan et al. 2020 (arXiv 2001.08361): non-embedding N, C_min in PF-days.

    * loss surface, Eq. 1.5 with Table 2 constants: L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D;
    * frontier loss, Eq. 1.3: L = (C_c/c)^α_C, c = C / 8.64e19 FLOP;
    * allocation, Table 6: N = k_N·c^a_N, D = k_D·c^a_D (not 6ND-consistent: 6ND/C = 1.806).

    A *loss-only* Kaplan law (a law fitted to a team's runs by ``planner fit --form kaplan``)
    has only N_c, D_c, α_N, α_D: its allocation is the closed-form minimum of Eq. 1.5 on
    C = 6ND (:meth:`surface_optimum`) and its frontier loss is Eq. 1.5 there.
    """

    __slots__ = (
        "C_c", "D_c", "N_c", "alpha_C", "alpha_D", "alpha_N", "d_coef", "d_exp", "n_coef", "n_exp",
    )  # fmt: skip
    form = "kaplan"
    has_loss = True
    SURFACE = ("alpha_N", "alpha_D", "N_c", "D_c")
    ALLOCATION = ("alpha_C", "C_c", "n_coef", "n_exp", "d_coef", "d_exp")

    def __init__(self, info: LawInfo, **coef: float) -> None:
        super().__init__(info)
        for name in self.SURFACE:
            object.__setattr__(self, name, float(coef[name]))
        given = [name for name in self.ALLOCATION if coef.get(name) is not None]
        if given and len(given) != len(self.ALLOCATION):
            missing = [name for name in self.ALLOCATION if name not in given]
            raise KeyError(missing[0])
        for name in self.ALLOCATION:
            object.__setattr__(self, name, float(coef[name]) if given else math.nan)

    @property
    def loss_only(self) -> bool:
        """True when the law has only the loss surface (allocation from its minimum)."""
        return math.isnan(self.n_coef)

    def _coef_names(self) -> tuple[str, ...]:
        if self.loss_only:
            return self.SURFACE
        return ("alpha_N", "alpha_D", "N_c", "D_c", "alpha_C", "C_c", "n_coef", "n_exp", "d_coef", "d_exp")

    def formula(self) -> str:
        if self.loss_only:
            return (
                "L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D;  N*, D* minimise it on C = 6·N·D"
            )
        return (
            "L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D;  L(c) = (C_c/c)^α_C;  "
            "N* = k_N·c^a_N, D* = k_D·c^a_D with c in PF-days"
        )

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
        return ((self.N_c / n_params) ** (self.alpha_N / self.alpha_D) + self.D_c / n_tokens) ** self.alpha_D

    def loss_grad_log(self, n_params: ArrayLike, n_tokens: ArrayLike) -> tuple:
        p = self.alpha_N / self.alpha_D
        x_n = (self.N_c / n_params) ** p
        x_d = self.D_c / n_tokens
        outer = self.alpha_D * (x_n + x_d) ** (self.alpha_D - 1.0)
        return (-p * x_n * outer, -x_d * outer)

    def allocate(self, flops: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        if self.loss_only:
            return self.surface_optimum(flops)
        c = np.asarray(flops, dtype=float) / PF_DAY_FLOPS
        return self.n_coef * c**self.n_exp, self.d_coef * c**self.d_exp

    def allocate_scalar(self, flops: float) -> tuple[float, float]:
        if self.loss_only:
            p = self.alpha_N / self.alpha_D
            n = (p * self.N_c**p * flops / (6.0 * self.D_c)) ** (1.0 / (p + 1.0))
            return n, flops / (6.0 * n)
        c = flops / PF_DAY_FLOPS
        return self.n_coef * c**self.n_exp, self.d_coef * c**self.d_exp

    def frontier_loss(self, flops: ArrayLike) -> ArrayLike:
        if self.loss_only:
            n, d = self.surface_optimum(flops)
            return self.loss(n, d)
        return (self.C_c / (flops / PF_DAY_FLOPS)) ** self.alpha_C

    def surface_optimum(self, flops: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Minimum of Eq. 1.5 subject to C = 6ND (closed form).

        With p = α_N/α_D the inner sum (N_c/N)^p + 6·D_c·N/C is minimal at
        N^(p+1) = p·N_c^p·C/(6·D_c).
        """
        c = np.asarray(flops, dtype=float)
        p = self.alpha_N / self.alpha_D
        n = (p * self.N_c**p * c / (6.0 * self.D_c)) ** (1.0 / (p + 1.0))
        return n, c / (6.0 * n)

