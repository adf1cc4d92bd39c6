"""The ``planner`` command line.

``planner presets [--json]``, ``planner plan ...``; other packages add commands (``report``
from the window package) through the ``planner.cli`` entry-point group, so this core never
imports Qt. Bad input exits with status 2 and one line on stderr; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from planner import __version__
from planner.hardware import CATALOGUE, DEFAULT_GPU, DEFAULT_MFU, Hardware, get_accelerator
from planner.inference import DEFAULT_CONTEXT
from planner.laws import Law
from planner.optimiser import Plan, plan
from planner.presets import DEFAULT_PRESET_ID, PresetError, load_preset_file
from planner.units import parse_number


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError(message)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


_COMMANDS: dict[str, Command] = {}


def register(command: Command) -> None:
    """Add a subcommand (used by plug-ins such as the report writer)."""
    _COMMANDS[command.name] = command


# ---------------------------------------------------------------------------------------------
# argument types


def _number(lo: float, hi: float, what: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = parse_number(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value:g} is out of range (expected {lo:g} to {hi:g})")
        return value

    parse.__name__ = what
    return parse


def _int(lo: int, hi: int, what: str) -> Callable[[str], int]:
    inner = _number(lo, hi, what)

    def parse(text: str) -> int:
        value = inner(text)
        if value != int(value):
            raise argparse.ArgumentTypeError(f"{value:g} is not a whole number")
        return int(value)

    parse.__name__ = what
    return parse


def _unique_tokens(text: str) -> float:
    if text.strip().lower() in ("inf", "infinity", "none"):
        return math.inf
    return _number(1.0, 1e30, "--unique-tokens")(text)


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
    from planner.library import scan

    try:  # Mine > Team > Built-in (planner.library); PLANNER_PRESET_PATH adds team folders
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


def plan_json(result: Plan) -> dict[str, Any]:
    """The ``--json`` object: every Plan field (full precision) plus ``formatted`` strings."""
    d = result.to_dict()
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


# ---------------------------------------------------------------------------------------------
# commands


def _run_presets(args: argparse.Namespace) -> int:
    from planner.library import BUILTIN, GROUPS, MINE, TEAM, scan

    lib = scan(extra_folders=args.folder)
    shadows = {}
    for s in lib.shadowed:
        shadows.setdefault(id(s.winner), []).append(str(s.loser.path or s.loser.id))
    if args.json:
        out = [
            {
                "id": e.id, "title": e.title, "form": e.preset.law.form, "default": e.preset.default,
                "citation": e.preset.law.info.citation.short(), "arxiv": e.preset.law.info.citation.arxiv,
                "n_params": e.preset.law.info.n_meaning, "has_loss": e.preset.law.has_loss,
                "coefficients": e.preset.law.coefficients(), "group": e.group,
                "path": str(e.path) if e.path else None, "shadows": shadows.get(id(e), []),
            }
            for e in lib.entries
        ]  # fmt: skip
        print(json.dumps(out, indent=2))
        for err in lib.errors:
            print(f"planner: warning: {err.message}", file=sys.stderr)
        return 0
    groups = lib.groups()
    width = max(len(e.id) for e in lib.entries)
    for group in GROUPS:
        folders = lib.folders.get(group, ())
        where = ", ".join(map(str, folders)) if folders else ""
        if group == TEAM and not folders:
            where = "none; set PLANNER_PRESET_PATH or pass --folder"
        if group not in groups and group not in (TEAM, MINE):
            continue
        print(f"{group}" + (f"  ({where})" if where else ""))
        for e in groups.get(group, []):
            star = "*" if e.preset.default and group == BUILTIN else " "
            print(f"{star} {e.id:<{width}}  {e.title}")
            detail = e.preset.law.info.citation.short() if group == BUILTIN else str(e.path)
            print(f"  {'':<{width}}  {detail}")
        if group not in groups:
            print("  (no presets)")
        print()
    if lib.shadowed:
        print("Shadowed (precedence Mine > Team, first folder first > Built-in):")
        for s in lib.shadowed:
            print(f"  {s.describe()}")
        print()
    if lib.errors:
        print("Not loaded:")
        for err in lib.errors:
            print(f"  {err.message}")
        print()
    print("* default")
    return 0


def _run_plan(args: argparse.Namespace) -> int:
    from planner.summary import text_table

    _, result = plan_from_args(args)
    if args.json:
        print(json.dumps(plan_json(result), indent=2))
    else:
        print(text_table(result))
    return 0


def _add_presets_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--folder", action="append", default=[], metavar="DIR",
                   help="also read team presets from DIR (repeatable; before PLANNER_PRESET_PATH)")  # fmt: skip


def _run_gpus(args: argparse.Namespace) -> int:
    for a in CATALOGUE.values():
        fp8 = f"{a.fp8_flops / 1e12:,.0f}" if a.fp8_flops else "–"
        print(f"{a.name:<18} BF16 {a.bf16_flops / 1e12:>8,.1f} TF/s  FP8 {fp8:>6}  "
              f"{a.memory_bytes / 1e9:>5,.0f} GB  {a.bandwidth_bytes / 1e9:>6,.0f} GB/s  "
              f"${a.usd_per_hour:.2f}/h ({a.price_note})  [{a.status}]")  # fmt: skip
    return 0


# ---------------------------------------------------------------------------------------------
# planner fit

_FIT_NAMES = {"chinchilla": ("E", "A", "B", "alpha", "beta"), "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D")}
EPOCH_OUTLIERS = 5  # Besiroglu et al. 2024 drop the 5 highest-loss runs of the Chinchilla data


def _pin(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. E=1.8)")
    try:
        number = parse_number(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{name}: {exc}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{name}: {value.strip()!r} is not a finite number")
    return name, number


def _add_fit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", metavar="RUNS", help="runs file (CSV, TSV or Parquet): N, loss and tokens or FLOPs per run")
    p.add_argument("--form", choices=("chinchilla", "kaplan"), default="chinchilla",
                   help="law form: chinchilla (E + A/N^alpha + B/D^beta) or kaplan (Eq. 1.5); default chinchilla")
    p.add_argument("--pin", type=_pin, action="append", default=[], metavar="NAME=VALUE",
                   help="hold a coefficient fixed, e.g. --pin E=1.8 (repeatable)")
    p.add_argument("--loss", choices=("huber", "ls"), default="huber",
                   help="objective on ln-loss residuals: summed Huber (default, as Hoffmann/Epoch) or least squares")
    p.add_argument("--delta", type=_number(1e-12, 10.0, "--delta"), default=1e-3, help="Huber delta (default 1e-3)")
    p.add_argument("--bootstrap", type=_int(0, 100_000, "--bootstrap"), default=1000, metavar="N",
                   help="bootstrap resamples for intervals (default 1000; 0 = none; at most 1000 are stored in -o)")
    p.add_argument("--level", type=_number(0.5, 0.999, "--level"), default=0.95, help="interval level (default 0.95)")
    p.add_argument("--seed", type=_int(0, 2**63 - 1, "--seed"), default=0, help="bootstrap seed (default 0)")
    p.add_argument("--drop-outliers", nargs="?", type=_int(1, 10**9, "--drop-outliers"), const=EPOCH_OUTLIERS,
                   default=0, metavar="K", help=f"drop the K highest-loss runs first (default K {EPOCH_OUTLIERS}, as Epoch)")
    p.add_argument("--holdout", type=_number(0.0, 0.9, "--holdout"), default=0.2, metavar="FRAC",
                   help="leave-largest-out check: refit without this fraction of the largest-compute runs and "
                        "predict them (default 0.2; 0 = skip)")
    p.add_argument("-o", "--output", default=None, metavar="PATH", help="write a fitted preset (.toml or .json)")
    p.add_argument("--id", default=None, help="preset id for -o (default: fit-<file name>)")
    p.add_argument("--name", default=None, help="preset name for -o (default: 'Fit to <file name>')")
    p.add_argument("--author", default="", help="preset author for -o")
    p.add_argument("--json", action="store_true", help="print one JSON object")  # fmt: skip


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


def _run_fit(args: argparse.Namespace) -> int:
    import re
    import time

    from planner.fitting import bootstrap, fit, leave_largest_out, write_fitted_preset
    from planner.runs import RunsError, data_range, load_runs

    t0 = time.perf_counter()
    names = _FIT_NAMES[args.form]
    pin: dict[str, float] = {}
    for name, value in args.pin:
        if name not in names:
            raise CliError(f"--pin {name}: unknown parameter for form {args.form!r} (expected one of {', '.join(names)})")
        if value <= 0 and name != "E":
            raise CliError(f"--pin {name}={value:g}: must be > 0")
        if value < 0:
            raise CliError(f"--pin {name}={value:g}: must be >= 0")
        pin[name] = value
    try:
        runs = load_runs(args.runs)
    except RunsError as exc:
        raise CliError(str(exc)) from None
    if args.drop_outliers >= len(runs):
        raise CliError(f"--drop-outliers {args.drop_outliers}: the file has only {len(runs)} usable runs")
    kw = {"form": args.form, "loss_fn": args.loss, "delta": args.delta, "pin": pin, "drop_highest": args.drop_outliers}
    try:
        result = fit(runs, **kw)
        boot = None
        if args.bootstrap:
            boot = bootstrap(runs, n=args.bootstrap, seed=args.seed, level=args.level, base=result, **kw)
            result = boot.fit
        holdout, holdout_note = None, ""
        if args.holdout > 0:
            try:
                holdout = leave_largest_out(runs, frac=args.holdout, **kw)
            except ValueError as exc:
                holdout_note = f"leave-largest-out check skipped: {exc}"
    except ValueError as exc:
        raise CliError(f"{args.runs}: {exc}") from None
    written = None
    if args.output:
        stem = Path(args.runs).stem
        preset_id = args.id or ("fit-" + re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-"))[:80]
        written = write_fitted_preset(args.output, boot or result, runs, preset_id=preset_id,
                                      name=args.name or f"Fit to {Path(args.runs).name}", holdout=holdout,
                                      author=args.author)  # fmt: skip
    seconds = time.perf_counter() - t0
    used_range = data_range(runs)
    out: dict[str, Any] = {
        "form": result.form, "params": result.params, "objective": result.objective,
        "loss_fn": result.loss_fn, "delta": result.delta if result.loss_fn == "huber" else None,
        "pinned": result.pinned, "n_points": result.n_points, "n_dropped": result.n_dropped,
        "n_skipped": len(runs.skipped), "n_rows": len(runs) + len(runs.skipped),
        "seconds": result.seconds, "total_seconds": seconds, "converged": result.converged,
        "message": result.message, "n_starts": result.n_starts, "n_at_best": result.n_at_best,
        "data": {"file": str(runs.source), "sha256": runs.sha256, "tokens_from_flops": runs.tokens_from_flops,
                 "flops_range": list(used_range.flops), "n_params_range": list(used_range.n_params),
                 "n_tokens_range": list(used_range.n_tokens)},
        "columns": dict(runs.columns),
        "skipped": [{"row": s.row, "line": s.line, "reason": s.reason} for s in runs.skipped],
        "dropped": [{"row": r, "loss": float(v)} for r, v in _dropped(runs, result)],
    }  # fmt: skip
    if boot is not None:
        out["ci"] = {k: list(v) for k, v in boot.ci.items()}
        out["se"] = boot.se
        out["bootstrap"] = {"n": boot.n_requested, "n_ok": boot.n_ok, "seed": boot.seed, "level": boot.level,
                            "seconds": boot.seconds}  # fmt: skip
    if holdout is not None:
        out["holdout"] = {
            "frac": args.holdout, "n": len(holdout.rows), "rows": holdout.rows.tolist(),
            "flops": holdout.flops.tolist(), "actual": holdout.actual.tolist(),
            "predicted": holdout.predicted.tolist(), "rel_error": holdout.rel_error.tolist(),
            "mean_abs_rel_error": holdout.mean_abs_rel_error, "max_abs_rel_error": holdout.max_abs_rel_error,
            "train_max_flops": holdout.train_max_flops,
        }  # fmt: skip
    elif holdout_note:
        out["holdout"] = {"skipped": holdout_note}
    if written is not None:
        out["output"] = {"path": str(written.path), "id": written.id, "name": written.title}
    if args.json:
        print(json.dumps(_finite(out), indent=2))
    else:
        print(_fit_table(out))
    return 0


def _dropped(runs: Any, result: Any) -> list[tuple[int, float]]:
    if not result.n_dropped:
        return []
    from planner.runs import drop_highest_loss

    kept = set(drop_highest_loss(runs, result.n_dropped).rows.tolist())
    return [(int(r), float(v)) for r, v in zip(runs.rows, runs.loss, strict=True) if int(r) not in kept]


def _fit_table(out: dict[str, Any]) -> str:
    from planner.units import fmt_sci

    d = out["data"]
    lines = [f"Fitted {out['form']} law to {d['file']}" + (f" (sha256 {d['sha256'][:12]})" if d["sha256"] else ""),
             f"Runs: {out['n_points']} used, {out['n_dropped']} dropped as outliers, {out['n_skipped']} skipped "
             f"(of {out['n_rows']} rows)",
             "Columns: " + ", ".join(f"{role} <- {col!r}" for role, col in out["columns"].items())
             + ("  (D = C/(6N))" if d["tokens_from_flops"] else ""),
             f"Compute range: {fmt_sci(d['flops_range'][0], 3)} to {fmt_sci(d['flops_range'][1], 3)} FLOP", ""]  # fmt: skip
    ci_head = f"{out['bootstrap']['level']:.0%} CI" if "ci" in out else ""
    lines.append(f"  {'coefficient':<12} {'value':>12} {'± SE':>12}   {ci_head}")
    for k, v in out["params"].items():
        pinned = "  (pinned)" if k in out["pinned"] else ""
        se = f"{out['se'][k]:.4g}" if "se" in out and math.isfinite(out["se"][k]) else ""
        ci = f"[{out['ci'][k][0]:.5g}, {out['ci'][k][1]:.5g}]" if "ci" in out else ""
        lines.append(f"  {k:<12} {v:>12.6g} {se:>12}   {ci}{pinned}")
    lines.append("")
    objective = (f"sum of Huber (delta {out['delta']:g}) of ln-loss residuals" if out["loss_fn"] == "huber"
                 else "sum of squared ln-loss residuals / 2")  # fmt: skip
    lines.append(f"Objective: {out['objective']:.8g} ({objective}); fit {out['seconds']:.2f} s")
    lines.append(f"Convergence: {out['message']}")
    if "bootstrap" in out:
        b = out["bootstrap"]
        lines.append(f"Bootstrap: {b['n_ok']} of {b['n']} resamples converged (seed {b['seed']}, {b['seconds']:.2f} s)")
    h = out.get("holdout")
    if h and "skipped" in h:
        lines.append(f"Leave-largest-out: {h['skipped']}")
    elif h:
        lines.append(f"Leave-largest-out: refitted without the {h['n']} largest-compute runs (above "
                     f"{fmt_sci(h['train_max_flops'], 3)} FLOP), predicts their loss with mean |relative error| "
                     f"{h['mean_abs_rel_error']:.2%}, max {h['max_abs_rel_error']:.2%}")  # fmt: skip
    if out["skipped"]:
        lines.append(f"Skipped rows ({len(out['skipped'])}):")
        for s in out["skipped"][:10]:
            where = f"row {s['row']}" + (f" (line {s['line']})" if s["line"] is not None else "")
            lines.append(f"  {where}: {s['reason']}")
        if len(out["skipped"]) > 10:
            lines.append(f"  ... and {len(out['skipped']) - 10} more (--json lists all)")
    if "output" in out:
        o = out["output"]
        lines.append(f"Wrote {o['path']} (id {o['id']}); plan with: planner plan --preset-file {o['path']} --flops 1e22")
    return "\n".join(lines)


register(Command("presets", "list the scaling-law presets (built-in, team, mine)", _add_presets_args, _run_presets))
register(Command("plan", "plan a training run for a budget", add_plan_arguments, _run_plan))
register(Command("gpus", "list the accelerator catalogue", lambda p: None, _run_gpus))
register(Command("fit", "fit a scaling law to your own training runs (CSV/TSV/Parquet)", _add_fit_args, _run_fit))


def _load_plugins() -> None:
    from importlib.metadata import entry_points

    for ep in entry_points(group="planner.cli"):
        if ep.name in _COMMANDS:
            continue
        try:
            ep.load()()
        except Exception:
            continue


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="planner", description="Compute budget planner for language-model training.")
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for cmd in _COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``planner`` console script; returns the exit status."""
    _load_plugins()
    try:
        args = build_parser().parse_args(argv)
        return int(args._run(args))
    except CliError as exc:
        print(f"planner: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `planner plan --json | head`: the reader left; say nothing
        sys.stderr.close()
        return 0
    except (PresetError, ValueError, KeyError, OSError) as exc:
        print(f"planner: error: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        print(f"planner: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
