"""Regenerate the ``[law.bootstrap]`` table of ``presets/epoch-2024.toml`` (not a benchmark).

The default preset's coefficients are Besiroglu et al.'s published refit (arXiv 2404.10102).
Its bootstrap samples, from which every plan's intervals come, are produced here by the
project's own fitter from Epoch's released data (tests/data/chinchilla_epoch, the 245 runs less
the 5 highest-loss, as the paper), 1,000 resamples with seed 0, together with the rolling-origin
calibration of the extrapolation error; the data's sha256 and the seed are recorded in the table.

    .venv/bin/python benchmarks/make_epoch_samples.py          # rewrite the preset's table
    .venv/bin/python benchmarks/make_epoch_samples.py --check  # exit 1 if the file differs
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import tomli_w  # noqa: E402

from planner.fitting.calibration import calibrate  # noqa: E402
from planner.fitting.fitter import bootstrap, fit, used_runs  # noqa: E402
from planner.fitting.runs import load_runs  # noqa: E402
from planner.laws import ChinchillaLaw  # noqa: E402
from planner.presets.load import load_preset_file  # noqa: E402
from planner.presets.write import bootstrap_table  # noqa: E402

PRESET = ROOT / "presets" / "epoch-2024.toml"
DATA = ROOT / "tests" / "data" / "chinchilla_epoch" / "svg_extracted_data.csv"
SEED, N_BOOT, DROP = 0, 1000, 5
MARK = "# --- bootstrap samples"


def table_text() -> str:
    runs = load_runs(DATA)
    result = fit(runs, drop_highest=DROP)
    boot = bootstrap(runs, n=N_BOOT, seed=SEED, base=result, drop_highest=DROP)
    cal = calibrate(used_runs(runs, result), {"drop_highest": DROP})
    law = load_preset_file(PRESET).law
    info = law.info.__class__(**{**{f: getattr(law.info, f) for f in law.info.__dataclass_fields__},
                                 "bootstrap_samples": boot.samples, "bootstrap_level": boot.level,
                                 "calibration": cal.to_table() if cal else None})
    with_samples = ChinchillaLaw(info, **law.coefficients())
    table = bootstrap_table(with_samples, {"seed": SEED, "data_sha256": runs.sha256,
                                           "data_file": "epoch-research/analyzing-chinchilla data/svg_extracted_data.csv"})
    body = tomli_w.dumps({"law": {"bootstrap": table}})
    body = re.sub(r'^data = "([A-Za-z0-9+/=]*)"$', r"data = '\1'", body, flags=re.MULTILINE)
    header = (f"{MARK} (benchmarks/make_epoch_samples.py): {boot.n_ok} of {N_BOOT} resamples of Epoch's 240 runs\n"
              f"# refitted by this project's fitter (summed Huber, delta 1e-3; seed {SEED}); plans take their intervals\n"
              "# from them. The extrapolation table is the rolling-origin calibration of the same fit.\n")
    return header + body


def main() -> int:
    text = PRESET.read_text(encoding="utf-8")
    head = text.split(MARK)[0].rstrip("\n") + "\n\n"
    new = head + table_text()
    if "--check" in sys.argv:
        return 0 if new == text else 1
    PRESET.write_text(new, encoding="utf-8")
    law = load_preset_file(PRESET).law
    print(f"wrote {PRESET}: {law.info.bootstrap_samples.shape[0]} samples, calibration {law.info.calibration}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
