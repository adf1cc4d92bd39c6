"""Rows of labelled, formatted results shared by the CLI table, the window and the report.

One function formats each number, so the figures a user reads in the window, in
``planner plan`` output and in the PDF are the same strings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

from planner.units import fmt_bytes, fmt_duration_days, fmt_sci, fmt_usd

if TYPE_CHECKING:
    from planner.costs.architecture import Architecture
    from planner.costs.memory import TrainingMemory
    from planner.costs.proposal import ArchitecturePlan
    from planner.costs.serving import ShapeServing
    from planner.solve.result import Plan

N_UNIT = {"total": "params", "non_embedding": "non-emb. params", "flops_per_token": "non-emb. params"}


class Row(NamedTuple):
    key: str  # the Plan / JSON field
    label: str
    value: str
    unit: str


def _interval(plan: Plan, key: str, fmt=fmt_sci) -> str:
    if not plan.intervals or key not in plan.intervals:
        return ""
    lo, hi = plan.intervals[key]
    return f" [{fmt(lo)} – {fmt(hi)}]"


def result_rows(plan: Plan) -> list[Row]:
    """The results a user reads, in display order, each with its unit."""
    n_unit = N_UNIT.get(plan.n_meaning, "params")
    rows = [
        Row("flops", "Training budget", fmt_sci(plan.flops), "FLOPs"),
        Row("n_params", "Model size N*", fmt_sci(plan.n_params) + _interval(plan, "n_params"), n_unit),
    ]
    if plan.n_params_total is not None and plan.n_params_active is not None and plan.n_params_total != plan.n_params_active:
        rows.append(Row("n_params_total", "Total parameters", fmt_sci(plan.n_params_total), "params"))
        rows.append(Row("n_params_active", "Active parameters", fmt_sci(plan.n_params_active), "params"))
    rows += [
        Row("n_tokens", "Training tokens D*", fmt_sci(plan.n_tokens) + _interval(plan, "n_tokens"), "tokens"),
        Row("tokens_per_param", "Tokens per parameter", fmt_sci(plan.tokens_per_param, 4)
            + _interval(plan, "tokens_per_param", lambda x: fmt_sci(x, 4)), "tokens/param"),
        Row("loss", "Predicted loss", fmt_sci(plan.loss) + _interval(plan, "loss") if plan.loss is not None
            else "— (allocation-only law)", plan.loss_unit if plan.loss is not None else ""),
        Row("gpu_hours", "GPU-hours", fmt_sci(plan.gpu_hours, 4), f"{plan.gpu}-hours"),
        Row("wall_clock_days", "Training wall-clock", fmt_duration_days(plan.wall_clock_days),
            f"on {plan.n_gpus:,} GPUs at MFU {plan.mfu:.0%}"),
        Row("cost_usd", "Training cost", fmt_usd(plan.cost_usd), f"at ${plan.usd_per_gpu_hour:.2f}/GPU-hour (illustrative)"),
        Row("inference_flops_per_token", "Inference FLOPs per token", fmt_sci(plan.inference_flops_per_token, 4),
            f"FLOPs/token at {plan.context:,}-token context"),
        Row("inference_usd_per_million_tokens", "Serving cost", fmt_usd(plan.inference_usd_per_million_tokens),
            f"per million tokens ({plan.inference_bound}-bound)"),
        Row("serving_memory_bytes", "Serving memory", fmt_bytes(plan.serving_memory_bytes), f"weights ({plan.serve_precision.upper()}) + KV cache"),
    ]  # fmt: skip
    if plan.vocab_size is not None:
        rows.append(Row("vocab_size", "Vocabulary", f"{plan.vocab_size:,.0f}", "tokens"))
    if plan.optimal_vocab_size is not None:
        rows.append(Row("optimal_vocab_size", "Optimal vocabulary", f"{plan.optimal_vocab_size:,.0f}", "tokens"))
    if plan.vocab_band is not None:
        lo, hi = plan.vocab_band
        rows.append(Row("vocab_band", "Optimal vocabulary band", f"{lo:,.0f} – {hi:,.0f}", "tokens (Tao approaches 1–2)"))
    if plan.vocab_loss_change is not None:
        rows.append(Row("vocab_loss_change", "Vocabulary penalty", f"{plan.vocab_loss_change:+.2%}",
                        "change in normalised loss L_u vs optimal V (not cross-entropy)"))  # fmt: skip
    if plan.efficiency_leverage is not None:
        rows.append(Row("efficiency_leverage", "MoE efficiency leverage", fmt_sci(plan.efficiency_leverage, 4), "× dense compute"))
    if plan.epochs is not None:
        rows.append(Row("epochs", "Epochs over unique data", fmt_sci(plan.epochs, 4), "epochs"))
    if plan.learning_rate is not None:
        rows.append(Row("learning_rate", "Learning rate", fmt_sci(plan.learning_rate, 3), "peak"))
    if plan.batch_size_tokens is not None:
        rows.append(Row("batch_size_tokens", "Batch size", fmt_sci(plan.batch_size_tokens, 3), "tokens"))
    ia = plan.inference_aware
    if ia and plan.inference_tokens:
        rows += [
            Row("inference_aware.n_params", "Inference-aware N", fmt_sci(ia["n_params"]), n_unit),
            Row("inference_aware.n_tokens", "Inference-aware D", fmt_sci(ia["n_tokens"]), "tokens"),
            Row("inference_aware.total_flops", "Training + serving", fmt_sci(ia["total_flops"], 4),
                f"FLOPs for {fmt_sci(plan.inference_tokens, 3)} tokens served"),
            Row("inference_aware.total_flops_saving", "Saving vs compute-optimal",
                fmt_sci(ia["total_flops_saving"], 4), "FLOPs"),
        ]  # fmt: skip
        if ia.get("crossover_inference_tokens"):
            rows.append(Row("inference_aware.crossover_inference_tokens", "Smaller model pays from",
                            fmt_sci(ia["crossover_inference_tokens"], 3), "tokens served"))  # fmt: skip
    if plan.architecture is not None:
        rows += architecture_rows(plan.architecture, plan.training_memory, plan.serving)
    return rows


# ---------------------------------------------------------------------------------------------
# the shape, training memory and layout, serving one replica

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


def formatted_values(plan: Plan) -> dict[str, str]:
    """``{field: "value unit"}`` for every result row (the ``formatted`` block of ``--json``)."""
    return {r.key: r.value for r in result_rows(plan)}


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN or inf)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def plan_json(plan: Plan) -> dict[str, Any]:
    """The JSON object of a plan (CLI ``--json``, the window's "Copy results", the report's data):
    every field at full precision, non-finite numbers as ``null``, and ``formatted`` holding the
    exact strings the window, the CLI table and the PDF show."""
    d = json_safe(plan.to_dict())
    d["formatted"] = formatted_values(plan)
    return d


def text_table(plan: Plan) -> str:
    """A readable fixed-width table for the terminal."""
    rows = result_rows(plan)
    width = max(len(r.label) for r in rows)
    vwidth = max(len(r.value) for r in rows if len(r.value) <= 24)  # a long value (the shape) runs on
    lines = [f"{plan.law_title}  [{plan.preset}]", ""]
    lines += [f"  {r.label:<{width}}  {r.value:>{vwidth}}  {r.unit}" if len(r.value) <= vwidth
              else f"  {r.label:<{width}}  {r.value}  ({r.unit})" for r in rows]  # fmt: skip
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {w}" for w in plan.warnings]
    return "\n".join(lines)
