"""``planner fit``: fit a scaling law to a team's own runs (CSV, TSV or Parquet)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from planner.cli.common import CliError, Command, _int, _number
from planner.summary import json_safe
from planner.units import parse_number

_FIT_NAMES = {"chinchilla": ("E", "A", "B", "alpha", "beta"), "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D")}
EPOCH_OUTLIERS = 5  # Besiroglu et al. 2024 drop the 5 highest-loss runs of the Chinchilla data
RESIDUAL_K = 3.0  # --drop-residual-outliers default: 3 robust scales
EXIT_OK, EXIT_BAD_INPUT, EXIT_NOT_WRITTEN = 0, 2, 3

EPILOG = """exit status:
  0  the fit ran (and, with -o, the preset was written)
  2  bad input: unreadable file, unmappable columns, bad option (one line on stderr)
  3  the fit ran and was printed, but -o could not write a valid preset (the reason and the fix
     are on stderr; the fit's table or JSON is still on stdout)

Loss intervals of the written preset are 95% prediction intervals: bootstrap of the runs plus
the extrapolation error measured by rolling folds (fit below each compute level, predict the
next), widening with distance past the fitted range."""


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


def add_run_file_arguments(p: argparse.ArgumentParser) -> None:
    """Column choice and units of a runs file (shared by ``fit``)."""
    g = p.add_argument_group("columns and units of the runs file")
    g.add_argument("--params-col", metavar="HEADER", help="column holding N, the parameter count (default: found by name)")
    g.add_argument("--tokens-col", metavar="HEADER", help="column holding D, training tokens")
    g.add_argument("--flops-col", metavar="HEADER", help="column holding C, training FLOPs (D = C/(6N) when no tokens)")
    g.add_argument("--loss-col", metavar="HEADER", help="column holding the final loss")
    g.add_argument("--n-meaning", choices=("total", "non_embedding"), default="total",
                   help="what N counts: total parameters (embeddings included; default) or non_embedding; "
                        "written into the preset")
    g.add_argument("--loss-unit", choices=("nats", "bits", "perplexity"), default="nats",
                   help="unit of the loss column: nats per token (default), bits per token (x ln 2) or perplexity "
                        "(ln); converted to nats, which the preset records")  # fmt: skip


def _add_fit_args(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.formatter_class = argparse.RawDescriptionHelpFormatter
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
    p.add_argument("--folds", type=_int(0, 50, "--folds"), default=6, metavar="K",
                   help="rolling folds that measure the extrapolation error (default at most 6; 0 = none, "
                        "intervals are then bootstrap-only)")
    out = p.add_argument_group("outliers")
    out.add_argument("--drop-outliers", nargs="?", type=_int(1, 10**9, "--drop-outliers"), const=EPOCH_OUTLIERS,
                     default=0, metavar="K",
                     help=f"Epoch's filter: drop the K highest-loss runs before fitting (K default {EPOCH_OUTLIERS}, "
                          "as Besiroglu et al. 2024); same as --drop-highest-loss K")
    out.add_argument("--drop-highest-loss", type=_int(1, 10**9, "--drop-highest-loss"), default=0, metavar="K",
                     help="drop the K highest-loss runs before fitting")
    out.add_argument("--drop-residual-outliers", nargs="?", type=_number(1.0, 100.0, "--drop-residual-outliers"),
                     const=RESIDUAL_K, default=0.0, metavar="K",
                     help=f"fit, drop the runs whose ln residual exceeds K robust scales (1.4826 x median |residual|; "
                          f"K default {RESIDUAL_K:g}), refit; the runs dropped are listed with their residuals")
    p.add_argument("--holdout", type=_number(0.0, 0.9, "--holdout"), default=0.2, metavar="FRAC",
                   help="leave-largest-out check: refit without this fraction of the largest-compute runs and "
                        "predict them (default 0.2; 0 = skip)")
    add_run_file_arguments(p)
    w = p.add_argument_group("preset file")
    w.add_argument("-o", "--output", default=None, metavar="PATH", help="write a fitted preset (.toml or .json)")
    w.add_argument("--id", default=None, help="preset id for -o (default: fit-<file name>)")
    w.add_argument("--name", default=None, help="preset name for -o (default: 'Fit to <file name>')")
    w.add_argument("--author", default="", help="preset author for -o")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress bars only if a terminal "
                                                       "is attached)")  # fmt: skip


class _Progress:
    """A tqdm bar on stderr; silent with --json unless stderr is a terminal, and for short jobs."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def bar(self, total: int, desc: str, unit: str) -> Any:
        if not self.enabled or total <= 0:
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, delay=0.5, leave=False,
                    dynamic_ncols=True)


def _columns(args: argparse.Namespace) -> dict[str, str | None]:
    return {"n_params": args.params_col, "n_tokens": args.tokens_col, "flops": args.flops_col, "loss": args.loss_col}


def holdout_text(holdout: Any, runs: Any) -> str:
    """The leave-largest-out sentence, naming exactly which runs were held out (file rows),
    and saying so when runs at the cut-off compute were split between fit and hold-out."""
    from planner.units import fmt_sci

    rows = sorted(int(r) for r in holdout.rows)
    shown = ", ".join(str(r) for r in rows[:25]) + (f", ... ({len(rows)} in all)" if len(rows) > 25 else "")
    lowest = float(holdout.flops.min())
    held = set(rows)
    kept_tied = sorted(int(r) for r, c in zip(runs.rows, runs.flops, strict=True)
                       if c == lowest and int(r) not in held)
    reach = float(holdout.flops.max()) / holdout.train_max_flops
    text = (f"refitted without the {len(rows)} largest-compute runs (rows {shown}; from {fmt_sci(lowest, 3)} FLOPs, "
            f"the fit saw up to {fmt_sci(holdout.train_max_flops, 3)} FLOPs), the law predicts their loss with "
            f"mean |relative error| {holdout.mean_abs_rel_error:.2%}, max {holdout.max_abs_rel_error:.2%}, "
            f"at most {fmt_sci(reach, 3)}\u00d7 past the compute it saw (farther extrapolation errs more: see the "
            "intervals)")
    if kept_tied:
        text += (f"; rows {', '.join(str(r) for r in kept_tied[:25])} have the same compute "
                 f"({fmt_sci(lowest, 3)} FLOPs) and were kept in the fit")
    return text


def _run_fit(args: argparse.Namespace) -> int:
    import re
    import time

    from planner.fitting.calibration import calibrate
    from planner.fitting.fitter import bootstrap, fit, leave_largest_out, used_runs
    from planner.fitting.preset import write_fitted_preset
    from planner.fitting.runs import RunsError, data_range, load_runs
    from planner.presets.load import PresetError

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
    if args.drop_outliers and args.drop_highest_loss and args.drop_outliers != args.drop_highest_loss:
        raise CliError("--drop-outliers and --drop-highest-loss are the same filter: give one K")
    drop_highest = args.drop_highest_loss or args.drop_outliers
    flag = "--drop-highest-loss" if args.drop_highest_loss else "--drop-outliers"
    try:
        runs = load_runs(args.runs, columns=_columns(args), loss_unit=args.loss_unit)
    except RunsError as exc:
        raise CliError(str(exc)) from None
    if drop_highest >= len(runs):
        raise CliError(f"{flag} {drop_highest}: the file has only {len(runs)} usable runs")
    progress = _Progress(not args.json or sys.stderr.isatty())
    kw: dict[str, Any] = {"form": args.form, "loss_fn": args.loss, "delta": args.delta, "pin": pin,
                          "drop_highest": drop_highest, "drop_residual": args.drop_residual_outliers}
    calibration, holdout, holdout_note = None, None, ""
    try:
        bar = progress.bar(1, f"fit of {len(runs):,} runs", "fit")
        try:
            result = fit(runs, **kw)
        finally:
            if bar is not None:
                bar.update(1)
                bar.close()
        used = used_runs(runs, result)
        boot = None
        if args.bootstrap:
            bar = progress.bar(args.bootstrap, "bootstrap", "resample")
            try:
                boot = bootstrap(runs, n=args.bootstrap, seed=args.seed, level=args.level, base=result,
                                 progress=bar.update if bar is not None else None, **kw)
            finally:
                if bar is not None:
                    bar.close()
            result = boot.fit
        if args.folds and boot is not None:
            bar = progress.bar(args.folds, "rolling folds", "fold")
            try:
                calibration = calibrate(used, kw, max_folds=args.folds,
                                        progress=bar.update if bar is not None else None)
            finally:
                if bar is not None:
                    bar.close()
        if args.holdout > 0:
            try:
                holdout = leave_largest_out(used, frac=args.holdout, **{k: v for k, v in kw.items()
                                                                      if k != "drop_highest"})
            except ValueError as exc:
                holdout_note = f"leave-largest-out check skipped: {exc}"
    except ValueError as exc:
        raise CliError(f"{args.runs}: {exc}") from None
    written, not_written = None, ""
    if args.output:
        stem = Path(args.runs).stem
        preset_id = args.id or ("fit-" + re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-"))[:80]
        loss_unit = "nats/token" + ({"bits": " (converted from bits per token)",
                                     "perplexity": " (converted from perplexity)"}.get(args.loss_unit, ""))
        try:
            written = write_fitted_preset(args.output, boot or result, runs, preset_id=preset_id,
                                          name=args.name or f"Fit to {Path(args.runs).name}", holdout=holdout,
                                          author=args.author, n_meaning=args.n_meaning, loss_unit=loss_unit,
                                          calibration=calibration)  # fmt: skip
        except PresetError as exc:
            not_written = (f"preset not written to {args.output}: " + (f"{exc.key}: " if exc.key else "")
                           + exc.reason + (f" (expected {exc.expected})" if exc.expected else "")
                           + ". The fit above is complete; to get a preset, pin the coefficient the message names "
                             "(--pin NAME=VALUE), drop outliers or add runs, then fit again")
        except OSError as exc:
            not_written = (f"preset not written to {args.output}: {exc.strerror or exc}. The fit above is complete; "
                           "choose a writable path with -o and fit again")
    seconds = time.perf_counter() - t0
    used_range = data_range(used)
    out: dict[str, Any] = {
        "form": result.form, "params": result.params, "objective": result.objective,
        "loss_fn": result.loss_fn, "delta": result.delta if result.loss_fn == "huber" else None,
        "pinned": result.pinned, "n_points": result.n_points, "n_dropped": result.n_dropped,
        "n_skipped": len(runs.skipped), "n_rows": len(runs) + len(runs.skipped),
        "seconds": result.seconds, "total_seconds": seconds, "converged": result.converged,
        "message": result.message, "n_starts": result.n_starts, "n_at_best": result.n_at_best,
        "identification": list(result.identification),
        "n_meaning": args.n_meaning, "loss_unit": args.loss_unit, "loss_note": runs.loss_note,
        "data": {"file": str(runs.source), "sha256": runs.sha256, "tokens_from_flops": runs.tokens_from_flops,
                 "flops_range": list(used_range.flops), "n_params_range": list(used_range.n_params),
                 "n_tokens_range": list(used_range.n_tokens)},
        "columns": dict(runs.columns),
        "skipped": [{"row": s.row, "line": s.line, "reason": s.reason} for s in runs.skipped],
        "dropped": [{"row": d.row, "loss": float(runs.loss[runs.rows == d.row][0]), "reason": d.reason}
                    for d in result.dropped],
    }  # fmt: skip
    if boot is not None:
        out["ci"] = {k: list(v) for k, v in boot.ci.items()}
        out["se"] = boot.se
        out["bootstrap"] = {"n": boot.n_requested, "n_ok": boot.n_ok, "seed": boot.seed, "level": boot.level,
                            "seconds": boot.seconds}  # fmt: skip
    if calibration is not None:
        out["calibration"] = calibration.to_table() | {"description": calibration.describe()}
        out["interval_kind"] = (f"{args.level:.0%} prediction interval: bootstrap + extrapolation error from "
                                f"{calibration.folds} rolling folds")
    elif boot is not None:
        out["interval_kind"] = (f"{args.level:.0%} confidence interval: bootstrap of the runs (parameter noise only; "
                                "too few compute levels for rolling folds)" if args.folds else
                                f"{args.level:.0%} confidence interval: bootstrap of the runs (parameter noise only)")
    if holdout is not None:
        out["holdout"] = {
            "frac": args.holdout, "n": len(holdout.rows), "rows": holdout.rows.tolist(),
            "flops": holdout.flops.tolist(), "actual": holdout.actual.tolist(),
            "predicted": holdout.predicted.tolist(), "rel_error": holdout.rel_error.tolist(),
            "mean_abs_rel_error": holdout.mean_abs_rel_error, "max_abs_rel_error": holdout.max_abs_rel_error,
            "train_max_flops": holdout.train_max_flops, "text": holdout_text(holdout, used),
        }  # fmt: skip
    elif holdout_note:
        out["holdout"] = {"skipped": holdout_note}
    if written is not None:
        out["output"] = {"path": str(written.path), "id": written.id, "name": written.title}
    elif not_written:
        out["output"] = {"path": str(args.output), "written": False, "reason": not_written}
    out["exit_status"] = EXIT_NOT_WRITTEN if not_written else EXIT_OK
    if args.json:
        print(json.dumps(json_safe(out), indent=2))
    else:
        print(_fit_table(out))
    if not_written:
        print(f"planner: {not_written}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    return EXIT_OK


def _fit_table(out: dict[str, Any]) -> str:
    from planner.units import fmt_sci

    d = out["data"]
    lines = [f"Fitted {out['form']} law to {d['file']}" + (f" (sha256 {d['sha256'][:12]})" if d["sha256"] else ""),
             f"Runs: {out['n_points']} used, {out['n_dropped']} dropped as outliers, {out['n_skipped']} skipped "
             f"(of {out['n_rows']} rows)",
             "Columns: " + ", ".join(f"{role} <- {col!r}" for role, col in out["columns"].items())
             + ("  (D = C/(6N))" if d["tokens_from_flops"] else ""),
             f"N counts {'total parameters (embeddings included)' if out['n_meaning'] == 'total' else 'non-embedding parameters'}; "
             f"loss in nats/token" + (f" ({out['loss_note']})" if out["loss_note"] else ""),
             f"Compute range: {fmt_sci(d['flops_range'][0], 3)} to {fmt_sci(d['flops_range'][1], 3)} FLOPs", ""]  # fmt: skip
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
    for issue in out["identification"]:
        lines.append(f"Not identified: {issue}.")
    if "bootstrap" in out:
        b = out["bootstrap"]
        lines.append(f"Bootstrap: {b['n_ok']} of {b['n']} resamples converged (seed {b['seed']}, {b['seconds']:.2f} s)")
    if "interval_kind" in out:
        cal = out.get("calibration")
        lines.append(f"Intervals: {out['interval_kind']}" + (f"; {cal['description']}" if cal else ""))
    h = out.get("holdout")
    if h and "skipped" in h:
        lines.append(f"Leave-largest-out: {h['skipped']}")
    elif h:
        lines.append(f"Leave-largest-out: {h['text']}")
    if out["dropped"]:
        lines.append(f"Dropped runs ({len(out['dropped'])}):")
        for x in out["dropped"][:20]:
            lines.append(f"  row {x['row']} (loss {x['loss']:.5g}): {x['reason']}")
        if len(out["dropped"]) > 20:
            lines.append(f"  ... and {len(out['dropped']) - 20} more (--json lists all)")
    if out["skipped"]:
        lines.append(f"Skipped rows ({len(out['skipped'])}):")
        for s in out["skipped"][:10]:
            where = f"row {s['row']}" + (f" (line {s['line']})" if s["line"] is not None else "")
            lines.append(f"  {where}: {s['reason']}")
        if len(out["skipped"]) > 10:
            lines.append(f"  ... and {len(out['skipped']) - 10} more (--json lists all)")
    o = out.get("output")
    if o and o.get("written", True):
        lines.append(f"Wrote {o['path']} (id {o['id']}); plan with: planner plan --preset-file {o['path']} --flops 1e22")
    elif o:
        lines.append(f"No preset written: {o['reason']}")
    return "\n".join(lines)


COMMAND = Command("fit", "fit a scaling law to your own training runs (CSV/TSV/Parquet)", _add_fit_args, _run_fit)
