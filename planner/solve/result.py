"""The frozen answers: :class:`Plan` (one question) and :class:`Frontier` (many budgets)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from planner.question import Question


class Plan(NamedTuple):
    """Everything the planner says about one question. Units are in the field names or docs.

    An immutable record (a named tuple: cheap to build while a slider drags; ``_replace``
    returns a modified copy).

    ``n_params`` follows the law's convention (``n_meaning``); for a dense model
    ``n_params_total == n_params_active == n_params``. A plan that did not succeed
    (``success`` False) says why in ``message`` and carries no numbers (NaN, ``null`` in JSON).
    ``binding`` names the constraints that moved the plan away from the unconstrained optimum
    (``unconstrained_loss`` is the loss it would have reached without them).
    """

    preset: str
    law_title: str
    n_meaning: str
    loss_unit: str
    flops: float  # training budget, FLOPs
    n_params: float
    n_tokens: float
    tokens_per_param: float
    loss: float | None
    train_flops: float  # compute of (N, D) under the law's own FLOP convention
    gpu: str
    n_gpus: int
    mfu: float
    usd_per_gpu_hour: float
    gpu_hours: float
    wall_clock_days: float
    cost_usd: float
    context: int
    inference_flops_per_token: float
    inference_usd_per_million_tokens: float
    inference_bound: str
    serving_memory_bytes: float
    method: str
    success: bool = True
    message: str = ""
    warnings: tuple[str, ...] = ()
    n_params_total: float | None = None
    n_params_active: float | None = None
    budget_kind: str = "flops"  # the form the budget was given in (or how it was derived)
    binding: tuple[str, ...] = ()
    unconstrained_loss: float | None = None
    decode_batch: int = 64
    serve_precision: str = "bf16"
    serve_on: str | None = None
    serve_memory_limit_bytes: float | None = None
    serving_gpus: int = 1  # GPUs of the training type that hold one serving replica
    # --- filled by the effects (vocabulary, MoE, inference demand, data, hyperparameters)
    vocab_size: float | None = None
    optimal_vocab_size: float | None = None
    vocab_band: tuple[float, float] | None = None
    vocab_loss_change: float | None = None
    efficiency_leverage: float | None = None
    moe_activation: float | None = None
    moe_granularity: float | None = None
    moe_law: str | None = None
    unique_tokens: float | None = None
    epochs: float | None = None
    learning_rate: float | None = None
    batch_size_tokens: float | None = None
    hyperparameter_sources: tuple[str, ...] = ()
    inference_tokens: float = 0.0
    inference_aware: dict[str, Any] | None = None
    # --- filled for presets with bootstrap samples: {"n_params": (lo, hi), ...}
    intervals: dict[str, tuple[float, float]] | None = None
    interval_note: str = ""
    architecture: Any = None  # planner.costs.proposal.ArchitecturePlan: the shape beside the law's N
    training_memory: Any = None  # planner.costs.memory.TrainingMemory: bytes per GPU, fewest GPUs, layout
    serving: Any = None  # planner.costs.serving.ShapeServing: one replica of the shape
    extras: dict[str, Any] | None = None  # details by effect: {"moe": ..., "vocab": ..., ...}
    question: Question | None = None

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain Python values (full precision); the question as its inputs.

        See :func:`planner.summary.plan_json` for the JSON object the CLI and window print.
        """
        d = _plain({name: getattr(self, name) for name in self._fields if name != "question"})
        d["question"] = None if self.question is None else _plain(self.question.inputs())
        return d

    @property
    def cost_of_constraints(self) -> float | None:
        """Loss given up to the binding constraints (0 when none binds)."""
        if self.loss is None or self.unconstrained_loss is None:
            return None
        return self.loss - self.unconstrained_loss


def _plain(value: Any) -> Any:
    if hasattr(value, "to_dict"):  # a result object (shape, memory, serving)
        return _plain(value.to_dict())
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a named record: an object
        return _plain(value._asdict())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def failed(question: Question, message: str, **known: Any) -> Plan:
    """A plan that did not succeed: the reason, the inputs, and no impossible numbers."""
    law = question.law
    hw = question.hardware
    nan = math.nan
    return Plan(
        preset=law.id, law_title=law.info.title, n_meaning=law.info.n_meaning, loss_unit=law.info.loss_unit,
        flops=known.get("flops", nan), n_params=nan, n_tokens=nan, tokens_per_param=nan, loss=None,
        train_flops=nan, gpu=hw.accelerator.name, n_gpus=hw.n_gpus, mfu=hw.mfu, usd_per_gpu_hour=hw.price,
        gpu_hours=nan, wall_clock_days=nan, cost_usd=nan, context=question.context,
        inference_flops_per_token=nan, inference_usd_per_million_tokens=nan, inference_bound="",
        serving_memory_bytes=nan, method="none", success=False, message=message,
        budget_kind=question.budget_kind or "derived", decode_batch=question.decode_batch,
        serve_precision=question.serve_precision, serve_on=question.serve_on, extras={}, question=question,
    )  # fmt: skip


class Frontier(NamedTuple):
    """Vectorised allocation over budgets (arrays of equal shape)."""

    flops: np.ndarray
    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray | None
