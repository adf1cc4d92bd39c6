"""Rows of labelled, formatted results shared by the CLI table, the window and the report.

One function formats each number, so the figures a user reads in the window, in
``planner plan`` output and in the PDF are the same strings.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, NamedTuple

from planner.units import fmt_bytes, fmt_duration_days, fmt_sci, fmt_usd

if TYPE_CHECKING:
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
        Row("serving_memory_bytes", "Serving memory", fmt_bytes(plan.serving_memory_bytes), "weights (BF16) + KV cache"),
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
    vwidth = max(len(r.value) for r in rows)
    lines = [f"{plan.law_title}  [{plan.preset}]", ""]
    lines += [f"  {r.label:<{width}}  {r.value:>{vwidth}}  {r.unit}" for r in rows]
    if plan.warnings:
        lines += ["", "Warnings:"] + [f"  ! {w}" for w in plan.warnings]
    return "\n".join(lines)
