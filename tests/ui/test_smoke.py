"""``python -m ui --smoke``: what packaging and CI run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_prints_one_line_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLANNER_USER_DIR": str(tmp_path / "user"),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "HOME": str(tmp_path)}  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "ui", "--smoke"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("smoke ok preset=epoch-2024 flops=")
    fields = dict(part.split("=", 1) for part in line.split()[2:])
    assert (
        float(fields["n_params"]) > 0
        and float(fields["n_tokens"]) > 0
        and float(fields["loss"]) > 1.8
    )
    assert float(fields["flops"]) != 1e24  # the sliders really moved the plan
    assert "Traceback" not in out.stderr


def test_smoke_never_touches_the_users_session_or_geometry(tmp_path: Path) -> None:
    """Defect 10 of issue #14: --smoke closed its window into the user's settings."""
    config, state, data = tmp_path / "config", tmp_path / "state", tmp_path / "data"
    ini = config / "compute-budget-planner" / "planner-gui.ini"
    ini.parent.mkdir(parents=True)
    ini.write_bytes(b'[General]\nlast_plan="{\\"flops\\": 3e+23}"\ngeometry=@ByteArray(sentinel)\n')
    before = ini.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(config),
               XDG_STATE_HOME=str(state), XDG_DATA_HOME=str(data))  # fmt: skip
    out = subprocess.run([sys.executable, "-m", "ui", "--smoke"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert ini.read_bytes() == before
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == [ini.relative_to(tmp_path)]


def test_main_entry_point_is_importable() -> None:
    from ui.__main__ import main

    assert callable(main)
