"""``planner report``: every ``planner plan`` flag, headless, exit 0 or 2 with one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import planner.cli
from ui import report_cli

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def run_planner(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    return subprocess.run([sys.executable, "-m", "planner", *args], capture_output=True, text=True, env=env,
                          timeout=120)  # fmt: skip


def pdf_text(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", out)


def test_report_matches_plan_json_headless(tmp_path):
    flags = ["--preset", "chinchilla-2022-a3", "--gpu-hours", "2.5e6", "--gpu", "a100", "--gpus", "2048",
             "--mfu", "0.45", "--usd-per-gpu-hour", "1.25", "--context", "8192"]  # fmt: skip
    out = tmp_path / "plan.pdf"
    done = run_planner("report", "-o", str(out), *flags)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and "wrote" in done.stdout
    formatted = json.loads(run_planner("plan", "--json", *flags).stdout)["formatted"]
    text = pdf_text(out)
    for key in ("n_params", "n_tokens", "loss", "flops", "gpu_hours", "cost_usd"):
        assert formatted[key] in text, key
    assert "Hoffmann et al. 2022" in text and "user-supplied" in text
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595 x 842", info)


def test_letter_and_compare(tmp_path):
    out = tmp_path / "cmp.pdf"
    done = run_planner("report", "--flops", "1e24", "--compare", "porian-2024", "--page-size", "letter",
                       "-o", str(out), "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["page_size"] == "Letter" and summary["pages"] >= 3
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+612 x 792", info)
    text = pdf_text(out)
    assert "Epoch AI refit of Chinchilla" in text and "Porian et al. 2024" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/missing/x.pdf", "--flops", "1e24"], "does not exist"),
        (["-o", "{tmp}", "--flops", "1e24"], "is a folder"),
        (["-o", "{tmp}/x.pdf", "--flops", "lots"], "not a number"),
        (["-o", "{tmp}/x.pdf", "--flops", "1e24", "--page-size", "A3"], "page size"),
        (["-o", "{tmp}/x.pdf", "--flops", "1e24", "--compare", "nope"], "unknown preset"),
        (["--flops", "1e24"], "-o/--output"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    done = run_planner("report", *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in done.stderr
    assert not list(tmp_path.rglob("*.pdf"))


def test_unwritable_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    done = run_planner("report", "-o", str(locked / "x.pdf"), "--flops", "1e24")
    assert done.returncode == 2 and "not writable" in done.stderr


def test_register_is_idempotent_and_runs_in_process(qapp, tmp_path, capsys):
    report_cli.register()
    report_cli.register()
    assert planner.cli._COMMANDS["report"] is report_cli.COMMAND
    out = tmp_path / "in-process.pdf"
    assert planner.cli.main(["report", "-o", str(out), "--flops", "3e23", "--preset", "deepseek-2024"]) == 0
    assert out.stat().st_size > 10_000
    assert "wrote" in capsys.readouterr().out
