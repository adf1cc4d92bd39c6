"""Load and validate preset files (TOML, or JSON with the same structure).

A preset file describes one law, plus optional hardware and budget defaults; the schema is
documented in ``docs/presets.md``::

    schema_version = 1
    [meta]              id, name, notes, warnings, default, author, date
    [meta.fit]          provenance of a fitted preset (objective, n_points, data_sha256, ...)
    [law]               form, n_params (what N means), loss_unit, compute, rule
    [law.citation]      text, arxiv, locator, status
    [law.coefficients]  form-specific numbers
    [law.uncertainty]   standard errors (optional)
    [law.intervals]     confidence intervals per coefficient, name = [lo, hi] (optional)
    [law.fitted_range]  n_params, n_tokens, flops as [low, high] (optional)
    [hardware]          gpu, n_gpus, mfu, usd_per_gpu_hour, precision (optional)
    [budget]            flops or gpu_hours, context, ... (optional)

Every problem raises :class:`PresetError`, whose message names the file, the key path
(e.g. ``law.coefficients.alpha``), the reason and what was expected. Nothing read from a
file is executed: TOML is parsed by the standard library ``tomllib``, JSON by ``json``.

Older ``schema_version`` values are brought up to date by the functions registered in
:data:`MIGRATIONS` (``MIGRATIONS[v]`` turns a version-``v`` document into version ``v + 1``);
newer versions are refused with a message asking for a newer planner.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from planner.costs.hardware import CATALOGUE, Hardware, get_accelerator
from planner.files.resources import resource_dir
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

SCHEMA_VERSION = 1
MAX_PRESET_BYTES = 256 * 1024  # 1,000 bootstrap rows of 5 numbers take about 170 KB
MAX_BOOTSTRAP_ROWS = 1000
DEFAULT_PRESET_ID = "epoch-2024"
MAX_SHORT_TEXT = 4000
MAX_NOTES_TEXT = 20000
MAX_WARNINGS = 50
# Budget limits: the same as the optimiser's (planner.solve.plan.MIN_FLOPS / MAX_FLOPS) and the CLI's.
MIN_FLOPS, MAX_FLOPS = 1e10, 1e35

_EMPTY: MappingProxyType = MappingProxyType({})


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
FORMS: Mapping[str, tuple[str, ...]] = MappingProxyType({f: tuple(s) for f, s in _FORMS.items()})
"""Coefficient names of every law form (read-only)."""
_OPTIONAL_COEFS = {
    "power_law": {"n_coef", "n_exp", "aspect_ratio", "seq_len"},
    # a loss-only Kaplan law (fitted): no published allocation, N*/D* from the surface minimum
    "kaplan": set(KaplanLaw.ALLOCATION),
}
#: Columns of ``[law.bootstrap].samples`` per form (the fitted coefficients).
BOOTSTRAP_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "chinchilla": ("E", "A", "B", "alpha", "beta"),
    "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D"),
})
_BOOTSTRAP_KEYS = {"level", "names", "samples", "encoding", "shape", "data", "sha256", "seed", "data_sha256",
                   "data_file", "extrapolation"}
#: ``[law.bootstrap] encoding`` of the compact sample form: base64 of little-endian float64.
SAMPLES_ENCODING = "f64le-base64"
#: Keys of ``[law.bootstrap.extrapolation]`` (the rolling-origin calibration of a fitted law).
EXTRAPOLATION_KEYS = ("method", "folds", "points", "near_sd", "growth_sd", "max_decades", "horizon")
_RULES = ("power_law", "tokens_only", "deepseek_m")
_N_MEANINGS = ("total", "non_embedding", "flops_per_token")
_STATUSES = ("CONFIRMED", "AUTHORS' CODE OR DATA ONLY", "SECONDARY", "DERIVED", "UNCONFIRMED", "FITTED")

_TOP_KEYS = {"schema_version", "meta", "law", "hardware", "budget"}
_META_KEYS = {"id", "name", "notes", "warnings", "default", "author", "date", "fit"}
_LAW_KEYS = {
    "form", "n_params", "loss_unit", "compute", "rule", "citation", "coefficients", "uncertainty",
    "fitted_range", "intervals", "bootstrap",
}  # fmt: skip
_CITATION_KEYS = {"text", "arxiv", "locator", "status"}
_RANGE_KEYS = {"n_params", "n_tokens", "flops"}
_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,80}$")

# [hardware]: key -> (kind, bounds)
_HARDWARE: dict[str, tuple[str, tuple[float, float, bool] | None]] = {
    "gpu": ("gpu", None),
    "n_gpus": ("int", (1, 10_000_000, True)),
    "mfu": ("float", (0.0, 1.0, False)),
    "usd_per_gpu_hour": ("float", (0.0, 1e5, True)),
    "precision": ("precision", None),
}
# [budget]: key -> (kind, bounds); flops and gpu_hours are mutually exclusive.
_BUDGET: dict[str, tuple[str, tuple[float, float, bool]]] = {
    "flops": ("float", (MIN_FLOPS, MAX_FLOPS, True)),
    "gpu_hours": ("float", (1e-3, 1e12, True)),
    "context": ("int", (1, 10_000_000, True)),
    "vocab_size": ("int", (256, 10_000_000, True)),
    "moe_activation": ("float", (0.0, 1.0, False)),
    "moe_granularity": ("float", (1.0, 1e4, True)),
    "inference_tokens": ("float", (0.0, 1e20, True)),
    "unique_tokens": ("float", (1e6, 1e17, True)),
    "target_loss": ("float", (0.0, 100.0, False)),
}
_NONNEG = (0.0, 1e300, True)
_COUNT = (0, 10**12, True)
# [meta.fit]: provenance of a fitted preset (written by ``planner fit``).
_FIT: dict[str, tuple[str, tuple[float, float, bool] | None]] = {
    "objective": ("float", _NONNEG),
    "n_points": ("int", (1, 10**12, True)),
    "n_dropped": ("int", _COUNT),
    "n_bootstrap": ("int", _COUNT),
    "n_starts": ("int", _COUNT),
    "n_refined": ("int", _COUNT),
    "n_at_best": ("int", _COUNT),
    "seed": ("int", (0, 2**64, True)),
    "level": ("float", (0.0, 1.0, False)),
    "delta": ("float", (0.0, 1e6, False)),
    "grad_norm": ("float", _NONNEG),
    "seconds": ("float", _NONNEG),
    "converged": ("bool", None),
    "form": ("form", None),
    "loss_fn": ("loss_fn", None),
    "data_sha256": ("sha256", None),
    "data_file": ("str", None),
    "date": ("date", None),
    "message": ("str", None),
    "tool": ("str", None),
    "planner_version": ("str", None),
    "pinned": ("numbers", None),
    "se": ("numbers", None),
    "n_bootstrap_ok": ("int", _COUNT),
    "n_skipped": ("int", _COUNT),
    "holdout_n": ("int", _COUNT),
    "holdout_mean_abs_rel_error": ("float", _NONNEG),
    "holdout_max_abs_rel_error": ("float", _NONNEG),
    "holdout_train_max_flops": ("float", _NONNEG),
}
FIT_KEYS = frozenset(_FIT)
HARDWARE_KEYS = frozenset(_HARDWARE)
BUDGET_KEYS = frozenset(_BUDGET)


@dataclass(frozen=True, slots=True)
class Preset:
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
        return Preset(self.law, path, self.default, self.extra, self.hardware, self.budget, self.meta,
                      self.intervals, self.fit, self.schema_version)  # fmt: skip

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


class _Checker:
    """Typed access to a parsed document that raises :class:`PresetError` with key paths."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str, expected: str = "") -> PresetError:
        return PresetError(self.source, key, reason, expected)

    def table(self, doc: Mapping, key: str, path: str, allowed: set[str] | frozenset[str] | None,
              required: bool = True) -> dict:  # fmt: skip
        full = f"{path}.{key}" if path else key
        if key not in doc:
            if required:
                raise self.fail(full, "missing table", f"a [{full}] table")
            return {}
        value = doc[key]
        if not isinstance(value, Mapping):
            raise self.fail(full, f"is a {_type_name(value)}", "a table")
        if allowed is not None:
            unknown = sorted(set(value) - set(allowed), key=str)
            if unknown:
                raise self.fail(f"{full}.{_key_text(unknown[0])}", "unknown key", "one of " + ", ".join(sorted(allowed)))
        return dict(value)

    def checked(self, value: object, path: str, allowed: set[str]) -> dict:
        """``value`` must be a table whose keys are all in ``allowed``."""
        if not isinstance(value, Mapping):
            raise self.fail(path, f"is a {_type_name(value)}", "a table")
        unknown = sorted(set(value) - allowed, key=str)
        if unknown:
            raise self.fail(f"{path}.{_key_text(unknown[0])}", "unknown key", "one of " + ", ".join(sorted(allowed)))
        return dict(value)

    def string(self, doc: Mapping, key: str, path: str, required: bool = True, default: str = "",
               limit: int = MAX_SHORT_TEXT) -> str:  # fmt: skip
        full = f"{path}.{key}"
        if key not in doc:
            if required:
                raise self.fail(full, "missing", "a string")
            return default
        value = doc[key]
        if not isinstance(value, str):
            raise self.fail(full, f"is a {_type_name(value)}", "a string")
        if len(value) > limit:
            raise self.fail(full, f"is longer than {limit} characters", "a shorter string")
        return value

    def choice(self, doc: Mapping, key: str, path: str, options: tuple[str, ...] | Mapping,
               default: str | None = None) -> str:  # fmt: skip
        value = self.string(doc, key, path, required=default is None, default=default or "")
        if value not in options:
            raise self.fail(f"{path}.{key}", f"{value[:80]!r} is not known", "one of " + ", ".join(options))
        return value

    def number(self, doc: Mapping, key: str, path: str, bounds: tuple[float, float, bool]) -> float:
        full = f"{path}.{key}"
        if key not in doc:
            raise self.fail(full, "missing", "a number")
        value = doc[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(full, f"is a {_type_name(value)}", "a number")
        try:
            x = float(value)
        except OverflowError:
            raise self.fail(full, "is too large", "a finite number") from None
        lo, hi, inclusive = bounds
        if not math.isfinite(x):
            raise self.fail(full, f"is {x!r}", "a finite number")
        if x < lo or (x == lo and not inclusive) or x > hi:
            lo_s = f">= {lo:g}" if inclusive else f"> {lo:g}"
            raise self.fail(full, f"{x:g} is out of range", f"a number {lo_s} and <= {hi:g}")
        return x

    def integer(self, doc: Mapping, key: str, path: str, bounds: tuple[float, float, bool]) -> int:
        full = f"{path}.{key}"
        value = doc.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON writers sometimes emit 1024.0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(full, f"is a {_type_name(value)}", "a whole number")
        lo, hi, _ = bounds
        if not lo <= value <= hi:
            raise self.fail(full, f"{value if abs(value) < 10**15 else 'a huge number'} is out of range",
                            f"a whole number from {lo:g} to {hi:g}")  # fmt: skip
        return value

    def boolean(self, doc: Mapping, key: str, path: str) -> bool:
        value = doc[key]
        if not isinstance(value, bool):
            raise self.fail(f"{path}.{key}", f"is a {_type_name(value)}", "true or false")
        return value

    def date(self, doc: Mapping, key: str, path: str) -> str:
        """A TOML date/datetime or an ISO 8601 string; returned as an ISO string."""
        full = f"{path}.{key}"
        value = doc[key]
        if isinstance(value, _dt.date | _dt.datetime):
            return value.isoformat()
        if isinstance(value, str) and len(value) <= 64:
            for parse in (_dt.date.fromisoformat, _dt.datetime.fromisoformat):
                try:
                    return parse(value).isoformat()
                except ValueError:
                    continue
        shown = repr(value)[:40] if isinstance(value, str) else f"a {_type_name(value)}"
        raise self.fail(full, f"{shown} is not a date", "a date like 2025-01-31 or 2025-01-31T12:00:00Z")

    def pair(self, doc: Mapping, key: str, path: str,
             bounds: tuple[float, float, bool] = _POS) -> tuple[float, float] | None:  # fmt: skip
        full = f"{path}.{key}"
        if key not in doc:
            return None
        value = doc[key]
        if not isinstance(value, list) or len(value) != 2:
            shown = f"a list of {len(value)}" if isinstance(value, list) else f"a {_type_name(value)}"
            raise self.fail(full, f"is {shown}", "a list [low, high]")
        lo = self.number({"0": value[0]}, "0", full, bounds)
        hi = self.number({"1": value[1]}, "1", full, bounds)
        if lo > hi:
            raise self.fail(full, f"low {lo:g} is above high {hi:g}", "low <= high")
        return (lo, hi)

    def numbers(self, doc: Mapping, key: str, path: str) -> dict[str, float]:
        full = f"{path}.{key}"
        table = self.table(doc, key, path, None)
        out = {}
        for name in table:
            if not isinstance(name, str) or not _ID_RE.match(name):
                raise self.fail(f"{full}.{_key_text(name)}", "is not a name", "names of letters, digits, '_'")
            out[name] = self.number(table, name, full, (-1e300, 1e300, True))
        return out


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
    kind = "JSON" if fmt == "json" else "TOML"
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
# validation


def validate_hardware(table: Mapping[str, Any], source: str, path: str = "hardware") -> dict[str, Any]:
    """Validate a ``[hardware]`` table; returns it with the canonical GPU name."""
    ck = _Checker(source)
    t = ck.checked(table, path, set(_HARDWARE))
    out: dict[str, Any] = {}
    for key in t:
        kind, bounds = _HARDWARE[key]
        if kind == "gpu":
            name = ck.string(t, key, path, limit=80)
            try:
                out[key] = get_accelerator(name).name
            except KeyError:
                raise ck.fail(f"{path}.gpu", f"{name!r} is not in the GPU catalogue",
                              "one of " + ", ".join(CATALOGUE)) from None  # fmt: skip
        elif kind == "precision":
            out[key] = ck.choice(t, key, path, ("bf16", "fp8"))
        elif kind == "int":
            out[key] = ck.integer(t, key, path, bounds)  # type: ignore[arg-type]
        else:
            out[key] = ck.number(t, key, path, bounds)  # type: ignore[arg-type]
    if out.get("precision") == "fp8":
        acc = CATALOGUE[out.get("gpu", "H100 SXM")]
        if acc.fp8_flops is None:
            raise ck.fail(f"{path}.precision", f"{acc.name} has no FP8 peak in the catalogue", '"bf16"')
    return out


def validate_budget(table: Mapping[str, Any], source: str, path: str = "budget") -> dict[str, Any]:
    """Validate a ``[budget]`` table (at most one of ``flops`` and ``gpu_hours``)."""
    ck = _Checker(source)
    t = ck.checked(table, path, set(_BUDGET))
    out: dict[str, Any] = {}
    for key in t:
        kind, bounds = _BUDGET[key]
        out[key] = ck.integer(t, key, path, bounds) if kind == "int" else ck.number(t, key, path, bounds)
    if "flops" in t and "gpu_hours" in t:
        raise ck.fail(f"{path}.gpu_hours", "given together with budget.flops", "one budget: flops or gpu_hours")
    return out


def validate_fit(table: Mapping[str, Any], source: str, path: str = "meta.fit") -> dict[str, Any]:
    """Validate a ``[meta.fit]`` provenance table (keys in :data:`FIT_KEYS`)."""
    ck = _Checker(source)
    t = ck.checked(table, path, set(_FIT))
    out: dict[str, Any] = {}
    for key in t:
        kind, bounds = _FIT[key]
        full = f"{path}.{key}"
        if kind == "int":
            out[key] = ck.integer(t, key, path, bounds)  # type: ignore[arg-type]
        elif kind == "float":
            out[key] = ck.number(t, key, path, bounds)  # type: ignore[arg-type]
        elif kind == "bool":
            out[key] = ck.boolean(t, key, path)
        elif kind == "form":
            out[key] = ck.choice(t, key, path, tuple(_FORMS))
        elif kind == "loss_fn":
            out[key] = ck.choice(t, key, path, ("huber", "ls"))
        elif kind == "sha256":
            digest = ck.string(t, key, path, limit=100)
            if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
                raise ck.fail(full, "is not a SHA-256 digest", "64 hexadecimal digits")
            out[key] = digest.lower()
        elif kind == "date":
            out[key] = ck.date(t, key, path)
        elif kind == "numbers":
            out[key] = ck.numbers(t, key, path)
        else:
            out[key] = ck.string(t, key, path)
    if "n_points" in out and "n_dropped" in out and out["n_dropped"] > 10**12 - out["n_points"]:
        raise ck.fail(f"{path}.n_dropped", "is absurdly large", "fewer dropped runs than 1e12")
    return out


def validate_bootstrap(table: Mapping[str, Any], source: str, form: str,
                       path: str = "law.bootstrap") -> tuple[np.ndarray, float]:
    """Validate a ``[law.bootstrap]`` table; returns (read-only samples array, level).

    See :func:`validate_bootstrap_table`, which also returns the extrapolation calibration.
    """
    checked = validate_bootstrap_table(table, source, form, path)
    return checked.samples, checked.level


@dataclass(frozen=True, slots=True)
class BootstrapTable:
    """A validated ``[law.bootstrap]``: samples (read-only), level, the optional
    ``extrapolation`` calibration table and provenance keys (seed, data_sha256, data_file)."""

    samples: np.ndarray
    level: float
    extrapolation: Mapping[str, Any] | None
    provenance: Mapping[str, Any]


def _decode_samples(ck: _Checker, t: Mapping[str, Any], path: str, width: int) -> np.ndarray:
    """The ``encoding``/``shape``/``data``/``sha256`` form of the samples (compact, fast to parse)."""
    for key in ("encoding", "shape", "sha256"):
        if key not in t:
            raise ck.fail(f"{path}.{key}", "missing", {"encoding": f"encoding = {SAMPLES_ENCODING!r}",
                                                       "shape": "[rows, columns]",
                                                       "sha256": "the SHA-256 of the decoded bytes"}[key])  # fmt: skip
    if t["encoding"] != SAMPLES_ENCODING:
        shown = repr(t["encoding"])[:40] if isinstance(t["encoding"], str) else f"a {_type_name(t['encoding'])}"
        raise ck.fail(f"{path}.encoding", f"{shown} is not known", repr(SAMPLES_ENCODING))
    shape = t["shape"]
    if (not isinstance(shape, list) or len(shape) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)):  # fmt: skip
        raise ck.fail(f"{path}.shape", f"is {repr(shape)[:40]}", "[rows, columns], two whole numbers")
    rows, cols = shape
    if cols != width:
        raise ck.fail(f"{path}.shape", f"has {cols} columns", f"{width} (one per name)")
    if not 1 <= rows <= MAX_BOOTSTRAP_ROWS:
        raise ck.fail(f"{path}.shape", f"has {rows} rows", f"1 to {MAX_BOOTSTRAP_ROWS} rows")
    data = t["data"]
    if not isinstance(data, str):
        raise ck.fail(f"{path}.data", f"is a {_type_name(data)}", "a base64 string")
    import base64
    import binascii
    import hashlib

    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ck.fail(f"{path}.data", "is not valid base64", "base64 of little-endian float64 values") from None
    if len(raw) != rows * cols * 8:
        raise ck.fail(f"{path}.data", f"holds {len(raw)} bytes", f"{rows * cols * 8} bytes for shape {shape}")
    digest = t["sha256"]
    if not isinstance(digest, str) or digest.lower() != hashlib.sha256(raw).hexdigest():
        raise ck.fail(f"{path}.sha256", "does not match the decoded samples", "the SHA-256 of the decoded bytes "
                      "(the file was altered or truncated)")
    return np.frombuffer(raw, dtype="<f8").astype(float).reshape(rows, cols)


def validate_bootstrap_table(table: Mapping[str, Any], source: str, form: str,
                             path: str = "law.bootstrap") -> BootstrapTable:
    """Validate a ``[law.bootstrap]`` table.

    ``names`` must be the fitted coefficients of ``form`` (:data:`BOOTSTRAP_NAMES`) in order;
    the samples are either ``samples``, 1 to :data:`MAX_BOOTSTRAP_ROWS` rows of that many
    numbers (older files), or ``encoding = "f64le-base64"``, ``shape = [rows, columns]``,
    ``data`` (base64 of the little-endian float64 values, row by row) and ``sha256`` (of the
    decoded bytes); finite, positive (E of the Chinchilla form may be 0); ``level`` in (0, 1).
    Optional: ``seed``, ``data_sha256``, ``data_file`` (where the samples came from) and the
    ``[law.bootstrap.extrapolation]`` table (:data:`EXTRAPOLATION_KEYS`).
    """
    ck = _Checker(source)
    t = ck.checked(table, path, _BOOTSTRAP_KEYS)
    expected = BOOTSTRAP_NAMES.get(form)
    if expected is None:
        raise ck.fail(path, f"bootstrap samples are not supported for form {form!r}",
                      "form chinchilla or kaplan")  # fmt: skip
    if "samples" in t and "data" in t:
        raise ck.fail(f"{path}.data", "given beside samples", "either samples (rows) or data (encoded), not both")
    for key in ("level", "names", "samples" if "data" not in t else "data"):
        if key not in t:
            raise ck.fail(f"{path}.{key}", "missing", {"level": "a number in (0, 1)", "names": "a list of names",
                                                       "samples": "a list of rows", "data": "a base64 string"}[key])  # fmt: skip
    level = ck.number(t, "level", path, (0.0, 1.0, False))
    if level >= 1.0:
        raise ck.fail(f"{path}.level", f"{level:g} is out of range", "a number in (0, 1)")
    names = t["names"]
    if not isinstance(names, list) or [str(n) for n in names] != list(expected) or not all(
            isinstance(n, str) for n in names):  # fmt: skip
        shown = repr(names)[:80] if isinstance(names, list) else f"a {_type_name(names)}"
        raise ck.fail(f"{path}.names", f"is {shown}", f"{list(expected)} for form {form!r}")
    width = len(expected)
    if "data" in t:
        arr = _decode_samples(ck, t, path, width)
    else:
        for key in ("encoding", "shape", "sha256"):
            if key in t:
                raise ck.fail(f"{path}.{key}", "given without data", "data (encoded samples) or no " + key)
        rows = t["samples"]
        if not isinstance(rows, list):
            raise ck.fail(f"{path}.samples", f"is a {_type_name(rows)}", "a list of rows")
        if not 1 <= len(rows) <= MAX_BOOTSTRAP_ROWS:
            raise ck.fail(f"{path}.samples", f"has {len(rows)} rows", f"1 to {MAX_BOOTSTRAP_ROWS} rows")
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != width:
                shown = f"a list of {len(row)}" if isinstance(row, list) else f"a {_type_name(row)}"
                raise ck.fail(f"{path}.samples.{i}", f"is {shown}", f"a list of {width} numbers ({', '.join(expected)})")
            for j, x in enumerate(row):
                if isinstance(x, bool) or not isinstance(x, int | float):
                    raise ck.fail(f"{path}.samples.{i}.{j}", f"is a {_type_name(x)}", "a number")
        try:
            arr = np.array(rows, dtype=float)
        except OverflowError:
            raise ck.fail(f"{path}.samples", "has a number too large to convert", "finite numbers") from None
    where = "samples" if "data" not in t else "data"
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ck.fail(f"{path}.{where}.{i}.{j}", f"is {float(arr[i, j])!r}", "a finite number")
    low_ok = arr > 0
    if form == "chinchilla":
        low_ok[:, 0] = arr[:, 0] >= 0  # the irreducible loss E may be 0
    if not low_ok.all():
        i, j = (int(v) for v in np.argwhere(~low_ok)[0])
        raise ck.fail(f"{path}.{where}.{i}.{j}", f"{arr[i, j]:g} ({expected[j]}) is out of range",
                      f"{'>= 0' if (form, j) == ('chinchilla', 0) else '> 0'}")  # fmt: skip
    arr.setflags(write=False)
    provenance: dict[str, Any] = {}
    if "seed" in t:
        provenance["seed"] = ck.integer(t, "seed", path, (0, 2**64, True))
    if "data_sha256" in t:
        digest = ck.string(t, "data_sha256", path, limit=100)
        if not re.fullmatch(r"[0-9a-fA-F]{64}", digest):
            raise ck.fail(f"{path}.data_sha256", "is not a SHA-256 digest", "64 hexadecimal digits")
        provenance["data_sha256"] = digest.lower()
    if "data_file" in t:
        provenance["data_file"] = ck.string(t, "data_file", path, limit=300)
    extrapolation = None
    if "extrapolation" in t:
        extrapolation = _validate_extrapolation(ck, t["extrapolation"], f"{path}.extrapolation")
    return BootstrapTable(arr, level, extrapolation, MappingProxyType(provenance))


def _validate_extrapolation(ck: _Checker, value: Any, path: str) -> Mapping[str, Any]:
    t = ck.checked(value, path, set(EXTRAPOLATION_KEYS))
    for key in ("folds", "points", "near_sd", "growth_sd", "max_decades"):
        if key not in t:
            raise ck.fail(f"{path}.{key}", "missing", "a number")
    out: dict[str, Any] = {
        "method": ck.choice(t, "method", path, ("rolling-origin",), default="rolling-origin"),
        "folds": ck.integer(t, "folds", path, (1, 1000, True)),
        "points": ck.integer(t, "points", path, (1, 10**9, True)),
        "near_sd": ck.number(t, "near_sd", path, (0.0, 10.0, True)),
        "growth_sd": ck.number(t, "growth_sd", path, (0.0, 10.0, True)),
        "max_decades": ck.number(t, "max_decades", path, (0.0, 100.0, True)),
    }
    out["horizon"] = ck.number(t, "horizon", path, (1.0, 1e6, True)) if "horizon" in t else 16.0
    return MappingProxyType(out)


def _check_law_numbers(law: Law, ck: _Checker) -> None:
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
        raise ck.fail("law.coefficients", f"these coefficients give a non-finite {what} "
                      f"at C = {c:.0e} FLOPs", f"a law that is finite from {MIN_FLOPS:g} to {MAX_FLOPS:g} FLOPs")


def law_from_document(doc: Mapping[str, Any], source: str) -> Preset:
    """Validate a parsed preset document (any supported schema version) and build its law."""
    ck = _Checker(source)
    if not isinstance(doc, Mapping):
        raise ck.fail("", f"top level is a {_type_name(doc)}", "a table")
    if "schema_version" not in doc:
        raise ck.fail("schema_version", "missing", f"schema_version = {SCHEMA_VERSION}")
    version = doc["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ck.fail("schema_version", f"is a {_type_name(version)}", "an integer")
    if version == SCHEMA_VERSION:
        return _build(doc, ck, version)
    migrated = migrate(doc, source)
    try:
        return _build(migrated, ck, version)
    except PresetError as exc:
        raise PresetError(source, exc.key, f"{exc.reason} (after migrating from schema_version {version})",
                          exc.expected) from None  # fmt: skip


def _build(doc: Mapping[str, Any], ck: _Checker, file_version: int) -> Preset:
    unknown = sorted(set(doc) - _TOP_KEYS, key=str)
    if unknown:
        raise ck.fail(_key_text(unknown[0]), "unknown key", "one of " + ", ".join(sorted(_TOP_KEYS)))
    meta = ck.table(doc, "meta", "", _META_KEYS)
    preset_id = ck.string(meta, "id", "meta", limit=200)
    if not _ID_RE.match(preset_id):
        raise ck.fail("meta.id", f"{preset_id[:80]!r} is not a valid id",
                      "1-80 letters, digits, '-', '_' or '.'")  # fmt: skip
    title = ck.string(meta, "name", "meta", limit=300)
    if not title.strip():
        raise ck.fail("meta.name", "is empty", "a short human-readable name")
    notes = ck.string(meta, "notes", "meta", required=False, limit=MAX_NOTES_TEXT)
    warnings = meta.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise ck.fail("meta.warnings", f"is a {_type_name(warnings)}", "a list of strings")
    if len(warnings) > MAX_WARNINGS or any(len(w) > MAX_SHORT_TEXT for w in warnings):
        raise ck.fail("meta.warnings", "is too long", f"at most {MAX_WARNINGS} strings of {MAX_SHORT_TEXT} characters")
    default = ck.boolean(meta, "default", "meta") if "default" in meta else False
    meta_out: dict[str, Any] = {"id": preset_id, "name": title}
    if "notes" in meta:
        meta_out["notes"] = notes
    if warnings:
        meta_out["warnings"] = list(warnings)
    if "default" in meta:
        meta_out["default"] = default
    if "author" in meta:
        meta_out["author"] = ck.string(meta, "author", "meta", limit=300)
    if "date" in meta:
        meta_out["date"] = ck.date(meta, "date", "meta")
    fit: dict[str, Any] = {}
    if "fit" in meta:
        fit = validate_fit(ck.table(meta, "fit", "meta", None), ck.source)
        meta_out["fit"] = fit

    law = ck.table(doc, "law", "", _LAW_KEYS)
    form = ck.choice(law, "form", "law", tuple(_FORMS))
    n_meaning = ck.choice(law, "n_params", "law", _N_MEANINGS, default="total")
    cit = ck.table(law, "citation", "law", _CITATION_KEYS)
    citation = Citation(
        text=ck.string(cit, "text", "law.citation"),
        arxiv=ck.string(cit, "arxiv", "law.citation", required=False, limit=200),
        locator=ck.string(cit, "locator", "law.citation", required=False),
        status=ck.choice(cit, "status", "law.citation", _STATUSES, default="CONFIRMED"),
    )
    if not citation.text.strip():
        raise ck.fail("law.citation.text", "is empty", "the paper, or where the fitted data came from")

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
    int_raw = ck.table(law, "intervals", "law", set(spec), required=False)
    intervals: dict[str, tuple[float, float]] = {}
    for name in int_raw:
        lo, hi, _ = spec[name]
        pair = ck.pair(int_raw, name, "law.intervals", (lo, hi, True))
        assert pair is not None
        intervals[name] = pair
    boot_samples, boot_level, calibration = None, None, None
    if "bootstrap" in law:
        boot = validate_bootstrap_table(ck.table(law, "bootstrap", "law", None), ck.source, form)
        boot_samples, boot_level, calibration = boot.samples, boot.level, boot.extrapolation
    rng = ck.table(law, "fitted_range", "law", _RANGE_KEYS, required=False)
    fitted = FittedRange(*(ck.pair(rng, k, "law.fitted_range") for k in ("n_params", "n_tokens", "flops")))

    info = LawInfo(
        id=preset_id,
        title=title,
        citation=citation,
        n_meaning=n_meaning,  # type: ignore[arg-type]
        loss_unit=ck.string(law, "loss_unit", "law", required=False, default="nats/token", limit=300),
        compute=ck.string(law, "compute", "law", required=False, default="C = 6ND", limit=300),
        fitted_range=fitted,
        uncertainty=MappingProxyType(uncertainty),
        notes=notes,
        warnings=tuple(warnings),
        source=ck.source,
        bootstrap_samples=boot_samples,
        bootstrap_level=boot_level,
        calibration=calibration,
    )
    built: Law
    try:
        if form == "chinchilla":
            built = ChinchillaLaw(info, **coefs)
        elif form == "data_constrained":
            built = DataConstrainedLaw(info, **coefs)
        elif form == "kaplan":
            given = [name for name in KaplanLaw.ALLOCATION if name in coefs]
            if given and len(given) != len(KaplanLaw.ALLOCATION):
                missing = next(name for name in KaplanLaw.ALLOCATION if name not in coefs)
                raise ck.fail(f"law.coefficients.{missing}", "missing",
                              "all six of alpha_C, C_c, n_coef, n_exp, d_coef, d_exp, or none of them "
                              "(a loss-only Kaplan law)")  # fmt: skip
            built = KaplanLaw(info, **coefs)
        else:
            rule = ck.choice(law, "rule", "law", _RULES, default="power_law")
            if rule != "tokens_only":
                for name in ("n_coef", "n_exp"):
                    if name not in coefs:
                        raise ck.fail(f"law.coefficients.{name}", "missing", f"a number (rule {rule!r})")
            built = PowerLawAllocation(info, rule=rule, **coefs)  # type: ignore[arg-type]
    except (OverflowError, ZeroDivisionError) as exc:
        raise ck.fail("law.coefficients", f"these coefficients overflow ({exc})", "a law with finite optimum") from None
    if form != "power_law" and "rule" in law:
        raise ck.fail("law.rule", f"applies only to form 'power_law', not {form!r}", "no rule key")
    _check_law_numbers(built, ck)

    hardware = validate_hardware(ck.table(doc, "hardware", "", None), ck.source) if "hardware" in doc else {}
    budget = validate_budget(ck.table(doc, "budget", "", None), ck.source) if "budget" in doc else {}
    extra: dict[str, Any] = {"meta": meta_out}
    if hardware:
        extra["hardware"] = hardware
    if budget:
        extra["budget"] = budget
    if intervals:
        extra["intervals"] = intervals
    return Preset(
        law=built, path=None, default=default, extra=MappingProxyType(extra),
        hardware=MappingProxyType(hardware), budget=MappingProxyType(budget),
        meta=MappingProxyType(meta_out), intervals=MappingProxyType(intervals),
        fit=MappingProxyType(fit), schema_version=file_version,
    )  # fmt: skip


_POS_OR_ZERO = (0.0, 1e30, True)


def load_preset_text(text: str | bytes, source: str, fmt: str = "toml") -> Preset:
    """Parse and validate preset text (for tests, the clipboard, or a file already read)."""
    return law_from_document(parse_document(text, source, fmt), source)


def load_preset_file(path: str | Path) -> Preset:
    """Read, validate and build the preset in ``path`` (``.toml`` or ``.json``)."""
    path = Path(path)
    source = str(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise PresetError(source, "", "is a folder", "a .toml or .json file")
        if size > MAX_PRESET_BYTES:
            raise PresetError(source, "", f"file is {size:,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes")
        with path.open("rb") as fh:  # read at most the limit, even if the file grows meanwhile
            data = fh.read(MAX_PRESET_BYTES + 1)
    except PresetError:
        raise
    except OSError as exc:
        raise PresetError(source, "", f"cannot read file: {exc.strerror or exc}") from None
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    return load_preset_text(data, source, fmt).with_path(path)


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
