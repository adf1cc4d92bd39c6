"""Training memory per GPU, the fewest GPUs that hold a run, and one parallel layout.

:func:`training_plan` ``(arch, hardware, *, n_gpus, seq_len, micro_batch, optimizer, zero_stage,
recompute) -> TrainingMemory`` is what a plan calls; :meth:`TrainingMemory.to_dict` gives the JSON
``training_memory`` object (``bytes_per_gpu``, ``min_gpus``, ``layout`` and the breakdown).

Model states (Rajbhandari et al. 2020, "ZeRO", arXiv 1910.02054, §3.1 and Table 1): mixed
precision with AdamW keeps 2Ψ bytes of 16-bit weights, 2Ψ of 16-bit gradients and KΨ of optimizer
state, K = 12 (FP32 master weights, momentum and variance): **16 bytes per parameter**. With 8-bit
optimizer states (Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization", arXiv
2110.02861) momentum and variance take 1 byte each: K = 6, 10 bytes per parameter. ZeRO stage 1
shards the optimizer state over the N_d data-parallel replicas, stage 2 also the gradients, stage
3 (= FSDP full sharding) also the weights: per GPU (2 + 2 + K)Ψ, (2 + 2 + K/N_d)Ψ,
(2 + (2 + K)/N_d)Ψ, (2 + 2 + K)Ψ/N_d (Table 1). Tensor (t) and pipeline (p) parallelism split Ψ
first; expert parallelism (e) splits the routed experts, whose data-parallel group is N_d/e.

Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer
Models", arXiv 2205.05198, Table 2; 16-bit activations, tensor + sequence parallel over t), per
layer and micro-batch of b sequences of s tokens, width h, a heads:

* no recomputation: s·b·h·(34 + 5·a·s/h)/t bytes;
* selective recomputation (attention scores recomputed): 34·s·b·h/t;
* full recomputation (only each layer's input kept): 2·s·b·h/t, plus one layer's full set while it
  is recomputed.

Under a 1F1B pipeline schedule the first stage holds p micro-batches of L/p layers, i.e. all L
layers' worth (Korthikanti §4.2). The FP32 logits for the loss add 4·s·b·V/t bytes (planner
accounting). The formula was derived for GPT blocks (4h MLP, one KV head per query head); for
SwiGLU/GQA/MoE shapes it is an approximation, labelled as such.

Usable memory: 90% of the accelerator's (allocator fragmentation, CUDA context and communication
buffers; a planner assumption, not a published figure). Layouts keep tensor parallelism within a
node of 8 GPUs (t ∈ {1, 2, 4, 8}, dividing the head count), use pipeline depths that divide the
layer count (even stages, as Megatron-LM requires; uneven splits such as Llama 3 405B's are not
modelled), and fill the rest with data parallelism; among layouts that fit, the chosen one uses
the most of the GPUs given, then the least model parallelism t·p, then the shallowest pipeline
(Narayanan et al. 2021, arXiv 2104.04473, §3.3: tensor parallelism up to the node size, then
pipeline parallelism).

The fewest GPUs: dense, per t and depth p in closed form (:func:`_min_gpus`); MoE, the least
t·p·dp over fitting layouts, per divisor of the expert count in closed form (memory is not
monotone in the GPU count there, so no bisection; :func:`_min_gpus_moe`).

Speed: :func:`training_plan` runs on every plan. A dense model goes through :func:`_dense_plan`,
the same search written out flat (no model object, no calls per candidate); MoE shapes and the
tests use the model-object path (:class:`_Model`, :func:`_min_gpus`, :func:`_choose`,
:func:`_least_layout`), and tests/core/test_memory.py checks that both give every field alike.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from planner.costs.architecture import DEFAULT_SEQ_LEN, Architecture
from planner.costs.hardware import Accelerator, Hardware

Optimizer = Literal["adamw", "adamw8bit"]
Recompute = Literal["auto", "none", "selective", "full"]
#: bytes per parameter: (16-bit weights, 16-bit gradients, optimizer state K)
OPTIMIZERS: dict[str, tuple[float, float, float]] = {"adamw": (2.0, 2.0, 12.0), "adamw8bit": (2.0, 2.0, 6.0)}
RECOMPUTE = ("none", "selective", "full")
USABLE_FRACTION = 0.9
GPUS_PER_NODE = 8
TP_CHOICES = (1, 2, 4, 8)
_TPS = tuple(tuple(t for t in TP_CHOICES if r % t == 0) for r in range(GPUS_PER_NODE))  # by heads mod 8
DEFAULT_ZERO_STAGE = 1
ACTIVATION_NOTE = ("Activation memory: Korthikanti et al. 2022 (arXiv 2205.05198) Table 2, derived for GPT blocks; "
                   "approximate for SwiGLU, grouped-query and MoE layers.")  # fmt: skip
DEFAULT_RECOMPUTE: Recompute = "selective"


class Layout(NamedTuple):
    """Tensor × pipeline × data parallel degrees (expert parallel within data parallel)."""

    tp: int
    pp: int
    dp: int
    ep: int = 1

    @property
    def gpus(self) -> int:
        return self.tp * self.pp * self.dp

    def text(self) -> str:
        ep = f" (EP {self.ep})" if self.ep > 1 else ""
        return f"TP {self.tp} × PP {self.pp} × DP {self.dp:,}{ep}"

    def to_dict(self) -> dict[str, int]:
        return {"tp": self.tp, "pp": self.pp, "dp": self.dp, "ep": self.ep, "gpus": self.gpus}


class TrainingMemory(NamedTuple):
    """Per-GPU memory of one layout on ``n_gpus`` GPUs, and the fewest GPUs that hold the run."""

    bytes_per_gpu: float
    min_gpus: int | None  # None: no layout holds the run at any count with these settings
    layout: Layout | None  # the chosen layout on n_gpus (None when nothing fits)
    min_layout: Layout | None
    n_gpus: int
    gpu: str
    gpu_memory_bytes: float
    usable_bytes: float
    fits: bool
    shortfall_bytes: float  # bytes_per_gpu − usable_bytes when it does not fit, else 0
    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float
    bytes_per_param: float
    model_state_bytes: float  # all model states, unsharded: bytes_per_param·Ψ
    optimizer: str
    zero_stage: int
    recompute: str
    micro_batch: int
    seq_len: int
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = self._asdict()
        d["layout"] = self.layout.to_dict() if self.layout else None
        d["min_layout"] = self.min_layout.to_dict() if self.min_layout else None
        d["layout_text"] = self.layout.text() if self.layout else None
        d["warnings"] = list(self.warnings)
        return d


def model_state_bytes(n_params: float, optimizer: str = "adamw", zero_stage: int = 0, dp: int = 1) -> float:
    """Model-state bytes per GPU of ZeRO Table 1: (2 + 2 + K)Ψ, (4 + K/N_d)Ψ, (2 + (2 + K)/N_d)Ψ, (4 + K)Ψ/N_d.

    Parameters
    ----------
    n_params : float
        Ψ, parameters held by the data-parallel group (after tensor/pipeline splits), count.
    optimizer : {"adamw", "adamw8bit"}
        K = 12 or 6 bytes of optimizer state per parameter.
    zero_stage : {0, 1, 2, 3}
    dp : int
        N_d, data-parallel degree.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r} (expected one of {', '.join(OPTIMIZERS)})")
    w, g, k = OPTIMIZERS[optimizer]
    shard = (1.0 / dp if zero_stage >= 3 else 1.0, 1.0 / dp if zero_stage >= 2 else 1.0,
             1.0 / dp if zero_stage >= 1 else 1.0)  # fmt: skip
    return n_params * (w * shard[0] + g * shard[1] + k * shard[2])


def activation_bytes_per_layer(seq_len: float, micro_batch: float, d_model: float, n_heads: float,
                               recompute: str = DEFAULT_RECOMPUTE, tp: int = 1) -> float:  # fmt: skip
    """Korthikanti et al. 2022 Table 2 (bytes, one layer, one micro-batch, sequence parallel over tp).

    none: s·b·h·(34 + 5·a·s/h)/t; selective: 34·s·b·h/t; full: 2·s·b·h/t.
    """
    sbh = seq_len * micro_batch * d_model
    if recompute == "none":
        return sbh * (34.0 + 5.0 * n_heads * seq_len / d_model) / tp
    if recompute == "selective":
        return 34.0 * sbh / tp
    if recompute == "full":
        return 2.0 * sbh / tp
    raise ValueError(f"unknown recomputation {recompute!r} (expected one of {', '.join(RECOMPUTE)})")


def _stage_activations(L: int, s: float, b: float, d: float, heads: float, V: float, recompute: str) -> float:
    """Activation bytes of a 1F1B first stage at t = 1 and p = L (all L layers' worth, one being
    recomputed under full recomputation) plus the FP32 logits: what t and p then divide."""
    per = activation_bytes_per_layer(s, b, d, heads, recompute)
    extra = activation_bytes_per_layer(s, b, d, heads, "none") if recompute == "full" else 0.0
    return L * per + extra + 4.0 * s * b * V


def _activations(arch: Architecture, s: float, b: float, recompute: str, tp: int, pp: int) -> float:
    L = arch.n_layers
    per = activation_bytes_per_layer(s, b, arch.d_model, arch.n_heads, recompute, tp)
    act = math.ceil(L / pp) * pp * per  # 1F1B: the first stage holds p micro-batches of ceil(L/p) layers
    if recompute == "full":
        act += activation_bytes_per_layer(s, b, arch.d_model, arch.n_heads, "none", tp)
    return act + 4.0 * s * b * arch.vocab_size / tp


class _Model:
    """Precomputed constants of one (architecture, settings) pair: memory of any layout is cheap."""

    __slots__ = ("E", "L", "X", "Y", "act", "bw", "c_keep", "c_shard", "divs", "exp", "heads", "k", "non_exp",
                 "psi", "tps", "z")

    def __init__(self, arch: Architecture, s: float, b: float, optimizer: str, zero: int, recompute: str) -> None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r} (expected one of {', '.join(OPTIMIZERS)})")
        if zero not in (0, 1, 2, 3):
            raise ValueError(f"ZeRO stage {zero!r} must be 0, 1, 2 or 3")
        self.bw = w, g, o = OPTIMIZERS[optimizer]
        self.z = zero
        L, d, heads, V, E = arch.n_layers, arch.d_model, arch.n_heads, arch.vocab_size, arch.n_experts
        self.exp = exp = float(arch.expert_params()) if E else 0.0
        self.psi = psi = float(arch.params_total)
        self.non_exp = psi - exp
        self.L, self.E, self.heads = L, E, heads
        self.divs = _divisors(L)
        self.tps = _TPS[heads % GPUS_PER_NODE]
        base = _stage_activations(L, s, b, d, heads, V, recompute)
        self.act = (0.0, base, base / 2, 0.0, base / 4, 0.0, 0.0, 0.0, base / 8)  # indexed by t
        self.k = (arch, s, b, recompute)
        self.c_keep = c_keep = (w + g + o) if zero == 0 else (w + g if zero == 1 else (w if zero == 2 else 0.0))
        self.c_shard = c_shard = w + g + o - c_keep
        self.X, self.Y = psi * c_shard, psi * c_keep  # sharded over DP / kept per replica

    def states(self, tp: int, pp: int, dp: int, ep: int) -> tuple[float, float, float]:
        """(weights, gradients, optimizer) bytes per GPU."""
        w, g, o = self.bw
        z = self.z
        x = self.non_exp / (tp * pp)  # the dense part, sharded over the dp replicas
        wb = w * x / (dp if z >= 3 else 1)
        gb = g * x / (dp if z >= 2 else 1)
        ob = o * x / (dp if z >= 1 else 1)
        if self.exp:  # routed experts: split ep ways, sharded over the dp/ep replicas of each
            x = self.exp / (tp * pp * ep)
            grp = max(dp // ep, 1)
            wb += w * x / (grp if z >= 3 else 1)
            gb += g * x / (grp if z >= 2 else 1)
            ob += o * x / (grp if z >= 1 else 1)
        return wb, gb, ob

    def act_bytes(self, tp: int, pp: int) -> float:
        if pp == 1 or self.L % pp == 0:
            return self.act[tp]
        arch, s, b, rc = self.k
        return _activations(arch, s, b, rc, tp, pp)

    def total(self, tp: int, pp: int, dp: int, ep: int) -> float:
        if not self.exp:
            return self.psi / (tp * pp) * (self.c_keep + self.c_shard / dp) + self.act_bytes(tp, pp)
        w, g, o = self.states(tp, pp, dp, ep)
        return w + g + o + self.act_bytes(tp, pp)

    def ep_for(self, dp: int) -> int:
        return math.gcd(dp, self.E) if self.E else 1


@lru_cache(maxsize=16384)  # every layer count a plan meets (a sweep over budgets visits hundreds)
def _divisors(n: int) -> tuple[int, ...]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


def _tps(m: _Model, limit: int) -> tuple[int, ...]:
    return m.tps if limit >= GPUS_PER_NODE else tuple(t for t in m.tps if t <= limit)


def _choose(m: _Model, n: int, usable: float) -> tuple[Layout | None, float]:
    """The layout for exactly ``n`` GPUs (some idle if no exact one fits): see the module docstring.

    Pipeline depths divide the layer count (even stages). Dense: per t, the smallest p with
    Y/(t·p) + X/(t·q) <= r (q = n/t, r = usable − A/t) in closed form, then the first depth from
    there that also divides q. MoE: depths scanned (EP changes the bound).
    """
    best = best_key = None
    best_mem = math.inf
    dense = not m.exp
    psi, c_keep, c_shard, X, Y, divs = m.psi, m.c_keep, m.c_shard, m.X, m.Y, m.divs
    keep_all = c_keep * (m.non_exp + m.exp / m.E) if m.E else 0.0  # MoE bound: kept states at ep = E
    cap = usable * (1.0 + 1e-12)
    for tp in _tps(m, min(GPUS_PER_NODE, n)):
        act = m.act[tp]
        r = usable - act
        q = n // tp
        if r <= 0 or q < 1:
            continue
        if dense:
            room = r - X / (tp * q)
            if room <= 0:
                continue
            pp0 = max(1, math.ceil(Y / (tp * room) - 1e-9)) if Y else 1
        else:
            pp0 = 1
        if pp0 > q or (best_key is not None and (0, tp * pp0, pp0) > best_key):
            continue
        found = None
        even = n % tp == 0
        for pp in divs:
            if pp < pp0:
                continue
            if pp > q:
                break
            dp = q // pp
            if dense:
                ep = 1
                mem = psi / (tp * pp) * (c_keep + c_shard / dp) + act
            else:
                if act + (keep_all + c_shard * psi / dp) / (tp * pp) > cap:
                    continue  # not even with ep = E (memory is at least this bound): cannot fit
                ep = m.ep_for(dp)
                mem = m.total(tp, pp, dp, ep)
            if mem > usable:
                continue
            if even and q % pp == 0:
                found = (0, pp, dp, ep, mem)
                break
            if found is None:
                found = (1, pp, dp, ep, mem)
        if found is not None:
            key = (found[0], tp * found[1], found[1])
            if best_key is None or key < best_key:
                best, best_key, best_mem = (tp, found[1], found[2], found[3]), key, found[4]
    return (Layout(*best) if best else None), best_mem


def lowest_bytes_per_gpu(m_or_arch: Any, n: int, **kw: Any) -> float:
    """Least per-GPU bytes of any layout using at most ``n`` GPUs (never rises with ``n``)."""
    m = m_or_arch if isinstance(m_or_arch, _Model) else _model(m_or_arch, **kw)
    low = math.inf
    for tp in _tps(m, min(GPUS_PER_NODE, n)):
        for pp in m.divs:
            if pp > n // tp:
                break
            dp = n // (tp * pp)
            low = min(low, m.total(tp, pp, dp, m.ep_for(dp)))
    return low


def _model(arch: Architecture, seq_len: float = DEFAULT_SEQ_LEN, micro_batch: int = 1, optimizer: str = "adamw",
           zero_stage: int = DEFAULT_ZERO_STAGE, recompute: str = DEFAULT_RECOMPUTE) -> _Model:  # fmt: skip
    return _Model(arch, float(seq_len), float(micro_batch), optimizer, zero_stage, recompute)


def _min_gpus(m: _Model, usable: float) -> tuple[int | None, Layout | None]:
    """Fewest GPUs that hold the run.

    Dense, per t and pipeline depth p (a divisor of L): Y/(t·p) + X/(t·p·dp) <= r, r = usable − A/t,
    gives dp = ceil(X/(t·p·r − Y)); p·dp >= (X + Y)/(t·r) for every p, so depths beyond the first one
    with dp = 1 need more GPUs and the scan stops there. MoE: :func:`_min_gpus_moe`.
    """
    if m.exp:
        return _min_gpus_moe(m, usable)
    best_n, best = None, None
    X, Y = m.X, m.Y
    for tp in m.tps:
        r = usable - m.act[tp]
        if r <= 0:
            continue
        if best_n is not None and tp * math.ceil((X + Y) / (tp * r) - 1e-9) > best_n:
            continue  # p·dp >= (X + Y)/(t·r): this t cannot beat the best count found
        for pp in m.divs:
            denom = tp * pp * r - Y
            if denom <= 0:
                continue
            dp = max(1, math.ceil(X / denom - 1e-9)) if X > 0 else 1
            n = tp * pp * dp
            if best_n is None or n < best_n or (n == best_n and (tp * pp, pp) < (best[0] * best[1], best[1])):
                best_n, best = n, (tp, pp, dp)
            if dp == 1:
                break
    return best_n, (Layout(*best, 1) if best else None)


MAX_GPUS = 1 << 24  # fewest-GPU counts above this are reported as none (no count holds the run)


def _min_gpus_moe(m: _Model, usable: float) -> tuple[int | None, Layout | None]:
    """Fewest GPUs of an MoE, exactly: the least t·p·dp over the layouts that fit.

    A count n holds the run when some t, p, dp = (n/t)/p fits, so the fewest GPUs is the least
    t·p·dp over fitting (t, p, dp), idle GPUs never helping. With ep = gcd(dp, E) (ZeRO Table 1
    per part, as :meth:`_Model.states`), memory on t × p × dp is
    A/t + C0 + C1/dp + C2/gcd(dp, E), with C0 = c_keep·Ψ_dense/(t·p), C1 = c_shard·Ψ/(t·p) and
    C2 = c_keep·Ψ_experts/(t·p). It is not monotone in dp (a dp sharing no factor with E gets no
    expert parallelism), so no bisection: for each divisor e of E the smallest multiple of e with
    C1/dp + C2/e <= usable − A/t − C0 fits (its gcd with E is at least e), and the least of those
    over e is the fewest dp for (t, p); candidates are confirmed, smallest first, with the memory
    the layout search computes. Pairs (t, p) go in order of the bound t·p·dp >= C1·t·p/(usable −
    A/t − C0) and stop once it reaches the best count. The layout reported is the one
    :func:`_choose` picks on that count.
    """
    E, psi, exp, non_exp, c_keep, c_shard = m.E, m.psi, m.exp, m.non_exp, m.c_keep, m.c_shard
    eps = _divisors(E)
    pairs = []
    for tp in m.tps:
        act = m.act[tp]  # (depths divide L)
        for pp in m.divs:
            M = tp * pp
            r0 = usable - act - c_keep * non_exp / M  # room left for C1/dp + C2/e
            r_all = r0 - c_keep * exp / (M * E)  # ... at ep = E, the most there can be
            if r_all > 0.0:
                dp_low = c_shard * psi / (M * r_all) * (1.0 - 1e-9)
                pairs.append((M * (math.ceil(dp_low) if dp_low > 1.0 else 1), M, tp, pp, r0))
    pairs.sort()
    best_n = None
    for bound, M, tp, pp, r0 in pairs:
        if best_n is not None and bound >= best_n:
            break  # this pair and every later one need at least the best count
        cands = []
        for e in eps:
            re = r0 - c_keep * exp / (M * e)
            if re <= 0.0:
                continue
            x = c_shard * psi / (M * e * re)  # dp/e at the bound
            j = math.ceil(x) if x > 1.0 else 1
            cands.append(j * e)
            if j > 1 and j - x > 1.0 - 1e-9:  # (rounding) the multiple below is within a hair
                cands.append((j - 1) * e)
        for dp in sorted(cands):
            if best_n is not None and M * dp >= best_n:
                break
            if m.total(tp, pp, dp, math.gcd(dp, E)) <= usable:
                best_n = M * dp
                break
    if best_n is None or best_n > MAX_GPUS:
        return None, None
    return best_n, _choose(m, best_n, usable)[0]


def training_plan(
    arch: Architecture, hardware: Hardware | Accelerator, *, n_gpus: int | None = None,
    seq_len: int = DEFAULT_SEQ_LEN, micro_batch: int = 1, optimizer: str = "adamw",
    zero_stage: int = DEFAULT_ZERO_STAGE, recompute: str = "auto",
    usable_fraction: float = USABLE_FRACTION,
) -> TrainingMemory:  # fmt: skip
    """Memory per GPU, fewest GPUs and a layout for training ``arch`` (see the module docstring).

    Parameters
    ----------
    arch : Architecture
        The shape (:func:`planner.costs.proposal.describe`).
    hardware : Hardware or Accelerator
        The GPU type (and, for a :class:`Hardware`, the GPU count used when ``n_gpus`` is None).
    n_gpus : int, optional
        GPUs the run will use.
    seq_len, micro_batch : int
        Training sequence length (tokens) and sequences per micro-batch.
    optimizer : {"adamw", "adamw8bit"}
        16 or 10 bytes of model state per parameter (ZeRO Table 1; Dettmers et al. 2022).
    zero_stage : {0, 1, 2, 3}
        ZeRO stage (3 = FSDP full sharding). Default 1 (Megatron's distributed optimizer).
    recompute : {"auto", "none", "selective", "full"}
        Activation recomputation (Korthikanti et al. 2022); ``auto``: selective, or full when the
        activations would not fit one GPU otherwise (said in a warning).

    Returns
    -------
    TrainingMemory
        ``bytes_per_gpu`` of the chosen layout (or, when nothing fits, of the least-memory one),
        ``min_gpus``, ``layout`` and a warning with the shortfall when ``n_gpus`` cannot hold it.
    """
    acc = hardware.accelerator if isinstance(hardware, Hardware) else hardware
    n = int(n_gpus if n_gpus is not None else (hardware.n_gpus if isinstance(hardware, Hardware) else 1))
    if n < 1:
        raise ValueError(f"GPU count {n} must be at least 1")
    if micro_batch < 1 or seq_len < 1:
        raise ValueError(f"micro-batch {micro_batch} and sequence length {seq_len} must be at least 1")
    if not 0.0 < usable_fraction <= 1.0:
        raise ValueError(f"usable fraction {usable_fraction!r} must be in (0, 1]")
    usable = acc.memory_bytes * usable_fraction
    if not arch.n_experts:
        return _dense_plan(arch, acc, n, usable, seq_len, micro_batch, optimizer, zero_stage, recompute)
    return _general_plan(arch, acc, n, usable, seq_len, micro_batch, optimizer, zero_stage, recompute)


def _general_plan(arch: Architecture, acc: Accelerator, n: int, usable: float, seq_len: int, micro_batch: int,
                  optimizer: str, zero_stage: int, recompute: str) -> TrainingMemory:  # fmt: skip
    """:func:`training_plan` through the model object: any shape (MoE); the reference for dense ones."""
    warnings: list[str] = []
    auto = recompute == "auto"
    if auto:
        recompute = DEFAULT_RECOMPUTE
    m = _Model(arch, float(seq_len), float(micro_batch), optimizer, zero_stage, recompute)
    min_n, min_layout, layout, _ = _layouts(m, n, usable)
    if auto and min_n is None:  # selective recomputation cannot hold it anywhere: recompute everything
        recompute = "full"
        m = _Model(arch, float(seq_len), float(micro_batch), optimizer, zero_stage, recompute)
        min_n, min_layout, layout, _ = _layouts(m, n, usable)
        warnings.append(FULL_RECOMPUTE_WARNING)
    least = None
    if layout is None:  # report the least-memory layout on n GPUs and the shortfall
        least = _least_layout(m, n)
        warnings.append(_shortfall(m.total(*least), n, usable, acc, min_n, min_layout))
    elif layout.gpus < n:
        warnings.append(f"No layout uses all {n:,} GPUs evenly; {layout.text()} uses {layout.gpus:,}.")
    tp, pp, dp, ep = layout or least  # type: ignore[misc]
    w, g, o = m.states(tp, pp, dp, ep)
    a = m.act_bytes(tp, pp)
    total = w + g + o + a
    bpp = sum(m.bw)
    return TrainingMemory(
        total, min_n, layout, min_layout, n, acc.name, acc.memory_bytes, usable, layout is not None,
        max(0.0, total - usable) if layout is None else 0.0, w, g, o, a, bpp, bpp * m.psi, optimizer, zero_stage,
        recompute, micro_batch, seq_len, tuple(warnings),
    )  # fmt: skip


FULL_RECOMPUTE_WARNING = ("Full activation recomputation: with selective recomputation the activations alone "
                          "exceed one GPU's memory at tensor parallel 8.")  # fmt: skip


def _shortfall(mem: float, n: int, usable: float, acc: Accelerator, min_n: int | None,
               min_layout: Layout | None) -> str:  # fmt: skip
    """The warning when ``n`` GPUs cannot hold the run (``mem``: bytes per GPU of the least-memory layout)."""
    gib = 1024.0**3
    short = mem - usable
    more = (f"the smallest count that holds it is {min_n:,} GPUs ({min_layout.text()})" if min_layout
            else "no GPU count holds it with these settings (activations alone exceed one GPU: try full "
                 "recomputation, a smaller micro-batch or ZeRO-3)")  # fmt: skip
    return (f"{n:,} × {acc.name} cannot hold the run: it needs {mem / gib:,.1f} GiB per GPU, "
            f"{usable / gib:,.1f} GiB usable, short by {short / gib:,.1f} GiB; {more}.")  # fmt: skip


_new_tuple = tuple.__new__


def _state_costs(w: float, g: float, o: float, zero: int) -> tuple[float, ...]:
    """``(w, g, o, c_keep, c_shard, bytes per parameter)`` as :class:`_Model` computes them."""
    c_keep = (w + g + o) if zero == 0 else (w + g if zero == 1 else (w if zero == 2 else 0.0))
    return w, g, o, c_keep, w + g + o - c_keep, sum((w, g, o))


_STATE_COSTS = {(opt, z): _state_costs(*OPTIMIZERS[opt], z) for opt in OPTIMIZERS for z in (0, 1, 2, 3)}
_NONE = 1 << 1100  # "no GPU count yet": above t·ceil(x) for any finite float x (int compares stay int)


def _dense_plan(arch: Architecture, acc: Accelerator, n: int, usable: float, seq_len: int, micro_batch: int,
                optimizer: str, zero: int, recompute: str) -> TrainingMemory:  # fmt: skip
    """:func:`training_plan` of a dense model, written out flat because it runs on every plan.

    The same quantities, candidates, order and float arithmetic as the general path
    (:class:`_Model`, :func:`_min_gpus`, :func:`_choose`), without building the model object,
    calls per candidate or None checks: fewest GPUs per t from the first depth with room for
    the kept states until dp = 1; the layout on ``n`` GPUs per t from the closed-form depth p0.
    The tests compare both paths.
    """
    costs = _STATE_COSTS.get((optimizer, zero))
    if costs is None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r} (expected one of {', '.join(OPTIMIZERS)})")
        raise ValueError(f"ZeRO stage {zero!r} must be 0, 1, 2 or 3")
    w, g, o, c_keep, c_shard, bpp = costs
    psi = float(arch.param_counts()[0])  # params_total
    X, Y = psi * c_shard, psi * c_keep  # sharded over DP / kept per replica
    XY = X + Y
    L, d, heads, V = arch[0], arch[1], arch[2], arch[6]
    divs, tps = _divisors(L), _TPS[heads % GPUS_PER_NODE]
    s, b = float(seq_len), float(micro_batch)
    ceil, bisect_left = math.ceil, bisect.bisect_left
    x_pos = X > 0.0
    auto = recompute == "auto"
    for rc in (DEFAULT_RECOMPUTE, "full") if auto else (recompute,):
        base = _stage_activations(L, s, b, d, heads, V, rc)
        if auto and rc == DEFAULT_RECOMPUTE:  # no t with room for the kept states at p = L: straight to full
            # (t·L)·r − Y is the search's largest denominator; it and r grow with t: the largest t decides
            tp = tps[-1]
            r = usable - base / tp
            if not (r > 0.0 and tp * L * r - Y > 0.0):
                continue
        # fewest GPUs so far (_NONE: none yet) and its layout; the layout on n GPUs, ranked by the key
        # (flag, t·p, p) with flag 0 when it uses all n GPUs, 1 when some idle, 2: none yet
        min_n, min_tp, min_pp, min_dp, min_mp = _NONE, 0, 0, 0, 0
        b_flag, b_mp, b_pp, b_tp, b_dp = 2, 0, 0, 0, 0
        for tp in tps:
            if min_n < tp and b_flag == 0 and b_mp < tp:
                break  # this t and larger ones use more GPUs than the fewest and more model parallelism than the best
            act = base / tp
            r = usable - act
            if r <= 0.0:
                continue
            # fewest GPUs with this t (p a divisor of L; p·dp >= (X + Y)/(t·r)); stop at dp = 1
            if not min_tp or tp * ceil(XY / (tp * r) - 1e-9) <= min_n:
                for pp in divs:
                    mp = tp * pp
                    denom = mp * r - Y
                    if denom <= 0.0:
                        continue
                    dp = (ceil(X / denom - 1e-9) or 1) if x_pos else 1
                    k = mp * dp
                    if k < min_n or (k == min_n and (mp < min_mp or (mp == min_mp and pp < min_pp))):
                        min_n, min_tp, min_pp, min_dp, min_mp = k, tp, pp, dp, mp
                    if dp == 1:
                        break
            # the layout on n GPUs with this t: the first depth >= p0 that fits, even (dividing n/t) first
            q = n // tp
            if q < 1:
                continue
            room = r - X / (tp * q)
            if room <= 0.0:
                continue
            pp0 = (ceil(Y / (tp * room) - 1e-9) or 1) if Y else 1
            if pp0 > q or (b_flag == 0 and (tp * pp0 > b_mp or (tp * pp0 == b_mp and pp0 > b_pp))):
                continue  # its key (0, t·p0, p0) or worse cannot beat the best
            even = n % tp == 0
            f_flag = f_pp = f_dp = 2
            for pp in divs[bisect_left(divs, pp0):] if pp0 > 1 else divs:
                if pp > q:
                    break
                dp = q // pp
                mem = psi / (tp * pp) * (c_keep + c_shard / dp) + act
                if mem > usable:
                    continue
                if even and q % pp == 0:
                    f_flag, f_pp, f_dp = 0, pp, dp
                    break
                if f_flag == 2:
                    f_flag, f_pp, f_dp = 1, pp, dp
            if f_flag < 2:
                mp = tp * f_pp
                if f_flag < b_flag or (f_flag == b_flag and (mp < b_mp or (mp == b_mp and f_pp < b_pp))):
                    b_flag, b_mp, b_pp, b_tp, b_dp = f_flag, mp, f_pp, tp, f_dp
        if min_tp:
            break
    warnings = [FULL_RECOMPUTE_WARNING] if auto and rc != DEFAULT_RECOMPUTE else []
    min_gpus = min_n if min_tp else None
    min_layout = _new_tuple(Layout, (min_tp, min_pp, min_dp, 1)) if min_tp else None
    if b_flag == 2:  # nothing fits on n GPUs: the least-memory layout (as _least_layout) and the shortfall
        layout = None
        low, tp, pp, dp = _dense_least(psi, c_keep, c_shard, base, divs, tps, n)
        warnings.append(_shortfall(low, n, usable, acc, min_gpus, min_layout))
    else:
        tp, pp, dp = b_tp, b_pp, b_dp
        layout = _new_tuple(Layout, (tp, pp, dp, 1))
        if tp * pp * dp < n:
            warnings.append(f"No layout uses all {n:,} GPUs evenly; {layout.text()} uses {tp * pp * dp:,}.")
    # Model.states and act_bytes for a dense model (pipeline depths divide L)
    x = psi / (tp * pp)
    wb = w * x / (dp if zero >= 3 else 1)
    gb = g * x / (dp if zero >= 2 else 1)
    ob = o * x / (dp if zero >= 1 else 1)
    a = base / tp
    total = wb + gb + ob + a
    return _new_tuple(TrainingMemory, (
        total, min_gpus, layout, min_layout, n, acc.name, acc.memory_bytes, usable,
        layout is not None, max(0.0, total - usable) if layout is None else 0.0, wb, gb, ob, a, bpp, bpp * psi,
        optimizer, zero, rc, micro_batch, seq_len, tuple(warnings),
    ))  # fmt: skip


def _dense_least(psi: float, c_keep: float, c_shard: float, base: float, divs: tuple[int, ...],
                 tps: tuple[int, ...], n: int) -> tuple[float, int, int, int]:  # fmt: skip
    """``(bytes, t, p, dp)`` of the least-memory dense layout on ``n`` GPUs: :func:`_least_layout`'s choice.

    Memory on t × p is at least Ψ·c_keep/(t·p) + Ψ·c_shard/(t·q) + A/t (q = n // t, dp <= q/p),
    which grows as p shrinks: t's are visited from the largest and each t's depths from the
    deepest down, skipping what that bound puts above the best (with a 1e-12 margin for
    rounding). Ties go to the smaller t and the shallower depth, as :func:`_least_layout`'s
    ascending scan gives them.
    """
    low, best = math.inf, (1, 1, n)
    margin = 1.0 + 1e-12
    for j in range(len(tps) - 1, -1, -1):
        tp = tps[j]
        if tp > n:
            continue
        act = base / tp
        q = n // tp
        floor_shard = psi * c_shard / (tp * q) + act
        i = bisect.bisect_right(divs, q) - 1
        if psi * c_keep / (tp * divs[i]) + floor_shard > low * margin:
            continue  # even its deepest layout needs more than the best
        t_low, t_best = math.inf, best
        for k in range(i, -1, -1):
            pp = divs[k]
            if psi * c_keep / (tp * pp) + floor_shard > t_low * margin:
                break
            dp = q // pp
            mem = psi / (tp * pp) * (c_keep + c_shard / dp) + act
            if mem <= t_low:
                t_low, t_best = mem, (tp, pp, dp)
        if t_low <= low:
            low, best = t_low, t_best
    return (low, *best)  # type: ignore[return-value]


def _layouts(m: _Model, n: int, usable: float) -> tuple[int | None, Layout | None, Layout | None, float]:
    """Fewest GPUs, their layout, the layout on ``n`` GPUs and its bytes per GPU (the general path)."""
    mn, ml = _min_gpus(m, usable)
    lay, mem = _choose(m, n, usable)
    return mn, ml, lay, mem


def _least_layout(m: _Model, n: int) -> Layout:
    """The layout of ``n`` GPUs that needs the least memory per GPU (for the shortfall message)."""
    best, low = (1, 1, n), math.inf
    psi, c_keep, c_shard = m.psi, m.c_keep, m.c_shard
    for tp in _tps(m, min(GPUS_PER_NODE, n)):
        act = m.act[tp]
        q = n // tp
        for pp in m.divs:
            if pp > q:
                break
            dp = q // pp
            mem = m.total(tp, pp, dp, m.ep_for(dp)) if m.exp else psi / (tp * pp) * (c_keep + c_shard / dp) + act
            if mem < low:
                best, low = (tp, pp, dp), mem
    return Layout(*best, m.ep_for(best[2]))


