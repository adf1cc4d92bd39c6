"""The planner command line: outputs, JSON keys, and one-line errors with exit status 2."""

from __future__ import annotations

import json
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
    assert d["formatted"]["n_params"] == "2.7785e9"


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
        (["plan"], "required"),
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
