"""Preset discovery: groups, precedence, shadowed ids, broken files, env overrides."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner.presets import library
from planner.presets.library import (
    BUILTIN,
    GROUPS,
    MINE,
    RECENT,
    TEAM,
    find_preset,
    scan,
    team_folders,
    user_preset_dir,
)
from planner.presets.load import PresetError, builtin_ids

DATA = Path(__file__).resolve().parents[1] / "data" / "presets"


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    user = tmp_path / "user"
    team1, team2 = tmp_path / "team1", tmp_path / "team2"
    for d in (team1, team2):
        d.mkdir()
    monkeypatch.setenv("PLANNER_USER_DIR", str(user))
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    return {"user": user, "team1": team1, "team2": team2, "tmp": tmp_path}


def _copy(src: Path, folder: Path, name: str | None = None, replace: tuple[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / (name or src.name)
    text = src.read_text()
    if replace:
        text = text.replace(*replace)
    dst.write_text(text)
    return dst


def test_builtin_only(dirs: dict[str, Path]) -> None:
    lib = scan()
    assert list(lib.groups()) == [BUILTIN]
    assert lib.ids() == builtin_ids()
    assert lib.entries[0].preset.default
    assert lib.errors == () and lib.shadowed == ()
    assert lib.folders[MINE] == (dirs["user"] / "presets",)
    assert user_preset_dir() == dirs["user"] / "presets"


def test_groups_precedence_and_shadowing(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    t1, t2 = dirs["team1"], dirs["team2"]
    _copy(DATA / "team" / "epoch-2024.toml", t1)  # team override of a built-in
    _copy(DATA / "team" / "team-h100.toml", t1)
    _copy(DATA / "team" / "team-h100.toml", t2, "other.toml", ('name = "Epoch refit', 'name = "Second'))
    mine = _copy(DATA / "team" / "team-h100.toml", dirs["user"] / "presets", "mine.toml",
                 ('name = "Epoch refit', 'name = "Mine'))  # fmt: skip
    monkeypatch.setenv("PLANNER_PRESET_PATH", str(t2))
    lib = scan(extra_folders=[t1])
    assert team_folders([t1]) == [t1, t2]
    assert list(lib.groups()) == [BUILTIN, TEAM, MINE]
    # Mine > Team (first folder first) > Built-in
    assert lib.get("team-h100").group == MINE and lib.get("team-h100").path == mine
    assert lib.get("epoch-2024").group == TEAM
    assert lib.resolve("epoch-2024").hardware["usd_per_gpu_hour"] == 1.10
    lost = {(s.id, s.loser.group, s.loser.folder) for s in lib.shadowed}
    assert lost == {("team-h100", TEAM, t1), ("team-h100", TEAM, t2), ("epoch-2024", BUILTIN, lib.folders[BUILTIN][0])}
    assert "shadowed by" in lib.shadowed[0].describe()
    assert lib.ids().count("epoch-2024") == 1
    # entries appear once each, grouped in display order
    assert [e.group for e in lib.entries] == sorted((e.group for e in lib.entries), key=GROUPS.index)
    # keys: id for built-ins, path otherwise; resolve() takes either
    team_entry = lib.get("epoch-2024")
    assert team_entry.key == str(t1 / "epoch-2024.toml")
    assert lib.resolve(team_entry.key) is team_entry.preset
    assert lib.get("kaplan-2020").key == "kaplan-2020"


def test_team_order_first_folder_wins(dirs: dict[str, Path]) -> None:
    t1, t2 = dirs["team1"], dirs["team2"]
    _copy(DATA / "team" / "team-h100.toml", t1, replace=("n_gpus = 4096", "n_gpus = 1"))
    _copy(DATA / "team" / "team-h100.toml", t2, replace=("n_gpus = 4096", "n_gpus = 2"))
    assert scan([t1, t2]).resolve("team-h100").hardware["n_gpus"] == 1
    assert scan([t2, t1]).resolve("team-h100").hardware["n_gpus"] == 2


def test_broken_files_are_listed_not_fatal(dirs: dict[str, Path]) -> None:
    t1 = dirs["team1"]
    for f in (DATA / "broken").iterdir():
        shutil.copy(f, t1)
    shutil.copy(DATA / "team" / "team-h100.toml", t1)
    (t1 / ".team-h100.toml.x1y2.tmp").write_text("half a file")  # interrupted atomic save: ignored
    (t1 / "README.txt").write_text("not a preset")  # ignored
    (t1 / "sub").mkdir()
    missing = dirs["tmp"] / "not-mounted"
    lib = scan([t1, missing])
    assert lib.get("team-h100") is not None
    by_name = {e.path.name: e.message for e in lib.errors}
    assert set(by_name) == {"bad-syntax.toml", "nan-alpha.toml", "unknown-gpu.toml", "not-mounted"}
    assert "law.coefficients.alpha: is nan" in by_name["nan-alpha.toml"]
    assert "hardware.gpu: 'Z9000'" in by_name["unknown-gpu.toml"]
    assert by_name["not-mounted"].endswith("team folder not found")
    for e in lib.errors:
        assert str(e.path) in e.message


def test_recent_files_by_path(dirs: dict[str, Path]) -> None:
    f = _copy(DATA / "schema" / "schema_v1.json", dirs["tmp"] / "elsewhere")
    bad = dirs["tmp"] / "elsewhere" / "gone.toml"
    lib = scan(recent=[f, bad, DATA / "team" / "team-h100.toml"])
    recent = lib.groups()[RECENT]
    assert [e.id for e in recent] == ["team-kaplan-json", "team-h100"]
    assert recent[0].key == str(f)
    assert lib.get("team-kaplan-json") is None  # Recent is looked up by path only
    assert lib.resolve(str(f)).id == "team-kaplan-json"
    assert [e.path for e in lib.errors] == [bad] and "cannot read file" in lib.errors[0].message


def test_same_id_twice_in_one_folder(dirs: dict[str, Path]) -> None:
    t1 = dirs["team1"]
    _copy(DATA / "team" / "team-h100.toml", t1, "a.toml")
    _copy(DATA / "team" / "team-h100.toml", t1, "b.toml")
    lib = scan([t1])
    assert lib.get("team-h100").path.name == "a.toml"
    assert [s.loser.path.name for s in lib.shadowed] == ["b.toml"]


def test_cache_rereads_changed_files(dirs: dict[str, Path]) -> None:
    t1 = dirs["team1"]
    f = _copy(DATA / "team" / "team-h100.toml", t1)
    assert scan([t1]).resolve("team-h100").hardware["n_gpus"] == 4096
    f.write_text(f.read_text().replace("n_gpus = 4096", "n_gpus = 8"))
    os.utime(f, ns=(1, 1))  # a different stamp even on coarse-mtime file systems
    assert scan([t1]).resolve("team-h100").hardware["n_gpus"] == 8


def test_find_preset_errors(dirs: dict[str, Path]) -> None:
    with pytest.raises(KeyError, match="unknown preset 'nope'; known: epoch-2024"):
        find_preset("nope")
    with pytest.raises(PresetError, match="cannot read file"):
        find_preset(str(dirs["tmp"] / "x.toml"))
    assert find_preset(str(DATA / "schema" / "schema_v0.toml")).id == "draft-chinchilla"


def test_platformdirs_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLANNER_USER_DIR", raising=False)
    import platformdirs

    assert library.user_data_dir() == Path(platformdirs.user_data_dir("compute-budget-planner", appauthor=False))


def test_cli_presets_lists_groups_and_resolves_team_ids(dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from planner.cli import main

    for f in ("team-h100.toml", "epoch-2024.toml"):
        shutil.copy(DATA / "team" / f, dirs["team1"])
    shutil.copy(DATA / "broken" / "nan-alpha.toml", dirs["team1"])
    monkeypatch.setenv("PLANNER_PRESET_PATH", str(dirs["team1"]))
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    assert f"Team  ({dirs['team1']})" in out and "team-h100" in out and "Mine  (" in out
    assert "is shadowed by" in out and "nan-alpha.toml: law.coefficients.alpha: is nan" in out
    assert main(["presets", "--json"]) == 0
    cap = capsys.readouterr()
    rows = {r["id"]: r for r in json.loads(cap.out)}
    assert rows["epoch-2024"]["group"] == TEAM and rows["epoch-2024"]["shadows"]
    assert "nan-alpha.toml" in cap.err
    assert main(["plan", "--preset", "team-h100", "--flops", "1e22", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preset"] == "team-h100"


@pytest.mark.parametrize("home", ["/home/someone", "/home/someone/", "/"])
@pytest.mark.parametrize("xdg", [None, "", "/data/xdg", "/data/xdg/", "relative/xdg"])
def test_user_data_dir_is_platformdirs_answer(monkeypatch: pytest.MonkeyPatch, home: str, xdg: str | None) -> None:
    """Without PLANNER_USER_DIR, the user folder is platformdirs' (worked out without importing it
    on a plain Linux desktop)."""
    import platformdirs

    from planner.presets import library

    monkeypatch.delenv("PLANNER_USER_DIR", raising=False)
    monkeypatch.setenv("HOME", home)
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    expected = Path(platformdirs.user_data_dir(library.APP_NAME, appauthor=False))
    assert library.user_data_dir() == expected
