"""Scaling laws as immutable value objects.

Every law carries its metadata (:class:`LawInfo`: id, title, citation, what N means, loss
unit, fitted range, published standard errors, notes) and answers, vectorised over numpy
arrays of budgets:

* ``allocate(flops) -> (n_params, n_tokens)``: the law's published compute-optimal
  allocation (closed form where the law has one);
* ``loss(n_params, n_tokens)`` and ``frontier_loss(flops)`` where the law has a loss
  (``has_loss``); allocation-only power laws have none.

Forms (LAWS.md = ../shared/reference/LAWS.md):

=====================  ======================================================================
:class:`ChinchillaLaw`  L = E + A/N^α + B/D^β, C = 6ND (Hoffmann et al. 2022, arXiv 2203.15556,
                        Eq. 2, 4; closed forms LAWS.md §1)
:class:`DataConstrainedLaw`  Chinchilla form on effective data D′ and parameters N′
                        (Muennighoff et al. 2023, arXiv 2305.16264, LAWS.md §2.9)
:class:`KaplanLaw`      L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D with non-embedding N, C in
                        PF-days; allocation from Table 6 (Kaplan et al. 2020, arXiv 2001.08361)
:class:`PowerLawAllocation`  N* = k_N·C^a_N, D* = k_D·C^a_D, no loss (Chinchilla Approach 1,
                        Porian, Llama 3 token law, DeepSeek M*(C) via an architecture rule)
=====================  ======================================================================

Symbols inside formulas follow the papers (N, D, C, E, A, B, α, β); the public API uses
``n_params``, ``n_tokens`` and ``flops``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np

from planner.data_constrained import DataConstrainedCoefficients, effective_data, effective_params
from planner.units import PF_DAY_FLOPS

NMeaning = Literal["total", "non_embedding", "flops_per_token"]
ArrayLike = float | np.ndarray


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a law's numbers come from."""

    text: str
    arxiv: str
    locator: str
    status: str = "CONFIRMED"

    def short(self) -> str:
        parts = [self.text, f"arXiv {self.arxiv}" if self.arxiv else "", self.locator]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class FittedRange:
    """Ranges the law was fitted on; ``None`` where the paper does not say."""

    n_params: tuple[float, float] | None = None
    n_tokens: tuple[float, float] | None = None
    flops: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class LawInfo:
    """Metadata shared by every law."""

    id: str
    title: str
    citation: Citation
    n_meaning: NMeaning = "total"
    loss_unit: str = "nats/token"
    compute: str = "C = 6ND"
    fitted_range: FittedRange = field(default_factory=FittedRange)
    uncertainty: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""
    warnings: tuple[str, ...] = ()
    source: str = "built-in"
    #: Bootstrap estimates of a fitted law ((k, n_coef) read-only array, columns in the fitted
    #: form's order: chinchilla E, A, B, alpha, beta; kaplan N_c, D_c, alpha_N, alpha_D), or None.
    bootstrap_samples: np.ndarray | None = field(default=None, compare=False, repr=False)
    #: Confidence level of the intervals derived from ``bootstrap_samples`` (e.g. 0.95).
    bootstrap_level: float | None = None

    def __post_init__(self) -> None:
        s = self.bootstrap_samples
        if s is not None:
            arr = np.array(s, dtype=float, copy=True)
            if arr.ndim != 2 or len(arr) == 0:
                raise ValueError(f"bootstrap_samples must be a non-empty 2-D array, got shape {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, "bootstrap_samples", arr)

    @property
    def n_meaning_text(self) -> str:
        return {
            "total": "total parameters (embeddings included)",
            "non_embedding": "non-embedding parameters",
            "flops_per_token": "non-embedding FLOPs per token (M), converted to parameters",
        }[self.n_meaning]


class Law:
    """Base class: metadata plus the allocation interface."""

    __slots__ = ("info",)
    form: str = ""
    has_loss: bool = False
    has_closed_form: bool = True

    def __init__(self, info: LawInfo) -> None:
        object.__setattr__(self, "info", info)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info.id}>"

    @property
    def id(self) -> str:
        return self.info.id

    def coefficients(self) -> dict[str, float]:
        """Coefficients in natural units, in the order a law card shows them."""
        return {name: getattr(self, name) for name in self._coef_names()}

    def _coef_names(self) -> tuple[str, ...]:
        return ()

    def formula(self) -> str:
        return ""

    def allocate(self, flops: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def allocate_scalar(self, flops: float) -> tuple[float, float]:
        n, d = self.allocate(np.asarray(flops, dtype=float))
        return float(n), float(d)

    def train_flops(self, n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
        """Training compute the law's own convention assigns to (N, D)."""
        return 6.0 * n_params * n_tokens

    def frontier_loss(self, flops: ArrayLike) -> np.ndarray:
        raise NotImplementedError(f"{self.id} has no loss")


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


class DataConstrainedLaw(ChinchillaLaw):
    """Chinchilla form on effective data and parameters (Muennighoff et al. 2023, §2.9).

    D′ = U_D + U_D·R*_D·(1 − e^(−R_D/R*_D)), U_D = min(U, D), R_D = D/U_D − 1;
    N′ = U_N + U_N·R*_N·(1 − e^(−R_N/R*_N)), U_N = min((U_D·G)^(β/α)·G, N),
    R_N = max(N/U_N − 1, 0). With U = ∞ it is the plain Chinchilla form.
    """

    __slots__ = ("R_D_star", "R_N_star")
    form = "data_constrained"

    def __init__(self, info: LawInfo, *, R_D_star: float, R_N_star: float, **coef: float) -> None:
        super().__init__(info, **coef)
        object.__setattr__(self, "R_D_star", float(R_D_star))
        object.__setattr__(self, "R_N_star", float(R_N_star))

    def _coef_names(self) -> tuple[str, ...]:
        return ("E", "A", "B", "alpha", "beta", "R_D_star", "R_N_star")

    def formula(self) -> str:
        return (
            "L = E + A / N′^α + B / D′^β;  D′ = U_D + U_D·R*_D·(1 − exp(−R_D/R*_D)), "
            "N′ likewise with R*_N"
        )

    def effective(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike = math.inf
    ) -> tuple[ArrayLike, ArrayLike]:
        """(N′, D′) for training ``n_tokens`` on ``unique_tokens`` unique tokens.

        The formulas live in :mod:`planner.data_constrained` (one implementation).
        """
        coef = DataConstrainedCoefficients(
            self.E, self.A, self.B, self.alpha, self.beta, self.R_D_star, self.R_N_star
        )
        return (
            effective_params(n_params, n_tokens, unique_tokens, coef),
            effective_data(n_tokens, unique_tokens, self.R_D_star),
        )

    def loss(
        self, n_params: ArrayLike, n_tokens: ArrayLike, unique_tokens: ArrayLike = math.inf
    ) -> ArrayLike:
        if np.all(np.isinf(unique_tokens)):
            return ChinchillaLaw.loss(self, n_params, n_tokens)
        n_eff, d_eff = self.effective(n_params, n_tokens, unique_tokens)
        return self.E + self.A * n_eff**-self.alpha + self.B * d_eff**-self.beta


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
                w -= (c3 * w**3 + c2 * w**2 - m) / (3.0 * c3 * w**2 + 2.0 * c2 * w)
            return 12.0 * (w / r) * w**2, d
        if self.rule == "tokens_only":
            return flops / (6.0 * d), d
        return self.n_coef * flops**self.n_exp, d

    def train_flops(self, n_params: ArrayLike, n_tokens: ArrayLike) -> ArrayLike:
        if self.rule == "deepseek_m":
            m = deepseek_m(np.cbrt(n_params * self.aspect_ratio / 12.0) / self.aspect_ratio,
                           np.cbrt(n_params * self.aspect_ratio / 12.0), self.seq_len)
            return m * n_tokens
        return 6.0 * n_params * n_tokens
