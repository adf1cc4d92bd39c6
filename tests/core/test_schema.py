"""The preset format is declared once: the JSON Schema and the docs' field reference are
generated from it, and its [hardware]/[budget] tables are the planner's question inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.presets import schema
from planner.presets.load import PresetError, load_preset_text
from planner.question import HARDWARE_INPUTS, INPUT_NAMES, LIMITS


def test_shipped_json_schema_is_generated_from_the_declaration() -> None:
    assert schema.SCHEMA_FILE.read_text(encoding="utf-8") == schema.schema_text(), (
        "run: python -m planner.presets --write")


def test_docs_field_reference_is_generated_from_the_declaration(repo_root: Path) -> None:
    doc = (repo_root / "docs" / "presets.md").read_text(encoding="utf-8")
    assert schema.BEGIN in doc and schema.END in doc
    assert schema.doc_with_reference(doc) == doc, "run: python -m planner.presets --write"


def test_hardware_and_budget_are_the_question_inputs_with_its_limits() -> None:
    defs = schema.json_schema()["$defs"]
    hardware, budget = set(defs["Hardware"]["properties"]), set(defs["Budget"]["properties"])
    assert hardware == set(HARDWARE_INPUTS)
    assert hardware | budget == set(INPUT_NAMES) - {"arch", "method"}
    for name, lim in LIMITS.items():
        prop = (defs["Hardware"] if name in hardware else defs["Budget"])["properties"][name]
        number = next(p for p in prop["anyOf"] if p.get("type") in ("number", "integer"))
        assert number["maximum"] == lim.hi
        assert number.get("exclusiveMinimum" if lim.lo_open else "minimum") == lim.lo


@pytest.mark.parametrize(("table", "key", "value", "message"), [
    ("budget", "moe_granularity", 5000, "budget.moe_granularity: 5000 is out of range (expected a number >= 1 and <= 4096)"),
    ("budget", "usd", 1e6, None),
    ("budget", "serve_on", "8xZ9000", "budget.serve_on: serving target '8xZ9000' is neither"),
    ("hardware", "n_gpus", 0, "hardware.n_gpus: 0 is out of range"),
])  # fmt: skip
def test_limits_are_the_planners(table: str, key: str, value: object, message: str | None,
                                 repo_root: Path) -> None:  # fmt: skip
    text = (repo_root / "presets" / "epoch-2024.toml").read_text(encoding="utf-8")
    text += f"\n[{table}]\n{key} = {json.dumps(value)}\n"
    if message is None:
        preset = load_preset_text(text, "p.toml")
        assert getattr(preset, table)[key] == value
        return
    with pytest.raises(PresetError) as info:
        load_preset_text(text, "p.toml")
    assert message in str(info.value) and str(info.value).startswith("p.toml: ")


def test_samples_far_from_the_estimate_are_refused(repo_root: Path) -> None:
    """Hardening issue item 5: samples are validated like coefficients and must surround the estimate."""
    base = (repo_root / "presets" / "epoch-2024.toml").read_text(encoding="utf-8")
    base = base[: base.index("[law.bootstrap]")]  # the shipped samples replaced by the ones below
    table = '\n[law.bootstrap]\nlevel = 0.95\nnames = ["E", "A", "B", "alpha", "beta"]\nsamples = [{}]\n'
    tiny = ", ".join(["[1e-300, 1e-300, 1e-300, 1e-300, 1e-300]"] * 3)
    with pytest.raises(PresetError, match=r"law\.bootstrap\.samples: the estimate E = 1\.8172 lies outside"):
        load_preset_text(base + table.format(tiny), "p.toml")
    far = ", ".join(["[1.0, 10.0, 10.0, 0.5, 0.5]"] * 3)
    with pytest.raises(PresetError, match="lies outside its samples' range"):
        load_preset_text(base + table.format(far), "p.toml")
    huge = "[1.8, 482.0, 2085.0, 5.0, 0.36], [1.9, 490.0, 2100.0, 0.3, 0.37]"
    with pytest.raises(PresetError, match=r"samples\.0\.3: 5 \(alpha\) is out of range"):
        load_preset_text(base + table.format(huge), "p.toml")
