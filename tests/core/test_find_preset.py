"""find_preset reads one built-in file for a built-in id and answers what a full scan answers."""

from __future__ import annotations

import os

import pytest

from planner.files.resources import resource_dir
from planner.presets import library
from planner.presets.library import find_preset, scan
from planner.presets.load import builtin_presets, load_preset_file

BUILTIN_IDS = [p.id for p in builtin_presets()]


def test_every_builtin_lives_in_a_file_named_after_its_id() -> None:
    """find_preset opens ``<id>.toml`` for a built-in id: that file must be the one with the id."""
    for path in sorted(resource_dir("presets").glob("*.toml")):
        assert load_preset_file(path).id == path.stem


@pytest.mark.parametrize("preset_id", BUILTIN_IDS)
def test_a_builtin_id_reads_one_file(preset_id: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("PLANNER_PRESET_PATH", raising=False)
    library._CACHE.clear()
    read: list[str] = []
    real = library.load_preset_file
    monkeypatch.setattr(library, "load_preset_file", lambda path: read.append(str(path)) or real(path))
    found = find_preset(preset_id)
    assert [p.split("/")[-1] for p in read] == [f"{preset_id}.toml"]
    assert found == scan().resolve(preset_id)


def _write(folder, name: str, preset_id: str) -> None:
    """A copy of a built-in preset under another id, in ``folder/name``."""
    text = (resource_dir("presets") / "chinchilla-2022-a3.toml").read_text()
    assert 'id = "chinchilla-2022-a3"' in text
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text.replace('id = "chinchilla-2022-a3"', f'id = "{preset_id}"', 1))


@pytest.mark.parametrize("key", [*BUILTIN_IDS, "team-only", "mine-only", "no-such-preset", "a/b.toml", "x.toml"])
def test_find_preset_answers_what_a_full_scan_answers(key: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """Mine shadows Team, Team shadows Built-in; files named anything; broken files skipped."""
    mine, team1, team2 = tmp_path / "user" / "presets", tmp_path / "team1", tmp_path / "team2"
    monkeypatch.setenv("PLANNER_USER_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("PLANNER_PRESET_PATH", os.pathsep.join((str(team1), str(team2))))
    _write(mine, "zz.toml", "epoch-2024")  # shadows the built-in
    _write(mine, "a.toml", "mine-only")
    _write(team1, "b.toml", "kaplan-2020")  # shadows the built-in and team two's
    _write(team2, "a.toml", "kaplan-2020")
    _write(team2, "c.toml", "team-only")
    (team1 / "broken.toml").write_text("schema_version = 1\n[meta\n")
    library._CACHE.clear()
    try:
        expected = scan().resolve(key)
    except (KeyError, ValueError) as exc:
        with pytest.raises(type(exc)) as got:
            find_preset(key)
        assert str(got.value) == str(exc)
        return
    found = find_preset(key)
    assert found == expected and found.path == expected.path
