"""A decoder's shape and what follows exactly from it: parameter counts and FLOPs per token.

:class:`Architecture` is one frozen value holding a decoder-only transformer's shape: layers,
width, query and key/value heads (grouped-query attention), head size, FFN width and kind
(SwiGLU: 3 matrices; GELU: 2), vocabulary, tied or untied embeddings, optional QKV bias (Qwen2),
a mixture of experts (routed experts, experts per token, expert width, shared experts, leading
dense layers) and DeepSeek's multi-head latent attention (``q_lora_rank``, ``kv_lora_rank``,
``qk_nope_head_dim``, ``qk_rope_head_dim``, ``v_head_dim``).

Counting conventions (parameters, each layer; d = ``d_model``, h = ``head_dim``):

* attention (standard/GQA): q and o are d·n_heads·h each, k and v d·n_kv·h each (+ biases of
  q, k, v when ``qkv_bias``); MLA: q = d·r_q + r_q + r_q·n_heads·(h_nope + h_rope) (or
  d·n_heads·(h_nope + h_rope) without ``q_lora_rank``), kv_a = d·(r_kv + h_rope), its norm r_kv,
  kv_b = r_kv·n_heads·(h_nope + h_v), o = n_heads·h_v·d (DeepSeek-V2, arXiv 2405.04434, §2.1);
* FFN: SwiGLU 3·d·d_ff, GELU 2·d·d_ff + d_ff + d; an MoE layer holds a router d·E, E routed
  experts of 3·d·d_expert and the shared experts of 3·d·d_shared (LAWS.md §4.5);
* two RMSNorm vectors per layer (2·d) and a final one (d);
* embeddings: V·d for the input table and V·d for the output head unless tied.

"Embedding" parameters are the input table and the output head (Kaplan et al. 2020's
non-embedding N excludes both); "active" parameters count only the k routed experts a token
uses. FLOPs per token (LAWS.md §4.5 and §5, multiply-add = 2 FLOPs; the full s×s score matrix
is counted, as in DeepSeek's Eq. 2 and Kaplan's Table 1, although causal kernels skip about
half of it):

* training (forward + backward) at sequence length s:
  6·(N_active,non-emb + V·d) + 6·n_layer·s·n_heads·(d_qk + d_v), i.e. 6N plus 12·L·s·d_attn;
* inference at context c (one new token against c cached ones):
  2·(N_active,non-emb + V·d) + 2·n_layer·c·n_heads·(d_qk + d_v);
* DeepSeek's M (non-embedding FLOPs per token, arXiv 2401.02954 Eq. 2 generalised):
  6·N_active,non-emb + 6·n_layer·s·n_heads·(d_qk + d_v); equals 72·L·d² + 12·L·d·s for a
  standard block (4d² attention, 8d² FFN).

KV cache bytes per token: 2·n_layer·n_kv·h·bytes; MLA caches n_layer·(r_kv + h_rope)·bytes.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

FfnKind = Literal["swiglu", "gelu"]
Meaning = Literal["total", "non_embedding", "flops_per_token"]
DEFAULT_SEQ_LEN = 4096


class _Shape(NamedTuple):
    """The fields of :class:`Architecture` (a named tuple: built in well under a microsecond)."""

    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    vocab_size: int
    ffn_kind: FfnKind = "swiglu"
    tied_embeddings: bool = False
    qkv_bias: bool = False
    # mixture of experts (n_experts == 0: dense)
    n_experts: int = 0
    experts_per_token: int = 0
    d_expert: int = 0
    n_shared_experts: int = 0
    d_shared_expert: int = 0  # width of each shared expert (0: d_expert)
    n_dense_layers: int = 0  # leading layers with a dense FFN of width d_ff
    # multi-head latent attention (kv_lora_rank == 0: standard attention)
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    name: str = ""


_last_counts: tuple[Any, tuple[int, int, int]] = (None, (0, 0, 0))  # (shape, its param_counts())


def _keep_counts(a: Architecture, counts: tuple[int, int, int]) -> None:
    """Remember ``a``'s exact ``param_counts()`` (also called by the proposal, which knows them)."""
    global _last_counts
    _last_counts = (a, counts)


def _checked(a: Architecture) -> Architecture:
    if not (a.n_layers >= 1 and a.d_model >= 1 and a.n_heads >= 1 and a.n_kv_heads >= 1
            and a.head_dim >= 1 and a.vocab_size >= 1):  # fmt: skip
        raise ValueError(f"layers, width, heads, KV heads, head size and vocabulary must be positive: {a!r}")
    if a.n_heads % a.n_kv_heads:
        raise ValueError(f"n_heads {a.n_heads} is not a multiple of n_kv_heads {a.n_kv_heads}")
    if a.n_experts and not 0 < a.experts_per_token <= a.n_experts:
        raise ValueError(f"experts_per_token {a.experts_per_token} must be in 1..{a.n_experts}")
    if a.n_dense_layers > a.n_layers:
        raise ValueError(f"n_dense_layers {a.n_dense_layers} exceeds n_layers {a.n_layers}")
    return a


class Architecture(_Shape):
    """One decoder shape (integers; see the module docstring for what each count includes).

    An immutable named tuple of the fields of ``_Shape`` (keyword or positional, validated);
    the counts are computed on demand from the integers, exactly.
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Architecture:
        return _checked(_Shape.__new__(cls, *args, **kwargs))

    # --- derived shape facts
    @property
    def is_moe(self) -> bool:
        return self.n_experts > 0

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def qk_head_dim(self) -> int:
        """Query/key size per head (h_nope + h_rope under MLA)."""
        return self.qk_nope_head_dim + self.qk_rope_head_dim if self.is_mla else self.head_dim

    @property
    def value_head_dim(self) -> int:
        return self.v_head_dim if self.is_mla else self.head_dim

    @property
    def n_moe_layers(self) -> int:
        return self.n_layers - self.n_dense_layers if self.is_moe else 0

    def with_(self, **changes: Any) -> Architecture:
        return Architecture(**{**self._asdict(), **changes})

    # --- parameter counts
    def attention_params(self) -> int:
        """Parameters of one attention block (projections and their norms/biases)."""
        d, nh = self.d_model, self.n_heads
        if self.is_mla:
            qk = self.qk_nope_head_dim + self.qk_rope_head_dim
            r_q = self.q_lora_rank
            q = d * r_q + r_q + r_q * nh * qk if r_q else d * nh * qk
            kv = d * (self.kv_lora_rank + self.qk_rope_head_dim) + self.kv_lora_rank
            kv += self.kv_lora_rank * nh * (self.qk_nope_head_dim + self.v_head_dim)
            return q + kv + nh * self.v_head_dim * d
        h, nkv = self.head_dim, self.n_kv_heads
        n = 2 * d * nh * h + 2 * d * nkv * h
        return n + (nh * h + 2 * nkv * h if self.qkv_bias else 0)

    def _ffn(self, width: int) -> int:
        d = self.d_model
        return 3 * d * width if self.ffn_kind == "swiglu" else 2 * d * width + width + d

    def dense_ffn_params(self) -> int:
        return self._ffn(self.d_ff)

    def moe_ffn_params(self, active: bool = False) -> int:
        """One MoE layer's FFN: router + routed experts (all, or the k a token uses) + shared."""
        shared = self.n_shared_experts * self._ffn(self.d_shared_expert or self.d_expert)
        routed = (self.experts_per_token if active else self.n_experts) * self._ffn(self.d_expert)
        return self.d_model * self.n_experts + routed + shared

    @property
    def params_embedding(self) -> int:
        """Input table plus output head (one matrix when tied)."""
        return self.vocab_size * self.d_model * (1 if self.tied_embeddings else 2)

    def _non_embedding(self, active: bool) -> int:
        """Non-embedding parameters, all or active: layers × (attention + norms) + FFNs + final norm.

        One pass over the fields (this runs on every plan); the same integers as summing
        :meth:`attention_params`, :meth:`dense_ffn_params` and :meth:`moe_ffn_params`.
        """
        L, d, nh, nkv, h, d_ff, _, kind, _, bias, n_exp = self[:11]
        if self[17]:  # kv_lora_rank: MLA
            attn = self.attention_params()
        else:
            attn = 2 * d * nh * h + 2 * d * nkv * h + (nh * h + 2 * nkv * h if bias else 0)
        swiglu = kind == "swiglu"
        ffn = 3 * d * d_ff if swiglu else 2 * d * d_ff + d_ff + d
        if not n_exp:
            return L * (attn + 2 * d) + L * ffn + d
        n_moe = L - self.n_dense_layers
        n = L * (attn + 2 * d) + (L - n_moe) * ffn + d
        return n + n_moe * self.moe_ffn_params(active)

    def param_counts(self) -> tuple[int, int, int]:
        """``(params_total, params_active, params_embedding)`` at once.

        A plan asks the same shape for its counts several times (proposal, memory, serving):
        the last shape's counts are kept, by identity (the kept shape stays alive, so no other
        object can take its place).
        """
        last = _last_counts
        if last[0] is self:
            return last[1]
        emb = self.vocab_size * self.d_model * (1 if self.tied_embeddings else 2)  # params_embedding
        ne = self._non_embedding(False)
        counts = ne + emb, (self._non_embedding(True) if self.n_experts else ne) + emb, emb
        _keep_counts(self, counts)
        return counts

    @property
    def params_non_embedding(self) -> int:
        return self._non_embedding(False)

    @property
    def params_total(self) -> int:
        return self.param_counts()[0]

    @property
    def params_active(self) -> int:
        """Parameters one token uses (all of them for a dense model), embeddings included."""
        return self._non_embedding(True) + self.params_embedding

    @property
    def params_active_non_embedding(self) -> int:
        return self._non_embedding(True)

    def expert_params(self) -> int:
        """Routed-expert parameters (those expert parallelism shards)."""
        return self.n_moe_layers * self.n_experts * self._ffn(self.d_expert) if self.is_moe else 0

    # --- FLOPs and cache
    def _score_flops(self, length: float) -> float:
        """Forward FLOPs of QKᵀ and AV for one token against ``length`` positions, all layers."""
        return 2.0 * self.n_layers * length * self.n_heads * (self.qk_head_dim + self.value_head_dim)

    def _matmul_params(self) -> int:
        return self._non_embedding(True) + self.vocab_size * self.d_model

    def train_flops_per_token(self, seq_len: float = DEFAULT_SEQ_LEN) -> float:
        """Training FLOPs per token, forward + backward: 6·(N_act,ne + V·d) + 3·attention."""
        return 6.0 * self._matmul_params() + 3.0 * self._score_flops(seq_len)

    def inference_flops_per_token(self, context: float) -> float:
        """Decoding FLOPs per new token against ``context`` cached tokens: 2·(N_act,ne + V·d) + scores."""
        return 2.0 * self._matmul_params() + self._score_flops(context)

    def deepseek_m(self, seq_len: float = DEFAULT_SEQ_LEN) -> float:
        """DeepSeek's M: non-embedding training FLOPs per token, attention in (arXiv 2401.02954 Eq. 2)."""
        return 6.0 * self._non_embedding(True) + 3.0 * self._score_flops(seq_len)

    def kv_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """KV-cache bytes per token: 2·L·n_kv·h·bytes, or L·(r_kv + h_rope)·bytes under MLA."""
        if self.is_mla:
            return self.n_layers * (self.kv_lora_rank + self.qk_rope_head_dim) * bytes_per_value
        return 2.0 * self.n_layers * self.n_kv_heads * self.head_dim * bytes_per_value

    def measure(self, meaning: Meaning, seq_len: float = DEFAULT_SEQ_LEN) -> float:
        """This shape's N in a law's own meaning (LAWS.md §0.3).

        ``total``: active parameters with embeddings (all parameters when dense); ``non_embedding``:
        active parameters without the input table and output head (Kaplan); ``flops_per_token``:
        DeepSeek's M at ``seq_len``.
        """
        if meaning == "total":
            return float(self.params_active)
        if meaning == "non_embedding":
            return float(self._non_embedding(True))
        if meaning == "flops_per_token":
            return self.deepseek_m(seq_len)
        raise ValueError(f"unknown meaning of N {meaning!r}")

    def shape_dict(self) -> dict[str, Any]:
        return self._asdict()

    def to_dict(self, seq_len: float = DEFAULT_SEQ_LEN) -> dict[str, Any]:
        """The shape and its counts as plain values (the JSON ``architecture`` object's core)."""
        d = self.shape_dict()
        d.update(
            params_total=self.params_total,
            params_active=self.params_active,
            params_embedding=self.params_embedding,
            params_non_embedding=self.params_non_embedding,
            seq_len=seq_len,
            flops_per_token=self.train_flops_per_token(seq_len),
            deepseek_m=self.deepseek_m(seq_len),
            kv_bytes_per_token_bf16=self.kv_bytes_per_token(2.0),
        )
        return d

