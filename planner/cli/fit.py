"""``planner fit``: fit a scaling law to a team's own runs (CSV, TSV or Parquet)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from planner.cli.common import CliError, Command, _int, _number
from planner.units import parse_number

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

    from planner.fitting.fitter import bootstrap, fit, leave_largest_out
    from planner.fitting.preset import write_fitted_preset
    from planner.fitting.runs import RunsError, data_range, load_runs

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
    from planner.fitting.runs import drop_highest_loss

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


COMMAND = Command("fit", "fit a scaling law to your own training runs (CSV/TSV/Parquet)", _add_fit_args, _run_fit)
