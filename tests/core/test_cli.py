"""The planner command line: outputs, JSON keys, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planner.cli import main

JSON_KEYS = {
    "preset", "flops", "n_params", "n_tokens", "tokens_per_param", "loss", "gpu_hours", "wall_clock_days",
    "cost_usd", "inference_flops_per_token", "inference_usd_per_million_tokens", "serving_memory_bytes",
    "warnings",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_done_when_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--preset", "epoch-2024", "--flops", "1e21", "--json")
    assert code == 0
    d = json.loads(out)
    assert JSON_KEYS <= set(d)
    assert f"{d['n_params']:.4e}" == "2.7785e+09"
    assert f"{d['n_tokens']:.4e}" == "5.9985e+10"
    assert f"{d['loss']:.4f}" == "2.3055"
    # the default preset ships bootstrap samples (#13): the plan carries its interval
    assert re.fullmatch(r"2\.78B \[2\.\d\dB – 3\.\d\dB\]", d["formatted"]["n_params"])  # as the field reads it
    lo, hi = d["intervals"]["n_params"]
    assert lo < d["n_params"] < hi


def test_table_output_has_units(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--flops", "3.8e25", "--gpu", "H200 SXM", "--gpus", "16384")
    assert code == 0
    for text in ("FLOPs", "params", "tokens", "nats/token", "H200 SXM-hours", "per million tokens", "iB"):
        assert text in out
    assert "extrapolation" in out.lower()


def test_gpu_hours_budget_converts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--gpu-hours", "1e6", "--gpu", "H100 SXM", "--mfu", "0.4",
                       "--usd-per-gpu-hour", "2.5", "--json")  # fmt: skip
    d = json.loads(out)
    assert code == 0
    assert d["flops"] == pytest.approx(1.4247e24, rel=1e-4)
    assert d["cost_usd"] == pytest.approx(2.5e6)


def test_presets_listing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets", "--json")
    rows = json.loads(out)
    assert code == 0
    ids = {r["id"] for r in rows}
    assert {"epoch-2024", "kaplan-2020", "deepseek-2024"} <= ids
    assert all(r["citation"] and r["title"] for r in rows)
    code, out, _ = run(capsys, "presets")
    assert "2404.10102" in out


def test_preset_file(capsys: pytest.CaptureFixture[str], repo_root: Path, tmp_path: Path) -> None:
    text = (repo_root / "presets" / "epoch-2024.toml").read_text().replace('id = "epoch-2024"', 'id = "team-law"')
    path = tmp_path / "team.toml"
    path.write_text(text.replace("E = 1.8172", "E = 1.7"))
    code, out, _ = run(capsys, "plan", "--preset-file", str(path), "--flops", "1e21", "--json")
    d = json.loads(out)
    assert code == 0 and d["preset"] == "team-law"
    assert d["loss"] == pytest.approx(2.305528571 - 0.1172, rel=1e-6)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["plan", "--flops", "abc"], "not a number"),
        (["plan", "--flops", "-5"], "out of range"),
        (["plan", "--flops", "nan"], "not a finite number"),
        (["plan", "--preset", "nope", "--flops", "1e21"], "unknown preset"),
        (["plan", "--flops", "1e21", "--gpu", "Z9000"], "unknown GPU"),
        (["plan", "--flops", "1e21", "--mfu", "1.5"], "out of range"),
        (["plan", "--flops", "1e21", "--gpu-hours", "5"], "not allowed with"),
        (["plan"], "give a budget"),
        (["plan", "--preset-file", "/nonexistent/x.toml", "--flops", "1e21"], "cannot read file"),
        (["nosuchcommand"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("planner: error:")
    assert needle in err
    assert "Traceback" not in err


def test_malformed_preset_file_names_file_and_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\n[meta]\nid = "x"\nname = "x"\n[law]\nform = "chinchilla"\n'
                   '[law.citation]\ntext = "t"\n[law.coefficients]\nE = 1.0\nA = 1.0\nB = 1.0\n'
                   'alpha = "0.3"\nbeta = 0.3\n')  # fmt: skip
    code, _, err = run(capsys, "plan", "--preset-file", str(bad), "--flops", "1e21")
    assert code == 2
    assert str(bad) in err and "law.coefficients.alpha" in err and "is a string" in err


def test_console_script_runs_as_module(repo_root: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "planner", "plan", "--flops", "1e21", "--json"],
                         capture_output=True, text=True, cwd=repo_root, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["preset"] == "epoch-2024"


SCIENCE_KEYS = {
    "n_params_total", "n_params_active", "vocab_size", "optimal_vocab_size", "efficiency_leverage", "epochs",
    "learning_rate", "batch_size_tokens", "inference_aware",
}  # fmt: skip


def test_science_flags_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--flops", "1e22", "--optimal-vocab", "--moe-activation", "0.05",
                         "--moe-granularity", "8", "--moe-law", "ling", "--inference-tokens", "1e13",
                         "--unique-tokens", "1e11", "--json")  # fmt: skip
    assert code == 0, err
    d = json.loads(out)
    assert SCIENCE_KEYS <= set(d)
    assert d["vocab_size"] == d["optimal_vocab_size"] > 0
    assert d["n_params_total"] > d["n_params_active"]
    assert d["efficiency_leverage"] > 1 and d["epochs"] > 0
    assert d["learning_rate"] > 0 and d["batch_size_tokens"] > 0
    ia = d["inference_aware"]
    assert {"n_params", "n_tokens", "total_flops", "total_flops_saving"} <= set(ia)
    assert ia["total_flops_saving"] > 0


def test_science_flags_dense_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--flops", "1e21", "--json")
    d = json.loads(out)
    assert code == 0
    assert SCIENCE_KEYS <= set(d)
    assert d["vocab_size"] is None and d["efficiency_leverage"] is None and d["inference_aware"] is None
    assert d["n_params_total"] == d["n_params_active"] == d["n_params"]
    code, out, _ = run(capsys, "plan", "--flops", "1e21", "--unique-tokens", "inf", "--json")
    assert json.loads(out)["n_params"] == d["n_params"]


def test_vocab_and_krajewski_flags(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--flops", "1e21", "--vocab", "64000", "--moe-activation", "0.015625",
                       "--moe-law", "krajewski", "--json")  # fmt: skip
    d = json.loads(out)
    assert code == 0
    assert d["vocab_size"] == 64000 and d["moe_law"] == "krajewski" and d["moe_granularity"] == 8


def test_target_loss_without_budget(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--target-loss", "2.2", "--inference-tokens", "1e12", "--json")
    d = json.loads(out)
    assert code == 0
    assert d["loss"] == pytest.approx(2.2)
    assert d["inference_aware"]["n_params"] < d["n_params"]
    code, out, err = run(capsys, "plan", "--target-loss", "1.5")
    assert code == 2 and "unreachable" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [(["--vocab", "12"], "out of range"), (["--moe-activation", "2"], "out of range"),
     (["--moe-law", "x"], "invalid choice"), (["--inference-tokens", "-1"], "out of range"),
     (["--unique-tokens", "0"], "out of range"), (["--target-loss", "abc"], "not a number")],
)  # fmt: skip
def test_bad_science_flags(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, "plan", "--flops", "1e21", *argv)
    assert code == 2 and out == "" and needle in err and err.count("\n") == 1


def test_table_shows_the_sliders_science(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--flops", "1e23", "--inference-tokens", "1e13", "--optimal-vocab")
    assert code == 0
    for label in ("Inference-aware N", "Saving vs compute-optimal", "Smaller model pays from",
                  "Optimal vocabulary band", "not cross-entropy"):  # fmt: skip
        assert label in out


def test_the_new_questions_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--usd", "5e6", "--usd-per-gpu-hour", "2", "--json")
    d = json.loads(out)
    assert code == 0 and d["budget_kind"] == "usd" and d["cost_usd"] == pytest.approx(5e6, rel=1e-12)
    assert d["question"] == {"usd": 5e6, "usd_per_gpu_hour": 2.0}
    code, out, _ = run(capsys, "plan", "--days", "60", "--gpus", "2,048", "--json")
    assert code == 0 and json.loads(out)["wall_clock_days"] == pytest.approx(60, rel=1e-12)
    code, out, _ = run(capsys, "plan", "--flops", "1e25", "--serve-on", "1xH100 SXM", "--json")
    d = json.loads(out)
    assert code == 0 and d["binding"] == ["serving_memory"] and d["loss"] > d["unconstrained_loss"]
    code, out, _ = run(capsys, "plan", "--n-params", "7e9", "--flops", "1e23", "--json")
    assert code == 0 and json.loads(out)["n_tokens"] == pytest.approx(1e23 / 42e9, rel=1e-12)
    code, out, _ = run(capsys, "plan", "--n-params", "7e9")
    assert code == 0 and "Model size" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--flops", "1e24", "--serve-on", "8xH100 SXM", "--n-params", "5e11"], "serving_memory"),
        (["--flops", "1e22", "--usd", "1e6"], "not allowed with"),
        (["--target-loss", "1.2"], "unreachable"),
        (["--flops", "1e22", "--serve-on", "8xZ9000"], "neither"),
        (["--flops", "1e22", "--moe-activation", "0.5", "--moe-granularity", "5000"], "out of range"),
    ],
)
def test_contradictions_are_one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, out, err = run(capsys, "plan", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err


@pytest.mark.parametrize("preset", ["epoch-2024", "chinchilla-2022-a1", "kaplan-2020", "porian-2024",
                                    "deepseek-2024", "llama3-2024", "muennighoff-2023"])
def test_every_plan_has_a_shape_memory_and_layout(capsys: pytest.CaptureFixture[str], preset: str) -> None:
    code, out, _ = run(capsys, "plan", "--preset", preset, "--flops", "1e22", "--json")
    d = json.loads(out)
    assert code == 0
    arch = d["architecture"]
    assert {"n_layers", "d_model", "n_heads", "n_kv_heads", "d_ff", "vocab_size", "params_total", "params_active",
            "flops_per_token"} <= set(arch)
    assert abs(arch["mismatch"]) <= 0.01  # the shape's N within 1% of the law's (in the law's meaning)
    assert {"bytes_per_gpu", "min_gpus", "layout"} <= set(d["training_memory"])
    code, out, _ = run(capsys, "plan", "--preset", preset, "--flops", "1e22")
    assert "Shape" in out and "Fewest GPUs to train" in out


def test_train_a_known_architecture(capsys: pytest.CaptureFixture[str], repo_root: Path) -> None:
    config = repo_root / "tests" / "data" / "hf_configs" / "llama-2-7b.json"
    code, out, _ = run(capsys, "plan", "--arch", str(config), "--flops", "1e23", "--json")
    d = json.loads(out)
    assert code == 0 and d["architecture"]["source"] == "config"
    assert d["n_params"] == d["architecture"]["params_total"] == 6_738_415_616
    assert d["n_tokens"] == pytest.approx(1e23 / (6 * 6_738_415_616), rel=1e-12)
    code, out, _ = run(capsys, "plan", "--layers", "48", "--flops", "1e23", "--json")
    assert json.loads(out)["architecture"]["n_layers"] == 48
    code, _, err = run(capsys, "plan", "--arch", str(repo_root / "README.md"), "--flops", "1e23")
    assert code == 2 and err.count("\n") == 1 and "README.md" in err


def test_arch_config_that_is_a_fifo_is_refused_without_blocking(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:  # fmt: skip
    import os

    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    code, _, err = run(capsys, "plan", "--arch", str(fifo), "--flops", "1e22")
    assert code == 2 and "FIFO" in err and err.count("\n") == 1


@pytest.mark.parametrize("columns", [None, "", "120", "0", "-3", "wide"])
def test_help_width_is_the_terminal_width_shutil_reports(monkeypatch: pytest.MonkeyPatch, columns: str | None) -> None:
    """The parser's formatter is as wide as argparse's own (shutil's terminal size), without shutil."""
    import shutil

    from planner.cli.common import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns
