"""A design's run list as files, and the loop back: CSV/JSON out, the filled CSV in, the rest re-planned.

``write_csv(design, path)``
    One row per planned run. ``planner fit`` maps exactly three columns, ``params``, ``tokens`` and
    ``loss`` (left empty, to fill in); every other header contains none of those words and none
    is an alias of a role in :data:`planner.fitting.runs.ALIASES` (``train_flops_6nd``, not
    ``flops``), so the fitter ignores them. Intermediate checkpoints to evaluate are one text
    column, token counts separated by ``;``. Rows whose loss is still empty are reported by
    ``planner fit`` as skipped rows, not errors.
``write_json(design, precision, path)``
    Everything: the target, the budget, the rule, the runs, the simulation.
``update(question, path, kind)``
    The partial-results loop: read the file, fit the runs that have a loss (``planner fit``'s fit),
    plan the target again with that law, re-centre the IsoFLOP runs still to train on the updated
    law's N*(C) (same budgets, same offsets; ladder and over-trained runs keep their N and D, which
    do not depend on the law), and simulate the finished runs (losses kept) with the rest.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from planner.costs.architecture import Architecture
from planner.fitting.design import (
    CHECKPOINT_FRACTIONS,
    COLUMNS,
    DESIGNS,
    RULES,
    Design,
    DesignRun,
    Precision,
    _make_run,
    _prior,
    _target_plan,
    design_dict,
    propose,
    run_row,
    with_runs,
)
from planner.question import Question

__all__ = ["MIN_FINISHED", "Update", "csv_text", "read_design_rows", "update", "write_csv", "write_json"]

MIN_FINISHED = 8
"""Finished runs needed before they replace the prior: more than the 5 coefficients, as
``planner fit``'s rolling folds ask (at least 8 runs per fold)."""


def csv_text(design: Design) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    for run in design.runs:
        row = run_row(run, design.question.seq_len)
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def write_csv(design: Design, path: str | Path) -> Path:
    """Write the run list (atomically); returns the path."""
    from planner.files.atomic import atomic_write_text

    return atomic_write_text(path, csv_text(design))


def json_text(design: Design, precision: Precision | None = None) -> str:
    return json.dumps(design_dict(design, precision), indent=2, allow_nan=False)


def write_json(design: Design, precision: Precision | None, path: str | Path) -> Path:
    from planner.files.atomic import atomic_write_text

    return atomic_write_text(path, json_text(design, precision))


def write(design: Design, precision: Precision | None, path: str | Path) -> Path:
    """CSV, or JSON for a ``.json`` path."""
    return write_json(design, precision, path) if str(path).lower().endswith(".json") else write_csv(design, path)


def read_design_rows(path: str | Path) -> tuple[list[dict[str, str]], list[str]]:
    """The rows of a design CSV as text (checked like any runs file first: size, kind, encoding)."""
    from planner.fitting.runs import MAX_BYTES, RunsError, _check_regular

    p = Path(path)
    if _check_regular(p) > MAX_BYTES:
        raise RunsError(f"{p}: file is over the {MAX_BYTES / 1e6:.0f} MB limit for a runs file")
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RunsError(f"{p}: not UTF-8 text ({exc})") from None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t" if p.suffix.lower() in (".tsv", ".tab") else ",")
    headers = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("params", "tokens", "loss") if c not in headers]
    if missing:
        raise RunsError(f"{p}: not a design file written by planner design (no {', '.join(missing)} column)")
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    return rows, headers


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def _arch(row: dict[str, str]) -> Architecture | None:
    keys = ("layers", "d_model", "heads", "kv_heads", "head_dim", "d_ff", "vocab")
    vals = [_number(row.get(k, "")) for k in keys]
    if any(v is None for v in vals):
        return None
    L, d, h, kv, hd, ff, v = (int(x) for x in vals)  # type: ignore[arg-type]
    try:
        return Architecture(n_layers=L, d_model=d, n_heads=h, n_kv_heads=kv, head_dim=hd, d_ff=ff, vocab_size=v,
                            name="from file")  # fmt: skip
    except ValueError:
        return None


@dataclass(frozen=True)
class Update:
    """The state of a partly trained design (see :func:`update`)."""

    design: Design  # finished runs (with their losses) and the runs still to train, re-planned
    n_finished: int
    skipped: tuple[Any, ...]  # planner.fitting.runs.SkippedRow of rows without a usable loss
    fit: Any  # planner.fitting.fitter.FitResult of the finished runs, or None
    used_fit: bool  # the fit replaced the prior (target plan, simulation of the rest)
    recentred: bool  # the IsoFLOP runs still to train were re-centred on the fit
    reason: str  # what was not done or is not determined yet, and why (empty when nothing is)
    moved: int  # IsoFLOP runs whose size changed
    spent_usd: float
    remaining_usd: float


def update(question: Question, path: str | Path, *, kind: str | None = None, fraction: float | None = None,
           usd: float | None = None, seed: int = 0) -> Update:
    """Fit the finished runs of a design file and re-plan the runs still to train (module docstring).

    ``question`` is the target (its law the prior); ``fraction``/``usd`` restate the experiment
    budget the design was made for (only reported against). The file's rows keep their order.

    With at least :data:`MIN_FINISHED` finished runs whose fit converges, the fit replaces the
    prior: the target is planned with it and the design's precision is simulated from it. The
    IsoFLOP runs still to train are re-centred on its N*(C) when the finished runs pin N*(C) at
    their budgets more tightly than the grid is wide (a 200-resample bootstrap's 95% interval of
    N*(C) within +-``width_decades`` of the design); otherwise they stay where they are and the
    reason is given. What the bootstrap says is not determined yet is reported either way.
    """
    from planner.fitting.fitter import bootstrap, fit
    from planner.fitting.intervals import plan_intervals
    from planner.fitting.runs import RunsError, load_runs
    from planner.laws import ChinchillaLaw

    prior = _prior(question)
    rows, _headers = read_design_rows(path)
    if not rows:
        raise RunsError(f"{path}: the file has no runs")
    done = [_number(r.get("loss", "")) is not None for r in rows]
    skipped: tuple[Any, ...] = ()
    fitted, used, recentre, reason = None, False, False, ""
    if any(done):
        runs = load_runs(path)
        skipped = runs.skipped
        if len(runs) < MIN_FINISHED:
            reason = (f"{len(runs)} finished run(s): the prior stays until {MIN_FINISHED} have a loss (more than the "
                      "law's 5 coefficients)")  # fmt: skip
        else:
            fitted = fit(runs)
            if not fitted.converged:
                reason = f"the fit of the finished runs did not converge ({fitted.message}): the prior stays"
            else:
                used = True
                boot = bootstrap(runs, n=200, seed=seed, base=fitted)
                issues = list(boot.fit.identification)
                budgets = sorted({b for r, ok in zip(rows, done, strict=True) if not ok
                                  for b in [_number(r.get("isoflop_budget", ""))] if b is not None})  # fmt: skip
                width = float(RULES["isoflop"]["width_decades"])
                if budgets:
                    lo, hi = plan_intervals(boot, np.array(budgets))["n_params"]
                    half = float(np.max(np.log10(np.asarray(hi) / np.asarray(lo)) / 2.0))
                    recentre = bool(np.isfinite(half) and half < width)
                    if not recentre:
                        issues.insert(0, f"the finished runs know N*(C) at the remaining budgets only to ±{half:.2g} "
                                         f"decades (bootstrap 95%), wider than the grid's ±{width:g}: the runs still "
                                         "to train stay where they are")  # fmt: skip
                reason = "; ".join(issues)
    else:
        reason = "no run has a loss yet: the design is unchanged"
    law = prior
    if used:
        p = fitted.params  # type: ignore[union-attr]
        info = dataclasses.replace(prior.info, id=f"{prior.id}-updated", title=f"{prior.info.title}, updated by "
                                   f"{sum(done)} finished runs of {Path(path).name}", bootstrap_samples=None,
                                   calibration=None, warnings=())  # fmt: skip
        law = ChinchillaLaw(info, E=p["E"], A=p["A"], B=p["B"], alpha=p["alpha"], beta=p["beta"])
    q = dataclasses.replace(question, law=law)
    kinds = {r.get("design", "") for r in rows} & set(DESIGNS)
    kind = kind or (kinds.pop() if len(kinds) == 1 else "isoflop")
    base = propose(q, kind, fraction=fraction, usd=usd)  # the budget and target the update reports against
    runs_out: list[DesignRun] = []
    moved = 0
    for i, row in enumerate(rows):
        n, d = _number(row.get("params", "")), _number(row.get("tokens", ""))
        if n is None or d is None:
            raise RunsError(f"{path}: row {i + 1}: params and tokens must be positive numbers")
        loss = _number(row.get("loss", "")) if done[i] else None
        budget = _number(row.get("isoflop_budget", ""))
        offset = row.get("offset_decades", "")
        try:
            off = float(offset) if offset else None
        except ValueError:
            off = None
        design_kind = row.get("design", "") if row.get("design", "") in DESIGNS else kind
        if loss is None and recentre and budget is not None and off is not None:
            n_star = float(law.allocate_scalar(budget)[0])
            run, _ = _make_run(q, design_kind, i + 1, n_star * 10.0**off, lambda n_, c=budget: c / (6.0 * n_),
                               isoflop_budget=budget, offset_decades=off)  # fmt: skip
            moved += not math.isclose(run.n_params, n, rel_tol=1e-9)
        else:
            arch = _arch(row)
            if arch is None:
                run, _ = _make_run(q, design_kind, i + 1, n, lambda _n, d=d: d)
                run = dataclasses.replace(run, n_params=n, flops=6.0 * n * d)
            else:
                hw = q.hardware
                sf = arch.train_flops_per_token(q.seq_len) * d
                gh = sf / hw.flops_per_gpu_hour
                run = DesignRun(index=i + 1, design=design_kind, n_params=n, n_tokens=d, flops=6.0 * n * d,
                                shape_flops=sf, gpu_hours=gh, usd=gh * hw.price, arch=arch,
                                checkpoints=tuple(float(round(f * d)) for f in CHECKPOINT_FRACTIONS))  # fmt: skip
            run = dataclasses.replace(run, isoflop_budget=budget, offset_decades=off, loss=loss)
        runs_out.append(run)
    target = _target_plan(q)
    notes = list(base.notes)
    if reason:
        notes.insert(0, reason)
    design = with_runs(dataclasses.replace(base, question=q, target=target), runs_out, notes=tuple(notes))
    spent = float(sum(r.usd for r in runs_out if r.loss is not None))
    remaining = float(sum(r.usd for r in runs_out if r.loss is None))
    return Update(design, int(sum(done)), tuple(skipped), fitted, used, recentre, reason, moved, spent, remaining)
