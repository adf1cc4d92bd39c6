"""What every law shares: metadata (citation, units, fitted range) and the allocation interface.

Every law carries its :class:`LawInfo` (id, title, citation, what N means, loss unit, fitted
range, published standard errors, notes) and answers, vectorised over numpy arrays of budgets:

* ``allocate(flops) -> (n_params, n_tokens)``: the law's published compute-optimal allocation
  (closed form where the law has one);
* ``loss(n_params, n_tokens)`` and ``frontier_loss(flops)`` where the law has a loss
  (``has_loss``); allocation-only power laws have none.

Symbols inside formulas follow the papers (N, D, C, E, A, B, α, β); the public API uses
``n_params``, ``n_tokens`` and ``flops``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import numpy as np

NMeaning = Literal["total", "non_embedding", "flops_per_token"]
ArrayLike = float | np.ndarray

DEFAULT_REFERENCE_VOCAB = 32_000
"""Vocabulary the dense law's token counts refer to by default: Chinchilla/Gopher's
SentencePiece vocabulary of 32,000 (Rae et al. 2021, arXiv 2112.11446, §2; not in LAWS.md).
Pass the preset's own value where it differs (Kaplan: GPT-2 BPE, 50,257; LAWS.md §0.3)."""
REFERENCE_VOCAB = {"kaplan-2020": 50_257, "deepseek-2024": 102_400}
"""Vocabulary a preset's token counts refer to: Kaplan GPT-2 BPE (LAWS.md §0.3), DeepSeek
Table 3 (§2.6); every other preset uses :data:`DEFAULT_REFERENCE_VOCAB` (32,000). The shape of
every plan and the vocabulary effect (:mod:`planner.effects.vocab`) read it."""


def reference_vocab(law_id: str) -> float:
    return REFERENCE_VOCAB.get(law_id, DEFAULT_REFERENCE_VOCAB)



class Citation(NamedTuple):
    """Where a law's numbers come from."""

    text: str
    arxiv: str
    locator: str
    status: str = "CONFIRMED"

    def short(self) -> str:
        parts = [self.text, f"arXiv {self.arxiv}" if self.arxiv else "", self.locator]
        return ", ".join(p for p in parts if p)


class FittedRange(NamedTuple):
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
    #: Measured extrapolation error of a fitted law (``[law.bootstrap.extrapolation]``: folds,
    #: points, near_sd, growth_sd, max_decades, horizon, method), or None; read by
    #: :func:`planner.fitting.predict.predict` to widen intervals past the fitted range.
    calibration: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        s = self.bootstrap_samples
        if s is not None:
            arr = np.array(s, dtype=float, copy=True)
            if arr.ndim != 2 or len(arr) == 0:
                raise ValueError(f"bootstrap_samples must be a non-empty 2-D array, got shape {arr.shape}")
            arr.setflags(write=False)
            object.__setattr__(self, "bootstrap_samples", arr)

    @property
    def uncertainty_text(self) -> str:
        """What the ``uncertainty`` numbers are: a fitted law's come from its bootstrap, a published
        law's from the paper."""
        if not self.uncertainty:
            return "no uncertainty given"
        if self.citation.status == "FITTED" or self.source == "<fitted>":
            return "± 1 bootstrap standard error"
        return "± 1 published standard error"

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

