"""Serving cost: FLOPs per generated token, roofline $/M tokens, serving memory.

Conventions (LAWS.md §5):

* FLOPs per token = 2·N_active + 4·n_layer·L_ctx·d_attn (attention against ``context``
  cached tokens; Kaplan Table 1 counts one of the two context matmuls, so the exact
  count is twice his "mask" row).
* KV cache bytes per token = 2·n_layer·n_kv·d_head·bytes.
* Roofline decoding (per token, batch ``b``): time = max(FLOPs/(peak·u_c),
  (W/b + KV·L)/(BW·u_m)), W = N_active·bytes (weights read once per step and shared by the
  batch). The larger term says which resource binds.
* Serving memory = N_total·bytes + KV cache for ``batch`` sequences of ``context`` tokens.

The architecture is not part of a scaling law. :func:`inference_cost` (N only) takes its shape
from :func:`planner.costs.proposal.propose`, the planner's one shape rule (integer layers, widths
in multiples of 128, 8 KV heads of 128 dims: a 69B model gets Llama-2-70B's 80 × 8192 and its
327,680 KV bytes per token in BF16). :func:`serving_from_shape` serves a known
:class:`~planner.costs.architecture.Architecture` (GQA, head size, layers, MLA, MoE) at a weight
precision (``bf16``, ``fp8``, ``int4``; ``--serve-precision``) and says how many GPUs one replica
needs. Expected routed experts read per decode step with b tokens each picking k of E
(uniform routing assumed): E·(1 − (1 − k/E)^b) per MoE layer, so weight reads go from the active
parameters at batch 1 towards all of them at large batches (LAWS.md §4.5).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

from planner.costs.architecture import Architecture
from planner.costs.hardware import BYTES_PER_PARAM, Hardware
from planner.costs.proposal import RULE_TEXT, describe

ASPECT_RATIO = 128.0
KV_DIM_DEFAULT = 8 * 128
DEFAULT_CONTEXT = 4096
DEFAULT_DECODE_BATCH = 64
DEFAULT_BANDWIDTH_UTIL = 0.8


class Shape(NamedTuple):
    n_layer: float
    d_model: float
    kv_dim: float


SHAPE_RULE_TEXT = "the planner's shape rule (planner.costs.proposal): " + RULE_TEXT


def shape_for_params(n_params: float, aspect_ratio: float | None = None) -> Shape:
    """The shape serving assumes for a model of ``n_params`` total parameters.

    Default: the proposal of :func:`planner.costs.proposal.propose` (integer layers and widths,
    within 1% of N). ``aspect_ratio`` gives the former continuous rule instead: N = 12·n_layer·d²
    with d = aspect·n_layer and KV width min(1024, d).
    """
    if aspect_ratio is not None:
        d = (aspect_ratio * n_params / 12.0) ** (1.0 / 3.0)
        return Shape(n_layer=d / aspect_ratio, d_model=d, kv_dim=min(KV_DIM_DEFAULT, d))
    return _proposed_shape(float(f"{n_params:.4e}"))


@lru_cache(maxsize=4096)
def _proposed_shape(n_params: float) -> Shape:
    """The proposal for N given to 5 significant figures (cached: repeated plans cost a lookup)."""
    a = describe(n_params, "total").architecture
    return Shape(n_layer=float(a.n_layers), d_model=float(a.n_heads * a.head_dim),
                 kv_dim=float(a.n_kv_heads * a.head_dim))  # fmt: skip


def kv_bytes_per_token(n_active: float, precision: str = "bf16") -> float:
    """KV-cache bytes per cached token, 2·n_layer·n_kv·d_head·bytes, at the stated shape rule."""
    shape = shape_for_params(n_active)
    return 2.0 * shape.n_layer * shape.kv_dim * BYTES_PER_PARAM[precision]


def serving_memory_bytes(n_active: float, n_total: float, context: int, batch: int, precision: str = "bf16") -> float:
    """One replica's memory: N_total·bytes + KV cache for ``batch`` sequences of ``context`` tokens."""
    return n_total * BYTES_PER_PARAM[precision] + kv_bytes_per_token(n_active, precision) * context * batch


class InferenceCost(NamedTuple):
    flops_per_token: float
    usd_per_million_tokens: float
    usd_per_million_compute_bound: float
    usd_per_million_bandwidth_bound: float
    bound: str  # "compute" or "bandwidth"
    serving_memory_bytes: float
    weight_bytes: float
    kv_bytes_per_token: float
    context: int
    batch: int
    gpus_to_hold: int


def inference_cost(
    n_active: float,
    hw: Hardware,
    *,
    n_total: float | None = None,
    context: int = DEFAULT_CONTEXT,
    batch: int = DEFAULT_DECODE_BATCH,
    precision: str = "bf16",
    bandwidth_util: float = DEFAULT_BANDWIDTH_UTIL,
) -> InferenceCost:
    """Serving cost of a model with ``n_active`` parameters used per token.

    ``n_total`` (default ``n_active``) sets the weights held in memory (MoE). Compute
    utilisation while serving is taken as the training MFU of ``hw``.
    """
    n_total = n_active if n_total is None else n_total
    bpp = BYTES_PER_PARAM[precision]
    shape = shape_for_params(n_active)
    flops = 2.0 * n_active + 4.0 * shape.n_layer * context * shape.d_model
    kv_per_token = 2.0 * shape.n_layer * shape.kv_dim * bpp
    weight_bytes = n_active * bpp
    acc = hw.accelerator
    t_compute = flops / (hw.peak_flops * hw.mfu)
    t_memory = (weight_bytes / batch + kv_per_token * context) / (acc.bandwidth_bytes * bandwidth_util)
    usd_per_s = hw.price / 3600.0
    serving_memory = n_total * bpp + kv_per_token * context * batch  # = serving_memory_bytes(...)
    return InferenceCost(
        flops_per_token=flops,
        usd_per_million_tokens=max(t_compute, t_memory) * usd_per_s * 1e6,
        usd_per_million_compute_bound=t_compute * usd_per_s * 1e6,
        usd_per_million_bandwidth_bound=t_memory * usd_per_s * 1e6,
        bound="compute" if t_compute >= t_memory else "bandwidth",
        serving_memory_bytes=serving_memory,
        weight_bytes=n_total * bpp,
        kv_bytes_per_token=kv_per_token,
        context=context,
        batch=batch,
        gpus_to_hold=max(1, -(-int(serving_memory) // int(acc.memory_bytes))),
    )


USABLE_FRACTION = 0.9  # as planner.costs.memory: allocator, CUDA context and buffers (planner assumption)


class ShapeServing(NamedTuple):
    """Serving one replica of a known shape: memory, KV cache, GPUs to hold it, roofline cost."""

    precision: str
    kv_precision: str
    context: int
    batch: int
    weight_bytes: float  # all parameters at the serving precision
    kv_bytes_per_token: float
    kv_cache_bytes: float  # kv_bytes_per_token · context · batch
    serving_memory_bytes: float  # weights + KV cache
    gpus_to_hold: int  # fewest GPUs of this type that hold one replica (usable memory)
    flops_per_token: float
    weight_bytes_per_step: float  # weights read per decode step (MoE: experts touched)
    usd_per_million_tokens: float
    bound: str
    gpu: str

    def to_dict(self) -> dict[str, object]:
        return self._asdict()


def serving_from_shape(
    arch: Architecture, hw: Hardware, *, context: int = DEFAULT_CONTEXT, batch: int = DEFAULT_DECODE_BATCH,
    precision: str = "bf16", kv_precision: str = "bf16", bandwidth_util: float = DEFAULT_BANDWIDTH_UTIL,
    usable_fraction: float = USABLE_FRACTION,
) -> ShapeServing:  # fmt: skip
    """Serving memory, KV cache and cost of ``arch`` (see the module docstring).

    KV bytes per token = 2·n_layer·n_kv·d_head·bytes (MLA: n_layer·(kv_lora_rank + rope)·bytes);
    serving memory = N_total·bytes + KV·context·batch; GPUs = ceil(memory / (usable·GPU memory));
    per-token time = max(FLOPs/(peak·MFU), (W_step/b + KV·context)/(BW·u)).
    """
    bpp, kvb = BYTES_PER_PARAM.get(precision), BYTES_PER_PARAM.get(kv_precision)
    if bpp is None or kvb is None:
        bad = precision if bpp is None else kv_precision
        raise ValueError(f"unknown precision {bad!r} (expected one of {', '.join(BYTES_PER_PARAM)})")
    if context < 1 or batch < 1:
        raise ValueError(f"context {context} and batch {batch} must be at least 1")
    # arch.kv_bytes_per_token(kvb) and arch.inference_flops_per_token(context), written out (every plan)
    L, d, nh, nkv, hd, _, V, _, _, _, n_exp = arch[:11]
    kv_lora = arch.kv_lora_rank
    if kv_lora:  # MLA caches the latent and the rope key
        kv = L * (kv_lora + arch.qk_rope_head_dim) * kvb
        qk_v = arch.qk_nope_head_dim + arch.qk_rope_head_dim + arch.v_head_dim
    else:
        kv = 2.0 * L * nkv * hd * kvb
        qk_v = hd + hd
    total, active, emb = arch.param_counts()
    weights = total * bpp
    kv_cache = kv * context * batch
    memory = weights + kv_cache
    acc = hw.accelerator
    # 2·(N_active,non-emb + V·d) + QKᵀ and AV against the context
    flops = 2.0 * (active - emb + V * d) + 2.0 * L * context * nh * qk_v
    touched = float(total)
    if n_exp and arch.n_moe_layers:  # (an MoE whose layers are all dense reads all its weights)
        per_expert = arch.expert_params() / (arch.n_moe_layers * arch.n_experts)
        e, k = arch.n_experts, arch.experts_per_token
        expected = e * (1.0 - (1.0 - k / e) ** batch)
        touched = total - arch.expert_params() + arch.n_moe_layers * expected * per_expert
    w_step = touched * bpp
    t_compute = flops / (hw.peak_flops * hw.mfu)
    t_memory = (w_step / batch + kv * context) / (acc.bandwidth_bytes * bandwidth_util)
    usable = acc.memory_bytes * usable_fraction
    return _new_tuple(ShapeServing, (
        precision, kv_precision, context, batch, weights, kv, kv_cache, memory, max(1, math.ceil(memory / usable)),
        flops, w_step, max(t_compute, t_memory) * hw.price / 3600.0 * 1e6,
        "compute" if t_compute >= t_memory else "bandwidth", acc.name,
    ))  # fmt: skip


_new_tuple = tuple.__new__

