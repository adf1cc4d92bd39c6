"""Allocation-only power laws N* = k_N·C^a_N, D* = k_D·C^a_D with no loss (Chinchilla Approach 1,
Porian, Llama 3's token law, DeepSeek's M*(C) through an architecture rule)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

from planner.laws.base import ArrayLike, Law, LawInfo

AllocationRule = Literal["power_law", "tokens_only", "deepseek_m"]


def deepseek_m(n_layer: ArrayLike, d_model: ArrayLike, seq_len: float = 4096.0) -> ArrayLike:
    """DeepSeek's non-embedding FLOPs per token, Eq. 2 of arXiv 2401.02954.

    M = 72·n_layer·d² + 12·n_layer·d·l_seq (attention included, vocabulary projection out).
    """
    return 72.0 * n_layer * d_model**2 + 12.0 * n_layer * d_model * seq_len


class PowerLawAllocation(Law):
    """Allocation-only law N* = k_N·C^a_N, D* = k_D·C^a_D (no loss).

    ``rule`` says how N is obtained:

    * ``power_law``: N* = n_coef·C^n_exp directly (Chinchilla Approach 1, Porian);
    * ``tokens_only``: only D* is published; N = C/(6·D*) (Llama 3);
    * ``deepseek_m``: n_coef·C^n_exp is M* in FLOPs/token (DeepSeek Eq. 4); N is the
      non-embedding parameter count 12·n_layer·d² of the architecture with aspect ratio
      d/n_layer = ``aspect_ratio`` and context ``seq_len`` whose M (Eq. 2) equals M*.
    """

    __slots__ = ("aspect_ratio", "d_coef", "d_exp", "n_coef", "n_exp", "rule", "seq_len")
    form = "power_law"

    def __init__(
        self,
        info: LawInfo,
        *,
        d_coef: float,
        d_exp: float,
        n_coef: float = math.nan,
        n_exp: float = math.nan,
        rule: AllocationRule = "power_law",
        aspect_ratio: float = 128.0,
        seq_len: float = 4096.0,
    ) -> None:
        super().__init__(info)
        s = object.__setattr__
        s(self, "n_coef", float(n_coef))
        s(self, "n_exp", float(n_exp))
        s(self, "d_coef", float(d_coef))
        s(self, "d_exp", float(d_exp))
        s(self, "rule", rule)
        s(self, "aspect_ratio", float(aspect_ratio))
        s(self, "seq_len", float(seq_len))

    def _coef_names(self) -> tuple[str, ...]:
        if self.rule == "tokens_only":
            return ("d_coef", "d_exp")
        if self.rule == "deepseek_m":
            return ("n_coef", "n_exp", "d_coef", "d_exp", "aspect_ratio", "seq_len")
        return ("n_coef", "n_exp", "d_coef", "d_exp")

    def formula(self) -> str:
        if self.rule == "tokens_only":
            return "D* = k_D·C^a_D,  N = C / (6·D*)"
        if self.rule == "deepseek_m":
            return (
                "M* = k_M·C^a_M (FLOPs/token), D* = k_D·C^a_D;  M = 72·n_layer·d² + 12·n_layer·d·l_seq "
                "with d = aspect·n_layer;  N = 12·n_layer·d²"
            )
        return "N* = k_N·C^a_N,  D* = k_D·C^a_D"

    def params_from_m(self, m: ArrayLike) -> ArrayLike:
        """Non-embedding N for an M (FLOPs/token) under the stated architecture rule.

        With n_layer = d/r: M = (72/r)·d³ + (12·l_seq/r)·d², a cubic increasing in d,
        solved by Newton's method in numpy (10 steps reach machine precision).
        """
        m = np.asarray(m, dtype=float)
        r, l = self.aspect_ratio, self.seq_len
        c3, c2 = 72.0 / r, 12.0 * l / r
        d = np.cbrt(m / c3)  # upper bound start: Newton from above converges monotonically
        for _ in range(12):
            f = c3 * d**3 + c2 * d**2 - m
            d = d - f / (3.0 * c3 * d**2 + 2.0 * c2 * d)
        return 12.0 * (d / r) * d**2

    def allocate(self, flops: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        c = np.asarray(flops, dtype=float)
        d = self.d_coef * c**self.d_exp
        if self.rule == "tokens_only":
            return c / (6.0 * d), d
        n = self.n_coef * c**self.n_exp
        if self.rule == "deepseek_m":
            n = self.params_from_m(n)
        return n, d

    def allocate_scalar(self, flops: float) -> tuple[float, float]:
        d = self.d_coef * flops**self.d_exp
        if self.rule == "deepseek_m":
            m = self.n_coef * flops**self.n_exp
            r, c3 = self.aspect_ratio, 72.0 / self.aspect_ratio
            c2 = 12.0 * self.seq_len / r
            w = (m / c3) ** (1.0 / 3.0)
            for _ in range(12):  # same Newton iteration as params_from_m, on floats (fast path)
                step = (c3 * w**3 + c2 * w**2 - m) / (3.0 * c3 * w**2 + 2.0 * c2 * w)
                if w - step == w:  # a fixed point: further steps would return w again
                    break
                w -= step
            return 12.0 * (w / r) * w**2, d
        if self.rule == "tokens_only":
            return flops / (6.0 * d), d
        return self.n_coef * flops**self.n_exp, d

    def train_flops(self, n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
        if self.rule == "deepseek_m":
            d_model = np.cbrt(n_params * self.aspect_ratio / 12.0)
            return deepseek_m(d_model / self.aspect_ratio, d_model, self.seq_len) * n_tokens
        return 6.0 * n_params * n_tokens
