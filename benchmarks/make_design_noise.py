"""Recompute the design's default noise and extrapolation-error constants from published runs.

`planner design` simulates a design's runs as the prior law plus noise. The default noise
(``planner.fitting.design.NOISE_SD``) and the extrapolation error added at the target
(``PUBLISHED_CALIBRATION``) come from four published run sets, vendored in tests/data/ (provenance
in tests/data/README.md): each is fitted with `planner fit`'s defaults (Epoch's 5-run outlier
filter on the Chinchilla data, as Besiroglu et al.), then

* the robust residual scale 1.4826 x median |ln(predicted/actual)| (the scale the residual filter
  uses) and the plain RMS of the ln residuals are printed; NOISE_SD is the median robust scale;
* the rolling-origin calibration (`planner.fitting.calibration.calibrate`, at most 6 folds) gives
  s0 and s1; PUBLISHED_CALIBRATION holds their medians.

    .venv/bin/python benchmarks/make_design_noise.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.fitting.calibration import calibrate  # noqa: E402
from planner.fitting.fitter import fit, used_runs  # noqa: E402
from planner.fitting.runs import drop_highest_loss, load_runs  # noqa: E402

DATA = ROOT / "tests" / "data"


def run_sets() -> list[tuple[str, object, dict]]:
    real = DATA / "real_runs"
    return [
        ("Epoch's digitised Chinchilla runs (Besiroglu et al. 2024, arXiv 2404.10102)",
         load_runs(DATA / "chinchilla_epoch" / "svg_extracted_data.csv"), {"drop_highest": 5}),
        ("Porian et al. 2024 (arXiv 2406.19146)",
         load_runs(real / "porian2024_owt2_cosine.csv", columns={"flops": "isoflop_budget"}), {}),
        ("Gadre et al. 2024 (arXiv 2403.08540)", load_runs(real / "gadre2024_c4.csv"), {}),
        ("Li et al. 2025, (Mis)Fitting (arXiv 2502.18969)", load_runs(real / "misfitting2025_lr_sweep.csv"), {}),
    ]


def measure() -> list[dict]:
    out = []
    for label, runs, kw in run_sets():
        result = fit(runs, **kw)
        used = drop_highest_loss(runs, kw["drop_highest"]) if kw.get("drop_highest") else used_runs(runs, result)
        r = np.log(np.asarray(result.predict(used.n_params, used.n_tokens)) / used.loss)
        cal = calibrate(used, {k: v for k, v in kw.items() if k != "drop_highest"})
        out.append({"label": label, "runs": len(used), "robust": 1.4826 * float(np.median(np.abs(r))),
                    "rms": float(np.sqrt(np.mean(r * r))), "s0": cal.near_sd, "s1": cal.growth_sd,
                    "folds": cal.folds, "points": cal.points, "max_decades": cal.max_decades})
    return out


def main() -> None:
    rows = measure()
    print("| run set | runs | robust residual scale | RMS ln residual | s0 | s1 per decade | folds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for x in rows:
        print(f"| {x['label']} | {x['runs']} | {x['robust']:.4f} | {x['rms']:.4f} | {x['s0']:.4f} | {x['s1']:.4f} | "
              f"{x['folds']} |")
    med = {k: statistics.median(x[k] for x in rows) for k in ("robust", "rms", "s0", "s1")}
    print(f"\nNOISE_SD (median robust scale) = {med['robust']:.4f}   (median RMS {med['rms']:.4f})")
    print(f"PUBLISHED_CALIBRATION: near_sd (median s0) = {med['s0']:.4f}, growth_sd (median s1) = {med['s1']:.4f}, "
          f"max_decades = {max(x['max_decades'] for x in rows):.3g}")


if __name__ == "__main__":
    main()
