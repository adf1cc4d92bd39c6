"""Preset files: schema versions, migration, validation with key paths, optional tables."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from planner.costs.hardware import CATALOGUE, Hardware
from planner.presets import load as presets_mod
from planner.presets.load import (
    DEFAULT_PRESET_ID,
    MIGRATIONS,
    SCHEMA_VERSION,
    PresetError,
    builtin_ids,
    builtin_presets,
    get_law,
    law_from_document,
    load_preset_file,
    load_preset_text,
    migrate,
    parse_document,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "presets"
SCHEMA = DATA / "schema"


def test_every_builtin_loads_with_default_first() -> None:
    found = builtin_presets()
    assert found[0].id == DEFAULT_PRESET_ID and found[0].default
    assert len(set(builtin_ids())) == len(found) >= 9
    for p in found:
        assert p.schema_version == SCHEMA_VERSION
        assert p.path is not None and p.path.suffix == ".toml"
        assert p.law.info.citation.text
        assert dict(p.hardware) == {} and dict(p.budget) == {}


def test_schema_fixture_per_version_exists() -> None:
    """One fixture per supported schema version (0 = the draft layout, 1 = current)."""
    for version in range(presets_mod.OLDEST_SCHEMA_VERSION, SCHEMA_VERSION + 1):
        assert (SCHEMA / f"schema_v{version}.toml").is_file()


def test_version_0_draft_migrates_to_the_same_law_as_chinchilla_a3() -> None:
    old = load_preset_file(SCHEMA / "schema_v0.toml")
    ref = get_law("chinchilla-2022-a3")
    assert old.schema_version == 0
    assert old.id == "draft-chinchilla"
    assert old.law.coefficients() == pytest.approx(ref.coefficients(), rel=1e-15)
    assert old.law.info.fitted_range == ref.info.fitted_range
    assert old.meta["author"] == "Planning team" and old.meta["date"] == "2024-03-01"
    assert dict(old.hardware) == {"gpu": "A100 80GB SXM", "n_gpus": 256}
    n_old, d_old = old.law.allocate_scalar(5.76e23)
    n_ref, d_ref = ref.allocate_scalar(5.76e23)
    assert (n_old, d_old) == (n_ref, d_ref)


def test_migration_registry_chains_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A hypothetical version 2 renames law.coefficients; a v0 file goes 0 -> 1 -> 2."""
    calls: list[int] = []

    def one_to_two(doc: dict) -> dict:
        calls.append(1)
        return dict(doc)

    monkeypatch.setattr(presets_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(MIGRATIONS, 1, one_to_two)
    doc = parse_document((SCHEMA / "schema_v0.toml").read_bytes(), "v0.toml")
    out = migrate(doc, "v0.toml")
    assert out["schema_version"] == 2 and calls == [1]
    assert out["meta"]["id"] == "draft-chinchilla" and "coefficients" in out["law"]


def test_missing_migration_step_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(presets_mod, "SCHEMA_VERSION", 3)
    with pytest.raises(PresetError, match=r"x\.toml: schema_version: no migration from version 1"):
        migrate({"schema_version": 1}, "x.toml")


def test_newer_version_refused_clearly() -> None:
    with pytest.raises(PresetError) as info:
        load_preset_file(SCHEMA / "schema_v99.toml")
    msg = str(info.value)
    assert "schema_v99.toml: schema_version: version 99 is newer" in msg and "update the planner" in msg


@pytest.mark.parametrize("version", [-1, 10**30, "1", 1.0, True])
def test_bad_versions(version: object) -> None:
    with pytest.raises(PresetError, match="schema_version"):
        law_from_document({"schema_version": version}, "f.toml")


def test_v0_error_names_the_migration() -> None:
    text = (SCHEMA / "schema_v0.toml").read_text().replace("alpha = 0.33917084", 'alpha = "x"')
    with pytest.raises(PresetError, match=r"law\.coefficients\.alpha: is a string .*migrating from schema_version 0"):
        load_preset_text(text, "old.toml")


def test_v1_with_every_table() -> None:
    p = load_preset_file(SCHEMA / "schema_v1.toml")
    assert p.hardware == {"gpu": "H100 SXM", "n_gpus": 2048, "mfu": 0.42, "usd_per_gpu_hour": 2.35,
                          "precision": "bf16"}
    assert p.budget == {"flops": 3.8e25, "context": 8192}
    assert p.intervals == {"E": (1.76, 1.87), "alpha": (0.31, 0.39), "beta": (0.32, 0.41)}
    assert p.fit["n_points"] == 240 and p.fit["data_sha256"].startswith("9f86d0")
    assert p.fit["date"] == "2025-01-15T10:30:00+00:00"
    assert p.meta["fit"] is p.fit or p.meta["fit"] == p.fit
    assert p.extra["hardware"] == p.hardware and p.extra["intervals"] == p.intervals
    assert p.law.info.citation.status == "FITTED"
    hw = p.hardware_or(Hardware())
    assert hw.accelerator is CATALOGUE["H100 SXM"] and hw.n_gpus == 2048 and hw.price == 2.35


def test_json_preset() -> None:
    p = load_preset_file(SCHEMA / "schema_v1.json")
    ref = get_law("kaplan-2020")
    assert p.law.coefficients() == ref.coefficients()
    assert p.budget == {"gpu_hours": 100000.0, "context": 2048}
    assert p.meta["date"] == "2024-12-01"


def _base() -> dict:
    return json.loads((SCHEMA / "schema_v1.json").read_text())


def _set(doc: dict, path: str, value: object) -> dict:
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node.setdefault(key, {})
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()

BAD = [
    ("law.coefficients.alpha_N", float("nan"), "law.coefficients.alpha_N: is nan"),
    ("law.coefficients.alpha_N", float("inf"), "law.coefficients.alpha_N: is inf"),
    ("law.coefficients.N_c", -1.0, "law.coefficients.N_c: -1 is out of range"),
    ("law.coefficients.N_c", 1e300, "law.coefficients.N_c: 1e+300 is out of range"),
    ("law.coefficients.N_c", "6.4e13", "law.coefficients.N_c: is a string (expected a number > 0 and <= 1e+30)"),
    ("law.coefficients.N_c", True, "law.coefficients.N_c: is a boolean"),
    ("law.coefficients.N_c", 10**400, "law.coefficients.N_c: is too large"),
    ("law.coefficients.N_c", _DELETE, "law.coefficients.N_c: missing"),
    ("law.coefficients.gamma", 1.0, "law.coefficients.gamma: unknown key"),
    ("law.form", "cubic", "law.form: 'cubic' is not known"),
    ("law.n_params", "some", "law.n_params: 'some' is not known"),
    ("law.citation.status", "MAYBE", "law.citation.status: 'MAYBE' is not known"),
    ("law.citation", "Kaplan", "law.citation: is a string (expected a table)"),
    ("law.rule", "power_law", "law.rule: applies only to form 'power_law'"),
    ("law.intervals.alpha_N", [0.2, 0.1], "law.intervals.alpha_N: low 0.2 is above high 0.1"),
    ("law.intervals.alpha_N", [0.1], "law.intervals.alpha_N: is a list of 1"),
    ("law.intervals.zeta", [0.1, 0.2], "law.intervals.zeta: unknown key"),
    ("law.fitted_range.flops", [1, "x"], "law.fitted_range.flops.1: is a string"),
    ("law.fitted_range.size", [1, 2], "law.fitted_range.size: unknown key"),
    ("meta.id", "has space", "meta.id: 'has space' is not a valid id"),
    ("meta.id", _DELETE, "meta.id: missing"),
    ("meta.name", "  ", "meta.name: is empty"),
    ("meta.date", "yesterday", "meta.date: 'yesterday' is not a date"),
    ("meta.author", 3, "meta.author: is a integer"),
    ("meta.warnings", "one", "meta.warnings: is a string (expected a list of strings)"),
    ("meta.default", "yes", "meta.default: is a string (expected true or false)"),
    ("meta.notes", "x" * 30000, "meta.notes: is longer than 20000 characters"),
    ("meta.colour", "red", "meta.colour: unknown key"),
    ("meta.fit.n_points", 0, "meta.fit.n_points: 0 is out of range"),
    ("meta.fit.n_points", 2.5, "meta.fit.n_points: is a number (expected a whole number from 1 to 1e+12)"),
    ("meta.fit.data_sha256", "abc", "meta.fit.data_sha256: is not a SHA-256 digest"),
    ("meta.fit.delta", float("inf"), "meta.fit.delta: is inf"),
    ("meta.fit.form", "quadratic", "meta.fit.form: 'quadratic' is not known"),
    ("meta.fit.loss_fn", "l1", "meta.fit.loss_fn: 'l1' is not known"),
    ("meta.fit.pinned", {"alpha": "x"}, "meta.fit.pinned.alpha: is a string"),
    ("meta.fit.converged", 1, "meta.fit.converged: is a integer (expected true or false)"),
    ("meta.fit.favourite", 1, "meta.fit.favourite: unknown key"),
    ("hardware.gpu", "Z9000", "hardware.gpu: 'Z9000' is not in the GPU catalogue"),
    ("hardware.n_gpus", 0, "hardware.n_gpus: 0 is out of range"),
    ("hardware.n_gpus", 10**9, "hardware.n_gpus: 1000000000 is out of range"),
    ("hardware.n_gpus", 8.5, "hardware.n_gpus: is a number (expected a whole number from 1 to 1e+07)"),
    ("hardware.mfu", 1.5, "hardware.mfu: 1.5 is out of range"),
    ("hardware.mfu", 0.0, "hardware.mfu: 0 is out of range"),
    ("hardware.usd_per_gpu_hour", -2.0, "hardware.usd_per_gpu_hour: -2 is out of range"),
    ("hardware.precision", "fp4", "hardware.precision: 'fp4' is not known"),
    ("hardware.speed", 1, "hardware.speed: unknown key"),
    ("hardware", [1], "hardware: is a list (expected a table)"),
    ("budget.gpu_hours", 1e-9, "budget.gpu_hours: 1e-09 is out of range"),
    ("budget.gpu_hours", 1e40, "budget.gpu_hours: 1e+40 is out of range"),
    ("budget.context", 0, "budget.context: 0 is out of range"),
    ("budget.moe_activation", 2.0, "budget.moe_activation: 2 is out of range"),
    ("budget.epochs", 2, "budget.epochs: unknown key"),
    ("colour", "red", "colour: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[f"{b[0]}={str(b[1])[:12]}" for b in BAD])
def test_invalid_values_are_named(path: str, value: object, message: str) -> None:
    doc = _set(_base(), path, value)
    with pytest.raises(PresetError) as info:
        law_from_document(doc, "team/kaplan.json")
    msg = str(info.value)
    assert msg.startswith("team/kaplan.json: ")
    assert message in msg
    assert "\n" not in msg
    assert "(expected " in msg or "unknown key" in msg


def test_fp8_on_a_gpu_without_fp8() -> None:
    doc = _set(_set(_base(), "hardware.gpu", "A100 80GB SXM"), "hardware.precision", "fp8")
    with pytest.raises(PresetError, match=r"hardware\.precision: A100 80GB SXM has no FP8 peak"):
        law_from_document(doc, "f.json")


def test_flops_and_gpu_hours_together() -> None:
    doc = _set(_base(), "budget.flops", 1e24)
    with pytest.raises(PresetError, match=r"budget\.gpu_hours: given together with budget\.flops"):
        law_from_document(doc, "f.json")


def test_degenerate_coefficients_are_rejected() -> None:
    text = (DATA / "team" / "team-h100.toml").read_text()
    text = text.replace("alpha = 0.3478", "alpha = 1e-9").replace("B = 2085.43", "B = 1e-30")
    with pytest.raises(PresetError, match=r"law\.coefficients: these coefficients"):
        load_preset_text(text, "team-h100.toml")


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("schema_version = 1\n[meta\n", "toml", "not valid TOML: Expected ']'"),
        ('{"schema_version": 1, "schema_version": 1}', "json", "schema_version: duplicate key"),
        ("[1, 2]", "json", "top level is a list"),
        ('{"a": NaN', "json", "not valid JSON"),
        ("[" * 100_000, "json", "over the nesting limit"),  # refused before the parser recurses
        ("a = " + "9" * 5000, "toml", "not valid TOML"),
        ('{"schema_version": ' + "9" * 5000 + "}", "json", "not valid JSON"),
        ("x = 1\n", "toml", "schema_version: missing"),
    ],
)
def test_unparseable_text(text: str, fmt: str, message: str) -> None:
    with pytest.raises(PresetError) as info:
        load_preset_text(text, "p." + fmt, fmt)
    assert str(info.value).startswith("p." + fmt + ": ") and message in str(info.value)


def test_files_over_the_size_limit_and_non_utf8(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * presets_mod.MAX_PRESET_BYTES)
    with pytest.raises(PresetError, match=r"big\.toml: file is 262,146 bytes \(expected at most 262,144"):
        load_preset_file(big)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"name = '\xe9'")
    with pytest.raises(PresetError, match="not UTF-8"):
        load_preset_file(latin)
    with pytest.raises(PresetError, match="cannot read file"):
        load_preset_file(tmp_path / "missing.toml")
    with pytest.raises(PresetError, match="is a folder"):
        load_preset_file(tmp_path)


def test_messages_are_one_line_and_pickle() -> None:
    import pickle

    err = PresetError("a.toml", "law.form", "bad\nvalue", "one of x")
    assert str(err) == "a.toml: law.form: bad value (expected one of x)"
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.key == "law.form"


def test_no_code_execution_paths() -> None:
    """The loader only uses tomllib and json: nothing that can run code from a file."""
    src = Path(presets_mod.__file__).read_text()
    for banned in ("pickle", "eval(", "exec(", "yaml", "marshal", "__import__"):
        assert banned not in src
    assert re.search(r"^ *import tomllib$", src, re.M)  # imported where a file is parsed
    assert math.isfinite(get_law().coefficients()["E"])
