"""Accelerator catalogue and the FLOPs ↔ GPU-hours ↔ wall-clock ↔ dollars conversions.

Peaks are dense (no 2:4 sparsity), from LAWS.md §6; the status column says how far each
figure is confirmed. Prices per GPU-hour are **illustrative** defaults a user should
replace with their own contract price: the H100 $2.00 and A100-80GB $1.50 figures are the
defaults of the Sardana et al. repository (nikhilsardana/beyond-chinchilla, LAWS.md §6);
the others are placeholders in the same spirit, not quotes.

Conversion (LAWS.md §6): C = GPU-hours × 3600 × dense peak × MFU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from planner.units import HOURS_PER_DAY, SECONDS_PER_HOUR

DEFAULT_MFU = 0.40
"""Dense BF16 default; published values 0.38-0.55 (Llama 3 Table 4: 43% at 8K sequence)."""
DEFAULT_GPU = "H100 SXM"
BYTES_PER_PARAM = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp32": 4.0}
"""Bytes per weight (or cached value) by numeric format."""


class Accelerator(NamedTuple):
    """One accelerator: dense peaks in FLOP/s, memory in bytes, bandwidth in bytes/s."""

    name: str
    bf16_flops: float
    fp8_flops: float | None
    memory_bytes: float
    bandwidth_bytes: float
    usd_per_hour: float
    status: str
    price_note: str = "illustrative"


_G = 1e9
_T = 1e12
# name, BF16 TFLOP/s, FP8 TFLOP/s, memory (GB, GiB for TPU v4), bandwidth GB/s, $/h, status
CATALOGUE: dict[str, Accelerator] = {
    a.name: a
    for a in (
        Accelerator("A100 80GB SXM", 312 * _T, None, 80 * _G, 2039 * _G, 1.50, "UNCONFIRMED",
                    "illustrative (Sardana et al. repository default)"),
        Accelerator("H100 SXM", 989.4 * _T, 1978.9 * _T, 80 * _G, 3350 * _G, 2.00, "SECONDARY",
                    "illustrative (Sardana et al. repository default)"),
        Accelerator("H100 PCIe", 756 * _T, 1513 * _T, 80 * _G, 2000 * _G, 1.80, "UNCONFIRMED"),
        Accelerator("H200 SXM", 989.4 * _T, 1978.9 * _T, 141 * _G, 4800 * _G, 2.50, "SECONDARY"),
        Accelerator("B200", 2250 * _T, 4500 * _T, 180 * _G, 8000 * _G, 4.00, "SECONDARY"),
        Accelerator("GB200 (per GPU)", 2500 * _T, 5000 * _T, 186 * _G, 8000 * _G, 4.50, "SECONDARY"),
        Accelerator("L40S", 362.05 * _T, 733 * _T, 48 * _G, 864 * _G, 0.90, "SECONDARY"),
        Accelerator("MI300X", 1307.4 * _T, 2614.9 * _T, 192 * _G, 5300 * _G, 2.00, "SECONDARY"),
        Accelerator("MI325X", 1307.4 * _T, 2614.9 * _T, 256 * _G, 6000 * _G, 2.50, "SECONDARY"),
        Accelerator("TPU v4", 275 * _T, None, 32 * 1024**3, 1200 * _G, 1.50, "CONFIRMED"),
        Accelerator("TPU v5e", 197 * _T, None, 16 * _G, 819 * _G, 0.60, "CONFIRMED"),
        Accelerator("TPU v5p", 459 * _T, None, 95 * _G, 2765 * _G, 2.10, "CONFIRMED"),
        Accelerator("TPU v6e", 918 * _T, None, 32 * _G, 1638 * _G, 1.40, "CONFIRMED"),
    )
}  # fmt: skip

_ALIASES = {name.lower().replace(" ", "").replace("-", ""): name for name in CATALOGUE}
_ALIASES.update({"a100": "A100 80GB SXM", "h100": "H100 SXM", "h200": "H200 SXM", "gb200": "GB200 (per GPU)"})


def get_accelerator(name: str) -> Accelerator:
    """Look up an accelerator by name, forgiving case, spaces and dashes (``h100-sxm``)."""
    if name in CATALOGUE:
        return CATALOGUE[name]
    key = name.lower().replace(" ", "").replace("-", "").replace("_", "")
    if key in _ALIASES:
        return CATALOGUE[_ALIASES[key]]
    raise KeyError(f"unknown GPU {name!r}; known: {', '.join(CATALOGUE)}")


@dataclass(frozen=True, slots=True)
class Hardware:
    """A training set-up: accelerator, count, model FLOPs utilisation, price, precision.

    ``price`` ($/GPU-hour: ``usd_per_gpu_hour``, or the catalogue's illustrative price),
    ``peak_flops`` (the dense peak at ``precision``) and ``flops_per_gpu_hour`` (achieved FLOPs
    per GPU-hour, 3600 × peak × MFU) follow from the inputs; they are worked out once, when the
    set-up is made, because every plan reads them.
    """

    accelerator: Accelerator = CATALOGUE[DEFAULT_GPU]
    n_gpus: int = 1024
    mfu: float = DEFAULT_MFU
    usd_per_gpu_hour: float | None = None  # None: the catalogue's illustrative price
    precision: str = "bf16"
    price: float = field(init=False, repr=False, compare=False)
    peak_flops: float = field(init=False, repr=False, compare=False)
    flops_per_gpu_hour: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.mfu <= 1.0:
            raise ValueError(f"MFU {self.mfu:g} is out of range (expected 0 < MFU <= 1)")
        if self.n_gpus < 1:
            raise ValueError(f"GPU count {self.n_gpus} is out of range (expected >= 1)")
        if self.usd_per_gpu_hour is not None and not 0.0 <= self.usd_per_gpu_hour < 1e6:
            raise ValueError(f"price {self.usd_per_gpu_hour:g} $/GPU-hour is out of range")
        a = self.accelerator
        if self.precision == "fp8" and a.fp8_flops is None:
            raise ValueError(f"{a.name} has no FP8 peak in the catalogue")
        peak = a.fp8_flops if self.precision == "fp8" and a.fp8_flops else a.bf16_flops
        s = object.__setattr__
        s(self, "price", a.usd_per_hour if self.usd_per_gpu_hour is None else self.usd_per_gpu_hour)
        s(self, "peak_flops", peak)
        s(self, "flops_per_gpu_hour", SECONDS_PER_HOUR * peak * self.mfu)

    def with_(self, **changes: object) -> Hardware:
        return replace(self, **changes)  # type: ignore[arg-type]


def flops_to_gpu_hours(flops: float, hw: Hardware) -> float:
    return flops / hw.flops_per_gpu_hour


def gpu_hours_to_flops(gpu_hours: float, hw: Hardware) -> float:
    return gpu_hours * hw.flops_per_gpu_hour


def gpu_hours_to_days(gpu_hours: float, hw: Hardware) -> float:
    """Wall-clock days on ``hw.n_gpus`` accelerators (perfect scaling assumed)."""
    return gpu_hours / hw.n_gpus / HOURS_PER_DAY


def days_to_gpu_hours(days: float, hw: Hardware) -> float:
    return days * HOURS_PER_DAY * hw.n_gpus


def gpu_hours_to_usd(gpu_hours: float, hw: Hardware) -> float:
    return gpu_hours * hw.price


def usd_to_gpu_hours(usd: float, hw: Hardware) -> float:
    return usd / hw.price if hw.price > 0 else float("inf")


def budget_to_gpu_hours(kind: str, value: float, hw: Hardware) -> float:
    """GPU-hours of a budget given as ``flops``, ``gpu_hours``, ``usd`` or ``days`` (on ``hw.n_gpus``)."""
    if kind == "flops":
        return flops_to_gpu_hours(value, hw)
    if kind == "gpu_hours":
        return value
    if kind == "usd":
        if not hw.price > 0:
            raise ValueError("a budget in dollars needs a price above $0 per GPU-hour")
        return usd_to_gpu_hours(value, hw)
    if kind == "days":
        return days_to_gpu_hours(value, hw)
    raise ValueError(f"unknown budget kind {kind!r}")


def budget_to_flops(kind: str, value: float, hw: Hardware) -> float:
    """Training FLOPs of a budget in any of the four forms (C = GPU-h × 3600 × peak × MFU)."""
    return value if kind == "flops" else gpu_hours_to_flops(budget_to_gpu_hours(kind, value, hw), hw)


def budgets_of_flops(flops: float, hw: Hardware) -> dict[str, float]:
    """The same budget in all four forms: FLOPs, GPU-hours, dollars and wall-clock days."""
    gh = flops_to_gpu_hours(flops, hw)
    return {"flops": flops, "gpu_hours": gh, "usd": gpu_hours_to_usd(gh, hw), "days": gpu_hours_to_days(gh, hw)}


class ServeTarget(NamedTuple):
    """Where one replica of the model must fit: ``n_gpus`` × ``gpu`` or a plain memory size."""

    memory_bytes: float
    n_gpus: int | None = None
    gpu: str | None = None

    @property
    def label(self) -> str:
        if self.gpu is not None:
            return f"{self.n_gpus}×{self.gpu}"
        return f"{self.memory_bytes / 1024**3:,.1f} GiB"


_MEMORY_UNITS = {"": 1.0, "b": 1.0, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
                 "kib": 1024.0, "mib": 1024.0**2, "gib": 1024.0**3, "tib": 1024.0**4}  # fmt: skip


def parse_serve_target(text: str) -> ServeTarget:
    """``"8xH100 SXM"`` (count × catalogue GPU), ``"H200"`` (one GPU), or a memory size such as
    ``"640e9"``, ``"640 GB"`` or ``"1.5 TiB"``. ``ValueError`` with the reason otherwise."""
    import re

    s = text.strip()
    m = re.fullmatch(r"(?i)\s*([0-9.eE+]+)\s*([kmgt]i?b|b)?\s*", s)
    if m:
        try:
            value = float(m.group(1)) * _MEMORY_UNITS[(m.group(2) or "").lower()]
        except ValueError:
            raise ValueError(f"serving target {text!r} is not a memory size or 'N x GPU'") from None
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"serving memory {text!r} must be a positive size")
        return ServeTarget(memory_bytes=value)
    m = re.fullmatch(r"(?i)\s*(?:(\d+)\s*[x×*]\s*)?(.+?)\s*", s)
    count = int(m.group(1)) if m and m.group(1) else 1
    if not 1 <= count <= 100_000:
        raise ValueError(f"serving target {text!r}: GPU count {count} is out of range (1 to 100,000)")
    try:
        acc = get_accelerator(m.group(2) if m else s)
    except KeyError:
        raise ValueError(f"serving target {text!r} is neither 'N x GPU' (e.g. '8xH100 SXM') nor a memory "
                         "size (e.g. '640GB')") from None  # fmt: skip
    return ServeTarget(memory_bytes=count * acc.memory_bytes, n_gpus=count, gpu=acc.name)
