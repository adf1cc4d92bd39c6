"""The one planning question: every input a user can give, with the product's only defaults.

A :class:`Question` is a frozen value. The CLI's flags, the window's state, a preset's
``[budget]``/``[hardware]`` tables and the autosave all build one and never restate a default:
a field left unset keeps the default written here, so the same inputs give the same plan
everywhere. :data:`LIMITS` is the one table of accepted ranges, read by the preset schema, the
CLI's argument types and the window's fields.

Budget forms (exactly one, or none when a fixed size or a target loss sets the budget):

=============  ===============================================================================
``flops``      training compute C (FLOPs)
``gpu_hours``  GPU-hours on ``gpu`` at ``mfu``: C = GPU-h × 3600 × dense peak × MFU
``usd``        dollars at ``usd_per_gpu_hour``: GPU-h = $ / price
``days``       a wall-clock deadline on ``n_gpus`` GPUs: GPU-h = days × 24 × n_gpus
=============  ===============================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from planner.costs.architecture import Architecture
from planner.costs.hardware import (
    BYTES_PER_PARAM,
    CATALOGUE,
    DEFAULT_GPU,
    DEFAULT_MFU,
    Hardware,
    ServeTarget,
    get_accelerator,
    parse_serve_target,
)

if TYPE_CHECKING:
    from planner.laws import Law

BUDGET_KINDS = ("flops", "gpu_hours", "usd", "days")
HARDWARE_INPUTS = ("gpu", "n_gpus", "mfu", "usd_per_gpu_hour", "precision")
"""Inputs a preset's ``[hardware]`` table holds; every other input goes in ``[budget]``."""
CHOICES: dict[str, tuple[Any, ...]] = {
    "precision": ("bf16", "fp8"),
    "moe_law": ("ling", "krajewski"),
    "serve_precision": ("bf16", "fp8", "int4"),
    "optimizer": ("adamw", "adamw8bit"),
    "zero_stage": (0, 1, 2, 3),
    "recompute": ("auto", "none", "selective", "full"),
    "method": ("auto", "closed", "numerical"),
}
"""The inputs that take one of a few values, and those values."""
NEW_PLAN_FLOPS = 1e24
"""The budget a new window opens with (a question the user has not asked yet)."""


class Limit(NamedTuple):
    """Accepted range of one input, in its unit; ``integer`` inputs are whole numbers."""

    lo: float
    hi: float
    unit: str
    integer: bool = False
    lo_open: bool = False  # True: lo itself is refused (e.g. MoE activation > 0)


LIMITS: dict[str, Limit] = {
    "flops": Limit(1e10, 1e35, "FLOPs"),
    "gpu_hours": Limit(1e-6, 1e12, "GPU-hours"),
    "usd": Limit(1e-6, 1e15, "USD"),
    "days": Limit(1e-8, 1e7, "days"),
    "n_gpus": Limit(1, 10_000_000, "GPUs", integer=True),
    "mfu": Limit(1e-3, 1.0, "fraction of peak"),
    "usd_per_gpu_hour": Limit(0.0, 1e5, "USD per GPU-hour"),
    "n_params": Limit(1e3, 1e16, "parameters"),
    "n_tokens": Limit(1e3, 1e18, "tokens"),
    "vocab_size": Limit(256, 10_000_000, "tokens"),
    "moe_activation": Limit(0.0, 1.0, "active / total experts", lo_open=True),
    "moe_granularity": Limit(1.0, 4096.0, "G in the MoE law's definition"),
    "inference_tokens": Limit(0.0, 1e30, "tokens served"),
    "target_loss": Limit(0.0, 1e3, "loss in the law's unit", lo_open=True),
    "unique_tokens": Limit(1e6, 1e30, "tokens"),
    "context": Limit(1, 10_000_000, "tokens", integer=True),
    "decode_batch": Limit(1, 1_000_000, "sequences", integer=True),
    "seq_len": Limit(16, 10_000_000, "tokens", integer=True),
    "n_layers": Limit(1, 100_000, "layers", integer=True),
    "d_model": Limit(64, 1_000_000, "width", integer=True),
    "head_dim": Limit(16, 1024, "head size", integer=True),
    "micro_batch": Limit(1, 100_000, "sequences", integer=True),
}
"""One table of limits: the preset schema, the CLI, the window and :class:`Question` use it."""


def check_value(name: str, value: Any) -> float:
    """``value`` as a number inside ``LIMITS[name]``; ``ValueError`` naming field and range."""
    lim = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} = {value!r} is not a finite number ({lim.unit})")
    low_ok = value > lim.lo if lim.lo_open else value >= lim.lo
    if not (low_ok and value <= lim.hi):
        side = "above 0" if lim.lo_open and lim.lo == 0 else f"from {lim.lo:g}"
        raise ValueError(f"{name} = {value:g} is out of range (expected {side} to {lim.hi:g} {lim.unit})")
    if lim.integer and value != int(value):
        raise ValueError(f"{name} = {value:g} is not a whole number")
    return int(value) if lim.integer else float(value)


@dataclass(frozen=True, slots=True)
class Question:
    """Everything a user can ask the planner. Units are in the field names or in :data:`LIMITS`.

    ``n_params`` / ``n_tokens`` fix the model size / token count in the law's own meaning of N
    (with an MoE, the active parameters). ``target_loss`` without a budget sets the budget (the
    smallest whose plan reaches it); with ``inference_tokens`` > 0 it is the loss the
    inference-aware plan (training + serving compute) keeps. ``unique_tokens`` limits the
    unique data (Muennighoff et al. 2023); ``serve_on`` requires the model to fit the serving
    memory of e.g. ``"8xH100 SXM"`` (or a byte count) at ``context`` and ``decode_batch`` in
    ``serve_precision``.
    """

    law: Law
    flops: float | None = None
    gpu_hours: float | None = None
    usd: float | None = None
    days: float | None = None
    gpu: str = DEFAULT_GPU
    n_gpus: int = 1024
    mfu: float = DEFAULT_MFU
    usd_per_gpu_hour: float | None = None  # None: the catalogue's illustrative price for ``gpu``
    precision: Literal["bf16", "fp8"] = "bf16"
    n_params: float | None = None
    n_tokens: float | None = None
    vocab_size: float | None = None
    optimal_vocab: bool = False
    moe_activation: float | None = None
    moe_granularity: float | None = None  # None: the MoE law's own default (planner.effects.moe)
    moe_law: Literal["ling", "krajewski"] = "ling"
    inference_tokens: float = 0.0
    target_loss: float | None = None
    unique_tokens: float | None = None
    serve_on: str | None = None
    serve_precision: Literal["bf16", "fp8", "int4"] = "bf16"
    context: int = 4096
    decode_batch: int = 64
    seq_len: int = 4096
    arch: Architecture | None = None  # a known shape (a config.json): plan around it
    n_layers: int | None = None  # fix the proposed shape's depth
    d_model: int | None = None  # fix its width
    head_dim: int | None = None  # fix its head size
    optimizer: Literal["adamw", "adamw8bit"] = "adamw"
    zero_stage: int = 1  # ZeRO stage (3 = FSDP full sharding)
    recompute: Literal["auto", "none", "selective", "full"] = "auto"
    micro_batch: int = 1
    method: Literal["auto", "closed", "numerical"] = "auto"
    hardware: Hardware = field(init=False, repr=False, compare=False)
    serve_target: ServeTarget | None = field(init=False, repr=False, compare=False)
    budget_kind: str | None = field(init=False, repr=False, compare=False)
    """Which budget form was given (``None``: the budget follows from a size or a target loss)."""

    def __post_init__(self) -> None:
        s = object.__setattr__
        if self.unique_tokens is not None and self.unique_tokens == math.inf:
            s(self, "unique_tokens", None)  # U = ∞: no data limit
        for name, written in _NUMERIC_DEFAULTS:
            value = getattr(self, name)
            if value is not None and value is not written:  # a default, as written here, is valid
                s(self, name, check_value(name, value))
        budgets = [k for k in BUDGET_KINDS if getattr(self, k) is not None]
        if len(budgets) > 1:
            raise ValueError(f"give one budget, not {' and '.join('--' + b.replace('_', '-') for b in budgets)}")
        s(self, "budget_kind", budgets[0] if budgets else None)
        for name, choices in CHOICES.items():
            value = getattr(self, name)
            if value is not _WRITTEN[name] and (value not in choices or isinstance(value, bool)):
                raise ValueError(f"{name} = {value!r} is not one of {', '.join(map(str, choices))}")
        try:
            acc = get_accelerator(self.gpu)
        except KeyError as exc:
            raise ValueError(exc.args[0]) from None
        s(self, "gpu", acc.name)
        if self.usd_per_gpu_hour is None:  # the catalogue's price: a set-up made once, shared by questions
            s(self, "hardware", _catalogue_hardware(acc.name, self.n_gpus, self.mfu, self.precision))
        else:
            s(self, "hardware", Hardware(acc, self.n_gpus, self.mfu, self.usd_per_gpu_hour, self.precision))
        s(self, "serve_target", parse_serve_target(self.serve_on) if self.serve_on is not None else None)

    # -- derived ------------------------------------------------------------------------------
    @property
    def serve_bytes_per_param(self) -> float:
        return BYTES_PER_PARAM[self.serve_precision]

    @property
    def fixed_params(self) -> float | None:
        """The fixed N: ``n_params``, or a known architecture's N in the law's meaning."""
        if self.n_params is not None or self.arch is None:
            return self.n_params
        meaning = self.law.info.n_meaning
        n = self.arch.measure(meaning)
        return float(self.law.params_from_m(n)) if meaning == "flops_per_token" else n  # type: ignore[attr-defined]

    def with_(self, **changes: Any) -> Question:
        """A copy with ``changes`` (validated); giving a budget form clears the other forms."""
        if any(k in changes for k in BUDGET_KINDS):
            changes = {**dict.fromkeys(BUDGET_KINDS), **changes}
        return replace(self, **changes)

    def inputs(self) -> dict[str, Any]:
        """The fields that differ from the defaults, JSON-able (the law is not included)."""
        out = {f.name: getattr(self, f.name) for f in _INPUT_FIELDS if getattr(self, f.name) != f.default}
        if "arch" in out:
            out["arch"] = out["arch"].shape_dict()
        return out

    @classmethod
    def from_inputs(cls, law: Law, inputs: dict[str, Any]) -> Question:
        """Rebuild from :meth:`inputs` (unknown keys are refused with a ``ValueError``)."""
        unknown = sorted(set(inputs) - INPUT_NAMES)
        if unknown:
            raise ValueError(f"unknown input {unknown[0]!r}")
        if isinstance(inputs.get("arch"), dict):
            inputs = {**inputs, "arch": Architecture(**inputs["arch"])}
        return cls(law=law, **inputs)


_INPUT_FIELDS = tuple(f for f in fields(Question) if f.init and f.name != "law")
INPUT_NAMES = frozenset(f.name for f in _INPUT_FIELDS)
"""Names a question can be built from (CLI flags, window state, autosave, preset tables)."""
_NUMERIC_DEFAULTS = tuple((f.name, f.default) for name in LIMITS for f in _INPUT_FIELDS if f.name == name)
"""The numeric inputs in :data:`LIMITS` order, with their defaults (valid as written)."""
_WRITTEN = {f.name: f.default for f in _INPUT_FIELDS}
"""Every input's default as written in the class (a value that is it needs no check)."""


@lru_cache(maxsize=64)
def _catalogue_hardware(gpu: str, n_gpus: int, mfu: float, precision: str) -> Hardware:
    """The set-up at the catalogue's price (immutable, so questions that repeat it share one)."""
    return Hardware(CATALOGUE[gpu], n_gpus, mfu, None, precision)


def default(name: str) -> Any:
    """The default of input ``name`` (the one place help texts and views read it from)."""
    for f in _INPUT_FIELDS:
        if f.name == name:
            return f.default
    raise KeyError(name)


def catalogue_price(gpu: str = DEFAULT_GPU) -> float:
    """The illustrative $/GPU-hour used when ``usd_per_gpu_hour`` is left unset."""
    return CATALOGUE[get_accelerator(gpu).name].usd_per_hour
