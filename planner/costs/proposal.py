"""From a law's N to a shape you can launch: the depth/width rule and :func:`describe`.

A scaling law gives N (in its own meaning: total, non-embedding or DeepSeek's FLOPs per token
M, LAWS.md §0.3), not a shape. :func:`propose` finds integer layers, a width that is a multiple
of 128 and an FFN width that is a multiple of 128 whose N matches the law's within 1%, as close as
possible to a stated rule; :func:`describe` is what a plan calls (it also accepts a known shape).

The rule (:class:`ShapeRule`; every part can be fixed by the user)
------------------------------------------------------------------
* **Depth/width.** Width as a function of depth through published Llama shapes (configs in
  ``tests/data/hf_configs``): d = 128·L up to 32 layers (Llama-2-7B, Llama-3-8B: 4096 × 32,
  also GPT-3 6.7B–175B, Brown et al. 2020 Table 2.1); log-linear from (32, 4096) to (80, 8192)
  (Llama-2/3-70B) and on to (126, 16384) (Llama 3.1 405B, Grattafiori et al. 2024, arXiv
  2407.21783, Table 3); d/L = 16384/126 ≈ 130 beyond. The aspect ratio d/L stays within
  102–130; Kaplan et al. 2020 (arXiv 2001.08361, §3.1, Fig. 5) found the loss depends only weakly
  on shape over a much wider range, so the rule follows practice rather than a loss optimum.
* **Heads.** Head size 128 from d = 2048 (every Llama 2/3 model of 7B and more), 64 below;
  grouped-query attention with 8 KV heads as in all Llama 3 sizes (8B, 70B, 405B), or the largest
  divisor of the head count not above 8.
* **FFN.** SwiGLU, width 1.3·(8/3)·d rounded up to a multiple of 1024 (the Llama 3 rule:
  ``ffn_dim_multiplier`` 1.3, ``multiple_of`` 1024 in Meta-Llama-3-8B's params.json; 14,336 at
  d = 4096 and 28,672 at 8192). To meet N within 1% the search moves it in steps of 128 and
  says how far it moved (never beyond ½× to 2×; open models span 2.7·d to 5.3·d). GELU
  (Kaplan's d_ff = 4d) on request.
* **Vocabulary** from the plan (default 32,000), **untied** embeddings.
* **MoE** (:class:`MoESpec`): Ling's activation ratio A = (k + s)/(E + s) and granularity
  G = 2·d/d_expert (Tian et al. 2025, arXiv 2507.17702; LAWS.md §4.1), one shared expert (their
  finding); the FFN knob becomes the active expert width (k + s)·d_expert.

The search: the rule curve gives the depth L0 and width d0 that meet N (a table per rule, cached).
First, the two widths around d0 whose head count allows 8 KV heads, each at the depth that meets N
with the rule's FFN, the FFN width then taking up the rounding (at most 25% off the rule). If none
is within 1%, nearby depths and widths are tried, then every multiple of 128 (the KV-head rule may
then give way). Among candidates within 1% the one nearest the rule wins:
|L/L0 − 1| + |d/d0 − 1| + 2·|d_ff/d_ff,rule − 1| (+0.5 when fewer than 8 KV heads).
Below the smallest sensible shape (2 layers × 256) the mismatch is reported, not hidden.

Speed (:func:`describe` runs on every plan, N changing on every slider step): what depends only
on the rule, the vocabulary, the meaning of N and l_seq (the rule table, the smallest shape, the
rule's constants, each width's head count and FFN) is kept in a context per rule; the first pass,
which decides almost every plan, is written out flat (:func:`_first_pass`) and visits the nearer
width first, skipping candidates whose width or depth term alone loses; the full multi-pass
search (:func:`_search`) runs only when it finds nothing within 1% and for fixed dimensions.
The tests check the flat pass against the full search.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from planner.costs.architecture import DEFAULT_SEQ_LEN, Architecture, FfnKind, Meaning, _keep_counts
from planner.units import fmt_count

TOLERANCE = 0.01
WIDTH_MULTIPLE = 128
FFN_STEP = 128
FFN_RANGE = (0.5, 2.0)  # the FFN may move within this factor of the rule's width to meet N
KV_PENALTY = 0.5  # rank cost of a head count that cannot have the rule's 8 KV heads
KV_PASS_FFN_DEV = 0.25  # the first passes accept an FFN at most 25% off the rule
MIN_LAYERS, MIN_WIDTH = 2, 256
DEFAULT_VOCAB = 32_000
DEEPSEEK_LAW_SEQ = 4096.0  # l_seq of DeepSeek's Table 3 (arXiv 2401.02954), the preset's seq_len
ANCHORS = ((32.0, 4096.0), (80.0, 8192.0), (126.0, 16384.0))
_B1 = math.log(2.0) / math.log(80.0 / 32.0)
_B2 = math.log(2.0) / math.log(126.0 / 80.0)
_TABLE_MAX_LAYERS = 4096
_TABLE_FIRST_LAYERS = 512
RULE_TEXT = (
    "depth/width through Llama shapes (d = 128·L to 32 layers, then (80, 8192), (126, 16384), "
    "d/L = 130 beyond); head size 128 (64 below d = 2048); 8 KV heads; SwiGLU 1.3·(8/3)·d "
    "(Llama 3); widths in multiples of 128; untied embeddings"
)


def rule_width(n_layers: float) -> float:
    """The rule's width d(L), continuous (see the module docstring)."""
    if n_layers <= 32.0:
        return 128.0 * n_layers
    if n_layers <= 80.0:
        return 4096.0 * (n_layers / 32.0) ** _B1
    if n_layers <= 126.0:
        return 8192.0 * (n_layers / 80.0) ** _B2
    return 16384.0 / 126.0 * n_layers


@dataclass(frozen=True, slots=True)
class ShapeRule:
    """The shape rule's knobs (defaults: the module docstring's rule)."""

    ffn_kind: FfnKind = "swiglu"
    ffn_multiplier: float = 1.3
    ffn_multiple: int = 1024
    max_kv_heads: int = 8
    tied_embeddings: bool = False
    small_head_dim: int = 64
    large_head_dim: int = 128
    large_head_from: int = 2048

    def head_dim(self, d_model: float) -> int:
        return self.large_head_dim if d_model >= self.large_head_from else self.small_head_dim

    def d_ff(self, d_model: int) -> int:
        if self.ffn_kind == "gelu":
            return 4 * d_model
        m = self.ffn_multiple
        return m * math.ceil(self.ffn_multiplier * 8.0 / 3.0 * d_model / m - 1e-9)

    @property
    def ffn_ratio(self) -> float:
        return 4.0 if self.ffn_kind == "gelu" else self.ffn_multiplier * 8.0 / 3.0


DEFAULT_RULE = ShapeRule()


@dataclass(frozen=True, slots=True)
class MoESpec:
    """An MoE to shape: Ling's activation ratio A and granularity G, shared experts, dense layers."""

    activation: float
    granularity: float = 2.0
    shared_experts: int = 1
    dense_layers: int = 0


class ArchitecturePlan(NamedTuple):
    """A shape next to the law's N: what the JSON ``architecture`` object and the report show."""

    architecture: Architecture
    law_n: float
    n_meaning: str
    shape_n: float
    mismatch: float  # shape_n / law_n − 1
    seq_len: int
    source: str  # "proposed", "config" or "given"
    rule: str
    search_notes: tuple[str, ...] = ()
    law_seq_len: float = DEEPSEEK_LAW_SEQ
    ffn_rule: int = 0  # the rule's FFN width for this d_model (0: not proposed)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the search did: below the smallest shape, no shape within 1%, FFN moved off the rule."""
        f, fr = self.architecture.d_ff, self.ffn_rule
        if not fr or f == fr or self.architecture.is_moe:
            return self.search_notes
        return (*self.search_notes, f"FFN width {f:,} is {f / fr - 1:+.1%} from the rule's {fr:,} to meet N")

    @property
    def within_tolerance(self) -> bool:
        return abs(self.mismatch) <= TOLERANCE

    def to_dict(self) -> dict[str, Any]:
        d = self.architecture.to_dict(self.seq_len)
        d.update(law_n=self.law_n, n_meaning=self.n_meaning, shape_n=self.shape_n, mismatch=self.mismatch,
                 within_tolerance=self.within_tolerance, source=self.source, rule=self.rule,
                 notes=list(self.notes))  # fmt: skip
        return d


# ---------------------------------------------------------------------------------------------
# fast scalar counts (the Architecture counts for the proposal's own shapes, without building one)


def _kv_heads(n_heads: int, cap: int) -> int:
    if n_heads % cap == 0:
        return cap
    for k in range(min(cap, n_heads), 0, -1):
        if n_heads % k == 0:
            return k
    return 1


def _continuous(L: float, d: float, vocab: int, meaning: str, seq: float, rule: ShapeRule, hd: int | None) -> float:
    """The rule's measure at a continuous (L, d): FFN at its ratio, KV width min(8·h, d)."""
    h = hd or rule.head_dim(d)
    kv = min(rule.max_kv_heads * h, d)
    if rule.ffn_kind == "gelu":
        per_layer = (2.0 + 2.0 * rule.ffn_ratio) * d * d + 2.0 * kv * d + 7.0 * d
    else:
        per_layer = (2.0 + 3.0 * rule.ffn_ratio) * d * d + 2.0 * kv * d + 2.0 * d
    if meaning == "flops_per_token":
        return 6.0 * L * per_layer + 12.0 * L * seq * d
    emb = vocab * d * (1 if rule.tied_embeddings else 2) if meaning == "total" else 0.0
    return L * per_layer + emb


@lru_cache(maxsize=64)
def _rule_table(vocab: int, meaning: str, seq: float, rule: ShapeRule, hd: int | None,
                layers: int = _TABLE_MAX_LAYERS) -> tuple[float, ...]:  # fmt: skip
    """ln of the rule curve's measure at L = 1 … ``layers`` (depends only on the rule: cached)."""
    return tuple(math.log(_continuous(L, rule_width(L), vocab, meaning, seq, rule, hd))
                 for L in range(1, layers + 1))  # fmt: skip


def _locate(ctx: _Ctx, y: float) -> tuple[tuple[float, ...], int]:
    """The rule table and ``bisect_left(table, y)``; a context starts with the first
    :data:`_TABLE_FIRST_LAYERS` layers (every plan short of ~10^13 parameters: the window's
    first plan builds an eighth of the table) and takes the whole table when ``y`` is past them."""
    table = ctx.table
    i = bisect.bisect_left(table, y)
    if i >= len(table) and len(table) < _TABLE_MAX_LAYERS:
        table = ctx.table = _rule_table(ctx.vocab, ctx.meaning, ctx.seq, ctx.rule, ctx.hd)
        i = bisect.bisect_left(table, y)
    return table, i


class _Ctx:
    """What the search needs that depends only on (rule, vocabulary, meaning, l_seq, fixed head size).

    Built once per such combination (:func:`_context`) so that a plan with a new N only pays
    for the search itself: the rule table, the smallest sensible shape and the rule's constants.
    """

    __slots__ = ("a_coef", "bb_big", "bb_small", "big_from", "cap", "emb", "emb_b", "emb_per_width", "extra",
                 "f_mult", "f_ratio", "fps", "hd", "hd_big", "hd_small", "kind", "kv_step_big", "kv_step_small",
                 "kv_width_big", "kv_width_small", "meaning", "rule", "s_n", "seq", "smallest", "step", "swiglu",
                 "table", "tail", "tied", "vocab", "widths")  # fmt: skip

    def __init__(self, vocab: int, meaning: str, seq: float, rule: ShapeRule, hd: int | None) -> None:
        self.rule, self.vocab, self.meaning, self.seq, self.hd = rule, vocab, meaning, seq, hd
        self.table = _rule_table(vocab, meaning, seq, rule, hd, _TABLE_FIRST_LAYERS)
        self.smallest, self.s_n = _smallest(vocab, rule, meaning, seq)
        self.step = step = WIDTH_MULTIPLE if hd is None else math.lcm(WIDTH_MULTIPLE, hd)
        self.cap = cap = rule.max_kv_heads
        self.big_from, self.hd_small, self.hd_big = rule.large_head_from, rule.small_head_dim, rule.large_head_dim
        self.kv_step_big = math.lcm(step, cap * (hd or self.hd_big))
        self.kv_step_small = math.lcm(step, cap * (hd or self.hd_small))
        self.kind, self.tied = rule.ffn_kind, rule.tied_embeddings
        self.swiglu, self.fps = rule.ffn_kind == "swiglu", meaning == "flops_per_token"
        self.emb_per_width = vocab * (1 if rule.tied_embeddings else 2)  # embedding parameters per unit of d
        self.emb = self.emb_per_width if meaning == "total" else 0
        self.f_mult, self.f_ratio = rule.ffn_multiple, rule.ffn_multiplier * 8.0 / 3.0
        gelu = rule.ffn_kind == "gelu"
        self.a_coef = 2.0 + (2.0 if gelu else 3.0) * rule.ffn_ratio  # d² per layer (quadratic in d)
        self.extra = 7.0 if gelu else 2.0
        self.emb_b = vocab * (1 if rule.tied_embeddings else 2) if meaning == "total" else 0.0
        # the linear coefficient of the rule's measure in d per layer, by head size (as _width_for)
        self.bb_big = 2.0 * cap * (hd or self.hd_big) + self.extra
        self.bb_small = 2.0 * cap * (hd or self.hd_small) + self.extra
        self.kv_width_big, self.kv_width_small = cap * (hd or self.hd_big), cap * (hd or self.hd_small)
        self.widths: dict[int, tuple | None] = {}  # what the first pass needs of each width (_width_facts)
        # the fields of a proposed Architecture after (layers, width, heads, KV heads, head size, FFN)
        self.tail = (vocab, rule.ffn_kind, rule.tied_embeddings, False, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "proposed")


_CONTEXTS: dict[tuple, _Ctx] = {}


def _context(vocab: int, meaning: str, seq: float, rule: ShapeRule, hd: int | None) -> _Ctx:
    # keyed by the rule's identity (hashing a dataclass costs more than the lookup it saves);
    # the context holds the rule, so an id is never reused while its entry lives
    key = (id(rule), vocab, meaning, seq, hd)
    ctx = _CONTEXTS.get(key)
    if ctx is None or ctx.rule is not rule:
        if len(_CONTEXTS) >= 256:
            _CONTEXTS.clear()
        ctx = _CONTEXTS[key] = _Ctx(vocab, meaning, seq, rule, hd)
    return ctx


def _rule_depth(target: float, ctx: _Ctx) -> float:
    y = math.log(target)
    table, i = _locate(ctx, y)
    if i == 0:
        return 1.0
    if i >= len(table):  # beyond the table: constant aspect ratio, measure ∝ L³
        return _TABLE_MAX_LAYERS * math.exp((y - table[-1]) / 3.0)
    lo, hi = table[i - 1], table[i]
    return i + (y - lo) / (hi - lo)  # L = i at table[i - 1]


def _width_for(L: float, target: float, ctx: _Ctx) -> float:
    """Width at which the rule's measure at depth L meets ``target``: a root of a quadratic in d."""
    guess = rule_width(L)
    h = ctx.hd or (ctx.hd_big if guess >= ctx.big_from else ctx.hd_small)
    a, extra, cap, fps = ctx.a_coef, ctx.extra, ctx.cap, ctx.fps
    for kv_regime in (True, False):
        if kv_regime:
            aa, bb = a, 2.0 * cap * h + extra
        else:  # d below the KV width: every head has its own K and V
            aa, bb = a + 2.0, extra
        if fps:
            A, B = 6.0 * L * aa, 6.0 * L * bb + 12.0 * L * ctx.seq
        else:
            A = L * aa
            B = L * bb + ctx.emb_b
        d = (-B + math.sqrt(B * B + 4.0 * A * target)) / (2.0 * A)
        if not kv_regime or d >= cap * h:
            return d
    return d


def _near(x: float, step: int, lo: int, span: int) -> range:
    base = step * math.floor(x / step)
    return range(max(lo, base - span * step), max(lo, base + (span + 1) * step) + 1, step)


def _width_facts(ctx: _Ctx, d: int) -> tuple | None:
    """What the first pass needs of width ``d`` under the rule (None: d is not a whole number of heads).

    ``(head size, heads, rule FFN, depth denominator, FFN-free params per layer, params per FFN
    unit per layer, FFN floor, FFN ceiling, FFN ceiling rounded to the step, fewer KV heads than
    the rule, embedding params emb·d)``; it depends only on the rule and d, so each context keeps
    a table of the widths it has met.
    """
    cap, swiglu = ctx.cap, ctx.swiglu
    hd = ctx.hd or (ctx.hd_big if d >= ctx.big_from else ctx.hd_small)
    if d % hd:
        return None
    nh = d // hd
    nkv = cap if nh % cap == 0 else _kv_heads(nh, cap)
    f_rule = (4 * d) if not swiglu else ctx.f_mult * math.ceil(ctx.f_ratio * d / ctx.f_mult - 1e-9)
    attn = 2 * d * nh * hd + 2 * d * nkv * hd + 2 * d  # per layer, without the FFN
    per = attn + (3 * d * f_rule if swiglu else 2 * d * f_rule + f_rule + d)
    lx_den = 6.0 * per + 12.0 * ctx.seq * nh * hd if ctx.fps else per
    lo_r, hi_r = FFN_RANGE
    hi_f = hi_r * f_rule
    return (hd, nh, f_rule, lx_den, attn if swiglu else attn + d, 3 * d if swiglu else 2 * d + 1,
            FFN_STEP * max(1, math.ceil(lo_r * f_rule / FFN_STEP)), hi_f, FFN_STEP * math.floor(hi_f / FFN_STEP),
            nkv < cap and nkv < nh, ctx.emb * d)  # fmt: skip


def _first_pass(target: float, ctx: _Ctx) -> tuple[float, int, int, int, int, int] | None:
    """The search's first pass (no fixed layers or width): ``(mismatch, L, d, head, d_ff, d_ff rule)``.

    The two widths around the rule's d0 whose head count allows the rule's KV heads, each at the
    depth that meets N; the same candidates, order, ranking and float arithmetic as pass 0 of
    :func:`_search`, written out flat (:func:`_rule_depth` and :func:`_width_for` inline, what
    depends only on the width from the context's table) because it decides almost every plan.
    None when no candidate is within 1% (the caller then runs the full search).
    """
    # L0 = _rule_depth(target, ctx)
    y = math.log(target)
    table, i = _locate(ctx, y)
    if 0 < i < _TABLE_MAX_LAYERS:
        lo = table[i - 1]
        L0 = i + (y - lo) / (table[i] - lo)
    else:
        L0 = _rule_depth(target, ctx)
    # d0 = _width_for(max(L0, 1.0), target, ctx): the regime with the rule's KV heads, else the call
    Lw = L0 if L0 > 1.0 else 1.0
    big_from, fps = ctx.big_from, ctx.fps
    guess = rule_width(Lw)
    big = guess >= big_from
    bb = ctx.bb_big if big else ctx.bb_small
    if fps:
        A, B = 6.0 * Lw * ctx.a_coef, 6.0 * Lw * bb + 12.0 * Lw * ctx.seq
    else:
        A = Lw * ctx.a_coef
        B = Lw * bb + ctx.emb_b
    d0 = (-B + math.sqrt(B * B + 4.0 * A * target)) / (2.0 * A)
    if d0 < (ctx.kv_width_big if big else ctx.kv_width_small):
        d0 = _width_for(Lw, target, ctx)
    widths = ctx.widths
    emb_d = 0
    seq = ctx.seq
    ceil, floor = math.ceil, math.floor
    inv_t = 1.0 / target
    lo_tol, hi_tol = -TOLERANCE, TOLERANCE
    kv_step = ctx.kv_step_big if d0 >= big_from else ctx.kv_step_small
    base = kv_step * floor(d0 / kv_step)  # widths: base and base + kv_step (kv_step alone below it)
    if base >= kv_step:
        # the nearer width first: the other is skipped when its width term alone rules it out. Pass 0
        # takes base first, so on equal costs base's candidate wins (rank 0 before rank 1)
        d_hi = base + kv_step
        c_lo, c_hi = abs(base - d0) / d0, abs(d_hi - d0) / d0
        order = ((c_lo, 0, base), (c_hi, 1, d_hi)) if c_lo <= c_hi else ((c_hi, 1, d_hi), (c_lo, 0, base))
    else:
        order = ((abs(kv_step - d0) / d0, 0, kv_step),)
    best = None
    best_cost, best_rank = math.inf, 0
    for width_cost, rank, d in order:
        if width_cost > best_cost or (width_cost == best_cost and rank > best_rank):
            continue  # every cost is at least its width term: none here can win
        facts = widths.get(d, False)
        if facts is False:
            facts = widths[d] = _width_facts(ctx, d)
        if facts is None:  # (never with the default rule) pass 0 skips widths that are not whole heads
            continue
        hd, nh, f_rule, lx_den, ne_layer, slope_layer, lo_f, hi_f, hi_cap, penalty, emb_d = facts
        # the depth at which width d with the rule's FFN meets the target (continuous)
        lx = (target - 6.0 * d) / lx_den if fps else (target - d - emb_d) / lx_den
        if lx >= 16:  # a layer is <= 6% of N: the FFN absorbs rounding to the nearest depth
            if best is not None and width_cost + (abs(lx - L0) - 0.5) / L0 > best_cost + 1e-12:
                continue  # its depth is within ½ of lx, so its cost is at least this: it cannot win
            depths: tuple[int, ...] | set[int] = (round(lx),)
        else:
            depths = {max(MIN_LAYERS, floor(lx)), max(MIN_LAYERS, ceil(lx))}
        for L in depths:
            slope = L * slope_layer
            if fps:
                zero, slope = 6.0 * (L * ne_layer + d) + 12.0 * L * seq * nh * hd, 6.0 * slope
            else:
                zero = L * ne_layer + d + emb_d
            f = FFN_STEP * round((target - zero) / slope / FFN_STEP)
            if f < lo_f:
                f = lo_f
            elif f > hi_f:
                f = hi_cap
            mis = (zero + slope * f) * inv_t - 1.0
            if not lo_tol <= mis <= hi_tol:
                continue
            dev = abs(f - f_rule) / f_rule
            if dev > KV_PASS_FFN_DEV:
                continue
            cost = abs(L - L0) / L0 + width_cost + 2.0 * dev
            if penalty:
                cost += KV_PENALTY
            if cost < best_cost or (cost == best_cost and rank < best_rank):
                best_cost, best_rank, best = cost, rank, (mis, L, d, hd, f, f_rule)
    return best


def _search(
    target: float, ctx: _Ctx, n_layers: int | None, d_model: int | None
) -> tuple[tuple[float, float, int, int, int, int], tuple[str, ...]]:
    """The full search (every pass, fixed dimensions): ``((cost, mismatch, L, d, head, d_ff), notes)``."""
    hd_fixed, step = ctx.hd, ctx.step
    rule, args = ctx.rule, (ctx.vocab, ctx.meaning, ctx.seq, ctx.rule, ctx.hd)
    if n_layers is not None:
        L0 = float(n_layers)
    elif d_model is not None:
        c0 = _continuous(0.0, d_model, *args)
        L0 = max((target - c0) / (_continuous(1.0, d_model, *args) - c0), 1.0)
    else:
        L0 = _rule_depth(target, ctx)
    d0 = float(d_model) if d_model is not None else _width_for(max(L0, 1.0), target, ctx)
    cap, swiglu, fps, emb, seq_len = ctx.cap, ctx.swiglu, ctx.fps, ctx.emb, ctx.seq
    big_from, hd_small, hd_big = rule.large_head_from, rule.small_head_dim, rule.large_head_dim
    f_mult, f_ratio = rule.ffn_multiple, rule.ffn_multiplier * 8.0 / 3.0
    inv_t = 1.0 / target
    best = best_any = None
    best_cost = math.inf

    def kv_widths(dc: float, span: int) -> range:
        kv_step = math.lcm(step, cap * (hd_fixed or (hd_big if dc >= big_from else hd_small)))
        return _near(dc, kv_step, kv_step, span)  # head counts that allow the rule's KV heads

    def depth_for(d: int) -> float:
        """Depth at which width d with the rule's FFN meets the target (continuous)."""
        hd = hd_fixed or (hd_big if d >= big_from else hd_small)
        nh = d // hd
        nkv = cap if nh % cap == 0 else _kv_heads(nh, cap)
        fr = (4 * d) if not swiglu else f_mult * math.ceil(f_ratio * d / f_mult - 1e-9)
        per = 2 * d * nh * hd + 2 * d * nkv * hd + (3 * d * fr if swiglu else 2 * d * fr + fr + d) + 2 * d
        if fps:
            return (target - 6.0 * d) / (6.0 * per + 12.0 * seq_len * nh * hd)
        return (target - d - emb * d) / per

    def pairs(p: int) -> list[tuple[int, int]]:
        """(L, d) candidates of pass p: widths that allow 8 KV heads first, nearest first."""
        if n_layers is not None and d_model is not None:
            return [(n_layers, d_model)] if p == 0 else []
        if n_layers is not None:
            dc = d0
            ws = kv_widths(dc, (0, 1, 3)[p]) if p < 3 else _near(dc, step, max(MIN_WIDTH, step), 5)
            return [(n_layers, d) for d in ws] if p < 4 else []
        if d_model is not None:
            fl = math.floor(L0)
            span = (0, 1, 3, 6)[p] if p < 4 else -1
            return [(L, d_model) for L in range(max(MIN_LAYERS, fl - span), max(MIN_LAYERS, fl + span + 1) + 1)]
        if p == 0:  # each nearby width at the depth that meets N: the FFN only absorbs rounding
            out = []
            for d in kv_widths(d0, 0):
                lx = depth_for(d)
                if lx >= 16:  # a layer is <= 6% of N: the FFN absorbs rounding to the nearest depth
                    out.append((round(lx), d))
                else:
                    out += [(L, d) for L in {max(MIN_LAYERS, math.floor(lx)), max(MIN_LAYERS, math.ceil(lx))}]
            return out
        if p >= 5:
            return []
        span, kv_only = ((1, True), (3, True), (2, False), (5, False))[p - 1]
        fl = math.floor(L0)
        out = []
        for L in range(max(MIN_LAYERS, fl - span), max(MIN_LAYERS, fl + span + 1) + 1):
            dc = _width_for(L, target, ctx)
            ws = kv_widths(dc, span // 3)
            if not kv_only:
                ws = set(ws).union(_near(dc, step, max(MIN_WIDTH, step), span))
            out += [(L, d) for d in ws]
        return out

    for p in range(6):
        kv_only = p < 3
        for L, d in pairs(p):
            hd = hd_fixed or (hd_big if d >= big_from else hd_small)
            if d % hd:
                continue
            nh = d // hd
            nkv = cap if nh % cap == 0 else _kv_heads(nh, cap)
            ne0 = L * (2 * d * nh * hd + 2 * d * nkv * hd + (0 if swiglu else d) + 2 * d) + d
            slope = L * (3 * d if swiglu else 2 * d + 1)
            if fps:
                zero, slope = 6.0 * ne0 + 12.0 * L * seq_len * nh * hd, 6.0 * slope
            else:
                zero = ne0 + emb * d
            f_rule = (4 * d) if not swiglu else f_mult * math.ceil(f_ratio * d / f_mult - 1e-9)
            fe = (target - zero) / slope
            f = FFN_STEP * round(fe / FFN_STEP)
            lo_f = FFN_STEP * max(1, math.ceil(FFN_RANGE[0] * f_rule / FFN_STEP))
            if f < lo_f:
                f = lo_f
            elif f > FFN_RANGE[1] * f_rule:
                f = FFN_STEP * math.floor(FFN_RANGE[1] * f_rule / FFN_STEP)
            mis = (zero + slope * f) * inv_t - 1.0
            if not -TOLERANCE <= mis <= TOLERANCE:
                if best_any is None or abs(mis) < abs(best_any[1]):
                    best_any = (0.0, mis, L, d, hd, f)
                continue
            dev = abs(f - f_rule) / f_rule
            if kv_only and dev > KV_PASS_FFN_DEV and n_layers is None and d_model is None:
                continue
            cost = abs(L - L0) / L0 + abs(d - d0) / d0 + 2.0 * dev
            if nkv < cap and nkv < nh:
                cost += KV_PENALTY
            if cost < best_cost:
                best_cost, best = cost, (cost, mis, L, d, hd, f)
        if best is not None:
            break
    notes: list[str] = []
    if best is None:
        if best_any is None:
            raise ValueError(f"no shape found for N = {fmt_count(target, 4)} with the given fixed dimensions")
        best = best_any
        notes.append(f"no shape within {TOLERANCE:.0%} of N = {fmt_count(target, 4)}: the closest is {best[1]:+.1%} off")
    return best, tuple(notes)


def _dense(ctx: _Ctx, L: int, d: int, hd: int, f: int) -> Architecture:
    """The proposal's shape (valid by construction: built without the checks, as a plain tuple)."""
    nh = d // hd
    cap = ctx.cap
    nkv = cap if nh % cap == 0 else _kv_heads(nh, cap)
    return _new_tuple(Architecture, (L, d, nh, nkv, hd, f, *ctx.tail))


_new_tuple = tuple.__new__


def propose(
    target: float, meaning: Meaning = "total", *, vocab_size: int = DEFAULT_VOCAB, seq_len: float = DEEPSEEK_LAW_SEQ,
    rule: ShapeRule = DEFAULT_RULE, n_layers: int | None = None, d_model: int | None = None,
    head_dim: int | None = None,
) -> tuple[Architecture, float, tuple[str, ...]]:  # fmt: skip
    """A dense shape whose N (in ``meaning``) is within 1% of ``target``, nearest the rule.

    Returns ``(architecture, mismatch, notes)`` with mismatch = N_shape/target − 1. ``n_layers``,
    ``d_model`` and ``head_dim`` fix those dimensions; the others are searched. ``seq_len`` only
    matters for ``meaning="flops_per_token"`` (the l_seq inside DeepSeek's M). Candidates are
    ranked by |L/L0 − 1| + |d/d0 − 1| + 2·|d_ff/d_ff,rule − 1| (+0.5 when the head count does not
    allow the rule's KV heads), (L0, d0) being the rule's continuous solution.
    """
    if not (target > 0 and math.isfinite(target)):
        raise ValueError(f"target N {target!r} must be a positive finite number")
    ctx = _context(vocab_size, meaning, seq_len, rule, head_dim)
    if n_layers is None and d_model is None:
        first = _first_pass(target, ctx)
        if first is not None:
            mis, L, d, hd, f, _ = first
            return _dense(ctx, L, d, hd, f), mis, ()
    (_, mis, L, d, hd, f), notes = _search(target, ctx, n_layers, d_model)
    return _dense(ctx, L, d, hd, f), mis, notes


@lru_cache(maxsize=64)
def smallest_sensible(vocab_size: int = DEFAULT_VOCAB, rule: ShapeRule = DEFAULT_RULE) -> Architecture:
    """The smallest shape the planner proposes: 2 layers × 256 wide (4 heads of 64)."""
    hd = rule.head_dim(MIN_WIDTH)
    nh = MIN_WIDTH // hd
    return Architecture(MIN_LAYERS, MIN_WIDTH, nh, _kv_heads(nh, rule.max_kv_heads), hd, rule.d_ff(MIN_WIDTH),
                        vocab_size, rule.ffn_kind, rule.tied_embeddings, name="smallest sensible")  # fmt: skip


def _moe_shape(dense: Architecture, moe: MoESpec) -> tuple[Architecture, tuple[str, ...]]:
    """Turn a dense shape's FFN width into an MoE with the same active FFN width (Ling's A, G)."""
    if not 0.0 < moe.activation <= 1.0 or moe.granularity <= 0:
        raise ValueError(f"MoE activation {moe.activation!r} must be in (0, 1] and granularity > 0")
    d, s = dense.d_model, moe.shared_experts
    k_plus_s = max(s + 1, round(dense.d_ff * moe.granularity / (2.0 * d)))
    d_e = max(64, 64 * round(dense.d_ff / k_plus_s / 64))
    k = k_plus_s - s
    n_exp = max(k, round(k_plus_s / moe.activation - s))
    arch = dense.with_(n_experts=n_exp, experts_per_token=k, d_expert=d_e, n_shared_experts=s,
                       d_shared_expert=d_e if s else 0,
                       n_dense_layers=min(moe.dense_layers, dense.n_layers - 1))  # fmt: skip
    a_real = k_plus_s / (n_exp + s)
    notes = (f"MoE: {n_exp} routed experts, {k} per token + {s} shared, expert width {d_e:,} "
             f"(A = {a_real:.2%}, G = 2·d/d_expert = {2.0 * d / d_e:.3g})",)  # fmt: skip
    if moe.dense_layers > dense.n_layers - 1:  # a shape this shallow keeps at least one MoE layer
        notes += (f"MoE: {arch.n_dense_layers} of the {moe.dense_layers} dense layers asked for, so that one of "
                  f"the {dense.n_layers} layers is an MoE layer",)  # fmt: skip
    return arch, notes


@lru_cache(maxsize=256)
def _smallest(vocab: int, rule: ShapeRule, meaning: str, seq: float) -> tuple[Architecture, float]:
    a = smallest_sensible(vocab, rule)
    return a, a.measure(meaning, seq)  # type: ignore[arg-type]


def law_target(n_params: float, n_meaning: str, flops_per_token: float | None = None,
               law_seq_len: float = DEEPSEEK_LAW_SEQ) -> float:  # fmt: skip
    """The law's N in its own meaning: N itself, or DeepSeek's M for ``flops_per_token``.

    A DeepSeek plan's N is the non-embedding count 12·L·d² of the preset's aspect-128 shape; M
    is recovered from it (Eq. 2, M = 72·L·d² + 12·L·d·l_seq) unless ``flops_per_token`` (M*) is given.
    """
    if n_meaning != "flops_per_token":
        return float(n_params)
    if flops_per_token is not None:
        return float(flops_per_token)
    d = (n_params * 128.0 / 12.0) ** (1.0 / 3.0)
    L = d / 128.0
    return 72.0 * L * d * d + 12.0 * L * d * law_seq_len


def describe(
    n_params: float, n_meaning: str = "total", *, flops_per_token: float | None = None,
    vocab_size: int | None = None, moe: MoESpec | None = None, seq_len: int = DEFAULT_SEQ_LEN,
    n_layers: int | None = None, d_model: int | None = None, head_dim: int | None = None,
    arch: Architecture | None = None, rule: ShapeRule = DEFAULT_RULE, law_seq_len: float = DEEPSEEK_LAW_SEQ,
    source: str | None = None,
) -> ArchitecturePlan:  # fmt: skip
    """The shape of a plan: proposed from the law's N, or ``arch`` (a config) compared with it.

    Parameters
    ----------
    n_params : float
        The law's N (``Plan.n_params``; for an MoE the active count), parameters.
    n_meaning : {"total", "non_embedding", "flops_per_token"}
        What the law's N counts (``LawInfo.n_meaning``).
    flops_per_token : float, optional
        DeepSeek's M* (FLOPs per token) when the law allocates M; derived from N if omitted.
    vocab_size : int, optional
        Vocabulary of the plan (default 32,000).
    moe : MoESpec, optional
        Shape an MoE with this activation ratio and granularity.
    seq_len : int
        Training sequence length for the FLOPs per token (``--seq-len``, default 4096), tokens.
    n_layers, d_model, head_dim : int, optional
        Fix these dimensions (``--layers``, ``--d-model``, ``--head-dim``).
    arch : Architecture, optional
        A known shape (``--arch config.json``): no proposal, its N is set beside the law's.

    Returns
    -------
    ArchitecturePlan
        The shape, its N in the law's meaning and the mismatch ``shape_n/law_n − 1``.
    """
    if n_meaning != "flops_per_token":
        target = float(n_params)  # = law_target(...)
    else:
        target = law_target(n_params, n_meaning, flops_per_token, law_seq_len)
    meaning: Meaning = n_meaning  # type: ignore[assignment]
    notes: list[str] = []
    if arch is not None:
        shape_n = arch.measure(meaning, law_seq_len)
        return ArchitecturePlan(arch, target, n_meaning, shape_n, shape_n / target - 1.0, seq_len,
                                source or "given", "as given", (), law_seq_len)  # fmt: skip
    vocab = int(vocab_size or DEFAULT_VOCAB)
    ctx = _CONTEXTS.get((id(rule), vocab, meaning, law_seq_len, head_dim))  # (= _context, its usual hit inline)
    if ctx is None or ctx.rule is not rule:
        ctx = _context(vocab, meaning, law_seq_len, rule, head_dim)
    smallest, s_n = ctx.smallest, ctx.s_n
    fixed = n_layers is not None or d_model is not None
    if target < s_n * (1.0 - TOLERANCE) and not fixed:
        notes.append(f"N = {fmt_count(target, 4)} is below the smallest sensible shape (2 layers × 256, N = {fmt_count(s_n, 4)}): "
                     f"it is {fmt_count(s_n / target)}× the law's N")  # fmt: skip
        a, mis = smallest, s_n / target - 1.0
    elif fixed or not math.isfinite(target):
        a, mis, more = propose(target, meaning, vocab_size=vocab, seq_len=law_seq_len, rule=rule,
                               n_layers=n_layers, d_model=d_model, head_dim=head_dim)  # fmt: skip
        notes += more
    else:  # the plan's usual case: the first pass of the search decides it
        first = _first_pass(target, ctx)
        if first is None:
            (_, mis, L, d, hd, f), more = _search(target, ctx, None, None)
            notes += more
        else:
            mis, L, d, hd, f, ffn_rule = first
            if moe is None:
                a = _dense(ctx, L, d, hd, f)
                # its exact counts, from the search's integers: memory and serving ask for them next
                facts = ctx.widths[d]
                ne = L * facts[4] + d + L * facts[5] * f
                emb = ctx.emb_per_width * d
                _keep_counts(a, (ne + emb, ne + emb, emb))
                return _new_tuple(ArchitecturePlan, (a, target, n_meaning, target * (1.0 + mis), mis, seq_len,
                                                     source or "proposed", RULE_TEXT, (), law_seq_len,
                                                     ffn_rule))  # fmt: skip
        a = _dense(ctx, L, d, hd, f)
    if moe is not None:
        a, more = _moe_shape(a, moe)
        notes += more
        mis = a.measure(meaning, law_seq_len) / target - 1.0
    ffn_rule = 0 if a is smallest else rule.d_ff(a.d_model)
    return ArchitecturePlan(a, target, n_meaning, target * (1.0 + mis), mis, seq_len, source or "proposed",
                            RULE_TEXT, tuple(notes), law_seq_len, ffn_rule)  # fmt: skip
