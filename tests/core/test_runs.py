"""Tests for planner.fitting.runs: reading runs files, column mapping, bad rows, Epoch's filter."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from planner.fitting.runs import (
    MAX_BYTES,
    Runs,
    RunsError,
    data_range,
    drop_highest_loss,
    extrapolation_warning,
    load_runs,
)

DATA = Path(__file__).resolve().parents[1] / "data"
EPOCH_SHA256 = "fbc8686ae5ccd78c26eb5806d29b8bf463f20d353f7a8563ecb16ef83bb50083"  # vendored 3-column copy


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_epoch_file_maps_columns_and_derives_tokens(chinchilla_csv: Path) -> None:
    runs = load_runs(chinchilla_csv)
    assert len(runs) == 245
    assert runs.columns == {"n_params": "Model Size", "flops": "Training FLOP", "loss": "loss"}
    assert runs.tokens_from_flops
    np.testing.assert_allclose(runs.n_tokens, runs.flops / (6 * runs.n_params), rtol=1e-15)
    assert runs.sha256 == EPOCH_SHA256
    assert runs.skipped == ()
    assert runs.source == chinchilla_csv
    rng = data_range(runs)
    assert rng.n_params == pytest.approx((5.73e7, 1.62e10), rel=2e-3)
    assert rng.flops == pytest.approx((1.40e18, 1.30e22), rel=5e-3)
    assert rng.loss == pytest.approx((2.077, 5.006), rel=1e-3)


def test_drop_highest_loss_matches_epoch_filter(chinchilla_csv: Path) -> None:
    runs = load_runs(chinchilla_csv)
    kept = drop_highest_loss(runs, 5)
    assert len(kept) == 240
    assert np.all(kept.loss < np.sort(runs.loss)[-5])
    assert len(kept.dropped) == 5
    assert sorted(d.row for d in kept.dropped) == sorted(
        int(r) for r in runs.rows[np.argsort(runs.loss)[-5:]])
    assert all("outlier filter" in d.reason for d in kept.dropped)
    # Epoch: all five are near 1e19 FLOP with D/N 0.036-0.404 (LAWS.md §2.3)
    mask = np.isin(runs.rows, [d.row for d in kept.dropped])
    assert np.all((runs.flops[mask] > 5e18) & (runs.flops[mask] < 2e19))
    assert np.all(runs.n_tokens[mask] / runs.n_params[mask] < 0.41)
    assert drop_highest_loss(runs, 0) is runs


def test_drop_highest_loss_with_ties_drops_all_tied() -> None:
    runs = Runs.from_arrays([1e8] * 6, [2.0, 3.0, 5.0, 5.0, 4.0, 1.0], n_tokens=[1e9] * 6)
    kept = drop_highest_loss(runs, 2)
    np.testing.assert_array_equal(kept.loss, [2.0, 3.0, 4.0, 1.0])
    with pytest.raises(ValueError):
        drop_highest_loss(runs, 6)


@pytest.mark.parametrize(
    ("header", "roles"),
    [
        ("n_params,n_tokens,loss", ("n_params", "n_tokens")),
        ("Parameters,Training Tokens,Final Loss", ("n_params", "n_tokens")),
        ("model-size,DATA,val_loss", ("n_params", "n_tokens")),
        ("N,D,L", ("n_params", "n_tokens")),
        ("num_params,num_tokens,eval_loss", ("n_params", "n_tokens")),
        (" Size , tokens , LOSS ", ("n_params", "n_tokens")),
        ("params,FLOPs,loss", ("n_params", "flops")),
        ("Model Size,Training FLOP,loss", ("n_params", "flops")),
        ("n,compute,final-loss", ("n_params", "flops")),
        ("model_size,C,l", ("n_params", "flops")),
    ],
)
def test_header_spellings(tmp_path: Path, header: str, roles: tuple[str, str]) -> None:
    second = "2e9" if roles[1] == "n_tokens" else str(6 * 1e8 * 2e9)
    path = write(tmp_path, "runs.csv", f"{header}\n1e8,{second},3.5\n2e8,{second},3.0\n")
    runs = load_runs(path)
    assert set(runs.columns) == {roles[0], roles[1], "loss"}
    np.testing.assert_allclose(runs.n_params, [1e8, 2e8])
    np.testing.assert_allclose(runs.loss, [3.5, 3.0])
    assert runs.n_tokens[0] == pytest.approx(2e9, rel=1e-12)
    assert runs.tokens_from_flops == (roles[1] == "flops")
    np.testing.assert_allclose(runs.flops, 6 * runs.n_params * runs.n_tokens, rtol=1e-12)


def test_tokens_and_flops_both_given_are_both_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,tokens,flops,loss\n1e8,2e9,1.3e18,3.0\n")
    runs = load_runs(path)
    assert not runs.tokens_from_flops
    assert runs.n_tokens[0] == 2e9
    assert runs.flops[0] == 1.3e18  # the file's own compute figure, not 6ND


def test_tsv_by_extension_and_by_sniffing(tmp_path: Path) -> None:
    tsv = write(tmp_path, "runs.tsv", "params\ttokens\tloss\n1e8\t2e9\t3.0\n4e8\t8e9\t2.7\n")
    assert len(load_runs(tsv)) == 2
    sniffed = load_runs(DATA / "runs_tab.csv")  # tab-separated despite the .csv name
    assert sniffed.columns == {"n_params": "model_size", "flops": "training_flop",
                               "loss": "eval_loss"}
    np.testing.assert_allclose(sniffed.n_tokens, sniffed.flops / (6 * sniffed.n_params))
    semi = write(tmp_path, "runs.txt", "params;tokens;loss\n1e8;2e9;3.0\n")
    assert load_runs(semi).n_tokens[0] == 2e9


def test_bad_rows_are_reported_with_rows_lines_and_reasons() -> None:
    runs = load_runs(DATA / "runs_bad_rows.csv")
    np.testing.assert_array_equal(runs.rows, [1, 7, 8])
    np.testing.assert_allclose(runs.n_params, [1e8, 6.4e9, 1.28e10])
    got = {(s.row, s.line): s.reason for s in runs.skipped}
    # row = 1-based data row after the header; line = physical line (comment, blank, header)
    assert set(got) == {(2, 5), (3, 6), (4, 7), (5, 8), (6, 9), (9, 13)}
    assert got[(2, 5)] == "missing value in column 'Tokens'"
    assert "non-numeric" in got[(3, 6)] and "'abc'" in got[(3, 6)]
    assert "non-finite" in got[(4, 7)] and "Final Loss" in got[(4, 7)]
    assert "non-positive" in got[(5, 8)] and "Params" in got[(5, 8)]
    assert "non-positive" in got[(6, 9)] and "Tokens" in got[(6, 9)]
    assert "non-finite" in got[(9, 13)]
    assert str(runs.skipped[0]).startswith("row 2 (line 5): ")
    assert runs.sha256 == hashlib.sha256((DATA / "runs_bad_rows.csv").read_bytes()).hexdigest()


def test_mapping_failure_lists_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "odd.csv", "width,depth,perplexity\n1,2,3\n")
    with pytest.raises(RunsError) as info:
        load_runs(path)
    text = str(info.value)
    assert "odd.csv" in text
    assert "'width', 'depth', 'perplexity'" in text
    assert "n_params" in text and "final_loss" in text and "Training FLOP" in text
    assert isinstance(info.value, ValueError)


def test_mapping_needs_tokens_or_flops(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,loss\n1e8,3.0\n")
    with pytest.raises(RunsError, match="missing n_tokens or flops"):
        load_runs(path)


def test_size_limit_missing_file_and_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,tokens,loss\n" + "1e8,2e9,3.0\n" * 100)
    with pytest.raises(RunsError, match="over the"):
        load_runs(path, max_bytes=1000)
    assert MAX_BYTES == 50 * 1024 * 1024
    with pytest.raises(RunsError, match="cannot read file"):
        load_runs(tmp_path / "nope.csv")
    with pytest.raises(RunsError, match="no header"):
        load_runs(write(tmp_path, "empty.csv", "\n\n"))
    with pytest.raises(RunsError, match="no usable rows"):
        load_runs(write(tmp_path, "bad.csv", "params,tokens,loss\n1e8,x,3\n"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("params,tokens,loss\n1e8,2e9,3.0 \xe9\n".encode("latin-1"))
    with pytest.raises(RunsError, match="UTF-8"):
        load_runs(latin)


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None
                    or importlib.util.find_spec("fastparquet") is not None,
                    reason="a Parquet engine is installed")
def test_parquet_without_engine_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16 + b"PAR1")
    with pytest.raises(RunsError, match="pyarrow or fastparquet"):
        load_runs(path)


def test_runs_are_immutable() -> None:
    runs = Runs.from_arrays([1e8, 2e8], [3.0, 2.9], flops=[1.2e18, 2.4e18])
    with pytest.raises(ValueError):
        runs.loss[0] = 1.0
    with pytest.raises(AttributeError):
        runs.loss = np.array([1.0, 2.0])  # type: ignore[misc]
    np.testing.assert_allclose(runs.n_tokens, [2e9, 2e9])


def test_extrapolation_warning() -> None:
    runs = Runs.from_arrays([1e8, 1e9], [3.0, 2.5], flops=[1e19, 1e21])
    rng = data_range(runs)
    assert rng.extrapolation(1e21) == 1.0
    assert extrapolation_warning(rng, 5e21) is None
    warning = extrapolation_warning(rng, 1e24)
    assert warning == ("budget = 1.00e24 FLOPs is 1000\u00d7 above the largest value it was fitted on "
                       "(1.00e21 FLOPs; 3.0 decades): the fitted law is untested there")


def test_import_is_light() -> None:
    code = ("import sys, planner.fitting.runs, planner.fitting.fitter; "
            "bad = [m for m in ('scipy', 'pandas', 'PySide6', 'pyqtgraph', 'ui') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
