"""From the plan to a model you can launch: its shape, training memory and layout, and serving it.

Every plan gets a shape (:func:`planner.costs.proposal.describe`: proposed from the law's N in
the law's own meaning, or the user's ``config.json``), the training memory and a parallel layout
on the question's GPUs (:func:`planner.costs.memory.training_plan`), and the serving cost and
memory of that exact shape (:func:`planner.costs.serving.serving_from_shape`). The serving
constraint (``serve_on``) uses the same shape, so the memory a plan reports is the memory the
constraint held to.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from planner.costs.hardware import BYTES_PER_PARAM
from planner.costs.memory import TrainingMemory, training_plan
from planner.costs.proposal import ArchitecturePlan, MoESpec, describe
from planner.costs.serving import serving_from_shape
from planner.laws.base import reference_vocab
from planner.solve.problem import Conflict, Point, Problem, Term

if TYPE_CHECKING:
    from planner.costs.architecture import Architecture
    from planner.question import Question

def moe_spec(q: Question) -> MoESpec | None:
    """The MoE to shape, in Ling's granularity (Krajewski's G = 2 × Ling's, LAWS.md §4.6.1)."""
    if q.moe_activation is None or q.moe_activation >= 1.0:
        return None
    from planner.effects.moe import granularity_of

    g = granularity_of(q)
    return MoESpec(q.moe_activation, g / 2.0 if q.moe_law == "krajewski" else g)


def shape_args(p: Problem, vocab_size: float | None = None) -> dict[str, Any]:
    """What :func:`~planner.costs.proposal.describe` needs beside N for the question of ``p``."""
    q = p.question
    vocab = vocab_size or q.vocab_size or reference_vocab(p.law.id)
    return {"vocab_size": int(vocab), "moe": moe_spec(q), "seq_len": q.seq_len, "n_layers": q.n_layers,
            "d_model": q.d_model, "head_dim": q.head_dim, "arch": q.arch,
            "source": "config" if q.arch is not None else None}  # fmt: skip


def shape_for(p: Problem, n_params: float, vocab_size: float | None = None) -> ArchitecturePlan:
    """The shape of a model of ``n_params`` (the law's meaning) for the question of ``p``."""
    return describe(n_params, p.law.info.n_meaning, **shape_args(p, vocab_size))


def replica_memory(arch: Architecture, serve_precision: str, context: int, decode_batch: int) -> float:
    """Bytes one replica of ``arch`` needs to serve: its weights at ``serve_precision`` and a BF16
    KV cache for ``decode_batch`` sequences of ``context`` tokens, the ``serving_memory_bytes`` of
    :func:`~planner.costs.serving.serving_from_shape` (a test keeps them equal) without pricing."""
    weights = arch.params_total * BYTES_PER_PARAM[serve_precision]
    return weights + arch.kv_bytes_per_token(BYTES_PER_PARAM["bf16"]) * context * decode_batch


def serving_memory(p: Problem, n_params: float) -> float:
    """Bytes one replica of the shape of ``n_params`` needs at the question's serving settings."""
    q = p.question
    return replica_memory(shape_for(p, n_params).architecture, q.serve_precision, q.context, q.decode_batch)


def architecture_warnings(plan: ArchitecturePlan, memory: TrainingMemory | None = None) -> list[str]:
    """Notes of the shape search and the memory check, as lines for a plan's warnings."""
    out = [f"Shape: {n}." if not n.endswith(".") else f"Shape: {n}" for n in plan.notes]
    if memory is not None:
        out += list(memory.warnings)
    return out


class LaunchTerm(Term):
    """Shape, training memory and layout, and serving from the shape, on every plan."""

    name = "architecture"

    def applies(self, q: Question) -> bool:
        return True

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        q = p.question
        vp = (p.extras or {}).get("vocab_plan")
        shape = shape_for(p, out["n_params"], vp.split.vocab_size if vp is not None else None)
        arch = shape.architecture
        memory = training_plan(arch, p.hardware, n_gpus=q.n_gpus, seq_len=q.seq_len, micro_batch=q.micro_batch,
                               optimizer=q.optimizer, zero_stage=q.zero_stage, recompute=q.recompute)  # fmt: skip
        serving = serving_from_shape(arch, p.hardware, context=q.context, batch=q.decode_batch,
                                     precision=q.serve_precision)  # fmt: skip
        out.update(architecture=shape, training_memory=memory, serving=serving,
                   inference_flops_per_token=serving.flops_per_token,
                   inference_usd_per_million_tokens=serving.usd_per_million_tokens, inference_bound=serving.bound,
                   serving_memory_bytes=serving.serving_memory_bytes, serving_gpus=serving.gpus_to_hold)  # fmt: skip
        out["warnings"] += architecture_warnings(shape, memory)
        target = q.serve_target
        if target is not None and serving.serving_memory_bytes > target.memory_bytes * (1 + 1e-9):
            out["warnings"].append(f"Serving: the final shape needs {serving.serving_memory_bytes / 1e9:,.1f} GB, "
                                   f"above {target.label} ({target.memory_bytes / 1e9:,.1f} GB)")  # fmt: skip


TERM = LaunchTerm()


# ---------------------------------------------------------------------------------------------
# the serving constraint: the same shape must fit the serving memory


def largest_fitting(fits: Callable[[float], bool], guess: float, n_min: float, rel: float = 1e-5) -> float:
    """The largest N with ``fits(N)`` (memory grows with N, in steps: shapes are integers), by
    bisection in ln N to ``rel`` from a bracket grown around ``guess``."""
    lo, hi = n_min, max(guess, n_min * 2.0)
    while fits(hi):
        lo, hi = hi, hi * 2.0
        if hi > 1e17:
            return lo
    half = hi / 2.0
    if half > lo and fits(half):  # (half <= lo: lo is already the largest known to fit)
        lo = half
    while hi / lo > 1.0 + rel:
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


class ServingLimitTerm(Term):
    """The model must serve from ``serve_on``: N_total·bytes + KV cache at the serving context and
    decode batch fit its memory, so N is bounded above (memory grows with N)."""

    name = "serving_memory"
    constraint = True

    def applies(self, q: Question) -> bool:
        return q.serve_target is not None

    def pose(self, p: Problem) -> None:
        q, target = p.question, p.question.serve_target
        limit = target.memory_bytes  # type: ignore[union-attr]
        meaning, args = p.law.info.n_meaning, shape_args(p)
        known = _memory_table(meaning, tuple(args.items()), q.serve_precision, q.context, q.decode_batch)

        def memory(n: float) -> float:
            m = known.get(n)
            if m is None:
                m = known[n] = replica_memory(describe(n, meaning, **args).architecture, q.serve_precision,
                                              q.context, q.decode_batch)  # fmt: skip
            return m

        n_min = 1e6
        if memory(n_min) > limit:
            raise Conflict(f"serving on {target.label} ({limit / 1e9:,.1f} GB) cannot hold even a "  # type: ignore[union-attr]
                           f"{n_min:.0e}-parameter model at {q.context:,}-token context and decode batch "
                           f"{q.decode_batch}: lower --context or --decode-batch, or serve on more memory")  # fmt: skip
        p.bound("hi", largest_fitting(lambda n: memory(n) <= limit, self._estimate(p, limit), n_min), "serving_memory")

    @staticmethod
    def _estimate(p: Problem, limit: float) -> float:
        """N whose weights alone (N_total·bytes) fill ``limit``: a bracket for the exact search."""
        q = p.question
        return limit / (BYTES_PER_PARAM[q.serve_precision] * p.total_per_active)

    def report(self, p: Problem, pt: Point, out: dict[str, Any]) -> None:
        out["serve_memory_limit_bytes"] = p.question.serve_target.memory_bytes  # type: ignore[union-attr]


SERVING_LIMIT = ServingLimitTerm()


@lru_cache(maxsize=64)
def _memory_table(meaning: str, shape: tuple[tuple[str, Any], ...], serve_precision: str, context: int,
                  decode_batch: int) -> dict[float, float]:  # fmt: skip
    """The :func:`replica_memory` of the shape :func:`describe` proposes for each N tried, for one
    set of its other arguments (``shape``) and serving settings, filled by the serving limit's
    search. The search tries the same sizes at every budget of a question (the bound does not
    depend on the budget), so a question's later plans read it instead of proposing ~20 shapes;
    each entry is a pure function of its key."""
    return {}
