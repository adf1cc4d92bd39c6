"""``planner predict``: the loss a given run would reach (N and D, or N and C) under a preset's
law, with its interval and what kind of interval it is."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from planner.cli.common import CliError, Command, _number

_POS = (1.0, 1e40)


def _add_predict_args(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = """examples:
  planner predict --preset epoch-2024 --n-params 7e9 --n-tokens 1.4e12
  planner predict --preset-file team-fit.toml --n-params 1e9 --flops 1.2e20 --json
  planner predict --preset-file team-fit.toml --points sizes.csv   # columns N and D (or C)

Intervals: a preset fitted by `planner fit` (and epoch-2024) gives a 95% prediction interval,
bootstrap + extrapolation error from rolling folds, which widens past the fitted range; a law
whose paper gives standard errors only says so instead of showing an interval."""
    law = p.add_mutually_exclusive_group()
    law.add_argument("--preset", default=None, metavar="ID", help="preset id (default epoch-2024)")
    law.add_argument("--preset-file", default=None, metavar="PATH", help="a preset file (.toml or .json)")
    p.add_argument("--n-params", type=_number(*_POS, "--n-params"), default=None, metavar="N",
                   help="parameters N (counted as the preset counts them: total or non-embedding)")
    pt = p.add_mutually_exclusive_group()
    pt.add_argument("--n-tokens", type=_number(*_POS, "--n-tokens"), default=None, metavar="D", help="training tokens D")
    pt.add_argument("--flops", type=_number(*_POS, "--flops"), default=None, metavar="C",
                    help="training FLOPs C (D = C / (6N))")
    p.add_argument("--points", default=None, metavar="CSV",
                   help="several points from a CSV/TSV file with columns for N and D (or C), headers as for planner fit")
    p.add_argument("--level", type=_number(0.5, 0.999, "--level"), default=None,
                   help="interval level (default: the preset's, 0.95)")
    p.add_argument("--json", action="store_true", help="print JSON: one object, or a list with --points")


def _load(args: argparse.Namespace) -> Any:
    from planner.presets.load import DEFAULT_PRESET_ID, PresetError, load_preset_file

    try:
        if args.preset_file:
            return load_preset_file(args.preset_file).law
        from planner.presets.library import find_preset

        return find_preset(args.preset or DEFAULT_PRESET_ID).law
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    except PresetError as exc:
        raise CliError(str(exc)) from None


def read_points(path: str | Path) -> tuple[Any, Any, Any]:
    """(N, D or None, C or None) arrays from a points file; RunsError-style one-line errors."""
    import numpy as np

    from planner.fitting.runs import (
        ALIASES,
        RunsError,
        _check_regular,
        _norm,
        _numeric_columns,
        _Table,
    )

    path = Path(path)
    try:
        _check_regular(path)
        table = _Table(path.read_bytes(), path)
    except RunsError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    numeric = _numeric_columns(table.headers, table.sample())
    normed = [_norm(h) for h in table.headers]
    found: dict[str, int] = {}
    for role in ("n_params", "n_tokens", "flops"):
        for alias in ALIASES[role]:
            hits = [j for j, h in enumerate(normed) if h == _norm(alias) and numeric[j]]
            if hits:
                found[role] = hits[0]
                break
    if "n_params" not in found or not ({"n_tokens", "flops"} & set(found)):
        raise CliError(f"{path}: needs a column of N ({', '.join(ALIASES['n_params'])}) and one of D "
                       f"({', '.join(ALIASES['n_tokens'])}) or C ({', '.join(ALIASES['flops'])}); "
                       f"columns found: {', '.join(repr(h) for h in table.headers)}")
    role2 = "n_tokens" if "n_tokens" in found else "flops"
    values, parsed = table.columns([found["n_params"], found[role2]])
    bad = ~parsed | ~np.isfinite(values).all(1) | (values <= 0).any(1)
    if bad.any():
        i = int(np.argmax(bad))
        raise CliError(f"{path}: row {i + 1} (line {table.line_no[i]}): N and {'D' if role2 == 'n_tokens' else 'C'} "
                       "must be positive numbers")
    if role2 == "n_tokens":
        return values[:, 0], values[:, 1], None
    return values[:, 0], None, values[:, 1]


def _run_predict(args: argparse.Namespace) -> int:
    from planner.fitting.predict import predict

    if args.points is not None:
        if args.n_params is not None or args.n_tokens is not None or args.flops is not None:
            raise CliError("give --points or --n-params with --n-tokens/--flops, not both")
        n, d, c = read_points(args.points)
    else:
        if args.n_params is None or (args.n_tokens is None and args.flops is None):
            raise CliError("give --n-params N and --n-tokens D (or --flops C), or --points FILE")
        n, d, c = args.n_params, args.n_tokens, args.flops
    law = _load(args)
    try:
        pred = predict(law, n, n_tokens=d, flops=c, level=args.level)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    points = pred.to_dicts()
    if args.json:
        print(json.dumps(points if args.points is not None else points[0], indent=2))
        return 0
    print(_table(law, pred))
    return 0


def _table(law: Any, pred: Any) -> str:
    from planner.units import fmt_sci

    lo, hi = pred.loss_interval
    lines = [f"{law.info.title}  [{law.id}]", f"N counts {law.info.n_meaning_text}; loss in {pred.loss_unit}", ""]
    lines.append(f"  {'N (params)':>11} {'D (tokens)':>11} {'C (FLOPs)':>11} {'loss':>8}   {'interval':<19} past range")
    for i in range(len(pred)):
        iv = f"[{lo[i]:.4f} – {hi[i]:.4f}]" if math.isfinite(lo[i]) else "—"
        dec = pred.decades[i]
        past = "—" if not math.isfinite(dec) else ("inside" if dec <= 0 else f"{dec:.2f} decades")
        lines.append(f"  {fmt_sci(pred.n_params[i], 4):>11} {fmt_sci(pred.n_tokens[i], 4):>11} "
                     f"{fmt_sci(pred.flops[i], 4):>11} {pred.loss[i]:>8.4f}   {iv:<19} {past}")
    lines += ["", f"Interval: {pred.interval_kind}"]
    for w in pred.warnings:
        lines.append(f"Warning: {w}")
    return "\n".join(lines)


COMMAND = Command("predict", "loss a run of N parameters and D tokens (or C FLOPs) would reach, with its interval",
                  _add_predict_args, _run_predict)
