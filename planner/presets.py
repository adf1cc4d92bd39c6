"""Load and validate preset files (TOML, or JSON with the same structure).

A preset file describes one law; the schema is documented in ``docs/presets.md``::

    schema_version = 1
    [meta]            id, name, notes, warnings, default, author, date
    [law]             form, n_params (what N means), loss_unit, compute
    [law.citation]    text, arxiv, locator, status
    [law.coefficients]  form-specific numbers
    [law.uncertainty]   standard errors (optional)
    [law.fitted_range]  n_params, n_tokens, flops as [low, high] (optional)

Every problem raises :class:`PresetError`, whose message names the file, the key path
(e.g. ``law.coefficients.alpha``), the reason and what was expected. Nothing read from a
file is executed: TOML is parsed by the standard library, JSON by ``json``.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from planner.laws import (
    ChinchillaLaw,
    Citation,
    DataConstrainedLaw,
    FittedRange,
    KaplanLaw,
    Law,
    LawInfo,
    PowerLawAllocation,
)
from planner.resources import resource_dir

SCHEMA_VERSION = 1
MAX_PRESET_BYTES = 256 * 1024
DEFAULT_PRESET_ID = "epoch-2024"


class PresetError(ValueError):
    """A preset file is unreadable or invalid. ``str(err)`` is one user-facing line."""

    def __init__(self, source: str, key: str, reason: str, expected: str = "") -> None:
        self.source, self.key, self.reason, self.expected = source, key, reason, expected
        msg = f"{source}: {key}: {reason}" if key else f"{source}: {reason}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


# (lower, upper, inclusive-lower) bounds for every coefficient of every form.
_POS = (0.0, 1e30, False)
_EXP = (0.0, 3.0, False)
_FORMS: dict[str, dict[str, tuple[float, float, bool]]] = {
    "chinchilla": {"E": (0.0, 100.0, True), "A": _POS, "B": _POS, "alpha": _EXP, "beta": _EXP},
    "data_constrained": {
        "E": (0.0, 100.0, True), "A": _POS, "B": _POS, "alpha": _EXP, "beta": _EXP,
        "R_D_star": (0.0, 1e6, False), "R_N_star": (0.0, 1e6, False),
    },
    "kaplan": {
        "alpha_N": _EXP, "alpha_D": _EXP, "N_c": _POS, "D_c": _POS, "alpha_C": _EXP, "C_c": _POS,
        "n_coef": _POS, "n_exp": _EXP, "d_coef": _POS, "d_exp": _EXP,
    },
    "power_law": {
        "n_coef": _POS, "n_exp": _EXP, "d_coef": _POS, "d_exp": _EXP,
        "aspect_ratio": (1.0, 1e4, True), "seq_len": (1.0, 1e8, True),
    },
}  # fmt: skip
_OPTIONAL_COEFS = {"power_law": {"n_coef", "n_exp", "aspect_ratio", "seq_len"}}
_RULES = ("power_law", "tokens_only", "deepseek_m")
_N_MEANINGS = ("total", "non_embedding", "flops_per_token")
_STATUSES = ("CONFIRMED", "AUTHORS' CODE OR DATA ONLY", "SECONDARY", "DERIVED", "UNCONFIRMED", "FITTED")

_TOP_KEYS = {"schema_version", "meta", "law", "hardware", "budget"}
_META_KEYS = {"id", "name", "notes", "warnings", "default", "author", "date", "fit"}
_LAW_KEYS = {
    "form", "n_params", "loss_unit", "compute", "rule", "citation", "coefficients", "uncertainty",
    "fitted_range", "intervals",
}  # fmt: skip
_CITATION_KEYS = {"text", "arxiv", "locator", "status"}
_RANGE_KEYS = {"n_params", "n_tokens", "flops"}


@dataclass(frozen=True, slots=True)
class Preset:
    """A validated preset: the law plus what else the file carried (raw tables)."""

    law: Law
    path: Path | None
    default: bool
    extra: MappingProxyType  # hardware / budget / meta extras, validated by their users

    @property
    def id(self) -> str:
        return self.law.id


class _Checker:
    """Typed access to a parsed document that raises :class:`PresetError` with key paths."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str, expected: str = "") -> PresetError:
        return PresetError(self.source, key, reason, expected)

    def table(self, doc: Mapping, key: str, path: str, allowed: set[str], required: bool = True) -> dict:
        full = f"{path}.{key}" if path else key
        if key not in doc:
            if required:
                raise self.fail(full, "missing table", f"a [{full}] table")
            return {}
        value = doc[key]
        if not isinstance(value, Mapping):
            raise self.fail(full, f"is a {_type_name(value)}", "a table")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(f"{full}.{unknown[0]}", "unknown key", "one of " + ", ".join(sorted(allowed)))
        return dict(value)

    def string(self, doc: Mapping, key: str, path: str, required: bool = True, default: str = "") -> str:
        full = f"{path}.{key}"
        if key not in doc:
            if required:
                raise self.fail(full, "missing", "a string")
            return default
        value = doc[key]
        if not isinstance(value, str):
            raise self.fail(full, f"is a {_type_name(value)}", "a string")
        if len(value) > 4000:
            raise self.fail(full, "is longer than 4000 characters", "a short string")
        return value

    def number(self, doc: Mapping, key: str, path: str, bounds: tuple[float, float, bool]) -> float:
        full = f"{path}.{key}"
        if key not in doc:
            raise self.fail(full, "missing", "a number")
        value = doc[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(full, f"is a {_type_name(value)}", "a number")
        x = float(value)
        lo, hi, inclusive = bounds
        if not math.isfinite(x):
            raise self.fail(full, f"is {value!r}", "a finite number")
        if x < lo or (x == lo and not inclusive) or x > hi:
            lo_s = f">= {lo:g}" if inclusive else f"> {lo:g}"
            raise self.fail(full, f"{x:g} is out of range", f"a number {lo_s} and <= {hi:g}")
        return x

    def pair(self, doc: Mapping, key: str, path: str) -> tuple[float, float] | None:
        full = f"{path}.{key}"
        if key not in doc:
            return None
        value = doc[key]
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(full, f"is a {_type_name(value)}", "a list [low, high]")
        lo = self.number({"0": value[0]}, "0", full, _POS)
        hi = self.number({"1": value[1]}, "1", full, _POS)
        if lo > hi:
            raise self.fail(full, f"low {lo:g} is above high {hi:g}", "low <= high")
        return (lo, hi)


def _type_name(value: object) -> str:
    return {dict: "table", list: "list", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), type(value).__name__
    )


def parse_document(text: str | bytes, source: str, fmt: str = "toml") -> dict[str, Any]:
    """Parse TOML (or JSON) text into a dict, raising :class:`PresetError`."""
    if isinstance(text, bytes):
        if len(text) > MAX_PRESET_BYTES:
            raise PresetError(source, "", f"file is {len(text):,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PresetError(source, "", f"not UTF-8 text (byte {exc.start})", "a UTF-8 TOML or JSON file") from None
    try:
        if fmt == "json":
            doc = json.loads(text, parse_constant=lambda c: float(c))
        else:
            doc = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, RecursionError) as exc:
        kind = "JSON" if fmt == "json" else "TOML"
        raise PresetError(source, "", f"not valid {kind}: {exc}".splitlines()[0]) from None
    if not isinstance(doc, dict):
        raise PresetError(source, "", "top level is not a table", "a TOML document or JSON object")
    return doc


def law_from_document(doc: Mapping[str, Any], source: str) -> Preset:
    """Validate a parsed preset document and build its law."""
    ck = _Checker(source)
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise ck.fail(unknown[0], "unknown key", "one of " + ", ".join(sorted(_TOP_KEYS)))
    if "schema_version" not in doc:
        raise ck.fail("schema_version", "missing", f"schema_version = {SCHEMA_VERSION}")
    version = doc["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ck.fail("schema_version", f"is a {_type_name(version)}", "an integer")
    if version != SCHEMA_VERSION:
        doc = migrate(doc, source)
    meta = ck.table(doc, "meta", "", _META_KEYS)
    preset_id = ck.string(meta, "id", "meta")
    if not preset_id or len(preset_id) > 80 or not all(ch.isalnum() or ch in "-_." for ch in preset_id):
        raise ck.fail("meta.id", f"{preset_id!r} is not a valid id", "letters, digits, '-', '_' or '.'")
    title = ck.string(meta, "name", "meta")
    notes = ck.string(meta, "notes", "meta", required=False)
    warnings = meta.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ck.fail("meta.warnings", f"is a {_type_name(warnings)}", "a list of strings")
    default = meta.get("default", False)
    if not isinstance(default, bool):
        raise ck.fail("meta.default", f"is a {_type_name(default)}", "true or false")

    law = ck.table(doc, "law", "", _LAW_KEYS)
    form = ck.string(law, "form", "law")
    if form not in _FORMS:
        raise ck.fail("law.form", f"{form!r} is not a known form", "one of " + ", ".join(_FORMS))
    n_meaning = ck.string(law, "n_params", "law", required=False, default="total")
    if n_meaning not in _N_MEANINGS:
        raise ck.fail("law.n_params", f"{n_meaning!r} is not known", "one of " + ", ".join(_N_MEANINGS))
    cit = ck.table(law, "citation", "law", _CITATION_KEYS)
    citation = Citation(
        text=ck.string(cit, "text", "law.citation"),
        arxiv=ck.string(cit, "arxiv", "law.citation", required=False),
        locator=ck.string(cit, "locator", "law.citation", required=False),
        status=ck.string(cit, "status", "law.citation", required=False, default="CONFIRMED"),
    )
    if citation.status not in _STATUSES:
        raise ck.fail("law.citation.status", f"{citation.status!r} is not known", "one of " + ", ".join(_STATUSES))

    spec = _FORMS[form]
    optional = _OPTIONAL_COEFS.get(form, set())
    coefs_raw = ck.table(law, "coefficients", "law", set(spec))
    coefs = {
        name: ck.number(coefs_raw, name, "law.coefficients", bounds)
        for name, bounds in spec.items()
        if name in coefs_raw or name not in optional
    }
    unc_raw = ck.table(law, "uncertainty", "law", set(spec), required=False)
    uncertainty = {name: ck.number(unc_raw, name, "law.uncertainty", _POS_OR_ZERO) for name in unc_raw}
    rng = ck.table(law, "fitted_range", "law", _RANGE_KEYS, required=False)
    fitted = FittedRange(*(ck.pair(rng, k, "law.fitted_range") for k in ("n_params", "n_tokens", "flops")))

    info = LawInfo(
        id=preset_id,
        title=title,
        citation=citation,
        n_meaning=n_meaning,  # type: ignore[arg-type]
        loss_unit=ck.string(law, "loss_unit", "law", required=False, default="nats/token"),
        compute=ck.string(law, "compute", "law", required=False, default="C = 6ND"),
        fitted_range=fitted,
        uncertainty=MappingProxyType(uncertainty),
        notes=notes,
        warnings=tuple(warnings),
        source=source,
    )
    built: Law
    if form == "chinchilla":
        built = ChinchillaLaw(info, **coefs)
    elif form == "data_constrained":
        built = DataConstrainedLaw(info, **coefs)
    elif form == "kaplan":
        built = KaplanLaw(info, **coefs)
    else:
        rule = ck.string(law, "rule", "law", required=False, default="power_law")
        if rule not in _RULES:
            raise ck.fail("law.rule", f"{rule!r} is not known", "one of " + ", ".join(_RULES))
        if rule != "tokens_only":
            for name in ("n_coef", "n_exp"):
                if name not in coefs:
                    raise ck.fail(f"law.coefficients.{name}", "missing", f"a number (rule {rule!r})")
        built = PowerLawAllocation(info, rule=rule, **coefs)  # type: ignore[arg-type]
    extra = {k: doc[k] for k in ("hardware", "budget") if k in doc}
    extra["meta"] = meta
    if "intervals" in law:
        extra["intervals"] = law["intervals"]
    return Preset(law=built, path=None, default=default, extra=MappingProxyType(extra))


_POS_OR_ZERO = (0.0, 1e30, True)


def migrate(doc: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Bring an older or newer ``schema_version`` to the current one.

    Version 1 is the first; there is nothing to migrate from yet. A newer file is refused
    with a clear message rather than misread.
    """
    version = doc["schema_version"]
    if version > SCHEMA_VERSION:
        raise PresetError(
            source, "schema_version", f"version {version} is newer than this planner understands",
            f"schema_version <= {SCHEMA_VERSION}; update the planner",
        )  # fmt: skip
    raise PresetError(source, "schema_version", f"unknown version {version}", f"schema_version = {SCHEMA_VERSION}")


def load_preset_file(path: str | Path) -> Preset:
    """Read, validate and build the preset in ``path`` (``.toml`` or ``.json``)."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_PRESET_BYTES:
            raise PresetError(source, "", f"file is {size:,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes")
        data = path.read_bytes()
    except PresetError:
        raise
    except OSError as exc:
        raise PresetError(source, "", f"cannot read file: {exc.strerror or exc}") from None
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    preset = law_from_document(parse_document(data, source, fmt), source)
    return Preset(law=preset.law, path=path, default=preset.default, extra=preset.extra)


@cache
def builtin_presets() -> tuple[Preset, ...]:
    """All presets shipped in the ``presets/`` folder, default first, then by file name."""
    folder = resource_dir("presets")
    found = [load_preset_file(p) for p in sorted(folder.glob("*.toml"))]
    ids = [p.id for p in found]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise PresetError(str(folder), "meta.id", f"duplicate ids {sorted(dupes)}")
    found.sort(key=lambda p: not p.default)
    return tuple(found)


def builtin_ids() -> list[str]:
    return [p.id for p in builtin_presets()]


def get_law(preset_id: str = DEFAULT_PRESET_ID) -> Law:
    """The built-in law with id ``preset_id``; ``KeyError`` with the known ids otherwise."""
    for preset in builtin_presets():
        if preset.id == preset_id:
            return preset.law
    raise KeyError(f"unknown preset {preset_id!r}; known: {', '.join(builtin_ids())}")
