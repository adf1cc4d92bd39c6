"""``planner plan``: ask the planning question from the command line (flags shared with ``report``).

Every flag maps to one :class:`~planner.question.Question` input and defaults to "not given", so
the question keeps the defaults written in :mod:`planner.question` (the help text reads them
from there). A preset's ``[hardware]`` and ``[budget]`` tables fill inputs the flags leave unset.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from typing import Any

from planner.cli.common import CliError, Command
from planner.presets.load import DEFAULT_PRESET_ID, Preset, PresetError, load_preset_file
from planner.question import Question, check_value, default
from planner.solve.result import Plan
from planner.summary import plan_json
from planner.text import printable
from planner.units import parse_number

EXAMPLES = """examples:
  planner plan --flops 1e22                                    # the compute-optimal model for a budget
  planner plan --usd 5e6 --gpu "H100 SXM" --usd-per-gpu-hour 2  # we have $5M
  planner plan --days 60 --gpus 2048                           # it must finish in 60 days on 2,048 GPUs
  planner plan --flops 1e24 --serve-on "8xH100 SXM"            # it must serve from one 8-GPU node
  planner plan --n-params 7e9 --flops 1e23                     # we must ship a 7B model: how many tokens?
  planner plan --n-params 7e9                                  # the budget at which 7B is compute-optimal
  planner plan --arch config.json --flops 1e23                 # train this architecture: tokens, loss
"""


def limited(name: str, flag: str) -> Callable[[str], float]:
    """Argument type: a number (``3.8e25``, ``400K``, ``4,096``) inside ``LIMITS[name]``."""

    def parse(text: str) -> float:
        try:
            return check_value(name, parse_number(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc).replace(f"{name} = ", "")) from None

    parse.__name__ = flag
    return parse


def _unique(text: str) -> float:
    if text.strip().lower() in ("inf", "infinity", "none"):
        return math.inf
    return limited("unique_tokens", "--unique-tokens")(text)


def _help(text: str, name: str) -> str:
    d = default(name)
    return text if d is None or d is False else f"{text} (default {d:,})" if isinstance(d, int) else f"{text} (default {d})"


def add_plan_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``planner plan`` (shared with ``planner report``); every default is "not given"."""
    p.epilog, p.formatter_class = EXAMPLES, argparse.RawDescriptionHelpFormatter
    law = p.add_mutually_exclusive_group()
    law.add_argument("--preset", metavar="ID", help=f"preset id (default {DEFAULT_PRESET_ID}); see 'planner presets'")
    law.add_argument("--preset-file", metavar="PATH", help="load a preset file (.toml or .json)")
    b = p.add_argument_group("budget (one of; or a fixed size or --target-loss alone)").add_mutually_exclusive_group()
    b.add_argument("--flops", type=limited("flops", "--flops"), help="training budget in FLOPs, e.g. 3.8e25")
    b.add_argument("--gpu-hours", type=limited("gpu_hours", "--gpu-hours"), help="budget in GPU-hours")
    b.add_argument("--usd", type=limited("usd", "--usd"), help="budget in dollars, e.g. 5e6 (at --usd-per-gpu-hour)")
    b.add_argument("--days", type=limited("days", "--days"), help="deadline in days of wall-clock on --gpus GPUs")
    h = p.add_argument_group("hardware")
    h.add_argument("--gpu", help=_help("accelerator; see 'planner gpus'", "gpu"))
    h.add_argument("--gpus", dest="n_gpus", type=limited("n_gpus", "--gpus"), help=_help("GPU count", "n_gpus"))
    h.add_argument("--mfu", type=limited("mfu", "--mfu"), help=_help("model FLOPs utilisation", "mfu"))
    h.add_argument("--usd-per-gpu-hour", type=limited("usd_per_gpu_hour", "--usd-per-gpu-hour"),
                   help="price per GPU-hour (default: the catalogue's illustrative price)")  # fmt: skip
    h.add_argument("--precision", choices=("bf16", "fp8"), help=_help("training precision (peak FLOP/s)", "precision"))
    f = p.add_argument_group("fixed size")
    f.add_argument("--n-params", type=limited("n_params", "--n-params"), metavar="N",
                   help="a model that must have N parameters (the law's meaning of N; active for an MoE)")
    f.add_argument("--n-tokens", type=limited("n_tokens", "--n-tokens"), metavar="D",
                   help="a fixed supply of D training tokens")
    s = p.add_argument_group("vocabulary, MoE, inference demand and data limit")
    s.add_argument("--vocab", dest="vocab_size", type=limited("vocab_size", "--vocab"), metavar="V",
                   help="vocabulary size (Tao et al. 2024); data fixed in characters")  # fmt: skip
    s.add_argument("--optimal-vocab", action="store_true", default=None, help="choose Tao's approach-3 optimal vocabulary")
    s.add_argument("--moe-activation", type=limited("moe_activation", "--moe-activation"), metavar="A",
                   help="MoE activation ratio A (active/total experts; 1 = dense)")  # fmt: skip
    s.add_argument("--moe-granularity", type=limited("moe_granularity", "--moe-granularity"), metavar="G",
                   help="MoE granularity G in the chosen law's definition (default: Ling 2, Krajewski 8)")  # fmt: skip
    s.add_argument("--moe-law", choices=("ling", "krajewski"), help=_help("MoE law", "moe_law"))
    s.add_argument("--inference-tokens", type=limited("inference_tokens", "--inference-tokens"), metavar="T",
                   help="lifetime inference tokens for inference-aware allocation (Sardana et al. 2024)")  # fmt: skip
    s.add_argument("--target-loss", type=limited("target_loss", "--target-loss"), metavar="L",
                   help="target loss for the inference-aware plan; alone, it sets the budget")  # fmt: skip
    s.add_argument("--unique-tokens", type=_unique, metavar="U",
                   help="unique training tokens available (Muennighoff et al. 2023); inf = no limit")  # fmt: skip
    v = p.add_argument_group("serving")
    v.add_argument("--serve-on", metavar="TARGET",
                   help="the model must serve from this: 'N x GPU' (e.g. '8xH100 SXM') or memory ('640GB')")
    v.add_argument("--serve-precision", choices=("bf16", "fp8", "int4"), help=_help("serving weight format",
                                                                                  "serve_precision"))  # fmt: skip
    v.add_argument("--context", type=limited("context", "--context"), help=_help("serving context (tokens)", "context"))
    v.add_argument("--decode-batch", type=limited("decode_batch", "--decode-batch"),
                   help=_help("sequences decoded together (serving cost and memory)", "decode_batch"))  # fmt: skip
    a = p.add_argument_group("architecture and training memory")
    a.add_argument("--arch", metavar="CONFIG", help="train this architecture: a Hugging Face config.json (plain JSON)")
    a.add_argument("--layers", dest="n_layers", type=limited("n_layers", "--layers"), help="fix the proposed depth")
    a.add_argument("--d-model", type=limited("d_model", "--d-model"), help="fix the proposed width")
    a.add_argument("--head-dim", type=limited("head_dim", "--head-dim"), help="fix the proposed head size")
    a.add_argument("--seq-len", type=limited("seq_len", "--seq-len"), help=_help("training sequence length", "seq_len"))
    a.add_argument("--optimizer", choices=("adamw", "adamw8bit"), help=_help("optimizer states", "optimizer"))
    a.add_argument("--zero-stage", type=int, choices=(0, 1, 2, 3), help=_help("ZeRO stage (3 = FSDP)", "zero_stage"))
    a.add_argument("--recompute", choices=("auto", "none", "selective", "full"),
                   help=_help("activation recomputation", "recompute"))  # fmt: skip
    a.add_argument("--micro-batch", type=limited("micro_batch", "--micro-batch"),
                   help=_help("sequences per micro-batch", "micro_batch"))  # fmt: skip
    p.add_argument("--method", choices=("auto", "closed", "numerical"), help=_help("how N* is found", "method"))
    p.add_argument("--json", action="store_true", help="print one JSON object (full precision)")


_INPUT_FLAGS = ("flops", "gpu_hours", "usd", "days", "gpu", "n_gpus", "mfu", "usd_per_gpu_hour", "precision",
                "n_params", "n_tokens", "vocab_size", "optimal_vocab", "moe_activation", "moe_granularity",
                "moe_law", "inference_tokens", "target_loss", "unique_tokens", "serve_on", "serve_precision",
                "context", "decode_batch", "seq_len", "n_layers", "d_model", "head_dim", "optimizer", "zero_stage",
                "recompute", "micro_batch", "method")  # fmt: skip


def load_preset(args: argparse.Namespace) -> Preset:
    """The preset a ``plan``-style namespace names (Mine > Team > Built-in, or a file)."""
    try:
        if args.preset_file:
            return load_preset_file(args.preset_file)
        from planner.presets.library import find_preset

        return find_preset(args.preset or DEFAULT_PRESET_ID)
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    except PresetError as exc:
        raise CliError(str(exc)) from None


def question_from_args(args: argparse.Namespace, preset: Preset) -> Question:
    """The question: the preset's ``[hardware]``/``[budget]`` inputs, then the flags given."""
    inputs: dict[str, Any] = {**(preset.hardware or {}), **(preset.budget or {})}
    given = {k: getattr(args, k) for k in _INPUT_FLAGS if getattr(args, k, None) is not None}
    if any(k in given for k in ("flops", "gpu_hours", "usd", "days")):
        for k in ("flops", "gpu_hours", "usd", "days"):
            inputs.pop(k, None)
    inputs.update(given)
    if getattr(args, "arch", None):
        from planner.costs.hf_config import ConfigError, load_hf_config

        try:
            inputs["arch"] = load_hf_config(args.arch).architecture
        except ConfigError as exc:
            raise CliError(str(exc)) from None
    try:
        return Question(law=preset.law, **inputs)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def plan_from_args(args: argparse.Namespace) -> tuple[Question, Plan]:
    """Build the question a ``plan``-style namespace asks and plan it."""
    from planner.solve.plan import plan

    q = question_from_args(args, load_preset(args))
    try:
        return q, plan(q)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _run_plan(args: argparse.Namespace) -> int:
    from planner.summary import text_table

    _, result = plan_from_args(args)
    if args.json:
        print(json.dumps(plan_json(result), indent=2, allow_nan=False))
    elif result.success:
        print(printable(text_table(result), keep_newlines=True))  # preset text may hold control characters
    if not result.success:
        raise CliError(f"no plan: {result.message}")
    return 0


COMMAND = Command("plan", "plan a training run: a budget, a deadline, a fixed size or a serving limit",
                  add_plan_arguments, _run_plan)  # fmt: skip
