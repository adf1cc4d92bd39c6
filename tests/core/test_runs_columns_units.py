"""Runs reader: numeric-only automatic mapping, chosen columns, loss units, non-regular files,
corrupt Parquet, and numpy's loader on large files (issues #13 items 4-5, #15 items 3, 6, 10)."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from planner.fitting.runs import MAX_PLAUSIBLE_NATS, RunsError, load_runs, read_headers


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_text_column_named_data_is_never_taken_as_tokens(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,data,flops,loss\n1e8,c4,1.2e18,3.1\n2e8,c4,4.8e18,2.9\n")
    runs = load_runs(path)
    assert runs.columns == {"n_params": "params", "flops": "flops", "loss": "loss"}
    assert runs.tokens_from_flops
    np.testing.assert_allclose(runs.n_tokens, [2e9, 4e9])
    headers, numeric = read_headers(path)
    assert headers == ["params", "data", "flops", "loss"] and numeric == [True, False, True, True]


def test_chosen_columns_override_the_automatic_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "a,b,c,my loss,loss\n1e8,2e9,9e18,3.1,99\n2e8,4e9,9e18,2.9,99\n")
    runs = load_runs(path, columns={"n_params": "a", "n_tokens": "b", "flops": "c", "loss": "my loss"})
    assert runs.columns == {"n_params": "a", "n_tokens": "b", "flops": "c", "loss": "my loss"}
    np.testing.assert_allclose(runs.loss, [3.1, 2.9])
    np.testing.assert_allclose(runs.flops, [9e18, 9e18])  # given C is kept beside D
    with pytest.raises(RunsError, match=r"--loss-col 'nope': no such column"):
        load_runs(path, columns={"loss": "nope"})


def test_bits_and_perplexity_are_converted_to_nats_and_said_so(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,tokens,loss\n1e8,2e9,4.0\n2e8,4e9,3.0\n")
    bits = load_runs(path, loss_unit="bits")
    np.testing.assert_allclose(bits.loss, [4.0 * math.log(2), 3.0 * math.log(2)])
    assert "bits to nats" in bits.loss_note and bits.loss_unit == "bits"
    ppl = load_runs(path, loss_unit="perplexity")
    np.testing.assert_allclose(ppl.loss, np.log([4.0, 3.0]))
    assert "perplexity to nats" in ppl.loss_note
    assert load_runs(path).loss_note == ""


def test_a_loss_that_looks_like_perplexity_is_refused_in_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "runs.csv", "params,tokens,loss\n1e8,2e9,25.3\n2e8,4e9,14.0\n")
    with pytest.raises(RunsError) as info:
        load_runs(path)
    text = str(info.value)
    assert "--loss-unit perplexity" in text and "\n" not in text and "row 1" in text
    assert f"above {MAX_PLAUSIBLE_NATS:g}" in text
    assert load_runs(path, loss_unit="perplexity").loss[0] == pytest.approx(math.log(25.3))
    huge = write(tmp_path, "huge.csv", "params,tokens,loss\n1e8,2e9,1e300\n2e8,4e9,3.0\n")
    with pytest.raises(RunsError, match="looks like perplexity"):
        load_runs(huge)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "runs.csv"
    os.mkfifo(fifo)
    with pytest.raises(RunsError, match="not a regular file") as info:
        load_runs(fifo)
    assert str(fifo) in str(info.value)
    with pytest.raises(RunsError, match="is a folder"):
        load_runs(tmp_path)


def test_corrupt_parquet_is_one_line_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.parquet"
    path.write_bytes(b"PAR1" + os.urandom(200) + b"PAR1")
    with pytest.raises(RunsError) as info:
        load_runs(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_large_file_is_read_by_numpy_quickly_and_bad_rows_keep_their_numbers(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    N = 10 ** rng.uniform(7, 10, n)
    D = 20 * N
    loss = 1.8 + 400 / N**0.34 + 2000 / D**0.37
    lines = ["params,tokens,loss"] + [f"{a:.6g},{b:.6g},{c:.6g}" for a, b, c in zip(N, D, loss, strict=True)]
    lines[1000] = "1e8,,3.0"  # data row 1000
    lines[150_001] = "1e8,abc,3.0"  # data row 150001
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    t0 = time.perf_counter()
    runs = load_runs(path)
    assert time.perf_counter() - t0 < 5.0  # ~0.3 s; the line-by-line reader took 60 s
    assert len(runs) == n - 2
    assert [(s.row, s.line) for s in runs.skipped] == [(1000, 1001), (150_001, 150_002)]
    assert "missing value in column 'tokens'" in runs.skipped[0].reason
    assert "'abc'" in runs.skipped[1].reason
