"""Read a Hugging Face ``config.json`` as plain JSON (no ``transformers``) into an :class:`Architecture`.

Supported field names (the families' public configs):

* every family: ``hidden_size``, ``num_hidden_layers``, ``num_attention_heads``, ``vocab_size``,
  ``num_key_value_heads`` (default: ``num_attention_heads``), ``head_dim`` (default:
  ``hidden_size // num_attention_heads``), ``intermediate_size``, ``tie_word_embeddings``
  (default false, as in these families' configs);
* Qwen2 / Qwen2-MoE (``model_type`` ``qwen2``, ``qwen2_moe``): biases on q, k and v;
* Mixtral: ``num_local_experts``, ``num_experts_per_tok`` (experts as wide as ``intermediate_size``);
* Qwen2-MoE: ``num_experts``, ``num_experts_per_tok``, ``moe_intermediate_size``,
  ``shared_expert_intermediate_size`` (one shared expert of that width), ``mlp_only_layers``,
  ``decoder_sparse_step``;
* DeepSeek-V2/V3: ``n_routed_experts``, ``num_experts_per_tok``, ``moe_intermediate_size``,
  ``n_shared_experts``, ``first_k_dense_replace``, ``moe_layer_freq``, and multi-head latent
  attention ``q_lora_rank``, ``kv_lora_rank``, ``qk_nope_head_dim``, ``qk_rope_head_dim``,
  ``v_head_dim``. The multi-token-prediction module (``num_nextn_predict_layers``) is not part of
  the main model and is left out, with a note (DeepSeek-V3 README_WEIGHTS: 671B main model).

Fields that do not change a parameter count (rope, dropout, token ids, quantisation, ...) are
accepted silently; any other field is ignored with one note naming it. A missing required field,
a value of the wrong type, a file that is not JSON or not a JSON object each give a
:class:`ConfigError` with one line naming the file and the key.

Tiny terms left out (each < 0.01% of the count): Qwen2-MoE's shared-expert gate (d per layer),
DeepSeek-V3's router score-correction bias (E per layer), Llama's optional o-projection bias.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.costs.architecture import Architecture

REQUIRED = ("hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")

USED = frozenset({
    "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size", "num_key_value_heads", "head_dim",
    "intermediate_size", "tie_word_embeddings", "model_type", "attention_bias", "hidden_act",
    "num_local_experts", "num_experts", "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
    "shared_expert_intermediate_size", "n_shared_experts", "first_k_dense_replace", "moe_layer_freq",
    "mlp_only_layers", "decoder_sparse_step", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
    "qk_rope_head_dim", "v_head_dim", "num_nextn_predict_layers", "text_config", "_name_or_path",
})  # fmt: skip
SILENT = frozenset({
    "architectures", "torch_dtype", "dtype", "transformers_version", "bos_token_id", "eos_token_id",
    "pad_token_id", "rms_norm_eps", "layer_norm_eps", "initializer_range", "max_position_embeddings",
    "rope_theta", "rope_scaling", "rope_interleave", "attention_dropout", "hidden_dropout", "use_cache",
    "pretraining_tp", "sliding_window", "use_sliding_window", "max_window_layers", "output_router_logits",
    "router_aux_loss_coef", "aux_loss_alpha", "norm_topk_prob", "n_group", "topk_group", "topk_method",
    "routed_scaling_factor", "scoring_func", "seq_aux", "ep_size", "quantization_config", "auto_map",
    "mlp_bias", "use_mrope", "router_jitter_noise", "qk_head_dim", "partial_rotary_factor",
})  # fmt: skip
_QKV_BIAS_TYPES = ("qwen2", "qwen2_moe")


class ConfigError(ValueError):
    """A config.json that cannot be read; the message is one line naming the file and the key."""


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """An architecture read from a config, with notes on what was ignored or assumed."""

    architecture: Architecture
    notes: tuple[str, ...]
    source: str


def _int(cfg: dict[str, Any], key: str, source: str, default: int | None = None) -> int:
    if key not in cfg or cfg[key] is None:
        if default is None:
            raise ConfigError(f"{source}: missing required key '{key}'")
        return default
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v) or v < 0:
        raise ConfigError(f"{source}: key '{key}' must be a non-negative integer, got {v!r}")
    return int(v)


def parse_hf_config(cfg: Any, source: str = "config.json") -> LoadedConfig:
    """An :class:`Architecture` from a parsed config dictionary (see the module docstring)."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: expected a JSON object, got {type(cfg).__name__}")
    notes: list[str] = []
    if "hidden_size" not in cfg and isinstance(cfg.get("text_config"), dict):
        notes.append("read the decoder from the nested 'text_config'")
        cfg = cfg["text_config"]
    for key in REQUIRED:
        _int(cfg, key, source)
    model_type = str(cfg.get("model_type", ""))
    d = _int(cfg, "hidden_size", source)
    n_heads = _int(cfg, "num_attention_heads", source)
    if n_heads == 0 or d == 0:
        raise ConfigError(f"{source}: key '{'hidden_size' if d == 0 else 'num_attention_heads'}' must be positive")
    n_layers = _int(cfg, "num_hidden_layers", source)
    kw: dict[str, Any] = {
        "n_layers": n_layers,
        "d_model": d,
        "n_heads": n_heads,
        "n_kv_heads": _int(cfg, "num_key_value_heads", source, n_heads),
        "head_dim": _int(cfg, "head_dim", source, d // n_heads),
        "vocab_size": _int(cfg, "vocab_size", source),
        "tied_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "qkv_bias": model_type in _QKV_BIAS_TYPES or bool(cfg.get("attention_bias", False)),
        "name": str(cfg.get("_name_or_path", "")) or Path(source).stem,
    }
    n_exp = _int(cfg, "num_local_experts", source, 0) or _int(cfg, "num_experts", source, 0)
    n_exp = n_exp or _int(cfg, "n_routed_experts", source, 0)
    if n_exp:
        k = _int(cfg, "num_experts_per_tok", source)
        d_e = _int(cfg, "moe_intermediate_size", source, 0) or _int(cfg, "intermediate_size", source)
        shared, d_shared = _int(cfg, "n_shared_experts", source, 0), 0
        if "shared_expert_intermediate_size" in cfg:
            d_shared = _int(cfg, "shared_expert_intermediate_size", source)
            shared = 1 if d_shared else 0
        n_dense = _int(cfg, "first_k_dense_replace", source, 0)
        dense_list = cfg.get("mlp_only_layers") or []
        if isinstance(dense_list, list) and dense_list:
            if sorted(dense_list) != list(range(len(dense_list))):
                notes.append(f"mlp_only_layers {dense_list} counted as the first {len(dense_list)} layers")
            n_dense = max(n_dense, len(dense_list))
        for step_key in ("moe_layer_freq", "decoder_sparse_step"):
            if _int(cfg, step_key, source, 1) > 1:
                notes.append(f"'{step_key}' > 1 is not modelled: every layer after the dense ones is counted as MoE")
        kw.update(n_experts=n_exp, experts_per_token=k, d_expert=d_e, n_shared_experts=shared,
                  d_shared_expert=d_shared, n_dense_layers=n_dense)  # fmt: skip
        kw["d_ff"] = _int(cfg, "intermediate_size", source) if n_dense else _int(cfg, "intermediate_size", source, d_e)
    else:
        kw["d_ff"] = _int(cfg, "intermediate_size", source)
    kv_lora = _int(cfg, "kv_lora_rank", source, 0)
    if kv_lora:
        kw.update(
            kv_lora_rank=kv_lora, q_lora_rank=_int(cfg, "q_lora_rank", source, 0),
            qk_nope_head_dim=_int(cfg, "qk_nope_head_dim", source),
            qk_rope_head_dim=_int(cfg, "qk_rope_head_dim", source),
            v_head_dim=_int(cfg, "v_head_dim", source),
        )  # fmt: skip
        kw["n_kv_heads"] = n_heads  # MLA: every head reads the shared latent (the cache is the latent)
    if _int(cfg, "num_nextn_predict_layers", source, 0):
        notes.append("multi-token-prediction module (num_nextn_predict_layers) not counted: main model only")
    act = str(cfg.get("hidden_act", "silu"))
    if not act.startswith(("silu", "swish", "gelu")):
        notes.append(f"hidden_act {act!r}: counted as a gated (3-matrix) FFN like the rest of this family")
    unknown = sorted(k for k in cfg if k not in USED and k not in SILENT)
    if unknown:
        notes.append("ignored unknown field(s): " + ", ".join(unknown))
    try:
        arch = Architecture(**kw)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return LoadedConfig(arch, tuple(notes), source)


def load_hf_config(path: str | Path) -> LoadedConfig:
    """Read ``path`` (a Hugging Face ``config.json``) into an architecture; :class:`ConfigError` if not."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: not a UTF-8 text file") from None
    try:
        cfg = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    return parse_hf_config(cfg, str(p))
