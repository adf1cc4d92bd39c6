"""Autosave of the current plan inputs, so a crash or a kill loses nothing (Qt-free).

The window calls :func:`save` whenever the inputs settle (debounced) and :func:`restore`
at start-up; the file is JSON in the user's state folder::

    {"autosave_version": 1, "saved_at": "2025-01-31T12:00:00+00:00",
     "inputs": {"preset": "epoch-2024",            # a preset id, or a preset file path
                "budget": {"flops": 1e24, "context": 4096},    # the [budget] keys of a preset
                "hardware": {"gpu": "H100 SXM", "n_gpus": 1024, "mfu": 0.4},  # [hardware] keys
                "sliders": {"vocab_size": 32000, "log_flops": 24.0}}}         # free-form numbers

* Where: ``platformdirs.user_state_dir("compute-budget-planner")/autosave.json``; the
  ``PLANNER_STATE_DIR`` environment variable replaces the folder (tests, portable installs).
* Writing is atomic (:func:`planner.files.atomic.atomic_write_text`): a kill mid-save leaves the
  previous autosave. Identical inputs are not rewritten (cheap to call on every change).
* Reading never raises (and never blocks: a FIFO or device at the path is reported, not read):
  :func:`restore` returns :class:`Restored` with ``inputs=None`` and a one-line ``error``
  (file, key path, reason) for a corrupt or hand-edited file, which is moved aside to
  ``autosave.json.corrupt`` so the next start is clean. Budget and hardware
  are validated with the preset rules (:func:`planner.presets.load.validate_budget`,
  :func:`planner.presets.load.validate_hardware`); slider values must be finite numbers,
  booleans or short strings.

API: ``state_dir()``, ``autosave_path()``, ``save(inputs, path=None) -> bool`` (True if
written), ``restore(path=None) -> Restored``, ``clear(path=None)``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.files.atomic import atomic_write_text
from planner.files.special import NotRegularFileError, read_regular_file
from planner.presets.load import PresetError, _key_text, validate_budget, validate_hardware

APP_NAME = "compute-budget-planner"
ENV_STATE_DIR = "PLANNER_STATE_DIR"
AUTOSAVE_VERSION = 1
MAX_AUTOSAVE_BYTES = 256 * 1024
_INPUT_KEYS = {"preset", "budget", "hardware", "sliders"}
_last_written: dict[str, str] = {}

__all__ = ["Restored", "autosave_path", "clear", "restore", "save", "state_dir"]


def state_dir() -> Path:
    """The user's state folder (``PLANNER_STATE_DIR`` if set, else platformdirs')."""
    env = os.environ.get(ENV_STATE_DIR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def autosave_path() -> Path:
    return state_dir() / "autosave.json"


@dataclass(frozen=True)
class Restored:
    """What :func:`restore` found: ``inputs`` (None if nothing usable) and why not."""

    inputs: dict[str, Any] | None
    error: str | None = None
    saved_at: str | None = None
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _check_inputs(inputs: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Validate plan inputs; raises :class:`PresetError` with a key path."""
    if not isinstance(inputs, Mapping):
        raise PresetError(source, "inputs", f"is a {type(inputs).__name__}", "a table")
    unknown = sorted(set(inputs) - _INPUT_KEYS, key=str)
    if unknown:
        raise PresetError(source, f"inputs.{_key_text(unknown[0])}", "unknown key",
                          "one of " + ", ".join(sorted(_INPUT_KEYS)))  # fmt: skip
    out: dict[str, Any] = {}
    if "preset" in inputs:
        preset = inputs["preset"]
        if not isinstance(preset, str) or not 0 < len(preset) <= 4096:
            raise PresetError(source, "inputs.preset", "is not a preset id or path", "a non-empty string")
        out["preset"] = preset
    if "budget" in inputs:
        out["budget"] = validate_budget(inputs["budget"], source, "inputs.budget")
    if "hardware" in inputs:
        out["hardware"] = validate_hardware(inputs["hardware"], source, "inputs.hardware")
    if "sliders" in inputs:
        sliders = inputs["sliders"]
        if not isinstance(sliders, Mapping):
            raise PresetError(source, "inputs.sliders", f"is a {type(sliders).__name__}", "a table")
        clean: dict[str, Any] = {}
        for name, value in sliders.items():
            key = f"inputs.sliders.{_key_text(name)}"
            if not isinstance(name, str) or len(name) > 80:
                raise PresetError(source, key, "is not a short name", "names up to 80 characters")
            if isinstance(value, bool) or value is None:
                clean[name] = value
            elif isinstance(value, int | float):
                try:
                    finite = math.isfinite(float(value))
                except OverflowError:
                    finite = False
                if not finite:
                    raise PresetError(source, key, f"is {value!r}"[:60], "a finite number")
                clean[name] = value
            elif isinstance(value, str) and len(value) <= 4096:
                clean[name] = value
            else:
                raise PresetError(source, key, f"is a {type(value).__name__}", "a number, boolean or short string")
        out["sliders"] = clean
    return out


def save(inputs: Mapping[str, Any], path: str | os.PathLike[str] | None = None) -> bool:
    """Validate and atomically write ``inputs``; returns False if unchanged since the last save.

    Raises :class:`PresetError` (nothing written) for invalid inputs and ``OSError`` if the
    folder cannot be written.
    """
    target = Path(path) if path is not None else autosave_path()
    clean = _check_inputs(inputs, str(target))
    body = json.dumps(clean, sort_keys=True, allow_nan=False)
    if _last_written.get(str(target)) == body and target.exists():
        return False
    doc = {
        "autosave_version": AUTOSAVE_VERSION,
        "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "inputs": clean,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(doc, indent=2, allow_nan=False) + "\n")
    _last_written[str(target)] = body
    return True


def restore(path: str | os.PathLike[str] | None = None) -> Restored:
    """Read the autosave; never raises. A corrupt file is moved aside (``.corrupt``)."""
    target = Path(path) if path is not None else autosave_path()
    source = str(target)
    try:
        try:  # regular files only: a FIFO here would block the window's start-up forever
            data = read_regular_file(target, MAX_AUTOSAVE_BYTES)
        except FileNotFoundError:
            return Restored(None, None, path=target)
        except NotRegularFileError as exc:
            return Restored(None, str(exc), path=target)  # not ours to move aside
        if len(data) > MAX_AUTOSAVE_BYTES:
            raise PresetError(source, "", f"file is over {MAX_AUTOSAVE_BYTES:,} bytes",
                              f"at most {MAX_AUTOSAVE_BYTES:,}")  # fmt: skip
        try:
            doc = json.loads(data.decode("utf-8"), parse_constant=float)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise PresetError(source, "", f"not valid JSON: {str(exc).splitlines()[0][:120]}") from None
        if not isinstance(doc, dict):
            raise PresetError(source, "", "top level is not an object", "a JSON object")
        version = doc.get("autosave_version")
        if version != AUTOSAVE_VERSION:
            raise PresetError(source, "autosave_version", f"is {str(version)[:20]}", f"{AUTOSAVE_VERSION}")
        inputs = _check_inputs(doc.get("inputs", {}), source)
        saved_at = doc.get("saved_at") if isinstance(doc.get("saved_at"), str) else None
        return Restored(inputs, None, saved_at, target)
    except PresetError as exc:
        _move_aside(target)
        return Restored(None, str(exc), path=target)
    except OSError as exc:
        return Restored(None, f"{source}: cannot read autosave: {exc.strerror or exc}", path=target)


def _move_aside(target: Path) -> None:
    with contextlib.suppress(OSError):
        os.replace(target, target.with_name(target.name + ".corrupt"))
    _last_written.pop(str(target), None)


def clear(path: str | os.PathLike[str] | None = None) -> None:
    """Remove the autosave (after a clean exit, if the window chooses to)."""
    target = Path(path) if path is not None else autosave_path()
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    _last_written.pop(str(target), None)
