"""``planner design``: plan the scaling experiment before the big run (which small runs, their cost,
the precision they buy), export the run list, and re-plan it from partial results (``--update``).

The target is asked with the same flags as ``planner plan`` (budget, hardware, preset) and planned
by :func:`planner.plan`; the designs and their simulation are :mod:`planner.fitting.design`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from planner.cli.common import CliError, Command, _int, _number, output_path
from planner.cli.plan import _help, limited
from planner.summary import json_safe

EPILOG = """examples:
  planner design --flops 1e24 --fraction 0.02                   # IsoFLOP grid, 2% of the target's compute
  planner design --flops 1e24 --fraction 0.02 --design all      # the three designs side by side
  planner design --flops 1e24 --design ladder -o runs.csv -o runs.json
  planner fit runs.csv                                          # after filling in the loss column
  planner design --flops 1e24 --fraction 0.02 --update runs.csv -o runs.csv   # fit what finished, re-plan the rest
  planner design --flops 1e24 --sweep                           # precision against the experiment budget

Designs: isoflop (budgets spaced in log, sizes around each budget's predicted optimum), ladder (sizes at a
fixed number of tokens per parameter), overtrained (small models at 20, 80 and 320 tokens per parameter).
Each run has N, D, C = 6ND, a shape, GPU-hours and dollars (priced by the shape's FLOPs, attention included).
The precision is simulated: losses drawn from the preset's law plus noise, fitted as planner fit does, the
target planned again with each fit. The CSV's params, tokens and loss columns are the ones planner fit reads;
rows whose loss is still empty are reported as skipped."""


def _add_design_args(p: argparse.ArgumentParser) -> None:
    from planner.fitting.design import DEFAULT_FRACTION, NOISE_SD

    p.epilog, p.formatter_class = EPILOG, argparse.RawDescriptionHelpFormatter
    law = p.add_mutually_exclusive_group()
    law.add_argument("--preset", metavar="ID", help="the prior: a preset id with a Chinchilla-form loss "
                                                     "(default epoch-2024)")  # fmt: skip
    law.add_argument("--preset-file", metavar="PATH", help="the prior from a preset file (.toml or .json)")
    b = p.add_argument_group("target budget (one of; or --target-loss alone)").add_mutually_exclusive_group()
    b.add_argument("--flops", type=limited("flops", "--flops"), help="the target run's training budget in FLOPs")
    b.add_argument("--gpu-hours", type=limited("gpu_hours", "--gpu-hours"), help="the target's budget in GPU-hours")
    b.add_argument("--usd", type=limited("usd", "--usd"), help="the target's budget in dollars")
    b.add_argument("--days", type=limited("days", "--days"), help="the target's deadline in days on --gpus GPUs")
    p.add_argument("--target-loss", type=limited("target_loss", "--target-loss"), metavar="L",
                   help="the loss the target must reach (sets its budget)")
    h = p.add_argument_group("hardware (prices the target and every run)")
    h.add_argument("--gpu", help=_help("accelerator; see 'planner gpus'", "gpu"))
    h.add_argument("--gpus", dest="n_gpus", type=limited("n_gpus", "--gpus"), help=_help("GPU count", "n_gpus"))
    h.add_argument("--mfu", type=limited("mfu", "--mfu"), help=_help("model FLOPs utilisation", "mfu"))
    h.add_argument("--usd-per-gpu-hour", type=limited("usd_per_gpu_hour", "--usd-per-gpu-hour"),
                   help="price per GPU-hour (default: the catalogue's illustrative price)")
    h.add_argument("--precision", choices=("bf16", "fp8"), help=_help("training precision (peak FLOP/s)", "precision"))
    h.add_argument("--seq-len", type=limited("seq_len", "--seq-len"),
                   help=_help("training sequence length of the runs (their attention FLOPs)", "seq_len"))
    h.add_argument("--vocab", dest="vocab_size", type=limited("vocab_size", "--vocab"), metavar="V",
                   help="vocabulary of the runs' shapes (default 32,000)")
    e = p.add_argument_group("the experiment")
    e.add_argument("--design", choices=("isoflop", "ladder", "overtrained", "all"), default="isoflop",
                   help="which design (default isoflop); all: the three side by side")
    eb = e.add_mutually_exclusive_group()
    eb.add_argument("--fraction", type=_number(1e-9, 1.0, "--fraction"), default=None,
                    help=f"experiment budget as a fraction of the target's compute (default {DEFAULT_FRACTION:g}, "
                         "the cost of OLMo's ladder models, Bhagia et al. 2024, arXiv 2412.04403)")
    eb.add_argument("--experiment-usd", type=_number(1e-6, 1e15, "--experiment-usd"), default=None, metavar="USD",
                    help="experiment budget in dollars at the target's price")
    e.add_argument("--sizes", type=_int(1, 64, "--sizes"), default=None,
                   help="sizes per budget (isoflop, default 7) or in the ladder (default 8) or set (overtrained, 4)")
    e.add_argument("--budgets", type=_int(1, 64, "--budgets"), default=None, help="IsoFLOP budgets (default 5)")
    e.add_argument("--span", type=_number(0.0, 6.0, "--span"), default=None, metavar="DECADES",
                   help="decades spanned by the budgets (isoflop, default 3) or the sizes (ladder 2, overtrained 1.5)")
    e.add_argument("--width", type=_number(0.0, 6.0, "--width"), default=None, metavar="DECADES",
                   help="isoflop: sizes within this many decades of each budget's predicted N* (default 0.5)")
    e.add_argument("--tokens-per-param", type=_number(0.1, 1e5, "--tokens-per-param"), default=None, metavar="R",
                   help="the ladder's tokens per parameter (default 20)")
    s = p.add_argument_group("simulation")
    s.add_argument("--reps", type=_int(2, 100_000, "--reps"), default=200,
                   help="simulated fits per design (default 200)")
    s.add_argument("--noise", type=_number(0.0, 1.0, "--noise"), default=NOISE_SD, metavar="SD",
                   help=f"run-to-run noise, SD of ln(loss) (default {NOISE_SD:g}: the median residual scale of four "
                        "published run sets' Chinchilla fits)")
    s.add_argument("--seed", type=_int(0, 2**63 - 1, "--seed"), default=0, help="simulation seed (default 0)")
    s.add_argument("--no-simulate", action="store_true", help="only the run list, no simulation")
    s.add_argument("--sweep", action="store_true",
                   help="also simulate each design at 1/4, 1/2, 1, 2 and 4 times the experiment budget (reps/2 each)")
    p.add_argument("--update", metavar="RUNS", default=None,
                   help="a design file with some losses filled in: fit the finished runs, re-plan the rest")
    p.add_argument("-o", "--output", action="append", type=output_path, default=[], metavar="PATH",
                   help="write the run list: CSV, or JSON for a .json path (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object (progress only if a terminal is attached)")


def _knobs(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.sizes is not None:
        out["n_sizes"] = args.sizes
    if args.span is not None:
        out["span_decades"] = args.span
    for flag, key in (("budgets", "n_budgets"), ("width", "width_decades")):
        if getattr(args, flag) is not None:
            if kind != "isoflop":
                raise CliError(f"--{flag} applies to the isoflop design only")
            out[key] = getattr(args, flag)
    if args.tokens_per_param is not None:
        if kind != "ladder":
            raise CliError("--tokens-per-param applies to the ladder design only")
        out["tokens_per_param"] = args.tokens_per_param
    return out


def _question(args: argparse.Namespace) -> Any:
    from planner.cli.plan import load_preset, question_from_args

    preset = load_preset(args)
    return question_from_args(args, preset)


class _Bar:
    """tqdm on stderr, one bar for all the simulated fits (quiet with --json unless a terminal)."""

    def __init__(self, enabled: bool, total: int, desc: str) -> None:
        from planner.cli.fit import _Progress

        self.bar = _Progress(enabled).bar(total, desc, "fit")
        self.base = 0
        self.shown = 0

    def step(self, done: int, _total: int) -> None:
        if self.bar is not None and self.base + done > self.shown:
            self.bar.update(self.base + done - self.shown)
            self.shown = self.base + done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_design(args: argparse.Namespace) -> int:
    from planner.fitting import design as dz
    from planner.fitting import design_files as df

    q = _question(args)
    kinds = list(dz.DESIGNS) if args.design == "all" else [args.design]
    if args.output and len(kinds) > 1:
        raise CliError("-o writes one design: choose --design isoflop, ladder or overtrained (all only compares them)")
    if args.update and len(kinds) > 1:
        raise CliError("--update re-plans one design file: leave out --design all")
    progress = sys.stderr.isatty() or not args.json
    budget = {"fraction": args.fraction, "usd": args.experiment_usd}
    update = None
    try:
        if args.update:
            update = df.update(q, args.update, kind=None if args.design == "isoflop" else args.design, **budget)
            designs = [update.design]
        else:
            designs = [dz.propose(q, k, **budget, **_knobs(args, k)) for k in kinds]
    except ValueError as exc:
        raise CliError(str(exc)) from None
    precisions: list[Any] = []
    if not args.no_simulate:
        bar = _Bar(progress, args.reps * len(designs), "simulated fits")
        try:
            for d in designs:
                precisions.append(dz.simulate(d, reps=args.reps, noise=args.noise, seed=args.seed, progress=bar.step))
                bar.base += args.reps
        except ValueError as exc:
            raise CliError(str(exc)) from None
        finally:
            bar.close()
    points = None
    if args.sweep:
        base = designs[0].fraction
        fractions = [min(1.0, base * m) for m in (0.25, 0.5, 1.0, 2.0, 4.0)]
        reps = max(2, args.reps // 2)
        bar = _Bar(progress, reps * len(fractions) * len(kinds), "budget sweep")
        try:
            points = dz.sweep(q, kinds, fractions, reps=reps, noise=args.noise, seed=args.seed, progress=bar.step,
                              knobs={k: _knobs(args, k) for k in kinds})  # fmt: skip
        except ValueError as exc:
            raise CliError(str(exc)) from None
        finally:
            bar.close()
    comparison = dz.compare(precisions) if len(precisions) > 1 else None
    written = []
    for path in args.output:
        written.append(str(df.write(designs[0], precisions[0] if precisions else None, path)))
    if args.json:
        print(json.dumps(_json(designs, precisions, comparison, points, update, written), indent=2, allow_nan=False))
    else:
        print(_text(designs, precisions, comparison, points, update, written, args))
    return 0


def _json(designs: list, precisions: list, comparison: Any, points: Any, update: Any, written: list) -> dict:
    from planner.fitting import design as dz

    out: dict[str, Any] = {}
    if len(designs) == 1:
        out = dz.design_dict(designs[0], precisions[0] if precisions else None)
    else:
        out = {"target": dz.target_dict(designs[0]),
               "designs": [dz.design_dict(d, p) for d, p in zip(designs, precisions or [None] * len(designs),
                                                                strict=True)]}  # fmt: skip
    if comparison is not None:
        out["comparison"] = json_safe({"efficiency": comparison.efficiency, "relative": comparison.relative,
                                        "pick": comparison.pick, "reason": comparison.reason,
                                        "definition": "1 / (dollars x sd(ln N*) x sd(ln L*)), sd(ln L*) from the loss "
                                                      "prediction interval"})  # fmt: skip
    if points is not None:
        out["sweep"] = json_safe([vars(pt) for pt in points])
    if update is not None:
        f = update.fit
        out["update"] = json_safe({
            "finished": update.n_finished, "runs": len(update.design.runs), "used_fit": update.used_fit,
            "reason": update.reason, "recentred": update.recentred, "moved": update.moved,
            "spent_usd": update.spent_usd,
            "remaining_usd": update.remaining_usd,
            "skipped": [{"row": s.row, "reason": s.reason} for s in update.skipped],
            "fit": None if f is None else {"params": f.params, "converged": f.converged, "message": f.message,
                                           "identification": list(f.identification)},
        })  # fmt: skip
    out["written"] = written
    return out


def _pct(x: float) -> str:
    return f"{x:.1%}" if math.isfinite(x) else "—"


def _short_factor(p: Any) -> str:
    f = p.spread_factor("n_params")
    return f"{f:.3g}" if math.isfinite(f) and f < 1e4 else "undetermined"


def _factor(p: Any, q: str) -> str:
    f = p.spread_factor(q)
    return f"x/÷{f:.3g}" if math.isfinite(f) and f < 1e4 else "not determined"


def _text(designs: list, precisions: list, comparison: Any, points: Any, update: Any, written: list,
          args: argparse.Namespace) -> str:
    from planner.text import printable
    from planner.units import fmt_sci, fmt_usd

    d0 = designs[0]
    t = d0.target
    lines = [f"Target (planner plan, {t.preset}): {fmt_sci(t.flops)} FLOPs -> N* {fmt_sci(t.n_params)} parameters "
             f"({t.n_meaning.replace('_', '-')}), D* {fmt_sci(t.n_tokens)} tokens, loss {fmt_sci(t.loss)} "
             f"{t.loss_unit}; {fmt_sci(t.gpu_hours)} GPU-hours, {fmt_usd(t.cost_usd)} on {t.gpu} at MFU {t.mfu:g}",
             f"Experiment budget: {d0.fraction * 100:.3g}% of the target's compute = {fmt_sci(d0.budget_flops)} FLOPs = "
             f"{fmt_usd(d0.budget_usd)} (runs priced by their shapes' training FLOPs, attention included, at "
             f"{d0.question.seq_len:,}-token sequences)"]  # fmt: skip
    if update is not None:
        lines.append(f"Update from {args.update}: {update.n_finished} of {len(update.design.runs)} runs have a loss "
                     f"(spent {fmt_usd(update.spent_usd)}, {fmt_usd(update.remaining_usd)} to go); " +
                     ("their fit replaced the prior" if update.used_fit else "the prior stays") +
                     (f"; {update.moved} IsoFLOP run(s) re-centred on the updated N*(C)" if update.moved else ""))
        if update.reason:
            lines.append(f"  {printable(update.reason)}")
        if update.fit is not None:
            p = update.fit.params
            lines.append("  fit of the finished runs: " + ", ".join(f"{k} {v:.5g}" for k, v in p.items()) +
                         f" ({'converged' if update.fit.converged else 'not converged'})")
        if update.skipped:
            lines.append(f"  {len(update.skipped)} row(s) skipped by the runs reader (no loss yet or unusable), e.g. "
                         f"{update.skipped[0]}")  # fmt: skip
    for i, d in enumerate(designs):
        p = precisions[i] if precisions else None
        lines += ["", f"{d.title[:1].upper() + d.title[1:]} ({d.kind}): {len(d.runs)} runs", f"Rule: {d.rule}"]
        if len(designs) == 1:
            lines.append(f"  {'run':>3} {'C = 6ND':>11} {'N':>11} {'D':>11} {'D/N':>7} {'shape':>10} "
                         f"{'GPU-hours':>11} {'USD':>12}  {'loss':>7}")  # fmt: skip
            for r in d.runs:
                shape = f"{r.arch.n_layers}x{r.arch.d_model}"
                loss = "" if r.loss is None else f"{r.loss:.4f}"
                lines.append(f"  {r.index:>3} {fmt_sci(r.flops, 4):>11} {fmt_sci(r.n_params, 4):>11} "
                             f"{fmt_sci(r.n_tokens, 4):>11} {r.tokens_per_param:>7.3g} {shape:>10} "
                             f"{fmt_sci(r.gpu_hours, 4):>11} {fmt_usd(r.usd):>12}  {loss:>7}")  # fmt: skip
        lines.append(f"Total: {fmt_sci(d.total_flops)} FLOPs (6ND), {fmt_sci(d.total_shape_flops)} shape FLOPs "
                     f"({d.total_shape_flops / d.budget_flops:.1%} of the budget), {fmt_sci(d.total_gpu_hours)} "
                     f"GPU-hours, {fmt_usd(d.total_usd)}; largest run {fmt_sci(float(d.flops.max()))} FLOPs, "
                     f"{d.decades_to_target():.2g} decades below the target")  # fmt: skip
        if p is not None:
            lines += _precision_lines(p)
        for note in d.notes[:6]:
            lines.append(f"Note: {printable(note)}")
        if len(d.notes) > 6:
            lines.append(f"  ... and {len(d.notes) - 6} more notes (--json lists all)")
    if comparison is not None:
        lines += ["", "Side by side (95% ranges over the simulated fits; precision per dollar relative to the best):",
                  f"  {'design':<12} {'runs':>4} {'cost':>12} {'N* range':>23} {'N* x/÷':>12} {'loss spread':>11} "
                  f"{'loss 95% PI':>11} {'per $':>6}"]  # fmt: skip
        for p in comparison.precisions:
            d = p.design
            lo, hi = p.intervals["n_params"]
            llo, lhi = p.intervals["loss"]
            if p.target_loss_question:  # the loss is the question's: show the budget's spread instead
                f = p.spread_factor("flops")
                cols = f"{'C x/÷' + (f'{f:.3g}' if f < 1e4 else ' undet.'):>11} {'':>11}"
            else:
                cols = f"{'±' + _pct((lhi - llo) / 2 / d.target.loss):>11} {'±' + _pct(p.loss_half_width):>11}"
            lines.append(f"  {d.kind:<12} {len(d.runs):>4} {fmt_usd(d.total_usd):>12} "
                         f"{fmt_sci(lo, 3) + ' to ' + fmt_sci(hi, 3):>23} {_short_factor(p):>12} {cols} "
                         f"{comparison.relative[d.kind]:>6.2g}")  # fmt: skip
        lines.append(f"Pick: {comparison.pick}. {comparison.reason}.")
        lines.append("  (precision per dollar = 1 / (dollars x sd(ln N*) x sd(ln L*)): what repeating a design would "
                     "not change)")  # fmt: skip
    if points is not None:
        lines += ["", "Precision against the experiment budget (simulated fits per point: "
                      f"{max(2, args.reps // 2)}):",
                  f"  {'design':<12} {'fraction':>9} {'cost':>12} {'runs':>4} {'N* x/÷':>12} {'loss spread':>11} "
                  f"{'loss 95% PI':>11}"]  # fmt: skip
        for pt in points:
            fac = math.exp(1.96 * pt.sd_log_n) if pt.sd_log_n < 5 else math.inf
            ftext = f"{fac:.3g}" if math.isfinite(fac) else "undetermined"
            lines.append(f"  {pt.kind:<12} {pt.fraction:>9.3g} {fmt_usd(pt.cost_usd):>12} {pt.n_runs:>4} "
                         f"{ftext:>12} {'±' + _pct(pt.spread_loss):>11} {'±' + _pct(pt.loss_half_width):>11}")
    for path in written:
        lines.append(f"Wrote {path}" + ("" if path.lower().endswith(".json") else
                                         f"; fill in the loss column, then: planner fit {path}"))
    return "\n".join(lines)


def _precision_lines(p: Any) -> list[str]:
    from planner.fitting.design import NOISE_SD
    from planner.units import fmt_sci

    d = p.design
    t = d.target
    med = {q: float(sorted(v)[len(v) // 2]) for q, v in p.values.items()}
    noise = "the default: median residual scale of four published run sets' fits" if p.noise_sd == NOISE_SD else "given"
    out = [f"Predicted precision at the target ({p.reps} simulated fits, noise SD {p.noise_sd:g} of ln loss ({noise}), "
           f"seed {p.seed}):"]  # fmt: skip
    for q, label, unit in (("n_params", "N*", "parameters"), ("n_tokens", "D*", "tokens")):
        lo, hi = p.intervals[q]
        out.append(f"  {label:<5} median {fmt_sci(med[q])} {unit}, {p.level:.0%} of fits {fmt_sci(lo)} to {fmt_sci(hi)} "
                   f"({_factor(p, q)})")
    if p.target_loss_question:
        lo, hi = p.intervals["flops"]
        out.append(f"  loss  set by the question at {fmt_sci(t.loss)} {t.loss_unit}; the budget that reaches it: "
                   f"{p.level:.0%} of fits {fmt_sci(lo)} to {fmt_sci(hi)} FLOPs ({_factor(p, 'flops')}, simulated "
                   "spread only)")  # fmt: skip
        out.append(f"  fits: {p.n_converged} of {p.reps} converged, {p.n_failed} gave no plan; {p.seconds:.2f} s")
        return out + [f"Warning: {w}" for w in p.warnings() if "loss interval" not in w]
    lo, hi = p.intervals["loss"]
    plo, phi = p.loss_interval
    out.append(f"  loss  fits' spread {fmt_sci(lo)} to {fmt_sci(hi)} (±{(hi - lo) / 2 / t.loss:.1%}); "
               f"{p.level:.0%} prediction interval {fmt_sci(plo)} to {fmt_sci(phi)} {t.loss_unit} "
               f"(±{p.loss_half_width:.1%})")
    out.append(f"        {p.interval_kind}")
    out.append(f"  fits: {p.n_converged} of {p.reps} converged, {p.n_failed} gave no plan; {p.seconds:.2f} s")
    out += [f"Warning: {w}" for w in p.warnings()]
    return out


COMMAND = Command("design", "plan the scaling experiment: which small runs to train, their cost and the precision "
                            "they buy", _add_design_args, _run_design)  # fmt: skip
