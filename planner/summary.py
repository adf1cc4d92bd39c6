"""Rows of labelled, formatted results shared by the CLI table, the window and the report.

One function formats each number, so the figures a user reads in the window, in
``planner plan`` output and in the PDF are the same strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from planner.units import (
    fmt_bytes,
    fmt_count,
    fmt_duration_days,
    fmt_exact,
    fmt_flops,
    fmt_sci,
    fmt_usd,
)

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
    value: str  # as the field reads it: 95.9B, $1.40M, 28.6 days
    unit: str
    group: str = "plan"  # plan, cost, serving, science, demand, launch (the window's sections)
    exact: str = ""  # full precision, for tooltips and copies


GROUPS = {"plan": "Plan", "cost": "Cost and time", "serving": "Serving", "science": "Model and data",
          "demand": "Inference demand", "launch": "Model to launch"}  # fmt: skip
"""Sections of the results, in reading order (the window's tabs, the report's tables)."""


def _interval(plan: Plan, key: str, fmt: Callable[[float], str]) -> str:
    if not plan.intervals or key not in plan.intervals:
        return ""
    lo, hi = plan.intervals[key]
    return f" [{fmt(lo)} – {fmt(hi)}]"


def fmt_loss(x: float | None) -> str:
    """A loss to five significant figures (``1.9597``): laws differ in the third decimal."""
    return fmt_sci(x, 5)


def _ratio(x: float | None) -> str:
    return fmt_count(x, 3)


def result_rows(plan: Plan) -> list[Row]:
    """The results a user reads, in display order, each with its unit, section and exact value."""
    n_unit = N_UNIT.get(plan.n_meaning, "params")
    e = fmt_exact
    moe = plan.n_params_total is not None and plan.n_params_active is not None and (
        plan.n_params_total != plan.n_params_active)  # fmt: skip
    rows = [
        Row("flops", "Training budget", fmt_flops(plan.flops), "FLOPs", "plan", e(plan.flops)),
        Row("n_params", "Model size N*", fmt_count(plan.n_params) + _interval(plan, "n_params", fmt_count),
            f"active {n_unit}" if moe else n_unit, "plan", e(plan.n_params)),
    ]  # fmt: skip
    if moe:
        rows.append(Row("n_params_total", "Total parameters", fmt_count(plan.n_params_total), "params", "plan",
                        e(plan.n_params_total)))  # fmt: skip
        rows.append(Row("n_params_active", "Active parameters", fmt_count(plan.n_params_active), "params", "plan",
                        e(plan.n_params_active)))  # fmt: skip
    loss = (fmt_loss(plan.loss) + _interval(plan, "loss", fmt_loss) if plan.loss is not None
            else "— (allocation-only law)")  # fmt: skip
    rows += [
        Row("n_tokens", "Training tokens D*", fmt_count(plan.n_tokens) + _interval(plan, "n_tokens", fmt_count),
            "tokens", "plan", e(plan.n_tokens)),
        Row("tokens_per_param", "Tokens per parameter", _ratio(plan.tokens_per_param)
            + _interval(plan, "tokens_per_param", _ratio), "tokens/param", "plan", e(plan.tokens_per_param)),
        Row("loss", "Predicted loss", loss, plan.loss_unit if plan.loss is not None else "", "plan", e(plan.loss)),
        Row("cost_usd", "Training cost", fmt_usd(plan.cost_usd),
            f"at ${plan.usd_per_gpu_hour:.2f}/GPU-hour (illustrative)", "cost", e(plan.cost_usd)),
        Row("wall_clock_days", "Training wall-clock", fmt_duration_days(plan.wall_clock_days),
            f"on {plan.n_gpus:,} GPUs at MFU {plan.mfu:.0%}", "cost", f"{e(plan.wall_clock_days)} days"),
        Row("gpu_hours", "GPU-hours", fmt_count(plan.gpu_hours), f"{plan.gpu}-hours", "cost", e(plan.gpu_hours)),
        Row("inference_usd_per_million_tokens", "Serving cost", fmt_usd(plan.inference_usd_per_million_tokens),
            "per million tokens" + (f" ({plan.inference_bound}-bound)" if plan.inference_bound else ""), "serving",
            e(plan.inference_usd_per_million_tokens)),
        Row("serving_memory_bytes", "Serving memory", fmt_bytes(plan.serving_memory_bytes),
            f"{plan.serve_precision.upper()} weights + KV, {plan.decode_batch} × {plan.context:,} tokens",
            "serving", f"{e(plan.serving_memory_bytes)} bytes"),
        Row("inference_flops_per_token", "Inference FLOPs per token", fmt_flops(plan.inference_flops_per_token),
            f"FLOPs/token at {plan.context:,}-token context", "serving", e(plan.inference_flops_per_token)),
    ]  # fmt: skip
    if plan.binding:
        rows.append(_binding_row(plan))
    if plan.serve_memory_limit_bytes is not None:
        rows.append(Row("serve_memory_limit_bytes", "Serving limit", fmt_bytes(plan.serve_memory_limit_bytes),
                        f"serve on {plan.serve_on}", "serving", e(plan.serve_memory_limit_bytes)))  # fmt: skip
    rows += _science_rows(plan) + _demand_rows(plan, n_unit)
    if plan.architecture is not None:
        rows += architecture_rows(plan.architecture, plan.training_memory, plan.serving)
    return rows


def _binding_row(plan: Plan) -> Row:
    """The constraints that bind, and the loss they cost against the unconstrained optimum."""
    names = ", ".join(b.replace("_", " ") for b in plan.binding)
    cost = plan.cost_of_constraints
    if cost is None or plan.unconstrained_loss is None:
        return Row("binding", "Bound by", names, "the plan sits on this constraint", "plan")
    return Row("binding", "Bound by", names, f"loss {cost:+.4f} vs {fmt_loss(plan.unconstrained_loss)} unconstrained",
               "plan", fmt_exact(cost))  # fmt: skip


def _science_rows(plan: Plan) -> list[Row]:
    e, rows = fmt_exact, []
    if plan.vocab_size is not None:
        rows.append(Row("vocab_size", "Vocabulary", f"{plan.vocab_size:,.0f}", "tokens", "science", e(plan.vocab_size)))
    if plan.optimal_vocab_size is not None:
        rows.append(Row("optimal_vocab_size", "Optimal vocabulary", f"{plan.optimal_vocab_size:,.0f}", "tokens",
                        "science", e(plan.optimal_vocab_size)))  # fmt: skip
    if plan.vocab_band is not None:
        lo, hi = plan.vocab_band
        rows.append(Row("vocab_band", "Optimal vocabulary band", f"{lo:,.0f} – {hi:,.0f}",
                        "tokens (Tao approaches 1–2)", "science"))  # fmt: skip
    if plan.vocab_loss_change is not None:
        rows.append(Row("vocab_loss_change", "Vocabulary penalty", f"{plan.vocab_loss_change:+.2%}",
                        "change in normalised loss L_u vs optimal V (not cross-entropy)", "science"))  # fmt: skip
    if plan.efficiency_leverage is not None:
        rows.append(Row("efficiency_leverage", "MoE efficiency leverage", _ratio(plan.efficiency_leverage),
                        "× dense compute", "science", e(plan.efficiency_leverage)))  # fmt: skip
    if plan.epochs is not None:
        rows.append(Row("epochs", "Epochs over unique data", _ratio(plan.epochs), "epochs", "science", e(plan.epochs)))
    if plan.learning_rate is not None:
        rows.append(Row("learning_rate", "Learning rate", fmt_sci(plan.learning_rate, 3), "peak", "science",
                        e(plan.learning_rate)))  # fmt: skip
    if plan.batch_size_tokens is not None:
        rows.append(Row("batch_size_tokens", "Batch size", fmt_count(plan.batch_size_tokens), "tokens", "science",
                        e(plan.batch_size_tokens)))  # fmt: skip
    return rows


def _demand_rows(plan: Plan, n_unit: str) -> list[Row]:
    ia = plan.inference_aware
    if not ia or not plan.inference_tokens:
        return []
    e = fmt_exact
    frac = ia.get("total_flops_saving_fraction") or 0.0
    usd = ia["total_flops_saving"] / (plan.flops / plan.cost_usd) if plan.cost_usd else None
    rows = [
        Row("inference_aware.n_params", "Inference-aware N", fmt_count(ia["n_params"]),
            f"{n_unit}, to serve {fmt_count(plan.inference_tokens)} tokens", "demand", e(ia["n_params"])),
        Row("inference_aware.n_tokens", "Inference-aware D", fmt_count(ia["n_tokens"]), "tokens", "demand",
            e(ia["n_tokens"])),
        Row("inference_aware.total_flops", "Training + serving", fmt_flops(ia["total_flops"]),
            f"FLOPs for {fmt_count(plan.inference_tokens)} tokens served", "demand", e(ia["total_flops"])),
        Row("inference_aware.total_flops_saving", "Saving vs compute-optimal",
            f"{frac:.1%}" + (f" ({fmt_usd(usd)})" if usd is not None else ""),
            f"of lifetime compute: {fmt_flops(ia['total_flops_saving'])} FLOPs at the training price",
            "demand", e(ia["total_flops_saving"])),
    ]  # fmt: skip
    if ia.get("crossover_inference_tokens"):
        rows.append(Row("inference_aware.crossover_inference_tokens", "Smaller model pays from",
                        fmt_count(ia["crossover_inference_tokens"]), "tokens served", "demand",
                        e(ia["crossover_inference_tokens"])))  # fmt: skip
    return rows


def headline(plan: Plan) -> str:
    """The recommendation in one sentence, as the window's top line and the report's opening."""
    if not plan.success:
        return f"No plan: {plan.message}"
    what = "an MoE with " + fmt_count(plan.n_params) + " active parameters" if (
        plan.n_params_total and plan.n_params_active and plan.n_params_total != plan.n_params_active) else (
        "a " + fmt_count(plan.n_params) + "-parameter model")  # fmt: skip
    text = f"Train {what} on {fmt_count(plan.n_tokens)} tokens"
    if plan.loss is not None:
        text += f" for a loss of {fmt_loss(plan.loss)}"
    text += (f": {fmt_usd(plan.cost_usd)}, {fmt_duration_days(plan.wall_clock_days)} on {plan.n_gpus:,} "
             f"{plan.gpu}")  # fmt: skip
    if plan.binding:
        text += " (bound by " + ", ".join(b.replace("_", " ") for b in plan.binding) + ")"
    return text + "."


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
    a, e = plan.architecture, fmt_exact
    unit = MEANING_UNIT.get(plan.n_meaning, "params")
    law_n = fmt_flops if plan.n_meaning == "flops_per_token" else fmt_count
    origin = {"proposed": "proposed by the shape rule", "config": "from config.json"}.get(plan.source, plan.source)
    rows = [
        Row("architecture.shape", "Shape", shape_line(a), origin, "launch"),
        Row("architecture.shape_n", "Shape's N", law_n(plan.shape_n),
            f"{unit}; {plan.mismatch:+.2%} vs the law's {law_n(plan.law_n)}", "launch", e(plan.shape_n)),
        Row("architecture.params_total", "Parameters (exact)", f"{a.params_total:,}", "params, embeddings included",
            "launch", f"{a.params_total:,}"),
    ]  # fmt: skip
    if a.is_moe:
        rows.append(Row("architecture.params_active", "Active parameters", f"{a.params_active:,}", "params per token",
                        "launch", f"{a.params_active:,}"))  # fmt: skip
    flops = a.train_flops_per_token(plan.seq_len)
    rows.append(Row("architecture.flops_per_token", "Training FLOPs per token", fmt_flops(flops),
                    f"FLOPs/token at {plan.seq_len:,}-token sequences (6N + attention, fwd + bwd)", "launch",
                    e(flops)))  # fmt: skip
    if memory is not None:
        m = memory
        setting = f"{m.optimizer}, ZeRO-{m.zero_stage}, {m.recompute} recomputation"
        where = f"{m.layout.text()} on {m.n_gpus:,} × {m.gpu}" if m.layout else f"does not fit {m.n_gpus:,} × {m.gpu}"
        rows.append(Row("training_memory.bytes_per_gpu", "Training memory per GPU", fmt_bytes(m.bytes_per_gpu),
                        f"{where} ({setting}); {fmt_bytes(m.usable_bytes)} usable", "launch",
                        f"{e(m.bytes_per_gpu)} bytes"))  # fmt: skip
        rows.append(Row("training_memory.min_gpus", "Fewest GPUs to train",
                        f"{m.min_gpus:,}" if m.min_gpus else "—",
                        m.min_layout.text() if m.min_layout else "no count holds it with these settings",
                        "launch"))  # fmt: skip
    if serving is not None:
        s = serving
        rows.append(Row("serving.kv_bytes_per_token", "KV cache per token", fmt_bytes(s.kv_bytes_per_token),
                        f"{s.kv_precision.upper()}, this shape", "launch", f"{e(s.kv_bytes_per_token)} bytes"))
        rows.append(Row("serving.gpus_to_hold", "GPUs per serving replica", f"{s.gpus_to_hold:,}",
                        f"{s.gpu}, {s.precision.upper()} weights + KV for {s.batch} × {s.context:,} tokens "
                        f"({fmt_bytes(s.serving_memory_bytes)})", "launch"))  # fmt: skip
    return rows


def formatted_values(plan: Plan) -> dict[str, str]:
    """``{field: "value unit"}`` for every result row (the ``formatted`` block of ``--json``)."""
    return {r.key: r.value for r in result_rows(plan)}


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float replaced by ``None`` (JSON has no NaN or inf) and
    numpy scalars made Python numbers, through dicts, lists and tuples."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # a numpy scalar (numpy not imported)
        return json_safe(value.item())
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
    lines = [f"{plan.law_title}  [{plan.preset}]", "", headline(plan), ""]
    lines += [f"  {r.label:<{width}}  {r.value:>{vwidth}}  {r.unit}" if len(r.value) <= vwidth
              else f"  {r.label:<{width}}  {r.value}  ({r.unit})" for r in rows]  # fmt: skip
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {w}" for w in plan.warnings]
    return "\n".join(lines)
