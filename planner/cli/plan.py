"""``planner plan``: plan a training run for a budget (arguments shared with ``planner report``)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from planner.cli.common import CliError, Command, _int, _number, _unique_tokens
from planner.costs.hardware import DEFAULT_GPU, DEFAULT_MFU, Hardware, get_accelerator
from planner.costs.serving import DEFAULT_CONTEXT
from planner.laws import Law
from planner.presets.load import DEFAULT_PRESET_ID, PresetError, load_preset_file
from planner.solve.plan import Plan, plan
from planner.summary import plan_json


def add_plan_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of ``planner plan`` (shared with ``planner report``)."""
    law = p.add_mutually_exclusive_group()
    law.add_argument("--preset", default=None, metavar="ID", help=f"built-in preset id (default {DEFAULT_PRESET_ID})")
    law.add_argument("--preset-file", default=None, metavar="PATH", help="load a preset file (.toml or .json)")
    budget = p.add_mutually_exclusive_group(required=False)  # or --target-loss alone
    budget.add_argument("--flops", type=_number(1e10, 1e35, "--flops"), help="training budget in FLOPs, e.g. 3.8e25")
    budget.add_argument("--gpu-hours", type=_number(1e-3, 1e12, "--gpu-hours"), help="budget in GPU-hours")
    p.add_argument("--gpu", default=DEFAULT_GPU, help=f"accelerator (default {DEFAULT_GPU}); see --list-gpus")
    p.add_argument("--gpus", type=_int(1, 10_000_000, "--gpus"), default=1024, help="GPU count (default 1024)")
    p.add_argument("--mfu", type=_number(1e-3, 1.0, "--mfu"), default=DEFAULT_MFU, help="model FLOPs utilisation")
    p.add_argument("--usd-per-gpu-hour", type=_number(0.0, 1e5, "--usd-per-gpu-hour"), default=None,
                   help="price per GPU-hour (default: the catalogue's illustrative price)")  # fmt: skip
    p.add_argument("--context", type=_int(1, 10_000_000, "--context"), default=DEFAULT_CONTEXT,
                   help=f"context length for inference cost (default {DEFAULT_CONTEXT})")  # fmt: skip
    p.add_argument("--method", choices=("auto", "closed", "numerical"), default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    s = p.add_argument_group("vocabulary, MoE, inference demand and data limit")
    s.add_argument("--vocab", type=_number(256, 1e7, "--vocab"), default=None, metavar="V",
                   help="vocabulary size (Tao et al. 2024); data fixed in characters")  # fmt: skip
    s.add_argument("--optimal-vocab", action="store_true", help="choose Tao's approach-3 optimal vocabulary")
    s.add_argument("--moe-activation", type=_number(1e-6, 1.0, "--moe-activation"), default=None, metavar="A",
                   help="MoE activation ratio A (active/total experts; 1 = dense)")  # fmt: skip
    s.add_argument("--moe-granularity", type=_number(1.0, 4096.0, "--moe-granularity"), default=None, metavar="G",
                   help="MoE granularity G in the chosen law's definition (Ling default 2, Krajewski 8)")  # fmt: skip
    s.add_argument("--moe-law", choices=("ling", "krajewski"), default="ling", help="MoE law (default ling)")
    s.add_argument("--inference-tokens", type=_number(0.0, 1e30, "--inference-tokens"), default=0.0, metavar="T",
                   help="lifetime inference tokens for inference-aware allocation (Sardana et al. 2024)")  # fmt: skip
    s.add_argument("--target-loss", type=_number(1e-6, 1e3, "--target-loss"), default=None, metavar="L",
                   help="target loss for the inference-aware plan; alone, it sets the budget")  # fmt: skip
    s.add_argument("--unique-tokens", type=_unique_tokens, default=None, metavar="U",
                   help="unique training tokens available (Muennighoff et al. 2023); inf = no limit")  # fmt: skip


def load_law(args: argparse.Namespace) -> Law:
    if args.preset_file:
        try:
            return load_preset_file(args.preset_file).law
        except PresetError as exc:
            raise CliError(str(exc)) from None
    from planner.presets.library import scan

    try:  # Mine > Team > Built-in (planner.presets.library); PLANNER_PRESET_PATH adds team folders
        return scan().resolve(args.preset or DEFAULT_PRESET_ID).law
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    except PresetError as exc:
        raise CliError(str(exc)) from None


def hardware_from_args(args: argparse.Namespace) -> Hardware:
    try:
        acc = get_accelerator(args.gpu)
        return Hardware(accelerator=acc, n_gpus=args.gpus, mfu=args.mfu, usd_per_gpu_hour=args.usd_per_gpu_hour)
    except (KeyError, ValueError) as exc:
        raise CliError(str(exc.args[0])) from None


def plan_from_args(args: argparse.Namespace) -> tuple[Law, Plan]:
    """Build the law, hardware and plan a ``plan``-style namespace asks for."""
    if args.flops is None and args.gpu_hours is None and getattr(args, "target_loss", None) is None:
        raise CliError("one of the arguments --flops --gpu-hours is required (or --target-loss)")
    law = load_law(args)
    hw = hardware_from_args(args)
    kwargs = plan_kwargs(args)
    try:
        result = plan(law, args.flops, gpu_hours=args.gpu_hours, hardware=hw, context=args.context,
                      method=args.method, **kwargs)  # fmt: skip
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return law, result


def plan_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Extra keyword arguments for :func:`planner.plan` from optional flags."""
    names = {"vocab": "vocab_size", "optimal_vocab": "optimal_vocab", "moe_activation": "moe_activation",
             "moe_granularity": "moe_granularity", "moe_law": "moe_law", "inference_tokens": "inference_tokens",
             "target_loss": "target_loss", "unique_tokens": "unique_tokens"}  # fmt: skip
    return {kw: getattr(args, flag) for flag, kw in names.items() if hasattr(args, flag)}


def _run_plan(args: argparse.Namespace) -> int:
    from planner.summary import text_table

    _, result = plan_from_args(args)
    if args.json:
        print(json.dumps(plan_json(result), indent=2))
    else:
        print(text_table(result))
    return 0



COMMAND = Command("plan", "plan a training run for a budget", add_plan_arguments, _run_plan)
