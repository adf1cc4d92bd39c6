"""The Chinchilla form L = E + A/N^α + B/D^β on C = 6ND (Hoffmann et al. 2022, arXiv 2203.15556,
Eq. 2 and 4; closed forms in LAWS.md §1)."""

from __future__ import annotations

import math

import numpy as np

from planner.laws.base import ArrayLike, Law, LawInfo


class ChinchillaLaw(Law):
    """L(N, D) = E + A/N^α + B/D^β with C = 6ND (Hoffmann et al. 2022, Eq. 2)."""

    __slots__ = ("A", "B", "E", "G", "K", "a", "alpha", "b", "beta")
    form = "chinchilla"
    has_loss = True

    def __init__(
        self, info: LawInfo, *, E: float, A: float, B: float, alpha: float, beta: float
    ) -> None:
        super().__init__(info)
        s = object.__setattr__
        s(self, "E", float(E))
        s(self, "A", float(A))
        s(self, "B", float(B))
        s(self, "alpha", float(alpha))
        s(self, "beta", float(beta))
        # LAWS.md §1: G = (αA/(βB))^(1/(α+β)); a = β/(α+β); b = α/(α+β); K = A·G^−α + B·G^β
        G = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
        s(self, "G", G)
        s(self, "a", beta / (alpha + beta))
        s(self, "b", alpha / (alpha + beta))
        s(self, "K", A * G**-alpha + B * G**beta)

    def _coef_names(self) -> tuple[str, ...]:
        return ("E", "A", "B", "alpha", "beta")

    def formula(self) -> str:
        return "L(N, D) = E + A / N^α + B / D^β,  C = 6·N·D"

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
        return self.E + self.A * n_params**-self.alpha + self.B * n_tokens**-self.beta

    def loss_grad_log(self, n_params: ArrayLike, n_tokens: ArrayLike) -> tuple:
        """(∂L/∂ln N, ∂L/∂ln D)."""
        return (-self.alpha * self.A * n_params**-self.alpha, -self.beta * self.B * n_tokens**-self.beta)

    def allocate(self, flops: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        c6 = np.asarray(flops, dtype=float) / 6.0
        return self.G * c6**self.a, c6**self.b / self.G

    def allocate_scalar(self, flops: float) -> tuple[float, float]:
        c6 = flops / 6.0
        return self.G * c6**self.a, c6**self.b / self.G

    def frontier_loss(self, flops: ArrayLike) -> ArrayLike:
        """L*(C) = E + K·(C/6)^(−αβ/(α+β))."""
        return self.E + self.K * (flops / 6.0) ** (-self.alpha * self.beta / (self.alpha + self.beta))

    def flops_for_loss(self, target_loss: float) -> float:
        """C(ℓ) = 6·((ℓ−E)/K)^(−(α+β)/(αβ)); ``inf`` when ℓ <= E (unreachable)."""
        if target_loss <= self.E:
            return math.inf
        ab = self.alpha * self.beta
        return 6.0 * ((target_loss - self.E) / self.K) ** (-(self.alpha + self.beta) / ab)

    def flops_for_params(self, n_params: ArrayLike) -> ArrayLike:
        """The budget at which ``n_params`` is compute-optimal: C(N) = 6·(N/G)^(1/a)."""
        return 6.0 * (n_params / self.G) ** (1.0 / self.a)

    def flops_for_tokens(self, n_tokens: ArrayLike) -> ArrayLike:
        """The budget at which ``n_tokens`` is compute-optimal: C(D) = 6·(D·G)^(1/b)."""
        return 6.0 * (n_tokens * self.G) ** (1.0 / self.b)

