"""``planner fit``: Epoch's refit from the command line, pins, presets, clean errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from planner.cli import main
from planner.presets.load import load_preset_file

# Besiroglu et al. 2024 (arXiv 2404.10102) refit of the Chinchilla data, with standard errors
EPOCH = {"E": (1.8172, 0.03), "A": (482.01, 124.58), "B": (2085.43, 1293.23), "alpha": (0.3478, 0.02),
         "beta": (0.3658, 0.02)}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def small_csv(tmp_path: Path) -> Path:
    """48 runs of a known law (C given, D = C/(6N)) plus two unusable rows."""
    n = np.repeat(np.logspace(7.5, 9.5, 6), 8)
    c = np.tile(np.logspace(18, 21, 8), 6)
    d = c / (6 * n)
    loss = 1.9 + 400 / n**0.34 + 1800 / d**0.36
    rows = [f"{float(a)!r},{float(b)!r},{float(l)!r}" for a, b, l in zip(n, c, loss, strict=True)]
    path = tmp_path / "runs.csv"
    path.write_text("params,compute,final_loss\n" + "\n".join(rows) + "\n1e9,,2.5\n-1e9,1e20,2.5\n")
    return path


def test_epoch_refit_reproduced_within_its_standard_errors(capsys, chinchilla_csv: Path) -> None:
    out = run_json(capsys, "fit", str(chinchilla_csv), "--drop-outliers")
    assert out["converged"] is True
    assert out["n_points"] == 240 and out["n_dropped"] == 5 and out["n_skipped"] == 0
    assert len(out["dropped"]) == 5
    for name, (value, se) in EPOCH.items():
        assert abs(out["params"][name] - value) <= se, (name, out["params"][name])
        lo, hi = out["ci"][name]
        assert lo < value < hi  # Epoch's estimate lies inside our bootstrap interval
        assert 0.3 * se < out["se"][name] < 3 * se  # and our SEs are of the same size as theirs
    assert out["objective"] == pytest.approx(0.001018274029010267, rel=1e-4)  # Epoch's own optimum
    assert out["columns"] == {"n_params": "Model Size", "flops": "Training FLOP", "loss": "loss"}
    assert out["data"]["tokens_from_flops"] is True and len(out["data"]["sha256"]) == 64
    assert out["bootstrap"]["n"] == 1000 and out["bootstrap"]["n_ok"] > 900
    h = out["holdout"]
    assert h["n"] == 48 and h["mean_abs_rel_error"] < 0.05 and len(h["rel_error"]) == 48  # 20% of the 240 used
    for key in ("seconds", "message", "skipped", "delta", "loss_fn", "pinned"):
        assert key in out


def test_fit_writes_a_preset_whose_plans_show_intervals(capsys, chinchilla_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "fitted.toml"
    out = run_json(capsys, "fit", str(chinchilla_csv), "--drop-outliers", "--bootstrap", "300", "-o", str(target),
                   "--id", "team-chinchilla", "--name", "Team Chinchilla")  # fmt: skip
    assert out["output"] == {"path": str(target), "id": "team-chinchilla", "name": "Team Chinchilla"}
    preset = load_preset_file(target)
    assert preset.law.info.citation.status == "FITTED"
    assert preset.law.info.bootstrap_samples.shape[0] == out["bootstrap"]["n_ok"]
    assert preset.fit["n_points"] == 240 and preset.fit["data_file"] == chinchilla_csv.name
    plan = run_json(capsys, "plan", "--preset-file", str(target), "--flops", "1e22")
    iv = plan["intervals"]
    assert set(iv) == {"n_params", "n_tokens", "tokens_per_param", "loss"}
    for key in ("n_params", "n_tokens", "loss"):
        assert iv[key][0] <= plan[key] <= iv[key][1]
    assert plan["preset"] == "team-chinchilla"
    code, text, _ = run(capsys, "plan", "--preset-file", str(target), "--flops", "1e22")
    assert code == 0 and "[" in text  # the table shows the interval beside the value


def test_pinned_parameter(capsys, small_csv: Path) -> None:
    free = run_json(capsys, "fit", str(small_csv), "--bootstrap", "0", "--holdout", "0")
    pinned = run_json(capsys, "fit", str(small_csv), "--pin", "E=2.0", "--bootstrap", "50", "--holdout", "0")
    assert free["params"]["E"] == pytest.approx(1.9, rel=1e-3)  # exact data: the true law comes back
    assert pinned["params"]["E"] == 2.0 and pinned["pinned"] == {"E": 2.0}
    assert pinned["ci"]["E"] == [2.0, 2.0] and pinned["se"]["E"] == 0.0
    assert pinned["params"]["A"] != pytest.approx(free["params"]["A"], rel=1e-3)  # the others adapt
    assert pinned["objective"] > free["objective"]
    assert "ci" not in free and "holdout" not in free


def test_skipped_rows_columns_and_table(capsys, small_csv: Path) -> None:
    out = run_json(capsys, "fit", str(small_csv), "--bootstrap", "20")
    assert out["columns"] == {"n_params": "params", "flops": "compute", "loss": "final_loss"}
    assert [s["row"] for s in out["skipped"]] == [49, 50]
    assert "missing value in column 'compute'" in out["skipped"][0]["reason"]
    assert "non-positive value" in out["skipped"][1]["reason"]
    assert out["n_points"] == 48 and out["n_skipped"] == 2
    code, text, _ = run(capsys, "fit", str(small_csv), "--bootstrap", "20")
    assert code == 0
    for needle in ("Fitted chinchilla law", "48 used, 0 dropped as outliers, 2 skipped", "alpha", "95% CI",
                   "Objective:", "Convergence: converged", "Leave-largest-out:", "row 49 (line 50)"):  # fmt: skip
        assert needle in text, needle


def test_kaplan_round_trip_from_the_cli(capsys, small_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "kaplan.toml"
    out = run_json(capsys, "fit", str(small_csv), "--form", "kaplan", "--bootstrap", "100", "-o", str(target))
    assert set(out["params"]) == {"N_c", "D_c", "alpha_N", "alpha_D"}
    law = load_preset_file(target).law
    assert law.form == "kaplan" and law.loss_only
    assert law.coefficients() == out["params"]
    plan = run_json(capsys, "plan", "--preset-file", str(target), "--flops", "1e21")
    assert plan["intervals"] is not None and plan["loss"] > 0


def test_least_squares_and_json_output_file(capsys, small_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "fitted.json"
    out = run_json(capsys, "fit", str(small_csv), "--loss", "ls", "--bootstrap", "30", "-o", str(target))
    assert out["loss_fn"] == "ls" and out["delta"] is None
    fit_meta = load_preset_file(target).fit
    assert fit_meta["loss_fn"] == "ls" and "delta" not in fit_meta


@pytest.mark.parametrize(("argv", "message"), [
    (["fit", "{missing}"], "cannot read file"),
    (["fit", "{bad_columns}"], "cannot map columns"),
    (["fit", "{csv}", "--pin", "E"], "'E' is not NAME=VALUE"),
    (["fit", "{csv}", "--pin", "E=abc"], "E: 'abc' is not a number"),
    (["fit", "{csv}", "--pin", "gamma=1"], "--pin gamma: unknown parameter for form 'chinchilla'"),
    (["fit", "{csv}", "--form", "kaplan", "--pin", "E=1.8"], "--pin E: unknown parameter for form 'kaplan'"),
    (["fit", "{csv}", "--pin", "alpha=-1"], "--pin alpha=-1: must be > 0"),
    (["fit", "{csv}", "--drop-outliers", "100"], "--drop-outliers 100: the file has only 48 usable runs"),
    (["fit", "{csv}", "--holdout", "2"], "argument --holdout"),
])  # fmt: skip
def test_bad_input_exits_2_with_one_line(capsys, small_csv: Path, tmp_path: Path, argv: list[str],
                                         message: str) -> None:  # fmt: skip
    bad_columns = tmp_path / "bad.csv"
    bad_columns.write_text("a,b\n1,2\n")
    paths = {"missing": str(tmp_path / "nope.csv"), "bad_columns": str(bad_columns), "csv": str(small_csv)}
    code, out, err = run(capsys, *[a.format(**paths) for a in argv])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("planner: error: ")
    assert message in err
