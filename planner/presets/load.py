"""Load and validate preset files (TOML, or JSON with the same structure).

A preset file describes one law, plus optional hardware and budget defaults. Its format is
declared once, in :mod:`planner.presets.schema` (msgspec structs: types, ranges, required and
unknown keys), which also generates the field reference in ``docs/presets.md`` and the JSON
Schema shipped for editors. This module parses the text (``tomllib`` or ``json``: nothing read
from a file is executed), migrates older ``schema_version`` documents, converts the document to
the schema, checks the rules that span fields, and builds the law.

Every problem raises :class:`PresetError`, whose one-line message names the file, the key path
(e.g. ``law.coefficients.alpha``), the reason and what was expected.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from planner.costs.hardware import CATALOGUE, Hardware, get_accelerator, parse_serve_target
from planner.files.resources import resource_dir
from planner.files.special import NotRegularFileError, read_regular_file
from planner.laws.base import Citation, FittedRange, Law, LawInfo
from planner.presets import SCHEMA_VERSION
from planner.question import BUDGET_KINDS, LIMITS

# The schema (msgspec), the TOML parser and the prescan are imported by the functions that
# validate: a built-in preset read from the index of validated built-ins needs none of them.
_FROM_SCHEMA = ("FORMS", "MAX_BOOTSTRAP_ROWS", "PresetDoc", "SAMPLES_ENCODING")


def __getattr__(name: str) -> Any:
    """Names re-exported from :mod:`planner.presets.schema`, imported when first asked for."""
    if name in _FROM_SCHEMA:
        from planner.presets import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MAX_PRESET_BYTES = 256 * 1024  # 1,000 bootstrap rows of 5 numbers take about 170 KB
DEFAULT_PRESET_ID = "epoch-2024"
MIN_FLOPS, MAX_FLOPS = LIMITS["flops"].lo, LIMITS["flops"].hi
BOOTSTRAP_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "chinchilla": ("E", "A", "B", "alpha", "beta"), "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D"),
})  # fmt: skip
"""Columns of ``[law.bootstrap].samples`` per form (the fitted coefficients)."""

_EMPTY: MappingProxyType = MappingProxyType({})
_INT_KEYS = {name for name, lim in LIMITS.items() if lim.integer} | {
    "n_points", "n_dropped", "n_bootstrap", "n_starts", "n_refined", "n_at_best", "seed", "n_bootstrap_ok",
    "n_skipped", "holdout_n", "zero_stage", "schema_version"}  # fmt: skip


class PresetError(ValueError):
    """A preset file is unreadable or invalid. ``str(err)`` is one user-facing line."""

    def __init__(self, source: str, key: str, reason: str, expected: str = "") -> None:
        self.source, self.key, self.reason, self.expected = source, key, reason, expected
        msg = f"{source}: {key}: {reason}" if key else f"{source}: {reason}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(" ".join(msg.splitlines()))  # one line, whatever the file contained

    def __reduce__(self) -> tuple:
        return (type(self), (self.source, self.key, self.reason, self.expected))


class Preset(NamedTuple):
    """A validated preset: the law plus the file's validated optional tables.

    ``extra`` keeps the historical mapping view (keys ``meta``, and where present
    ``hardware``, ``budget``, ``intervals``); the typed fields below are the same data.
    ``hardware`` has canonical GPU names (``planner.costs.hardware.CATALOGUE`` keys); ``meta`` has
    ``date`` as an ISO string; ``intervals`` maps coefficient -> (lo, hi); ``fit`` is
    ``meta.fit`` (empty for published presets); ``schema_version`` is the version the file
    was written in (before migration).
    """

    law: Law
    path: Path | None
    default: bool
    extra: MappingProxyType
    hardware: Mapping[str, Any] = _EMPTY
    budget: Mapping[str, Any] = _EMPTY
    meta: Mapping[str, Any] = _EMPTY
    intervals: Mapping[str, tuple[float, float]] = _EMPTY
    fit: Mapping[str, Any] = _EMPTY
    schema_version: int = SCHEMA_VERSION

    @property
    def id(self) -> str:
        return self.law.id

    @property
    def title(self) -> str:
        return self.law.info.title

    def with_path(self, path: Path | None) -> Preset:
        return self._replace(path=path)

    def hardware_or(self, base: Hardware | None = None) -> Hardware:
        """``base`` (default ``Hardware()``) with this preset's ``[hardware]`` defaults applied."""
        hw = base or Hardware()
        changes: dict[str, Any] = {}
        if "gpu" in self.hardware:
            changes["accelerator"] = CATALOGUE[self.hardware["gpu"]]
        for key in ("n_gpus", "mfu", "usd_per_gpu_hour", "precision"):
            if key in self.hardware:
                changes[key] = self.hardware[key]
        return hw.with_(**changes) if changes else hw


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")


def _key_text(key: object) -> str:
    """A key from a file as it may appear in a message: plain names as-is, others quoted."""
    text = str(key)
    return text if _PLAIN_KEY.match(text) else repr(text[:40])


def _type_name(value: object) -> str:
    if value is None:
        return "missing value"
    return {dict: "table", list: "list", str: "string", bool: "boolean", int: "integer", float: "number",
            _dt.date: "date", _dt.datetime: "date-time", _dt.time: "time"}.get(
        type(value), type(value).__name__
    )


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(Exception):
    pass


def parse_document(text: str | bytes, source: str, fmt: str = "toml") -> dict[str, Any]:
    """Parse TOML (or JSON) text into a dict, raising :class:`PresetError`."""
    if isinstance(text, bytes):
        if len(text) > MAX_PRESET_BYTES:
            raise PresetError(source, "", f"file is {len(text):,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PresetError(source, "", f"not UTF-8 text (byte {exc.start})", "a UTF-8 TOML or JSON file") from None
    elif len(text) > MAX_PRESET_BYTES:
        raise PresetError(source, "", f"text is {len(text):,} characters", f"at most {MAX_PRESET_BYTES:,}")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark from a Windows editor
    import tomllib

    from planner.presets.prescan import Overlimit, check_structure

    kind = "JSON" if fmt == "json" else "TOML"
    try:  # bound the parser's work first: key depth, nesting and key count (planner.presets.prescan)
        check_structure(text, fmt)
    except Overlimit as exc:
        raise PresetError(source, "", exc.reason, exc.expected) from None
    try:
        if fmt == "json":
            doc = json.loads(text, parse_constant=float, object_pairs_hook=_reject_duplicates)
        else:
            doc = tomllib.loads(text)
    except _DuplicateKey as exc:
        raise PresetError(source, _key_text(exc.args[0]), "duplicate key", f"valid {kind}") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise PresetError(source, "", f"not valid {kind}: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise PresetError(source, "", f"not valid {kind}: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer with more than 4300 digits
        raise PresetError(source, "", f"not valid {kind}: {str(exc).splitlines()[0][:120]}") from None
    if not isinstance(doc, dict):
        raise PresetError(source, "", f"top level is a {_type_name(doc)}", "a TOML document or JSON object")
    return doc


# ---------------------------------------------------------------------------------------------
# schema versions

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[v]`` turns a version-``v`` document into a version-``v + 1`` document."""
OLDEST_SCHEMA_VERSION = 0


def register_migration(from_version: int) -> Callable[[Migration], Migration]:
    """Decorator: register the step that upgrades ``from_version`` to ``from_version + 1``."""

    def deco(fn: Migration) -> Migration:
        MIGRATIONS[from_version] = fn
        return fn

    return deco


@register_migration(0)
def _migrate_0_to_1(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 0, the pre-release "draft" layout: everything flat at the top level.

    ``id``, ``name``, ``notes``, ``warnings``, ``default``, ``author`` and ``date`` move to
    ``[meta]``; ``form``, ``n_params``, ``loss_unit``, ``compute`` and ``rule`` and the
    ``[citation]``, ``[coefficients]``, ``[uncertainty]`` and ``[fitted_range]`` tables
    move under ``[law]``. ``[hardware]`` and ``[budget]`` stay. Anything else is left at
    the top level, where version-1 validation reports it as an unknown key.
    """
    out: dict[str, Any] = {"schema_version": 1}
    meta: dict[str, Any] = {}
    law: dict[str, Any] = {}
    for key, value in doc.items():
        if key == "schema_version":
            continue
        if key in ("id", "name", "notes", "warnings", "default", "author", "date"):
            meta[key] = value
        elif key in ("form", "n_params", "loss_unit", "compute", "rule",
                     "citation", "coefficients", "uncertainty", "fitted_range"):  # fmt: skip
            law[key] = value
        else:
            out[key] = value
    out["meta"], out["law"] = meta, law
    return out


def migrate(doc: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Bring a document's ``schema_version`` up to :data:`SCHEMA_VERSION`.

    Runs the registered steps in order. A newer version is refused (update the planner)
    rather than misread; a version with no migration path is refused too.
    """
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError(source, "schema_version", f"is a {_type_name(version)}", "an integer")
    if version > SCHEMA_VERSION:
        raise PresetError(
            source, "schema_version", f"version {version if version < 10**9 else 'huge'} is newer than this "
            "planner understands", f"schema_version <= {SCHEMA_VERSION}; update the planner",
        )  # fmt: skip
    if version < OLDEST_SCHEMA_VERSION:
        raise PresetError(source, "schema_version", f"unknown version {version if version > -10**9 else 'huge'}",
                          f"schema_version {OLDEST_SCHEMA_VERSION} to {SCHEMA_VERSION}")  # fmt: skip
    out = dict(doc)
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise PresetError(source, "schema_version", f"no migration from version {version}",
                              f"schema_version = {SCHEMA_VERSION}")  # fmt: skip
        out = step(out)
        version += 1
        out["schema_version"] = version
    return out



# ---------------------------------------------------------------------------------------------
# validation: the schema converts; the messages say what a person needs to fix


def _integral_floats(doc: Any, key: str = "") -> Any:
    """JSON writers sometimes emit 1024.0 for a count: whole floats in integer fields become ints
    (and numpy scalars from code become plain numbers)."""
    if isinstance(doc, dict):
        return {k: _integral_floats(v, k) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_integral_floats(v) for v in doc]
    if isinstance(doc, np.generic):
        doc = doc.item()
    if isinstance(doc, float) and key in _INT_KEYS and doc.is_integer() and abs(doc) < 2**62:
        return int(doc)
    return doc


def _convert(doc: Any, cls: Any, source: str, prefix: str = "") -> Any:
    """``msgspec.convert(doc, cls)`` with a :class:`PresetError` naming the key on failure."""
    import msgspec

    try:
        return msgspec.convert(_integral_floats(doc), cls)
    except msgspec.ValidationError as exc:
        raise _explain(str(exc), doc, cls, source, prefix) from None


_AT = re.compile(r"^(.*?)(?: - at `\$(.*)`)?$")


def _path_parts(at: str) -> list[str]:
    return [p for p in re.split(r"\.|\[|\]", at) if p]


def _walk(doc: Any, parts: list[str]) -> Any:
    for p in parts:
        if isinstance(doc, Mapping):
            doc = doc.get(p)
        elif isinstance(doc, list) and p.isdigit() and int(p) < len(doc):
            doc = doc[int(p)]
        else:
            return None
    return doc


def _name_the_key(at: str, message: str, doc: Any, cls: Any) -> list[str]:
    """msgspec writes ``[...]`` for a table key; find the key whose value gives the same error."""
    import msgspec

    head, _, tail = at.partition("[...]")
    table = _walk(doc, _path_parts(head))
    if isinstance(table, Mapping):
        for key in table:
            probe = _replace_at(doc, _path_parts(head), {key: table[key]})
            try:
                msgspec.convert(_integral_floats(probe), cls)
            except msgspec.ValidationError as exc:
                if str(exc) == message:
                    return [*_path_parts(head), str(key), *_path_parts(tail)]
    return [*_path_parts(head), *_path_parts(tail)]


def _replace_at(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    return {**doc, parts[0]: _replace_at(doc[parts[0]], parts[1:], value)}


def _type_at(cls: Any, doc: Any, parts: list[str]) -> Any:
    """The msgspec type of the value at ``parts`` (tagged unions resolved by the document)."""
    import msgspec.inspect as ti

    t: Any = ti.type_info(cls)
    node = doc
    for p in [*parts, None]:
        while True:
            if isinstance(t, ti.Metadata):
                t = t.type
            elif isinstance(t, ti.UnionType):
                structs = [x for x in t.types if isinstance(x, ti.StructType)]
                tag = node.get(structs[0].tag_field) if structs and isinstance(node, Mapping) else None
                match = [x for x in structs if x.tag == tag]
                others = [x for x in t.types if not isinstance(x, ti.NoneType)]
                t = match[0] if match else (structs[0] if structs else others[0])
            else:
                break
        if p is None:
            return t
        if isinstance(t, ti.StructType):
            fields = {f.encode_name: f.type for f in t.fields}
            if p not in fields:
                return None
            t = fields[p]
        elif isinstance(t, ti.DictType):
            t = t.value_type
        elif isinstance(t, ti.ListType):
            t = t.item_type
        elif isinstance(t, ti.TupleType):
            t = t.item_types[int(p)] if p.isdigit() and int(p) < len(t.item_types) else None
        else:
            return None
        node = _walk(node, [p])
    return t


def _expected(t: Any) -> str:
    """What a person should write for type ``t`` ("a number > 0 and <= 1e+30", "one of ...")."""
    import msgspec.inspect as ti

    while isinstance(t, ti.Metadata | ti.UnionType):
        t = t.type if isinstance(t, ti.Metadata) else next(x for x in t.types if not isinstance(x, ti.NoneType))
    if isinstance(t, ti.FloatType):
        lo = f"> {t.gt:g}" if t.gt is not None else f">= {t.ge:g}" if t.ge is not None else ""
        hi = f"< {t.lt:g}" if t.lt is not None else f"<= {t.le:g}" if t.le is not None else ""
        return "a number" + (f" {lo}" if lo else "") + (" and" if lo and hi else "") + (f" {hi}" if hi else "")
    if isinstance(t, ti.IntType):
        lo, hi = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else None), t.le
        return "a whole number" + (f" from {lo:g} to {hi:g}" if lo is not None and hi is not None else "")
    if isinstance(t, ti.LiteralType):
        return "one of " + ", ".join(map(str, t.values))
    if isinstance(t, ti.BoolType):
        return "true or false"
    if isinstance(t, ti.StrType):
        return "a string"
    if isinstance(t, ti.StructType | ti.DictType):
        return "a table"
    if isinstance(t, ti.TupleType):
        return f"a list [{', '.join('low high'.split()[: len(t.item_types)])}]" if len(t.item_types) == 2 else "a list"
    if isinstance(t, ti.ListType):
        return "a list of strings" if isinstance(t.item_type, ti.StrType) else "a list"
    return "a valid value"


def _explain(message: str, doc: Any, cls: Any, source: str, prefix: str) -> PresetError:
    """A msgspec validation message as a :class:`PresetError` in the planner's words."""
    import msgspec

    from planner.presets.schema import MAX_BOOTSTRAP_ROWS

    m = _AT.match(message)
    reason, at = (m.group(1), m.group(2) or "") if m else (message, "")
    parts = _name_the_key(at, message, doc, cls) if "[...]" in at else _path_parts(at)
    key = ".".join(([prefix] if prefix else []) + [_key_text(p) for p in parts])
    value = _walk(doc, parts)
    t = _type_at(cls, doc, parts)
    if found := re.match(r"Object missing required field `(.+)`", reason):
        name = found.group(1)
        return PresetError(source, f"{key}.{name}".lstrip("."), "missing", _expected(_type_at(cls, doc, [*parts, name])))
    if found := re.match(r"Object contains unknown field `(.+)`", reason):
        name, allowed = found.group(1), []
        if isinstance(t, msgspec.inspect.StructType):
            allowed = [f.encode_name for f in t.fields]
        if name == "rule" and parts == ["law"]:
            return PresetError(source, "law.rule", f"applies only to form 'power_law', not {value.get('form')!r}",
                               "no rule key")  # fmt: skip
        return PresetError(source, f"{key}.{_key_text(name)}".lstrip("."), "unknown key", "one of " + ", ".join(allowed))
    if re.match(r"Invalid (enum )?value", reason) or (isinstance(t, msgspec.inspect.LiteralType) and
                                                     isinstance(value, str)):  # fmt: skip
        shown = repr(value)[:80] if isinstance(value, str) else repr(value)
        return PresetError(source, key, f"{shown} is not known", _expected(t))
    if reason == "Number out of range":
        return PresetError(source, key, "is too large", "a finite number")
    if found := re.match(r"Expected `[^`]+`, got `(\w+)`", reason):
        return PresetError(source, key, f"is a {_type_name(value)}", _expected(t))
    if isinstance(value, float) and not math.isfinite(value):
        return PresetError(source, key, f"is {value!r}", "a finite number")
    if found := re.match(r"Expected `array` of length (\d+)", reason):
        return PresetError(source, key, f"is a list of {len(value) if isinstance(value, list) else '?'}", _expected(t))
    if key.endswith("bootstrap.samples") and re.match(r"Expected `array` of length [<>]=", reason):
        return PresetError(source, key, f"has {len(value) if isinstance(value, list) else 'no'} rows",
                           f"1 to {MAX_BOOTSTRAP_ROWS} rows")  # fmt: skip
    if found := re.match(r"Expected `(?:array|object)` of length <= (\d+)", reason):
        return PresetError(source, key, f"has {len(value) if hasattr(value, '__len__') else 'too many'} entries",
                           f"at most {int(found.group(1)):,}")  # fmt: skip
    if found := re.match(r"Expected `(?:array|object)` of length >= (\d+)", reason):
        return PresetError(source, key, "is empty", f"at least {found.group(1)} entries")
    if found := re.match(r"Expected `str` of length <= (\d+)", reason):
        return PresetError(source, key, f"is longer than {found.group(1)} characters", "a shorter string")
    if re.match(r"Expected `str` of length >= 1", reason):
        return PresetError(source, key, "is empty", "a short human-readable text")
    if re.match(r"Expected `str` matching regex", reason):
        if key.endswith("sha256"):
            return PresetError(source, key, "is not a SHA-256 digest", "64 hexadecimal digits")
        return PresetError(source, key, f"{str(value)[:80]!r} is not a valid id", "1-80 letters, digits, '-', '_' or '.'")
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = (f"{value:g}" if isinstance(value, float) else str(value) if abs(value) < 10**15 else "a huge number")
        return PresetError(source, key, f"{shown} is out of range", _expected(t))
    return PresetError(source, key, reason, _expected(t))


def _iso_date(value: Any, source: str, key: str) -> str:
    """A TOML date/datetime or an ISO 8601 string, as an ISO string."""
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and len(value) <= 64:
        for parse in (_dt.date.fromisoformat, _dt.datetime.fromisoformat):
            try:
                return parse(value).isoformat()
            except ValueError:
                continue
    shown = repr(value)[:40] if isinstance(value, str) else f"a {_type_name(value)}"
    raise PresetError(source, key, f"{shown} is not a date", "a date like 2025-01-31 or 2025-01-31T12:00:00Z")


def _table(struct: Any) -> dict[str, Any]:
    """The keys a struct was given (defaults left out), as plain values."""
    import msgspec

    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not None}


def validate_hardware(table: Mapping[str, Any], source: str, path: str = "hardware") -> dict[str, Any]:
    """A ``[hardware]`` table checked against the schema; the GPU name made canonical."""
    from planner.presets import schema

    out = _table(_convert(table, schema.Hardware, source, path))
    if "gpu" in out:
        try:
            out["gpu"] = get_accelerator(out["gpu"]).name
        except KeyError:
            raise PresetError(source, f"{path}.gpu", f"{out['gpu'][:80]!r} is not in the GPU catalogue",
                              "one of " + ", ".join(CATALOGUE)) from None  # fmt: skip
    if out.get("precision") == "fp8":
        acc = CATALOGUE[out.get("gpu", "H100 SXM")]
        if acc.fp8_flops is None:
            raise PresetError(source, f"{path}.precision", f"{acc.name} has no FP8 peak in the catalogue", '"bf16"')
    return out


def validate_budget(table: Mapping[str, Any], source: str, path: str = "budget") -> dict[str, Any]:
    """A ``[budget]`` table checked against the schema (at most one budget form)."""
    from planner.presets import schema

    out = _table(_convert(table, schema.Budget, source, path))
    given = [k for k in BUDGET_KINDS if k in out]
    if len(given) > 1:
        raise PresetError(source, f"{path}.{given[1]}", f"given together with {path}.{given[0]}",
                          "one budget: " + ", ".join(BUDGET_KINDS))  # fmt: skip
    if "serve_on" in out:
        try:
            parse_serve_target(out["serve_on"])
        except ValueError as exc:
            raise PresetError(source, f"{path}.serve_on", str(exc)) from None
    return out


def validate_fit(table: Mapping[str, Any], source: str, path: str = "meta.fit") -> dict[str, Any]:
    """A ``[meta.fit]`` provenance table checked against the schema."""
    from planner.presets import schema

    out = _table(_convert(table, schema.Fit, source, path))
    if "date" in out:
        out["date"] = _iso_date(out["date"], source, f"{path}.date")
    if "data_sha256" in out:
        out["data_sha256"] = out["data_sha256"].lower()
    return out


def _bounds(form: str, name: str) -> tuple[float, float, bool]:
    """(low, high, low inclusive) of a coefficient, read from the schema."""
    from planner.presets.schema import PresetDoc

    t = _type_at(PresetDoc, {"law": {"form": form}}, ["law", "coefficients", name])
    lo = t.gt if t.gt is not None else t.ge
    return float(lo), float(t.le), t.gt is None


class BootstrapTable(NamedTuple):
    """A validated ``[law.bootstrap]``: samples (read-only), level, the optional extrapolation
    calibration (``[law.bootstrap.extrapolation]``) and provenance (seed, data_sha256, data_file)."""

    samples: np.ndarray
    level: float
    extrapolation: Mapping[str, Any] | None
    provenance: Mapping[str, Any]


def _decode_samples(boot: Any, source: str, path: str, width: int) -> np.ndarray:
    """The compact ``encoding``/``shape``/``data``/``sha256`` form: base64 of little-endian float64."""
    import base64
    import binascii
    import hashlib

    from planner.presets.schema import SAMPLES_ENCODING

    for key in ("encoding", "shape", "sha256"):
        if getattr(boot, key) is None:
            raise PresetError(source, f"{path}.{key}", "missing", {"encoding": f"encoding = {SAMPLES_ENCODING!r}",
                              "shape": "[rows, columns]", "sha256": "the SHA-256 of the decoded bytes"}[key])  # fmt: skip
    rows, cols = boot.shape
    if cols != width:
        raise PresetError(source, f"{path}.shape", f"has {cols} columns", f"{width} (one per name)")
    try:
        raw = base64.b64decode(boot.data, validate=True)
    except (binascii.Error, ValueError):
        raise PresetError(source, f"{path}.data", "is not valid base64",
                          "base64 of little-endian float64 values") from None  # fmt: skip
    if len(raw) != rows * cols * 8:
        raise PresetError(source, f"{path}.data", f"holds {len(raw)} bytes", f"{rows * cols * 8} bytes for shape "
                          f"[{rows}, {cols}]")  # fmt: skip
    if boot.sha256.lower() != hashlib.sha256(raw).hexdigest():
        raise PresetError(source, f"{path}.sha256", "does not match the decoded samples",
                          "the SHA-256 of the decoded bytes (the file was altered or truncated)")  # fmt: skip
    return np.frombuffer(raw, dtype="<f8").astype(float).reshape(rows, cols)


def validate_bootstrap_table(table: Mapping[str, Any], source: str, form: str, path: str = "law.bootstrap",
                             estimate: Mapping[str, float] | None = None) -> BootstrapTable:  # fmt: skip
    """A ``[law.bootstrap]`` table (:class:`planner.presets.schema.Bootstrap`).

    ``names`` must be the fitted coefficients of ``form`` in order. The samples are either
    ``samples`` (rows; older files) or ``encoding = "f64le-base64"``, ``shape``, ``data`` and
    ``sha256`` (compact and fast to read). Every sample is validated like the coefficients
    themselves (finite, inside each coefficient's range), and each coefficient's estimate must
    lie inside its samples' range (samples far from the estimate would give intervals that
    exclude it).
    """
    import msgspec

    from planner.presets import schema

    boot = _convert(table, schema.Bootstrap, source, path)
    expected = BOOTSTRAP_NAMES.get(form)
    if expected is None:
        raise PresetError(source, path, f"bootstrap samples are not supported for form {form!r}",
                          "form chinchilla or kaplan")  # fmt: skip
    if list(boot.names) != list(expected):
        raise PresetError(source, f"{path}.names", f"is {repr(boot.names)[:80]}", f"{list(expected)} for form {form!r}")
    width = len(expected)
    if boot.samples is not None and boot.data is not None:
        raise PresetError(source, f"{path}.data", "given beside samples", "either samples (rows) or data (encoded)")
    if boot.data is not None:
        arr, where = _decode_samples(boot, source, path, width), "data"
    elif boot.samples is None:
        raise PresetError(source, f"{path}.samples", "missing", "a list of rows, or encoded data")
    else:
        for key in ("encoding", "shape", "sha256"):
            if getattr(boot, key) is not None:
                raise PresetError(source, f"{path}.{key}", "given without data", "data (encoded samples) or no " + key)
        for i, row in enumerate(boot.samples):
            if len(row) != width:
                raise PresetError(source, f"{path}.samples.{i}", f"is a list of {len(row)}",
                                  f"a list of {width} numbers ({', '.join(expected)})")  # fmt: skip
        arr, where = np.array(boot.samples, dtype=float), "samples"
    for j, name in enumerate(expected):
        lo, hi, inclusive = _bounds(form, name)
        col = arr[:, j]
        bad = ~np.isfinite(col) | (col < lo) | (col > hi) | ((col == lo) & (not inclusive))
        if bad.any():
            i, x = int(np.argmax(bad)), float(col[int(np.argmax(bad))])
            if not math.isfinite(x):
                raise PresetError(source, f"{path}.{where}.{i}.{j}", f"is {x!r}", "a finite number")
            raise PresetError(source, f"{path}.{where}.{i}.{j}", f"{x:g} ({name}) is out of range",
                              f"a number {'>=' if inclusive else '>'} {lo:g} and <= {hi:g}, like the coefficient")
        lo_s, hi_s = float(col.min()), float(col.max())
        slack = max(hi_s - lo_s, 0.05 * abs(estimate[name]), 1e-12) if estimate is not None else 0.0
        if estimate is not None and not lo_s - slack <= estimate[name] <= hi_s + slack:
            raise PresetError(source, f"{path}.{where}", f"the estimate {name} = {estimate[name]:g} lies outside "
                              f"its samples' range [{col.min():g}, {col.max():g}]", "samples of refits around the estimate")
    arr.setflags(write=False)
    provenance = {k: getattr(boot, k) for k in ("seed", "data_sha256", "data_file") if getattr(boot, k) is not None}
    if "data_sha256" in provenance:
        provenance["data_sha256"] = provenance["data_sha256"].lower()
    extra = None
    if boot.extrapolation is not None:
        extra = MappingProxyType(msgspec.structs.asdict(boot.extrapolation))
    return BootstrapTable(arr, boot.level, extra, MappingProxyType(provenance))


def validate_bootstrap(table: Mapping[str, Any], source: str, form: str, path: str = "law.bootstrap",
                       estimate: Mapping[str, float] | None = None) -> tuple[np.ndarray, float]:  # fmt: skip
    """(samples, level) of a ``[law.bootstrap]`` table; see :func:`validate_bootstrap_table`."""
    checked = validate_bootstrap_table(table, source, form, path, estimate)
    return checked.samples, checked.level


def law_from_document(doc: Mapping[str, Any], source: str) -> Preset:
    """Validate a parsed preset document (any supported schema version) and build its law."""
    if not isinstance(doc, Mapping):
        raise PresetError(source, "", f"top level is a {_type_name(doc)}", "a table")
    if "schema_version" not in doc:
        raise PresetError(source, "schema_version", "missing", f"schema_version = {SCHEMA_VERSION}")
    version = doc["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise PresetError(source, "schema_version", f"is a {_type_name(version)}", "an integer")
    if version == SCHEMA_VERSION:
        return _build(doc, source, version)
    migrated = migrate(doc, source)
    try:
        return _build(migrated, source, version)
    except PresetError as exc:
        raise PresetError(source, exc.key, f"{exc.reason} (after migrating from schema_version {version})",
                          exc.expected) from None  # fmt: skip


def _build(doc: Mapping[str, Any], source: str, file_version: int) -> Preset:
    return _assemble(_recipe(doc, source), source, file_version)


def _recipe(doc: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Validate a current-version document; what its :class:`Preset` is built from, as plain
    values (:func:`_assemble` builds it; the index of built-ins stores it as JSON)."""
    from planner.presets import schema

    parsed = _convert(doc, schema.PresetDoc, source)
    meta, law = parsed.meta, parsed.law
    if not meta.name.strip():
        raise PresetError(source, "meta.name", "is empty", "a short human-readable name")
    meta_out = {"id": meta.id, "name": meta.name}
    raw_meta = doc["meta"]
    for key in ("notes", "warnings", "default", "author"):
        if key in raw_meta:
            meta_out[key] = list(getattr(meta, key)) if key == "warnings" else getattr(meta, key)
    if meta.date is not None:
        meta_out["date"] = _iso_date(meta.date, source, "meta.date")
    fit = validate_fit(raw_meta["fit"], source) if meta.fit is not None else {}
    if fit:
        meta_out["fit"] = fit
    form = law.__struct_config__.tag
    coefs = _table(law.coefficients)
    for table in ("uncertainty", "intervals"):
        for name in getattr(law, table):
            if name not in schema.FORMS[form]:
                raise PresetError(source, f"law.{table}.{_key_text(name)}", "unknown key",
                                  "one of " + ", ".join(schema.FORMS[form]))  # fmt: skip
    intervals: dict[str, tuple[float, float]] = {}
    for name, (lo, hi) in law.intervals.items():
        b_lo, b_hi, inclusive = _bounds(form, name)
        for i, x in enumerate((lo, hi)):
            if not math.isfinite(x) or x < b_lo or x > b_hi or (x == b_lo and not inclusive):
                raise PresetError(source, f"law.intervals.{name}.{i}", f"{x:g} is out of range",
                                  f"a number within {name}'s range")  # fmt: skip
        if lo > hi:
            raise PresetError(source, f"law.intervals.{name}", f"low {lo:g} is above high {hi:g}", "low <= high")
        intervals[name] = (lo, hi)
    fitted = law.fitted_range or schema.FittedRange()
    for key in ("n_params", "n_tokens", "flops"):
        pair = getattr(fitted, key)
        if pair is not None and pair[0] > pair[1]:
            raise PresetError(source, f"law.fitted_range.{key}", f"low {pair[0]:g} is above high {pair[1]:g}",
                              "low <= high")  # fmt: skip
    bootstrap = None
    if law.bootstrap is not None:
        boot = validate_bootstrap_table(doc["law"]["bootstrap"], source, form, estimate=coefs)
        bootstrap = {"samples": boot.samples, "level": boot.level,
                     "calibration": None if boot.extrapolation is None else dict(boot.extrapolation)}  # fmt: skip
    recipe: dict[str, Any] = {
        "form": form, "rule": getattr(law, "rule", None), "coefficients": coefs,
        "info": {"id": meta.id, "title": meta.name, "n_meaning": law.n_params, "loss_unit": law.loss_unit,
                 "compute": law.compute, "citation": [law.citation.text, law.citation.arxiv, law.citation.locator,
                                                      law.citation.status],
                 "fitted_range": [fitted.n_params, fitted.n_tokens, fitted.flops],
                 "uncertainty": dict(law.uncertainty), "notes": meta.notes, "warnings": list(meta.warnings)},
        "bootstrap": bootstrap, "default": meta.default, "meta": meta_out, "fit": fit, "intervals": intervals,
    }  # fmt: skip
    _check_law_numbers(_law(recipe, source), source)
    recipe["hardware"] = validate_hardware(doc["hardware"], source) if parsed.hardware is not None else {}
    recipe["budget"] = validate_budget(doc["budget"], source) if parsed.budget is not None else {}
    return recipe


def _assemble(recipe: Mapping[str, Any], source: str, file_version: int) -> Preset:
    """The :class:`Preset` of a validated :func:`_recipe` (fresh objects: nothing is shared)."""
    meta_out, hardware, budget, fit = recipe["meta"], recipe["hardware"], recipe["budget"], recipe["fit"]
    intervals = {name: tuple(pair) for name, pair in recipe["intervals"].items()}
    extra: dict[str, Any] = {"meta": meta_out}
    for key, value in (("hardware", hardware), ("budget", budget), ("intervals", intervals)):
        if value:
            extra[key] = value
    return Preset(
        law=_law(recipe, source), path=None, default=recipe["default"], extra=MappingProxyType(extra),
        hardware=MappingProxyType(hardware), budget=MappingProxyType(budget),
        meta=MappingProxyType(meta_out), intervals=MappingProxyType(intervals),
        fit=MappingProxyType(fit), schema_version=file_version,
    )  # fmt: skip


def _law(recipe: Mapping[str, Any], source: str) -> Law:
    """The law of a recipe: its :class:`LawInfo` and the object of its form (rules that span
    coefficients checked here)."""
    i, form, coefs, boot = recipe["info"], recipe["form"], recipe["coefficients"], recipe["bootstrap"]
    info = LawInfo(
        id=i["id"], title=i["title"], n_meaning=i["n_meaning"], loss_unit=i["loss_unit"], compute=i["compute"],
        citation=Citation(*i["citation"]),
        fitted_range=FittedRange(*(None if pair is None else tuple(pair) for pair in i["fitted_range"])),
        uncertainty=MappingProxyType(dict(i["uncertainty"])), notes=i["notes"], warnings=tuple(i["warnings"]),
        source=source, bootstrap_samples=None if boot is None else boot["samples"],
        bootstrap_level=None if boot is None else boot["level"],
        calibration=None if boot is None or boot["calibration"] is None else MappingProxyType(boot["calibration"]),
    )  # fmt: skip
    import planner.laws as laws  # each form's module is imported when a preset of that form is read

    try:
        if form == "chinchilla":
            return laws.ChinchillaLaw(info, **coefs)
        if form == "data_constrained":
            return laws.DataConstrainedLaw(info, **coefs)
        if form == "kaplan":
            given = [name for name in laws.KaplanLaw.ALLOCATION if name in coefs]
            if given and len(given) != len(laws.KaplanLaw.ALLOCATION):
                missing = next(name for name in laws.KaplanLaw.ALLOCATION if name not in coefs)
                raise PresetError(source, f"law.coefficients.{missing}", "missing",
                                  "all six of alpha_C, C_c, n_coef, n_exp, d_coef, d_exp, or none of them "
                                  "(a loss-only Kaplan law)")  # fmt: skip
            return laws.KaplanLaw(info, **coefs)
        rule = recipe["rule"]
        if rule != "tokens_only":
            for name in ("n_coef", "n_exp"):
                if name not in coefs:
                    raise PresetError(source, f"law.coefficients.{name}", "missing", f"a number (rule {rule!r})")
        return laws.PowerLawAllocation(info, rule=rule, **coefs)
    except (OverflowError, ZeroDivisionError) as exc:
        raise PresetError(source, "law.coefficients", f"these coefficients overflow ({exc})",
                          "a law with finite optimum") from None  # fmt: skip


def _check_law_numbers(law: Law, source: str) -> None:
    """The law must give finite, positive N*, D* (and finite loss) over every allowed budget."""
    budgets = np.logspace(math.log10(MIN_FLOPS), math.log10(MAX_FLOPS), 26)
    with np.errstate(all="ignore"):
        n, d = law.allocate(budgets)
        bad = ~(np.isfinite(n) & np.isfinite(d) & (n >= 1.0) & (d >= 1.0))
        what = "N* or D* (or one below 1)"
        if not bad.any() and law.has_loss:
            loss = np.asarray(law.loss(n, d), dtype=float)  # type: ignore[attr-defined]
            # the frontier loss too (Kaplan's L(C) = (C_c/C)^alpha_C underflows to 0 for C_c ~ 5e-324)
            front = np.asarray(law.frontier_loss(budgets), dtype=float)  # type: ignore[attr-defined]
            bad = ~(np.isfinite(loss) & (loss > 0) & np.isfinite(front) & (front > 0))
            what = "the loss (or one not above 0)"
    if bad.any():
        c = budgets[int(np.argmax(bad))]
        raise PresetError(source, "law.coefficients", f"these coefficients give a non-finite {what} "
                      f"at C = {c:.0e} FLOPs", f"a law that is finite from {MIN_FLOPS:g} to {MAX_FLOPS:g} FLOPs")


def load_preset_text(text: str | bytes, source: str, fmt: str = "toml") -> Preset:
    """Parse and validate preset text (for tests, the clipboard, or a file already read)."""
    return law_from_document(parse_document(text, source, fmt), source)


def load_preset_file(path: str | Path) -> Preset:
    """Read, validate and build the preset in ``path`` (``.toml`` or ``.json``)."""
    path = Path(path)
    source = str(path)
    try:  # regular files only: a FIFO would block forever, a device could be endless
        data = read_regular_file(path, MAX_PRESET_BYTES)
    except NotRegularFileError as exc:
        raise PresetError(source, "", exc.strerror, "a .toml or .json file") from None
    except OSError as exc:
        raise PresetError(source, "", f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > MAX_PRESET_BYTES:
        try:
            size = max(path.stat().st_size, len(data))
        except OSError:
            size = len(data)
        raise PresetError(source, "", f"file is {size:,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes")
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return load_preset_text(data, source, fmt).with_path(path)


# ---------------------------------------------------------------------------------------------
# the index of built-in presets: each shipped file's text and what validating it gave

BUILTIN_INDEX_FILE = Path(__file__).with_name("builtin_index.py")


def load_builtin(preset_id: str) -> Preset | None:
    """The built-in preset ``preset_id`` from :mod:`planner.presets.builtin_index`, the presets as
    the loader validated them when the index was written, if its file is still byte for byte the
    one the index was made from; ``None`` otherwise (read the file with :func:`load_preset_file`).

    The same :class:`Preset` as reading the file (a test compares them), without the schema, the
    TOML parser or the checks: ``planner plan --preset ID`` starts ~15 ms sooner.
    """
    from planner.presets.builtin_index import INDEX

    entry = INDEX.get(preset_id)
    if entry is None:
        return None
    item = json.loads(entry)
    path = resource_dir("presets") / item["file"]
    try:
        data = read_regular_file(path, MAX_PRESET_BYTES)
    except OSError:
        return None
    if data != item["text"].encode("utf-8"):
        return None
    recipe = item["recipe"]
    boot = recipe["bootstrap"]
    if boot is not None:
        import base64

        raw = base64.b64decode(boot["samples"]["f64le"])
        boot["samples"] = np.frombuffer(raw, dtype="<f8").astype(float).reshape(boot["samples"]["shape"])
    return _assemble(recipe, str(path), item["schema_version"]).with_path(path)


def builtin_index_source() -> str:
    """The text of :mod:`planner.presets.builtin_index`, from the shipped ``presets/*.toml``
    (``python -m planner.presets --write`` writes it; a test keeps it in step)."""
    import base64

    index: dict[str, str] = {}
    for path in sorted(resource_dir("presets").glob("*.toml")):
        data = path.read_bytes()
        doc = parse_document(data, path.name)
        version = doc["schema_version"]
        recipe = _recipe(doc if version == SCHEMA_VERSION else migrate(doc, path.name), path.name)
        if recipe["bootstrap"] is not None:
            samples = np.ascontiguousarray(recipe["bootstrap"]["samples"], dtype="<f8")
            recipe["bootstrap"]["samples"] = {"f64le": base64.b64encode(samples.tobytes()).decode("ascii"),
                                              "shape": list(samples.shape)}  # fmt: skip
        item = {"file": path.name, "schema_version": version, "text": data.decode("utf-8"), "recipe": recipe}
        index[recipe["info"]["id"]] = json.dumps(item, ensure_ascii=False, allow_nan=False)
    lines = [f'"""{_INDEX_DOC}"""', "", "# fmt: off", "INDEX: dict[str, str] = {"]
    lines += [f"    {preset_id!r}: {item!r}," for preset_id, item in index.items()]
    return "\n".join([*lines, "}", ""])


def write_builtin_index() -> None:  # pragma: no cover - a maintainer's command (python -m planner.presets --write)
    BUILTIN_INDEX_FILE.write_text(builtin_index_source(), encoding="utf-8")
    print(f"wrote the index of built-in presets {BUILTIN_INDEX_FILE}")


_INDEX_DOC = """The built-in presets as the loader validated them: generated by ``python -m planner.presets
--write`` from ``presets/*.toml``; do not edit by hand.

``INDEX[id]`` is JSON: the file's name, its exact text, its schema version and what validating it
gave (:func:`planner.presets.load.load_builtin` uses it only while the file is that text).
"""


@cache
def builtin_presets() -> tuple[Preset, ...]:
    """All presets shipped in the ``presets/`` folder, default first, then by file name (each
    from the index of validated built-ins while its file is unchanged, :func:`load_builtin`)."""
    folder = resource_dir("presets")
    found = [indexed_builtin(p) or load_preset_file(p) for p in sorted(folder.glob("*.toml"))]
    ids = [p.id for p in found]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise PresetError(str(folder), "meta.id", f"duplicate ids {sorted(dupes)}")
    found.sort(key=lambda p: not p.default)
    return tuple(found)


def indexed_builtin(path: Path) -> Preset | None:
    """The built-in in ``path`` from the index, if the index has it under that file name."""
    preset = load_builtin(path.stem)
    return preset if preset is not None and preset.path == path else None


def builtin_ids() -> list[str]:
    return [p.id for p in builtin_presets()]


def get_law(preset_id: str = DEFAULT_PRESET_ID) -> Law:
    """The built-in law with id ``preset_id``; ``KeyError`` with the known ids otherwise."""
    for preset in builtin_presets():
        if preset.id == preset_id:
            return preset.law
    raise KeyError(f"unknown preset {preset_id!r}; known: {', '.join(builtin_ids())}")
