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
import math
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from planner.solve.warnings import extrapolation_message, flops_extrapolation_warning

__all__ = [
    "ALIASES",
    "MAX_BYTES",
    "DataRange",
    "Runs",
    "RunsError",
    "SkippedRow",
    "data_range",
    "drop_highest_loss",
    "extrapolation_message",
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
        Final loss per run in nats per token (converted from the file's ``loss_unit``).
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
    loss_unit : str
        Unit of the file's loss column (``nats``, ``bits`` or ``perplexity``); ``loss`` is
        always in nats per token.
    loss_note : str
        How the loss was converted to nats ("" when the file was in nats).
    headers : tuple of str
        Every header of the file, in order (for a column chooser).
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
    loss_unit: str = "nats"
    loss_note: str = ""
    headers: tuple[str, ...] = ()

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


#: Command-line spelling of each role's column option (used in messages).
ROLE_OPTION = {"n_params": "--params-col", "n_tokens": "--tokens-col", "flops": "--flops-col",
               "loss": "--loss-col"}
#: Loss units a runs file may be in; everything is converted to nats per token.
LOSS_UNITS = ("nats", "bits", "perplexity")
#: A loss above this many nats per token is not a cross-entropy of a language model: the column
#: is refused (it is most likely perplexity, or bits of a very poor model).
MAX_PLAUSIBLE_NATS = 15.0
_NUMERIC_SAMPLE = 200  # data rows looked at to decide whether a column holds numbers


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numeric_columns(headers: Sequence[str], sample: Sequence[Sequence[object]]) -> list[bool]:
    """Per column: do most of the sampled non-empty values parse as numbers?"""
    out = []
    for j in range(len(headers)):
        vals = [row[j] for row in sample if j < len(row)]
        vals = [v for v in vals if v is not None and str(v).strip() != ""]
        good = sum(1 for v in vals if isinstance(v, int | float) or _is_number(str(v).strip()))
        out.append(bool(vals) and good >= 0.5 * len(vals))
    return out


def _map_columns(headers: Sequence[str], path: Path, numeric: Sequence[bool] | None = None,
                 chosen: Mapping[str, str | None] | None = None) -> dict[str, int]:
    """Role -> column index: the user's ``chosen`` headers first, then the first alias of each
    role that names a column holding numbers (a ``data`` column of text is never tokens)."""
    normed = [_norm(h) for h in headers]
    numeric = list(numeric) if numeric is not None else [True] * len(headers)
    mapping: dict[str, int] = {}
    excluded = {role for role, header in (chosen or {}).items() if header == ""}  # "" = do not use
    for role, header in (chosen or {}).items():
        if not header or role not in ALIASES:
            continue
        if header in headers:
            mapping[role] = list(headers).index(header)
        elif _norm(header) in normed:
            mapping[role] = normed.index(_norm(header))
        else:
            found = ", ".join(repr(h) for h in headers) or "(none)"
            raise RunsError(f"{path}: {ROLE_OPTION[role]} {header!r}: no such column (columns: {found})")
    taken = set(mapping.values())
    for role, aliases in ALIASES.items():
        if role in mapping or role in excluded:
            continue
        for alias in aliases:
            key = _norm(alias)
            hits = [j for j, h in enumerate(normed) if h == key and numeric[j] and j not in taken]
            if hits:
                mapping[role] = hits[0]
                taken.add(hits[0])
                break
    # a role no numeric column fills takes a text column of its name, so that its rows are
    # reported as non-numeric; tokens and FLOPs stand in for each other, so neither does
    for role, aliases in ALIASES.items():
        if role in mapping or role in excluded or (
                role in ("n_tokens", "flops") and ({"n_tokens", "flops"} & set(mapping))):
            continue
        hits = [j for alias in aliases for j, h in enumerate(normed) if h == _norm(alias) and j not in taken]
        if hits:
            mapping[role] = hits[0]
            taken.add(hits[0])
    missing = [r for r in ("n_params", "loss") if r not in mapping]
    if "n_tokens" not in mapping and "flops" not in mapping:
        missing.append("n_tokens or flops")
    if missing:
        found = ", ".join(repr(h) + ("" if num else " (text)") for h, num in zip(headers, numeric, strict=True))
        expected = "; ".join(
            f"{_ROLE_LABEL[r]}: one of {', '.join(ALIASES[r])}" for r in ALIASES)
        raise RunsError(
            f"{path}: cannot map columns (missing {', '.join(missing)}). Columns found: {found or '(none)'}. "
            f"Expected numeric columns named (case, spaces, underscores and dashes ignored) {expected}; "
            "plus N, loss and either tokens or FLOPs; or name them with --params-col, --tokens-col, "
            "--flops-col, --loss-col.")
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


def _check_regular(path: Path) -> int:
    """Size of ``path``; a FIFO, device, socket or folder is refused (reading one could block)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise RunsError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file (a pipe, device or socket)"
        raise RunsError(f"{path}: is {kind}; give a CSV, TSV or Parquet file")
    return st.st_size


class _Table:
    """A parsed text table: headers, delimiter and the data lines (blank lines removed)."""

    def __init__(self, data: bytes, path: Path) -> None:
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
        self.delim = preferred
        self.quoted = '"' in text
        if self.quoted:
            try:
                self.headers = [h.strip() for h in next(csv.reader([header_line], delimiter=preferred))]
            except (csv.Error, StopIteration) as exc:
                raise RunsError(f"{path}: header row (line {start + 1}): cannot parse ({exc})") from None
        else:
            self.headers = [h.strip() for h in header_line.split(preferred)]
        body = lines[start + 1:]
        keep = [i for i, line in enumerate(body) if line.strip()]
        self.lines = [body[i] for i in keep]  # data rows; row r is self.lines[r - 1]
        self.line_no = np.asarray(keep, dtype=np.int64) + start + 2  # physical 1-based line numbers
        self.path = path

    def fields(self, i: int) -> list[str]:
        line = self.lines[i]
        if self.quoted:
            try:
                return next(csv.reader([line], delimiter=self.delim))
            except (csv.Error, StopIteration) as exc:
                raise RunsError(f"{self.path}: row {i + 1} (line {self.line_no[i]}): cannot parse ({exc})") from None
        return line.split(self.delim)

    def sample(self) -> list[list[str]]:
        step = max(1, len(self.lines) // _NUMERIC_SAMPLE)
        return [self.fields(i) for i in range(0, len(self.lines), step)][: _NUMERIC_SAMPLE + 1]

    def columns(self, cols: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(rows x len(cols)) floats and a row mask of what numpy's loader parsed; rows it
        could not parse (missing, text, short rows) are NaN with the mask False."""
        n = len(self.lines)
        out = np.full((n, len(cols)), np.nan)
        parsed = np.zeros(n, dtype=bool)
        if self.quoted:
            return out, parsed
        chunk = 20_000
        for a in range(0, n, chunk):
            block = self.lines[a : a + chunk]
            try:
                out[a : a + len(block)] = np.loadtxt(block, delimiter=self.delim, usecols=cols, dtype=float,
                                                     ndmin=2, comments=None, quotechar=None)
                parsed[a : a + len(block)] = True
            except (ValueError, IndexError):
                continue  # this block has a bad row: its rows are read one by one
        return out, parsed


def _parquet_table(path: Path) -> tuple[list[str], list[list[object]]]:
    try:
        import pandas as pd

        frame = pd.read_parquet(path)
    except ImportError:
        raise RunsError(
            f"{path}: reading Parquet needs pandas with pyarrow or fastparquet; "
            "install one of them or export the runs as CSV") from None
    except Exception as exc:  # a corrupt file: report it the same way as other read errors
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise RunsError(f"{path}: cannot read Parquet file ({detail})") from None
    headers = [str(c) for c in frame.columns]
    return headers, frame.to_numpy(dtype=object).tolist()


def load_runs(path: str | Path, *, max_bytes: int = MAX_BYTES,
              columns: Mapping[str, str | None] | None = None, loss_unit: str = "nats") -> Runs:
    """Read training runs from a CSV, TSV or Parquet file.

    Parameters
    ----------
    path : str or pathlib.Path
        File with a header row and one row per run. The delimiter comes from the extension
        (``.csv`` comma, ``.tsv``/``.tab`` tab) or is sniffed from the header (comma, tab,
        semicolon). Parquet is detected by extension or its ``PAR1`` magic bytes and needs
        pandas with pyarrow or fastparquet. Pipes, devices and folders are refused.
    max_bytes : int
        Refuse files larger than this many bytes (default 50 MB).
    columns : mapping, optional
        Role (``n_params``, ``n_tokens``, ``flops``, ``loss``) -> header to use (``""``: do
        not use that role, e.g. derive D from C), overriding the automatic mapping (which takes the first column of numbers whose header is one of
        :data:`ALIASES`, so a ``data`` column holding text is never tokens).
    loss_unit : {"nats", "bits", "perplexity"}
        Unit of the loss column. Bits are converted to nats (x ln 2), perplexity to nats
        (ln); :attr:`Runs.loss_note` says so. A loss above 15 nats/token is refused as
        implausible (most likely perplexity given as nats).

    Returns
    -------
    Runs
        Parameter counts, tokens, FLOP and losses (nats/token) of the usable rows, plus the
        rows skipped with their row numbers and reasons.

    Raises
    ------
    RunsError
        The file is missing, not a regular file, too large, not decodable, its columns cannot
        be mapped (the message lists the columns found and the accepted spellings), a loss
        looks like perplexity, or no row is usable.
    """
    path = Path(path)
    if loss_unit not in LOSS_UNITS:
        raise RunsError(f"unknown loss unit {loss_unit!r}; use one of {', '.join(LOSS_UNITS)}")
    size = _check_regular(path)
    if size > max_bytes:
        raise RunsError(f"{path}: file is {size / 1e6:.1f} MB, over the "
                        f"{max_bytes / 1e6:.0f} MB limit for a runs file")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise RunsError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    import hashlib  # (only when a file is read: the window's first plan does not need it)

    digest = hashlib.sha256(data).hexdigest()
    table: _Table | None = None
    if path.suffix.lower() in _PARQUET_EXT or data[:4] == b"PAR1":
        headers, pq_rows = _parquet_table(path)
        sample = pq_rows[:: max(1, len(pq_rows) // _NUMERIC_SAMPLE)]
    else:
        table = _Table(data, path)
        headers, pq_rows, sample = table.headers, [], table.sample()
    del data
    mapping = _map_columns(headers, path, _numeric_columns(headers, sample), columns)
    use_tokens = "n_tokens" in mapping
    roles = ["n_params", "n_tokens" if use_tokens else "flops", "loss"]
    if use_tokens and "flops" in mapping:
        roles.append("flops")
    cols = [mapping[r] for r in roles]
    n_rows = len(table.lines) if table is not None else len(pq_rows)
    if table is not None:
        values, parsed = table.columns(cols)
    else:
        values, parsed = np.full((n_rows, len(cols)), np.nan), np.zeros(n_rows, dtype=bool)
    reasons: dict[int, str] = {}
    # rows numpy's loader parsed: check finiteness and sign column by column, in role order
    with np.errstate(all="ignore"):
        for k in range(len(roles)):
            col = values[:, k]
            bad = parsed & ~(np.isfinite(col) & (col > 0))
            for i in np.flatnonzero(bad):
                if int(i) not in reasons:
                    raw = table.fields(int(i))[cols[k]] if table is not None else col[i]
                    reasons[int(i)] = _parse_value(raw, headers[cols[k]])[1] or "invalid value"
    # rows it could not parse (and every Parquet row): one by one, with the reason
    for i in np.flatnonzero(~parsed):
        fields = table.fields(int(i)) if table is not None else pq_rows[int(i)]
        for k, idx in enumerate(cols):
            value, reason = _parse_value(fields[idx] if idx < len(fields) else None, headers[idx])
            if reason:
                reasons[int(i)] = reason
                break
            values[i, k] = value
    got = {role: values[:, k] for k, role in enumerate(roles)}
    n = got["n_params"]
    with np.errstate(all="ignore"):
        if use_tokens:
            d = got["n_tokens"]
            c = got["flops"] if "flops" in got else 6.0 * n * d
            for i in np.flatnonzero(~np.isfinite(c)):
                if int(i) not in reasons:
                    reasons[int(i)] = (f"training compute 6·N·D overflows (N = {n[i]:g} in column "
                                       f"{headers[mapping['n_params']]!r}, D = {d[i]:g} in column "
                                       f"{headers[mapping['n_tokens']]!r})")
        else:
            c = got["flops"]
            d = c / (6.0 * n)
            for i in np.flatnonzero(~(np.isfinite(d) & (d > 0))):
                if int(i) not in reasons:
                    reasons[int(i)] = (f"tokens D = C/(6N) = {d[i]:g} is not a positive finite number (C = {c[i]:g} "
                                       f"in column {headers[mapping['flops']]!r}, N = {n[i]:g} in column "
                                       f"{headers[mapping['n_params']]!r})")
    loss = got["loss"]
    loss_col = headers[mapping["loss"]]
    note = ""
    with np.errstate(all="ignore"):
        if loss_unit == "bits":
            loss = loss * math.log(2.0)
            note = f"loss column {loss_col!r} converted from bits to nats per token (x ln 2)"
        elif loss_unit == "perplexity":
            for i in np.flatnonzero(loss <= 1.0):
                if int(i) not in reasons:
                    reasons[int(i)] = f"perplexity {loss[i]:g} in column {loss_col!r} is not above 1"
            loss = np.log(loss)
            note = f"loss column {loss_col!r} converted from perplexity to nats per token (ln)"
    keep = np.ones(n_rows, dtype=bool)
    if reasons:
        keep[list(reasons)] = False
    line_no = table.line_no if table is not None else None
    skipped = tuple(SkippedRow(i + 1, reasons[i], None if line_no is None else int(line_no[i]))
                    for i in sorted(reasons))
    if not keep.any():
        detail = "; ".join(str(s) for s in skipped[:5]) or "the file has no data rows"
        raise RunsError(f"{path}: no usable rows ({len(skipped)} skipped: {detail})")
    kept_loss = loss[keep]
    worst = float(np.max(kept_loss))
    if worst > MAX_PLAUSIBLE_NATS:
        row = int(np.flatnonzero(keep)[int(np.argmax(kept_loss))]) + 1
        unit = {"nats": "", "bits": " after converting bits to nats",
                "perplexity": " after converting perplexity to nats"}[loss_unit]
        raise RunsError(f"{path}: loss column {loss_col!r} reaches {worst:.4g} nats/token{unit} (row {row}), above "
                        f"{MAX_PLAUSIBLE_NATS:g}: it looks like perplexity; if so, use --loss-unit perplexity")
    mapped = {role: headers[mapping[role]] for role in mapping}
    if not use_tokens:
        mapped.pop("n_tokens", None)
    return Runs(n[keep], d[keep], kept_loss, c[keep], source=path, sha256=digest,
                skipped=skipped, columns=mapped, tokens_from_flops=not use_tokens,
                rows=np.flatnonzero(keep).astype(np.int64) + 1, loss_unit=loss_unit, loss_note=note,
                headers=tuple(headers))


def read_headers(path: str | Path, *, max_bytes: int = MAX_BYTES) -> tuple[list[str], list[bool]]:
    """The headers of a runs file and, per header, whether its column holds numbers (for a
    column chooser). Raises :class:`RunsError` like :func:`load_runs`."""
    path = Path(path)
    size = _check_regular(path)
    if size > max_bytes:
        raise RunsError(f"{path}: file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit for a runs file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RunsError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if path.suffix.lower() in _PARQUET_EXT or data[:4] == b"PAR1":
        headers, rows = _parquet_table(path)
        return headers, _numeric_columns(headers, rows[: _NUMERIC_SAMPLE])
    table = _Table(data, path)
    return table.headers, _numeric_columns(table.headers, table.sample())


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


