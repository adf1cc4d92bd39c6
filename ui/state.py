"""The window's inputs: one frozen value, held by a QObject that emits only on real change.

:class:`PlanInputs` is everything a user can set (law, budget, hardware, constraints, the
science, the architecture's overrides, compare mode). :class:`InputsState` holds the current
value; :meth:`InputsState.update` replaces fields and emits ``changed(frozenset_of_field_names)``
only when something really changed, so a view that writes the state and repaints on the echo
cannot loop (STYLE.md §3).

:meth:`PlanInputs.question` turns the inputs into the core's :class:`~planner.question.Question`,
passing each input only when the user set or enabled it and never restating a default: the
Question's own defaults (GPU, count, MFU, MoE granularity, context, ...) apply to whatever the
user left alone, so the window and ``planner plan`` give the same plan for the same inputs.
Values of switched-off controls (the inference slider's position while its box is unticked) are
the window's own state, not question defaults. Every number is checked against the one table of
limits, :data:`planner.question.LIMITS`; a slider shows its own sub-range and pins at its end
when a value (typed, or from a preset) lies beyond it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from planner.costs.hardware import Hardware, budgets_of_flops, get_accelerator, parse_serve_target
from planner.laws import Law
from planner.presets.load import DEFAULT_PRESET_ID
from planner.question import (
    BUDGET_KINDS,
    CHOICES,
    LIMITS,
    NEW_PLAN_FLOPS,
    Question,
    check_value,
    default,
)

# what each slider spans (a sub-range of LIMITS: a value beyond it pins the slider at its end)
FLOPS_LIMITS = (1e18, 1e27)
GPU_HOURS_LIMITS = (1e-2, 1e11)
VOCAB_LIMITS = (4096.0, 1048576.0)
MOE_LIMITS = (1.0 / 512.0, 1.0)
INFERENCE_LIMITS = (1e9, 1e16)
UNIQUE_LIMITS = (1e9, 1e15)
BUDGET_INPUTS = frozenset({"flops", "budget_kind", "budget_value"})  # the fields a budget edit sets


@dataclass(frozen=True, slots=True)
class PlanInputs:
    """What the user set. ``preset``/``compare_preset`` are keys into the window's preset list.

    The budget is ``flops`` when ``budget_kind`` is ``"flops"``, else ``budget_value`` in that
    kind's unit (GPU-hours, dollars or days), so a budget typed in dollars stays in dollars when
    the price changes.
    """

    preset: str = DEFAULT_PRESET_ID
    flops: float = NEW_PLAN_FLOPS
    budget_kind: str = "flops"
    budget_value: float | None = None
    gpu: str = default("gpu")
    n_gpus: int = default("n_gpus")
    mfu: float = default("mfu")
    usd_per_gpu_hour: float | None = default("usd_per_gpu_hour")  # None: the GPU's catalogue price
    precision: str = default("precision")
    fixed_n_enabled: bool = False
    fixed_n: float = 7e9
    fixed_d_enabled: bool = False
    fixed_d: float = 1e12
    serve_enabled: bool = False
    serve_on: str = "8xH100 SXM"
    serve_precision: str = default("serve_precision")
    context: int = default("context")
    decode_batch: int = default("decode_batch")
    vocab_enabled: bool = False
    vocab_size: float = 32768.0
    optimal_vocab: bool = False
    moe_activation: float = 1.0  # 1 = dense (no MoE input)
    moe_granularity: float | None = default("moe_granularity")  # None: the MoE law's default
    moe_law: str = default("moe_law")
    inference_enabled: bool = False
    inference_tokens: float = 1e13
    unique_enabled: bool = False
    unique_tokens: float = 1e12
    n_layers: int | None = None
    d_model: int | None = None
    head_dim: int | None = None
    seq_len: int = default("seq_len")
    optimizer: str = default("optimizer")
    zero_stage: int = default("zero_stage")
    recompute: str = default("recompute")
    compare: bool = False
    compare_preset: str = "chinchilla-2022-a3"

    def hardware(self) -> Hardware:
        return Hardware(get_accelerator(self.gpu), n_gpus=self.n_gpus, mfu=self.mfu,
                        usd_per_gpu_hour=self.usd_per_gpu_hour, precision=self.precision)  # fmt: skip

    def question(self, law: Law) -> Question:
        """The core's question for ``law``: what the user set, the Question's defaults for the rest."""
        return Question(law=law, **self.question_inputs())

    def question_inputs(self) -> dict[str, Any]:
        """The inputs of :meth:`question` (the switched-on ones; defaults dropped by the Question)."""
        kw: dict[str, Any] = {"gpu": self.gpu, "n_gpus": self.n_gpus, "mfu": self.mfu,
                              "usd_per_gpu_hour": self.usd_per_gpu_hour, "precision": self.precision,
                              "context": self.context, "decode_batch": self.decode_batch, "seq_len": self.seq_len,
                              "optimizer": self.optimizer, "zero_stage": self.zero_stage,
                              "recompute": self.recompute}  # fmt: skip
        kw[self.budget_kind] = self.flops if self.budget_kind == "flops" else self.budget_value
        if self.fixed_n_enabled:
            kw["n_params"] = self.fixed_n
        if self.fixed_d_enabled:
            kw["n_tokens"] = self.fixed_d
        if self.serve_enabled:
            kw.update(serve_on=self.serve_on, serve_precision=self.serve_precision)
        if self.vocab_enabled and self.optimal_vocab:
            kw["optimal_vocab"] = True
        elif self.vocab_enabled:
            kw["vocab_size"] = self.vocab_size
        if self.moe_activation < 1.0:
            kw.update(moe_activation=self.moe_activation, moe_granularity=self.moe_granularity, moe_law=self.moe_law)
        if self.inference_enabled and self.inference_tokens > 0:
            kw["inference_tokens"] = self.inference_tokens
        if self.unique_enabled:
            kw["unique_tokens"] = self.unique_tokens
        for name in ("n_layers", "d_model", "head_dim"):
            if getattr(self, name) is not None:
                kw[name] = getattr(self, name)
        return kw

    def budgets(self) -> dict[str, float]:
        """The budget in all four forms (FLOPs, GPU-hours, dollars, days) on these inputs' hardware."""
        hw = self.hardware()
        if self.budget_kind == "flops" or self.budget_value is None:
            return budgets_of_flops(self.flops, hw)
        from planner.costs.hardware import budget_to_flops

        return budgets_of_flops(budget_to_flops(self.budget_kind, self.budget_value, hw), hw)

    def gpu_hours(self) -> float:
        return self.budgets()["gpu_hours"]

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: Any) -> PlanInputs:
        """Rebuild inputs from saved settings, keeping defaults for anything missing or bad."""
        out = cls()
        if not isinstance(data, dict):
            return out
        changes: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data:
                try:
                    changes[f.name] = _checked(f.name, data[f.name], getattr(out, f.name))
                except (ValueError, TypeError):
                    continue
        try:
            candidate = replace(out, **changes)
            validate(candidate)
        except (ValueError, KeyError):
            return out
        return candidate


def _checked(name: str, value: Any, default_value: Any) -> Any:
    """``value`` for field ``name`` if it has the field's type and lies within LIMITS."""
    if value is None:
        if name in ("budget_value", "usd_per_gpu_hour", "moe_granularity", "n_layers", "d_model", "head_dim"):
            return None
        raise ValueError(name)
    if isinstance(default_value, bool):
        if not isinstance(value, bool):
            raise ValueError(name)
        return value
    if isinstance(default_value, str):
        if not isinstance(value, str) or len(value) > 4096:
            raise ValueError(name)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(name)
    limit_name = {"fixed_n": "n_params", "fixed_d": "n_tokens", "flops": "flops"}.get(name, name)
    if limit_name in LIMITS:
        value = check_value(limit_name, value)
    if isinstance(default_value, int) and not isinstance(default_value, bool) or name in ("n_layers", "d_model",
                                                                                        "head_dim"):  # fmt: skip
        if value != int(value) or value < 0:
            raise ValueError(name)
        return int(value)
    return float(value)


def validate(inputs: PlanInputs) -> None:
    """``ValueError``/``KeyError`` with a one-line reason for inputs no question could hold."""
    inputs.hardware()  # GPU name, MFU, count, price, precision
    if inputs.budget_kind not in BUDGET_KINDS:
        raise ValueError(f"unknown budget kind {inputs.budget_kind!r}")
    if inputs.budget_kind != "flops":
        if inputs.budget_value is None:
            raise ValueError(f"no {inputs.budget_kind.replace('_', '-')} budget given")
        check_value(inputs.budget_kind, inputs.budget_value)
    for name, limit in (("flops", "flops"), ("fixed_n", "n_params"), ("fixed_d", "n_tokens"),
                        ("vocab_size", "vocab_size"), ("moe_activation", "moe_activation"),
                        ("inference_tokens", "inference_tokens"), ("unique_tokens", "unique_tokens"),
                        ("context", "context"), ("decode_batch", "decode_batch"), ("seq_len", "seq_len")):  # fmt: skip
        check_value(limit, getattr(inputs, name))
    for name in ("moe_granularity", "n_layers", "d_model", "head_dim"):
        if getattr(inputs, name) is not None:
            check_value(name, getattr(inputs, name))
    for name, choices in CHOICES.items():
        if hasattr(inputs, name) and getattr(inputs, name) not in choices:
            raise ValueError(f"{name} {getattr(inputs, name)!r} is not one of {', '.join(map(str, choices))}")
    if inputs.serve_enabled:
        parse_serve_target(inputs.serve_on)


class InputsState(QObject):
    """Holds :class:`PlanInputs`; ``changed(frozenset)`` fires only on a real change."""

    changed = Signal(object)

    def __init__(self, inputs: PlanInputs | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._inputs = inputs or PlanInputs()

    @property
    def inputs(self) -> PlanInputs:
        return self._inputs

    def update(self, **changes: Any) -> frozenset[str]:
        """Set fields; returns (and emits) the names that changed.

        Raises ``ValueError``/``KeyError`` with a reason for a value no question could hold (the
        state is then kept). Setting ``flops`` makes the budget a FLOP budget again.
        """
        if "flops" in changes and "budget_kind" not in changes:
            changes = {**changes, "budget_kind": "flops", "budget_value": None}
        new = replace(self._inputs, **changes)
        validate(new)
        diff = frozenset(f.name for f in fields(PlanInputs) if getattr(new, f.name) != getattr(self._inputs, f.name))
        if diff:
            self._inputs = new
            self.changed.emit(diff)
        return diff

    def replace_all(self, inputs: PlanInputs) -> frozenset[str]:
        return self.update(**{f.name: getattr(inputs, f.name) for f in fields(PlanInputs)})
