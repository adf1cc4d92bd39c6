"""Human-readable shape, memory and layout: one formatter for the CLI table, the PDF and the window.

:func:`architecture_rows` returns :class:`planner.summary.Row` tuples (key, label, value, unit),
the same kind :func:`planner.summary.result_rows` returns, so the three front ends show the same
strings. Keys are dotted JSON paths (``architecture.params_total``, ``training_memory.min_gpus``,
``serving.gpus_to_hold``). :func:`shape_line` gives the one-line shape, e.g.
"80 layers × 8,192 wide, 64 heads (8 KV) of 128, SwiGLU 28,672, vocabulary 32,000 (untied)".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planner.summary import N_UNIT, Row
from planner.units import fmt_bytes, fmt_sci

if TYPE_CHECKING:
    from planner.costs.architecture import Architecture
    from planner.costs.memory import TrainingMemory
    from planner.costs.proposal import ArchitecturePlan
    from planner.costs.serving import ShapeServing

MEANING_UNIT = {**N_UNIT, "flops_per_token": "FLOPs/token (DeepSeek M)"}


def shape_line(a: Architecture) -> str:
    """One line: layers × width, heads (KV heads) of head size, FFN, MoE / MLA parts, vocabulary."""
    parts = [f"{a.n_layers:,} layers × {a.d_model:,} wide"]
    if a.is_mla:
        q = f"q rank {a.q_lora_rank:,}, " if a.q_lora_rank else ""
        parts.append(f"{a.n_heads:,} heads, MLA ({q}KV rank {a.kv_lora_rank:,}, rope {a.qk_rope_head_dim})")
    else:
        parts.append(f"{a.n_heads:,} heads ({a.n_kv_heads:,} KV) of {a.head_dim}")
    kind = "SwiGLU" if a.ffn_kind == "swiglu" else "GELU"
    if a.is_moe:
        shared = f" + {a.n_shared_experts} shared" if a.n_shared_experts else ""
        dense = f", {a.n_dense_layers} dense layers of {a.d_ff:,}" if a.n_dense_layers else ""
        parts.append(f"MoE {a.n_experts:,} experts ({a.experts_per_token} active{shared}) {kind} {a.d_expert:,}{dense}")
    else:
        parts.append(f"{kind} {a.d_ff:,}")
    parts.append(f"vocabulary {a.vocab_size:,} ({'tied' if a.tied_embeddings else 'untied'})")
    return ", ".join(parts)


def architecture_rows(
    plan: ArchitecturePlan, memory: TrainingMemory | None = None, serving: ShapeServing | None = None
) -> list[Row]:
    """Rows for the shape next to the law's N, training memory and layout, and serving one replica."""
    a = plan.architecture
    unit = MEANING_UNIT.get(plan.n_meaning, "params")
    origin = {"proposed": "proposed by the shape rule", "config": "from config.json"}.get(plan.source, plan.source)
    rows = [
        Row("architecture.shape", "Shape", shape_line(a), origin),
        Row("architecture.shape_n", "Shape's N", fmt_sci(plan.shape_n),
            f"{unit}; {plan.mismatch:+.2%} vs the law's {fmt_sci(plan.law_n)}"),
        Row("architecture.params_total", "Parameters (exact)", f"{a.params_total:,}", "params, embeddings included"),
    ]  # fmt: skip
    if a.is_moe:
        rows.append(Row("architecture.params_active", "Active parameters", f"{a.params_active:,}", "params per token"))
    flops = fmt_sci(a.train_flops_per_token(plan.seq_len), 4)
    rows.append(Row("architecture.flops_per_token", "Training FLOPs per token", flops,
                    f"FLOPs/token at {plan.seq_len:,}-token sequences (6N + attention, fwd + bwd)"))  # fmt: skip
    if memory is not None:
        m = memory
        setting = f"{m.optimizer}, ZeRO-{m.zero_stage}, {m.recompute} recomputation"
        where = f"{m.layout.text()} on {m.n_gpus:,} × {m.gpu}" if m.layout else f"does not fit {m.n_gpus:,} × {m.gpu}"
        rows.append(Row("training_memory.bytes_per_gpu", "Training memory per GPU", fmt_bytes(m.bytes_per_gpu),
                        f"{where} ({setting}); {fmt_bytes(m.usable_bytes)} usable"))  # fmt: skip
        rows.append(Row("training_memory.min_gpus", "Fewest GPUs to train",
                        f"{m.min_gpus:,}" if m.min_gpus else "—",
                        m.min_layout.text() if m.min_layout else "no count holds it with these settings"))  # fmt: skip
    if serving is not None:
        s = serving
        rows.append(Row("serving.kv_bytes_per_token", "KV cache per token", fmt_bytes(s.kv_bytes_per_token),
                        f"{s.kv_precision.upper()}, this shape"))  # fmt: skip
        rows.append(Row("serving.gpus_to_hold", "GPUs per serving replica", f"{s.gpus_to_hold:,}",
                        f"{s.gpu}, {s.precision.upper()} weights + KV for {s.batch} × {s.context:,} tokens "
                        f"({fmt_bytes(s.serving_memory_bytes)})"))  # fmt: skip
    return rows


def architecture_warnings(plan: ArchitecturePlan, memory: TrainingMemory | None = None) -> list[str]:
    """Notes of the shape search and the memory check, as lines for a plan's warnings."""
    out = [f"Shape: {n}." if not n.endswith(".") else f"Shape: {n}" for n in plan.notes]
    if memory is not None:
        out += list(memory.warnings)
    return out
