"""`planner fit` and `planner predict` flags and messages of issues #13 and #15 (the fitting parts)."""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

from planner.cli import main
from planner.presets.load import load_preset_file

REAL = Path(__file__).resolve().parents[1] / "data" / "real_runs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning (with its source line) reaches the user
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def law_csv(tmp_path: Path) -> Path:
    """48 runs of a known law with tokens, plus a text column named 'data' and a perplexity column."""
    n = np.repeat(np.logspace(7.5, 9.5, 6), 8)
    d = np.tile(np.logspace(9, 11, 8), 6)
    loss = 1.9 + 400 / n**0.34 + 1800 / d**0.36
    lines = ["model,size,data,toks,compute,loss,ppl"] + [
        f"m{i},{a!r},c4,{b!r},{6 * a * b!r},{c!r},{math.exp(c)!r}"
        for i, (a, b, c) in enumerate(zip(n.tolist(), d.tolist(), loss.tolist(), strict=True))]
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_chosen_columns_units_and_meaning_reach_the_preset(capsys, law_csv: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "fit.toml"
    code, out, err = run(capsys, "fit", str(law_csv), "--params-col", "size", "--tokens-col", "toks",
                         "--loss-col", "ppl", "--loss-unit", "perplexity", "--n-meaning", "non_embedding",
                         "--bootstrap", "50", "-o", str(out_path), "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["columns"] == {"n_params": "size", "n_tokens": "toks", "flops": "compute", "loss": "ppl"}
    assert got["loss_unit"] == "perplexity" and "converted from perplexity to nats" in got["loss_note"]
    assert got["params"]["E"] == pytest.approx(1.9, rel=1e-3)  # ln(perplexity) = the nats it came from
    law = load_preset_file(out_path).law
    assert law.info.n_meaning == "non_embedding"
    assert law.info.loss_unit == "nats/token (converted from perplexity)"
    assert "converted from perplexity to nats" in law.info.notes
    assert got["exit_status"] == 0 and err == ""  # quiet with --json: no progress bar when not a terminal


def test_perplexity_given_as_nats_is_refused_in_one_line(capsys, law_csv: Path) -> None:
    code, out, err = run(capsys, "fit", str(law_csv), "--loss-col", "ppl")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "looks like perplexity; if so, use --loss-unit perplexity" in err


def test_automatic_mapping_skips_a_text_column_named_data(capsys, law_csv: Path) -> None:
    code, out, err = run(capsys, "fit", str(law_csv), "--bootstrap", "0", "--holdout", "0", "--json")
    assert code == 0, err
    cols = json.loads(out)["columns"]
    assert "n_tokens" not in cols and cols["flops"] == "compute"  # 'data' holds "c4": never tokens
    assert cols["n_params"] == "size" and cols["loss"] == "loss"


def test_exit_3_keeps_the_fit_when_the_preset_cannot_be_written(capsys, law_csv: Path, tmp_path: Path) -> None:
    target = tmp_path / "bad.toml"
    code, out, err = run(capsys, "fit", str(law_csv), "--pin", "alpha=5", "--bootstrap", "20", "--json",
                         "-o", str(target))
    assert code == 3 and not target.exists()
    got = json.loads(out)  # the finished fit is still printed, whole
    assert got["params"]["alpha"] == 5 and got["exit_status"] == 3
    assert got["output"]["written"] is False and "law.coefficients.A: " in got["output"]["reason"]
    assert err.startswith(f"planner: preset not written to {target}: ") and err.count("\n") == 1
    assert "pin the coefficient the message names" in err
    code, out, _ = run(capsys, "fit", str(law_csv), "--pin", "alpha=5", "--bootstrap", "0", "-o", str(target))
    assert code == 3 and "No preset written: preset not written" in out and "coefficient" in out


def test_help_documents_the_exit_statuses(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = capsys.readouterr().out
    assert "exit status:" in text and "  3  the fit ran and was printed" in text and "  2  bad input" in text
    for flag in ("--params-col", "--tokens-col", "--flops-col", "--loss-col", "--n-meaning", "--loss-unit",
                 "--drop-highest-loss", "--drop-residual-outliers", "--folds"):
        assert flag in text
    assert "Epoch's filter: drop the K highest-loss runs" in text


def test_drop_highest_loss_is_epochs_filter(capsys, chinchilla_csv: Path) -> None:
    a = json.loads(run(capsys, "fit", str(chinchilla_csv), "--drop-outliers", "--bootstrap", "0", "--holdout", "0",
                       "--json")[1])
    b = json.loads(run(capsys, "fit", str(chinchilla_csv), "--drop-highest-loss", "5", "--bootstrap", "0",
                       "--holdout", "0", "--json")[1])
    assert a["params"] == b["params"] and a["n_dropped"] == b["n_dropped"] == 5
    assert all("outlier filter: loss" in d["reason"] for d in b["dropped"])
    code, _, err = run(capsys, "fit", str(chinchilla_csv), "--drop-outliers", "3", "--drop-highest-loss", "5")
    assert code == 2 and "same filter" in err


def test_drop_residual_outliers_lists_what_it_dropped_and_why(capsys) -> None:
    code, out, err = run(capsys, "fit", str(REAL / "gadre2024_c4.csv"), "--drop-residual-outliers", "--bootstrap",
                         "0", "--holdout", "0")
    assert code == 0, err
    assert "Dropped runs (3):" in out
    lines = [line for line in out.splitlines() if "residual outlier: ln(predicted/actual) = " in line]
    assert len(lines) == 3 and all("robust scales" in line and "threshold 3" in line for line in lines)


def test_holdout_names_the_rows_and_the_tied_runs_it_kept(capsys, tmp_path: Path) -> None:
    n = np.repeat(np.logspace(8, 9, 5), 4)
    c = np.tile([1e19, 1e20, 1e21, 1e22], 5)
    loss = 1.9 + 400 / n**0.34 + 1800 / (c / (6 * n)) ** 0.36
    path = tmp_path / "ties.csv"
    path.write_text("params,flops,loss\n" + "\n".join(f"{a!r},{b!r},{x!r}" for a, b, x in zip(n.tolist(), c.tolist(), loss.tolist(), strict=True)))
    code, out, err = run(capsys, "fit", str(path), "--bootstrap", "0", "--holdout", "0.1", "--json")
    assert code == 0, err
    text = json.loads(out)["holdout"]["text"]
    # 10% of 20 runs = 2 held out, but 5 runs share the largest compute 1e22
    assert text.startswith("refitted without the 2 largest-compute runs (rows ")
    assert "have the same compute (1.00e22 FLOPs) and were kept in the fit" in text


@pytest.mark.parametrize(("make", "message"), [
    ("fifo", "not a regular file"),
    ("parquet", "runs.parquet: "),
    ("huge_loss", "looks like perplexity"),
    ("pin_huge", "pinned alpha = 1e+300 is outside what a fit can use"),
])  # fmt: skip
def test_bad_input_exits_2_with_one_line(capsys, tmp_path: Path, law_csv: Path, make: str, message: str) -> None:
    argv = ["fit"]
    if make == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)  # reading it would block forever
        argv.append(str(path))
    elif make == "parquet":
        path = tmp_path / "runs.parquet"
        path.write_bytes(b"PAR1" + b"\x07" * 64 + b"PAR1")
        argv.append(str(path))
    elif make == "huge_loss":
        path = tmp_path / "huge.csv"
        path.write_text("params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,1e300\n4e8,8e9,2.7\n8e8,1.6e10,2.55\n"
                        "1.6e9,3.2e10,2.45\n3.2e9,6.4e10,2.38\n")
        argv += [str(path), "-o", str(tmp_path / "out.toml")]
    else:
        argv += [str(law_csv), "--pin", "alpha=1e300"]
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("planner: error: ") and err.count("\n") == 1 and message in err


def test_pinning_every_coefficient_fits_and_prints(capsys, law_csv: Path) -> None:
    code, out, err = run(capsys, "fit", str(law_csv), "--pin", "E=1.9", "--pin", "A=400", "--pin", "B=1800",
                         "--pin", "alpha=0.34", "--pin", "beta=0.36", "--bootstrap", "20", "--json")
    assert code == 0, err
    got = json.loads(out)
    assert got["converged"] is True and got["objective"] == pytest.approx(0.0, abs=1e-9)


# ------------------------------------------------------------------------------ planner predict
def test_predict_one_point_json(capsys) -> None:
    code, out, err = run(capsys, "predict", "--preset", "epoch-2024", "--n-params", "1e9", "--n-tokens", "2e10",
                         "--json")
    assert code == 0, err
    got = json.loads(out)
    assert {"loss", "loss_interval", "interval_kind", "warnings"} <= set(got)
    assert got["loss"] == pytest.approx(2.53005, abs=1e-5)
    lo, hi = got["loss_interval"]
    assert lo < got["loss"] < hi
    assert got["interval_kind"] == "95% prediction interval: bootstrap + extrapolation error from 6 rolling folds"
    assert got["warnings"] == []


def test_predict_flops_table_and_points_file(capsys, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "predict", "--n-params", "7e10", "--flops", "5.88e23")
    assert code == 0
    assert "Interval: 95% prediction interval" in out and "Warning: Far extrapolation: C = 5.88e23 FLOPs" in out
    points = tmp_path / "points.csv"
    points.write_text("params,tokens\n1e9,2e10\n7e10,1.4e12\n")
    code, out, _ = run(capsys, "predict", "--preset", "chinchilla-2022-a3", "--points", str(points), "--json")
    got = json.loads(out)
    assert code == 0 and len(got) == 2
    assert got[0]["interval_kind"] == "no interval: this law carries no uncertainty"
    assert got[0]["loss_interval"] == [None, None]


@pytest.mark.parametrize(("argv", "message"), [
    (["predict", "--n-params", "1e9"], "give --n-params N and --n-tokens D"),
    (["predict", "--preset", "porian-2024", "--n-params", "1e9", "--n-tokens", "1e10"], "gives no loss"),
    (["predict", "--preset", "nope", "--n-params", "1e9", "--n-tokens", "1e10"], "unknown preset 'nope'"),
    (["predict", "--n-params", "-1", "--n-tokens", "1e10"], "argument --n-params"),
])  # fmt: skip
def test_predict_bad_input_exits_2(capsys, argv: list[str], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err
