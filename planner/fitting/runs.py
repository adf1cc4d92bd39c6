"""Load a team's own training runs (one row per run) for fitting a scaling law.

A run is a final loss measured after training a model of N parameters on D tokens. Files may
give D directly or the training compute C (FLOP), in which case D = C / (6 N), the convention
of Hoffmann et al. 2022 (arXiv 2203.15556, Eq. 2-4) and of Besiroglu et al. 2024
(arXiv 2404.10102), whose Chinchilla data set ships "Model Size", "Training FLOP" and "loss"
columns (see LAWS.md §1 and §2.3).

Rows that cannot be used (missing, non-numeric, non-finite or non-positive values) are never
dropped silently: they are listed in :attr:`Runs.skipped` with their row number and reason.

This module needs only numpy; pandas is imported lazily and only for Parquet files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

__all__ = [
    "ALIASES",
    "MAX_BYTES",
    "DataRange",
    "Runs",
    "RunsError",
    "SkippedRow",
    "data_range",
    "drop_highest_loss",
    "extrapolation_warning",
    "flops_extrapolation_warning",
    "load_runs",
]

#: Default file size limit in bytes (50 MB); larger files raise :class:`RunsError`.
MAX_BYTES = 50 * 1024 * 1024

#: Accepted header spellings per role, in priority order. Headers are compared after
#: lower-casing and removing spaces, underscores and dashes.
ALIASES: Mapping[str, tuple[str, ...]] = {
    "n_params": ("n_params", "params", "parameters", "num_params", "model_size", "Model Size",
                 "size", "n"),
    "n_tokens": ("n_tokens", "tokens", "training_tokens", "num_tokens", "data", "d"),
    "flops": ("flops", "training_flop", "Training FLOP", "compute", "c"),
    "loss": ("loss", "final_loss", "val_loss", "eval_loss", "l"),
}
_ROLE_LABEL = {"n_params": "parameter count N", "n_tokens": "tokens D",
               "flops": "training compute C (FLOP)", "loss": "final loss"}
_TEXT_DELIMS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_PARQUET_EXT = {".parquet", ".pq"}


class RunsError(ValueError):
    """A runs file cannot be read or its columns cannot be mapped."""


@dataclass(frozen=True)
class SkippedRow:
    """A row that was not used.

    Attributes
    ----------
    row : int
        1-based data row number: the first row after the header is row 1.
    reason : str
        Why the row was not used, naming the column and the offending value.
    line : int or None
        1-based physical line number in a text file (the header is usually line 1); ``None``
        for Parquet files and for rows removed by a filter on in-memory runs.
    """

    row: int
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line is not None else "")
        return f"{where}: {self.reason}"


def _readonly(values: object) -> np.ndarray:
    arr = np.array(values, dtype=float, copy=True).reshape(-1)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Runs:
    """Training runs, one entry per run, as read by :func:`load_runs`.

    Attributes
    ----------
    n_params : numpy.ndarray
        Parameter count N per run.
    n_tokens : numpy.ndarray
        Training tokens D per run (``flops / (6 n_params)`` when the file gave compute).
    loss : numpy.ndarray
        Final loss per run (nats/token or whatever unit the file uses).
    flops : numpy.ndarray
        Training compute C in FLOP (``6 N D`` when the file gave tokens).
    source : pathlib.Path or None
        File the runs came from.
    sha256 : str or None
        Hex SHA-256 of the file bytes.
    skipped : tuple of SkippedRow
        Rows of the file that could not be used, with reasons.
    columns : Mapping[str, str]
        Role (``n_params``, ``n_tokens``, ``flops``, ``loss``) to the file header used.
    tokens_from_flops : bool
        True when tokens were derived as D = C / (6N).
    rows : numpy.ndarray
        1-based data row number of each kept run in the source file.
    dropped : tuple of SkippedRow
        Runs removed afterwards by a filter such as :func:`drop_highest_loss`.
    """

    n_params: np.ndarray
    n_tokens: np.ndarray
    loss: np.ndarray
    flops: np.ndarray
    source: Path | None = None
    sha256: str | None = None
    skipped: tuple[SkippedRow, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    tokens_from_flops: bool = False
    rows: np.ndarray | None = None
    dropped: tuple[SkippedRow, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.n_params)
        for name in ("n_params", "n_tokens", "loss", "flops"):
            arr = _readonly(getattr(self, name))
            if len(arr) != n:
                raise ValueError(f"Runs.{name} has {len(arr)} entries, n_params has {n}")
            object.__setattr__(self, name, arr)
        rows = np.arange(1, n + 1) if self.rows is None else np.asarray(self.rows, dtype=np.int64)
        rows = rows.copy()
        rows.setflags(write=False)
        object.__setattr__(self, "rows", rows)

    def __len__(self) -> int:
        return len(self.n_params)

    @classmethod
    def from_arrays(cls, n_params: Sequence[float] | np.ndarray, loss: Sequence[float] | np.ndarray,
                    n_tokens: Sequence[float] | np.ndarray | None = None,
                    flops: Sequence[float] | np.ndarray | None = None) -> Runs:
        """Build runs from arrays (N, loss and D or C), e.g. synthetic data.

        Values are not validated beyond shape: use finite positive numbers.
        """
        n = np.asarray(n_params, dtype=float)
        if n_tokens is None and flops is None:
            raise ValueError("give n_tokens or flops")
        d = np.asarray(flops, dtype=float) / (6.0 * n) if n_tokens is None else np.asarray(
            n_tokens, dtype=float)
        c = 6.0 * n * d if flops is None else np.asarray(flops, dtype=float)
        return cls(n, d, np.asarray(loss, dtype=float), c, tokens_from_flops=n_tokens is None)

    def subset(self, keep: np.ndarray) -> Runs:
        """Runs restricted to a boolean mask or index array (metadata kept)."""
        keep = np.asarray(keep)
        return replace(self, n_params=self.n_params[keep], n_tokens=self.n_tokens[keep],
                       loss=self.loss[keep], flops=self.flops[keep], rows=self.rows[keep])


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


def _map_columns(headers: Sequence[str], path: Path) -> dict[str, int]:
    normed = [_norm(h) for h in headers]
    mapping: dict[str, int] = {}
    for role, aliases in ALIASES.items():
        for alias in aliases:
            key = _norm(alias)
            if key in normed:
                mapping[role] = normed.index(key)
                break
    missing = [r for r in ("n_params", "loss") if r not in mapping]
    if "n_tokens" not in mapping and "flops" not in mapping:
        missing.append("n_tokens or flops")
    if missing:
        found = ", ".join(repr(h) for h in headers) or "(none)"
        expected = "; ".join(
            f"{_ROLE_LABEL[r]}: one of {', '.join(ALIASES[r])}" for r in ALIASES)
        raise RunsError(
            f"{path}: cannot map columns (missing {', '.join(missing)}). Columns found: {found}. "
            f"Expected (case, spaces, underscores and dashes ignored) {expected}; "
            "plus N, loss and either tokens or FLOPs.")
    return mapping


def _parse_value(text: object, column: str) -> tuple[float | None, str | None]:
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip() == "":
        return None, f"missing value in column {column!r}"
    try:
        value = float(str(text).strip()) if not isinstance(text, (int, float)) else float(text)
    except ValueError:
        return None, f"non-numeric value {str(text).strip()[:40]!r} in column {column!r}"
    if not math.isfinite(value):
        return None, f"non-finite value {str(text).strip()!r} in column {column!r}"
    if value <= 0:
        return None, f"non-positive value {str(text).strip()!r} in column {column!r}"
    return value, None


def _read_text_rows(data: bytes, path: Path) -> tuple[list[str], list[tuple[int, int, list[str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RunsError(f"{path}: not UTF-8 text ({exc})") from exc
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].lstrip()[:1] == "#"):
        start += 1
    if start == len(lines):
        raise RunsError(f"{path}: file has no header row")
    header_line = lines[start]
    preferred = _TEXT_DELIMS.get(path.suffix.lower())
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    if preferred is None or counts[preferred] == 0:
        best = max(counts, key=lambda d: counts[d])
        preferred = best if counts[best] else (preferred or ",")
    reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=preferred)
    try:
        headers = [h.strip() for h in next(reader)]
    except csv.Error as exc:
        raise RunsError(f"{path}: header row (line {start + 1}): cannot parse ({exc})") from None
    rows: list[tuple[int, int, list[str]]] = []
    data_row = 0
    try:
        for fields in reader:
            if not fields or all(not f.strip() for f in fields):
                continue  # blank line: not a run
            data_row += 1
            rows.append((data_row, start + reader.line_num, fields))
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        raise RunsError(f"{path}: row {data_row + 1} (line {start + reader.line_num}): cannot parse "
                        f"({exc})") from None
    return headers, rows


def _read_parquet_rows(path: Path) -> tuple[list[str], list[tuple[int, int | None, list]]]:
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError as exc:
        raise RunsError(
            f"{path}: reading Parquet needs pyarrow or fastparquet ({exc}); "
            "install one of them or export the runs as CSV") from exc
    except Exception as exc:  # a corrupt file: report it the same way as other read errors
        raise RunsError(f"{path}: cannot read Parquet file ({exc})") from exc
    headers = [str(c) for c in frame.columns]
    values = frame.to_numpy(dtype=object).tolist()
    return headers, [(i + 1, None, list(v)) for i, v in enumerate(values)]


def load_runs(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Runs:
    """Read training runs from a CSV, TSV or Parquet file.

    Parameters
    ----------
    path : str or pathlib.Path
        File with a header row and one row per run. The delimiter comes from the extension
        (``.csv`` comma, ``.tsv``/``.tab`` tab) or is sniffed from the header (comma, tab,
        semicolon). Parquet is detected by extension or its ``PAR1`` magic bytes and needs
        pandas with pyarrow or fastparquet.
    max_bytes : int
        Refuse files larger than this many bytes (default 50 MB).

    Returns
    -------
    Runs
        Parameter counts, tokens, FLOP and losses of the usable rows, plus the rows skipped.

    Raises
    ------
    RunsError
        The file is missing, too large, not decodable, its columns cannot be mapped (the
        message lists the columns found and the accepted spellings) or no row is usable.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise RunsError(f"{path}: file is {size / 1e6:.1f} MB, over the "
                            f"{max_bytes / 1e6:.0f} MB limit for a runs file")
        data = path.read_bytes()
    except OSError as exc:
        raise RunsError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in _PARQUET_EXT or data[:4] == b"PAR1":
        headers, raw_rows = _read_parquet_rows(path)
    else:
        headers, raw_rows = _read_text_rows(data, path)
    mapping = _map_columns(headers, path)
    use_tokens = "n_tokens" in mapping
    roles = ["n_params", "n_tokens" if use_tokens else "flops", "loss"]
    if use_tokens and "flops" in mapping:
        roles.append("flops")
    good: dict[str, list[float]] = {r: [] for r in ("n_params", "n_tokens", "flops", "loss")}
    kept_rows: list[int] = []
    skipped: list[SkippedRow] = []
    for data_row, line, fields in raw_rows:
        values, reason = [], None
        for role in roles:
            idx = mapping[role]
            value, reason = _parse_value(fields[idx] if idx < len(fields) else None,
                                         headers[idx])
            if reason:
                break
            values.append(value)
        if not reason:
            got = dict(zip(roles, values, strict=True))
            n = got["n_params"]
            if use_tokens:
                d = got["n_tokens"]
                c = got.get("flops", 6.0 * n * d)
                if not math.isfinite(c):  # Python floats: overflow gives inf, silently
                    reason = (f"training compute 6·N·D overflows (N = {n:g} in column "
                              f"{headers[mapping['n_params']]!r}, D = {d:g} in column "
                              f"{headers[mapping['n_tokens']]!r})")
            else:
                c = got["flops"]
                d = c / (6.0 * n)
                if not (math.isfinite(d) and d > 0.0):
                    reason = (f"tokens D = C/(6N) = {d:g} is not a positive finite number (C = {c:g} in "
                              f"column {headers[mapping['flops']]!r}, N = {n:g} in column "
                              f"{headers[mapping['n_params']]!r})")
        if reason:
            skipped.append(SkippedRow(data_row, reason, line))
            continue
        good["n_params"].append(n)
        good["n_tokens"].append(d)
        good["flops"].append(c)
        good["loss"].append(got["loss"])
        kept_rows.append(data_row)
    columns = {role: headers[mapping[role]] for role in mapping}
    if not kept_rows:
        detail = "; ".join(str(s) for s in skipped[:5]) or "the file has no data rows"
        raise RunsError(f"{path}: no usable rows ({len(skipped)} skipped: {detail})")
    if not use_tokens:
        columns.pop("n_tokens", None)
    return Runs(np.array(good["n_params"]), np.array(good["n_tokens"]), np.array(good["loss"]),
                np.array(good["flops"]), source=path, sha256=digest,
                skipped=tuple(skipped), columns=columns, tokens_from_flops=not use_tokens,
                rows=np.array(kept_rows, dtype=np.int64))


def drop_highest_loss(runs: Runs, k: int = 5) -> Runs:
    """Epoch's outlier filter: keep runs whose loss is strictly below the k-th largest loss.

    Besiroglu et al. 2024 (arXiv 2404.10102) drop the 5 highest-loss points of the Chinchilla
    data, leaving 240 of 245. With ties at the threshold more than ``k`` runs can go. Removed
    runs are listed in :attr:`Runs.dropped`.

    Parameters
    ----------
    runs : Runs
        Runs to filter.
    k : int
        Number of highest losses to drop (``0`` returns ``runs`` unchanged).
    """
    if k <= 0:
        return runs
    if k >= len(runs):
        raise ValueError(f"cannot drop {k} of {len(runs)} runs")
    threshold = np.sort(runs.loss)[-k]
    keep = runs.loss < threshold
    dropped = tuple(
        SkippedRow(int(r), f"outlier filter: loss {v:.6g} not below the largest-{k} threshold "
                           f"{threshold:.6g}")
        for r, v in zip(runs.rows[~keep], runs.loss[~keep], strict=True))
    return replace(runs.subset(keep), dropped=runs.dropped + dropped)


@dataclass(frozen=True)
class DataRange:
    """Ranges (min, max) spanned by the runs; units FLOP, parameters, tokens, loss."""

    flops: tuple[float, float]
    n_params: tuple[float, float]
    n_tokens: tuple[float, float]
    tokens_per_param: tuple[float, float]
    loss: tuple[float, float]
    n_runs: int

    def extrapolation(self, flops: float) -> float:
        """How far ``flops`` lies past the data: ``flops / max(C)`` (<= 1 inside the data)."""
        return float(flops) / self.flops[1]


def data_range(runs: Runs) -> DataRange:
    """Compute, size, token, tokens-per-parameter and loss ranges of ``runs``."""

    def span(a: np.ndarray) -> tuple[float, float]:
        return float(np.min(a)), float(np.max(a))

    return DataRange(span(runs.flops), span(runs.n_params), span(runs.n_tokens),
                     span(runs.n_tokens / runs.n_params), span(runs.loss), len(runs))


def extrapolation_warning(rng: DataRange, flops: float, factor: float = 10.0) -> str | None:
    """A warning when a budget lies more than ``factor`` times past the largest run's compute.

    Returns ``None`` when ``flops <= factor * max(C)``.
    """
    return flops_extrapolation_warning(rng.flops[1], flops, factor)


def flops_extrapolation_warning(max_flops: float, flops: float, factor: float = 10.0) -> str | None:
    """:func:`extrapolation_warning` from the largest run's compute alone (e.g. a fitted
    preset's ``fitted_range.flops[1]``); ``None`` when ``flops <= factor * max_flops``."""
    ratio = float(flops) / max_flops
    if ratio <= factor:
        return None
    return (f"budget {flops:.3g} FLOP is {ratio:.3g}x the largest fitted run "
            f"({max_flops:.3g} FLOP; {math.log10(ratio):.1f} decades of extrapolation): "
            "the fitted law is untested there")
