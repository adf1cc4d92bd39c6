"""Write preset files (TOML with tomli-w, or JSON) that the loader reads back unchanged.

Public API::

    write_preset(path, law, *, hardware=None, budget=None, meta_extra=None, fit=None,
                 intervals=None, uncertainty=None, header=None) -> Preset
    preset_document(law, ...same keywords...) -> dict      # the document, not yet validated
    dumps_preset(law, ..., fmt="toml" | "json") -> str     # validated text

``law`` is any :class:`planner.laws.forms.Law` (from a preset, or built by ``planner fit``); its
``info`` supplies ``[meta]`` id/name/notes/warnings and ``[law]`` form, what N means,
loss unit, compute convention, citation and fitted range.

* ``hardware``: a mapping with ``gpu``, ``n_gpus``, ``mfu``, ``usd_per_gpu_hour``,
  ``precision``, or a :class:`planner.costs.hardware.Hardware` (all five written).
* ``budget``: a mapping with ``flops`` *or* ``gpu_hours``, ``context``, ... (see
  ``docs/presets.md``).
* ``meta_extra``: more ``[meta]`` keys, typically ``author``, ``date`` (a
  ``datetime.date``/``datetime`` or ISO string), ``notes``, ``warnings``. ``date``
  defaults to today.
* ``fit``: the ``[meta.fit]`` provenance of a fitted preset: ``objective``, ``n_points``,
  ``n_dropped``, ``data_sha256``, ``data_file``, ``date``, ``form``, ``loss_fn``, ``delta``
  (omit for least squares), ``pinned`` {name: value}, ``se`` {name: value}, ``n_bootstrap``,
  ``level``, ``seed``, ``converged``, ``message``, ``n_starts``, ``n_refined``,
  ``n_at_best``, ``grad_norm``, ``seconds``, ``tool``, ``planner_version``
  (:data:`planner.presets.load.FIT_KEYS`). ``None`` values are dropped; numpy scalars are fine.
* ``intervals``: {coefficient: (lo, hi)}, written as ``[law.intervals]``.
* ``uncertainty``: {coefficient: standard error}; defaults to ``law.info.uncertainty``.
* bootstrap samples: ``law.info.bootstrap_samples`` (and ``bootstrap_level``), when set,
  are written as ``[law.bootstrap]`` (``level``, ``names``, and the samples encoded as
  ``encoding = "f64le-base64"``, ``shape``, ``data``, ``sha256``; :func:`bootstrap_table`),
  with ``law.info.calibration`` as ``[law.bootstrap.extrapolation]`` and the optional
  ``bootstrap_extra`` provenance (``seed``, ``data_sha256``, ``data_file``).
* ``header``: comment text put at the top of a TOML file (one ``#`` line per line).

The document is validated by the same code that loads presets *before* anything is written,
so a bad value raises :class:`planner.presets.load.PresetError` naming ``path`` and the key
(e.g. ``meta.fit.delta``) and the old file, if any, is untouched. The file is written with
:func:`planner.files.atomic.atomic_write_text` (temporary file, fsync, rename). Returns the
:class:`planner.presets.load.Preset` as the loader would read it.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from planner.costs.hardware import Hardware
from planner.files.atomic import atomic_write_text, check_target
from planner.laws import Law
from planner.presets.load import (
    BOOTSTRAP_NAMES,
    MAX_PRESET_BYTES,
    SAMPLES_ENCODING,
    SCHEMA_VERSION,
    Preset,
    PresetError,
    law_from_document,
)

__all__ = ["bootstrap_table", "dumps_preset", "preset_document", "write_preset"]


def _plain(value: Any) -> Any:
    """numpy scalars -> float/int, tuples -> lists, None dropped from mappings."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | str | int | float | _dt.date | _dt.datetime):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    if isinstance(value, Path):
        return str(value)
    return value  # left for validation to name


def _hardware_table(hardware: Hardware | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(hardware, Hardware):
        return {
            "gpu": hardware.accelerator.name,
            "n_gpus": hardware.n_gpus,
            "mfu": hardware.mfu,
            "usd_per_gpu_hour": hardware.price,
            "precision": hardware.precision,
        }
    return _plain(hardware)


def preset_document(
    law: Law,
    *,
    hardware: Hardware | Mapping[str, Any] | None = None,
    budget: Mapping[str, Any] | None = None,
    meta_extra: Mapping[str, Any] | None = None,
    fit: Mapping[str, Any] | None = None,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    uncertainty: Mapping[str, float] | None = None,
    bootstrap_extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The version-1 document for ``law`` and the optional tables (not validated)."""
    info = law.info
    meta: dict[str, Any] = {"id": info.id, "name": info.title}
    if info.notes:
        meta["notes"] = info.notes
    if info.warnings:
        meta["warnings"] = list(info.warnings)
    meta["date"] = _dt.date.today()
    meta.update(_plain(meta_extra or {}))
    if fit:
        meta["fit"] = _plain(fit)
    cit = info.citation
    citation = {"text": cit.text}
    if cit.arxiv:
        citation["arxiv"] = cit.arxiv
    if cit.locator:
        citation["locator"] = cit.locator
    citation["status"] = cit.status
    law_t: dict[str, Any] = {
        "form": law.form,
        "n_params": info.n_meaning,
        "loss_unit": info.loss_unit,
        "compute": info.compute,
    }
    rule = getattr(law, "rule", None)
    if law.form == "power_law" and rule:
        law_t["rule"] = rule
    law_t["citation"] = citation
    law_t["coefficients"] = _plain(law.coefficients())
    unc = info.uncertainty if uncertainty is None else uncertainty
    if unc:
        law_t["uncertainty"] = _plain(dict(unc))
    if intervals:
        law_t["intervals"] = _plain({k: list(v) for k, v in intervals.items()})
    fr = info.fitted_range
    rng = {k: list(v) for k, v in (("n_params", fr.n_params), ("n_tokens", fr.n_tokens), ("flops", fr.flops)) if v}
    if rng:
        law_t["fitted_range"] = _plain(rng)
    if info.bootstrap_samples is not None:
        law_t["bootstrap"] = bootstrap_table(law, bootstrap_extra)
    doc: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "meta": meta, "law": law_t}
    if hardware:
        doc["hardware"] = _hardware_table(hardware)
    if budget:
        doc["budget"] = _plain(budget)
    return doc


def bootstrap_table(law: Law, extra: Mapping[str, Any] | None = None, *, rows: bool = False) -> dict[str, Any]:
    """``[law.bootstrap]`` of ``law``: level, names, the samples (compact ``f64le-base64``
    encoding with shape and sha256; ``rows=True`` gives the older one-row-per-sample list),
    ``extra`` provenance keys (``seed``, ``data_sha256``, ``data_file``) and, when the law
    carries one, the ``[law.bootstrap.extrapolation]`` calibration table."""
    info = law.info
    samples = np.asarray(info.bootstrap_samples, dtype=float)
    table: dict[str, Any] = {
        "level": float(info.bootstrap_level if info.bootstrap_level is not None else 0.95),
        "names": list(BOOTSTRAP_NAMES.get(law.form, ())),
    }
    if rows:
        table["samples"] = samples.tolist()
    else:
        raw = np.ascontiguousarray(samples, dtype="<f8").tobytes()
        table.update({"encoding": SAMPLES_ENCODING, "shape": list(samples.shape),
                      "data": base64.b64encode(raw).decode("ascii"), "sha256": hashlib.sha256(raw).hexdigest()})
    table.update(_plain(dict(extra or {})))
    if info.calibration:
        table["extrapolation"] = _plain(dict(info.calibration))
    return table


# A base64 string has no quote or backslash: written as a TOML literal string ('...'), which
# tomllib reads ~10x faster than a basic string ("...") of the same 53 kB.
_DATA_LINE = re.compile(r'^data = "([A-Za-z0-9+/=]*)"$', re.MULTILINE)


def _json_default(value: Any) -> Any:
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__}")


def _dumps(doc: dict[str, Any], fmt: str, header: str | None, source: str) -> str:
    try:
        if fmt == "json":
            return _check_size(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False,
                                          default=_json_default) + "\n", source)
        body = _DATA_LINE.sub(r"data = '\1'", tomli_w.dumps(doc, multiline_strings=True))
    except (TypeError, ValueError) as exc:
        raise PresetError(source, "", f"cannot be written: {exc}") from None
    lines = [f"# {line}".rstrip() for line in (header or "").splitlines()]
    text = ("\n".join(lines) + "\n" if lines else "") + body
    return _check_size(text, source)


def _check_size(text: str, source: str) -> str:
    size = len(text.encode("utf-8"))
    if size > MAX_PRESET_BYTES:
        raise PresetError(source, "", f"would be {size:,} bytes", f"at most {MAX_PRESET_BYTES:,} bytes, "
                          "the loader's limit (fewer bootstrap samples or shorter notes)")  # fmt: skip
    return text


def dumps_preset(law: Law, *, fmt: str = "toml", header: str | None = None, source: str = "<preset>",
                 **tables: Any) -> str:  # fmt: skip
    """Validated preset text (``fmt`` "toml" or "json"); keywords as :func:`write_preset`."""
    doc = preset_document(law, **tables)
    _validate(doc, source)
    return _dumps(doc, fmt, header, source)


def _validate(doc: dict[str, Any], source: str) -> Preset:
    _check_finite(doc, source, "")
    return law_from_document(doc, source)


def _check_finite(value: Any, source: str, path: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise PresetError(source, path, f"is {value!r}", "a finite number")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_finite(v, source, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_finite(v, source, f"{path}.{i}")


def write_preset(
    path: str | Path,
    law: Law,
    *,
    hardware: Hardware | Mapping[str, Any] | None = None,
    budget: Mapping[str, Any] | None = None,
    meta_extra: Mapping[str, Any] | None = None,
    fit: Mapping[str, Any] | None = None,
    intervals: Mapping[str, tuple[float, float]] | None = None,
    uncertainty: Mapping[str, float] | None = None,
    header: str | None = None,
    bootstrap_extra: Mapping[str, Any] | None = None,
) -> Preset:
    """Validate, then atomically write ``law`` (and the optional tables) to ``path``.

    ``.json`` paths get JSON, anything else TOML. Raises :class:`PresetError` (nothing
    written) for invalid content, :class:`planner.files.atomic.WriteError` (an ``OSError``, one
    line naming the file) for an empty path, a target that is not a regular file, an unwritable
    folder or a full disk.
    """
    path = check_target(path)  # before any work; Path("") would silently mean the current folder
    source = str(path)
    doc = preset_document(law, hardware=hardware, budget=budget, meta_extra=meta_extra, fit=fit,
                          intervals=intervals, uncertainty=uncertainty, bootstrap_extra=bootstrap_extra)  # fmt: skip
    preset = _validate(doc, source)
    if preset.hardware:
        doc["hardware"] = dict(preset.hardware)  # canonical GPU names ("h100" -> "H100 SXM")
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    atomic_write_text(path, _dumps(doc, fmt, header, source))
    return preset.with_path(path)
