"""The preset file format, declared once (msgspec): types, ranges, descriptions.

:class:`PresetDoc` is the whole document. The loader (:mod:`planner.presets.load`) converts a
parsed TOML/JSON document to it with :func:`msgspec.convert`, which checks every type, range,
required key and unknown key; the few rules that span fields (a bootstrap's names match the
form, one budget at most, a known GPU) are checked after conversion. From the same classes
:func:`json_schema` writes the JSON Schema shipped with the app (``preset.schema.json``, for
editors such as VS Code's Even Better TOML or taplo) and :func:`markdown` writes the field
reference in ``docs/presets.md``. The ``[hardware]`` and ``[budget]`` tables are built from
:class:`planner.question.Question`'s inputs and :data:`planner.question.LIMITS`, so a preset
accepts exactly the values a question does.

Regenerate the shipped files after changing a class or a built-in preset (the command also
writes :mod:`planner.presets.builtin_index`, the built-ins as validated, for a fast start;
:func:`planner.presets.load.write_builtin_index`)::

    python -m planner.presets --write
"""

# No "from __future__ import annotations" here: msgspec reads the annotations of these classes,
# and as strings it would evaluate every one of them on the first conversion (~5 ms of a cold start).
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta, Struct

from planner.presets import SCHEMA_VERSION
from planner.question import CHOICES, HARDWARE_INPUTS, INPUT_NAMES, LIMITS, default

MAX_BOOTSTRAP_ROWS = 1000
SAMPLES_ENCODING = "f64le-base64"
ID_PATTERN = r"^[A-Za-z0-9._-]{1,80}$"
STATUSES = ("CONFIRMED", "AUTHORS' CODE OR DATA ONLY", "SECONDARY", "DERIVED", "UNCONFIRMED", "FITTED")

Pos = Annotated[float, Meta(gt=0.0, le=1e30, description="positive, at most 1e30")]
Exp = Annotated[float, Meta(gt=0.0, le=3.0, description="an exponent in (0, 3]")]
NonNeg = Annotated[float, Meta(ge=0.0, le=1e30)]
Count = Annotated[int, Meta(ge=0, le=10**12)]
Short = Annotated[str, Meta(max_length=4000)]
Name = Annotated[str, Meta(pattern=ID_PATTERN)]
Pair = Annotated[tuple[Pos, Pos], Meta(description="[low, high]")]


class _Table(Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """A TOML table: unknown keys are errors (a typo such as ``alpah`` is refused)."""


class Citation(_Table, kw_only=True):
    """Where the law's numbers come from."""

    text: Annotated[str, Meta(min_length=1, max_length=4000, description="the paper, or the fitted data")]
    arxiv: Annotated[str, Meta(max_length=200, description="arXiv id")] = ""
    locator: Annotated[Short, Meta(description="table, equation or file")] = ""
    status: Annotated[Literal[STATUSES], Meta(description="how far the numbers are confirmed")] = "CONFIRMED"  # type: ignore[valid-type]


class FittedRange(_Table, kw_only=True):
    """What the law was fitted on; plans outside it carry an extrapolation warning."""

    n_params: Pair | None = None
    n_tokens: Pair | None = None
    flops: Pair | None = None


class Extrapolation(_Table, kw_only=True):
    """The fitted law's extrapolation error, from rolling-origin validation (``planner fit``): the
    standard deviation of ln-loss errors is sqrt(near_sd² + (growth_sd·u)²) at u decades past the
    fitted range."""

    method: Literal["rolling-origin"] = "rolling-origin"
    folds: Annotated[int, Meta(ge=1, le=1000, description="validation folds")]
    points: Annotated[int, Meta(ge=1, le=10**9, description="held-out predictions")]
    near_sd: Annotated[float, Meta(ge=0.0, le=10.0, description="ln-loss error sd near the fitted range")]
    growth_sd: Annotated[float, Meta(ge=0.0, le=10.0, description="growth of that sd per decade")]
    max_decades: Annotated[float, Meta(ge=0.0, le=100.0, description="farthest extrapolation validated")]
    horizon: Annotated[float, Meta(ge=1.0, le=1e6, description="compute factor the folds predicted up to")] = 16.0


class Bootstrap(_Table, kw_only=True):
    """Bootstrap refits of a fitted law: every plan gets percentile intervals from them. The
    samples are rows (``samples``) or, compact and fast to read, ``encoding``, ``shape``,
    ``data`` (base64 of little-endian float64, row by row) and ``sha256`` of the decoded bytes."""

    level: Annotated[float, Meta(gt=0.0, lt=1.0, description="two-sided level of the intervals")]
    names: Annotated[list[str], Meta(description="the form's fitted coefficients, in order")]
    samples: Annotated[list[list[float]], Meta(min_length=1, max_length=MAX_BOOTSTRAP_ROWS,
                                               description="one refit per row")] | None = None  # fmt: skip
    encoding: Literal["f64le-base64"] | None = None
    shape: Annotated[tuple[Annotated[int, Meta(ge=1, le=MAX_BOOTSTRAP_ROWS)], Annotated[int, Meta(ge=1, le=16)]],
                     Meta(description="[rows, columns]")] | None = None  # fmt: skip
    data: Annotated[str, Meta(max_length=200_000, description="base64 samples")] | None = None
    sha256: Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{64}$", description="of the decoded bytes")] | None = None
    seed: Annotated[int, Meta(ge=0, le=2**63 - 1)] | None = None
    data_sha256: Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{64}$", description="of the runs file")] | None = None
    data_file: Annotated[str, Meta(max_length=300)] | None = None
    extrapolation: Extrapolation | None = None


class ChinchillaCoefficients(_Table, kw_only=True):
    """L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. 2022, Eq. 2)."""

    E: Annotated[float, Meta(ge=0.0, le=100.0, description="irreducible loss")]
    A: Pos
    B: Pos
    alpha: Exp
    beta: Exp


class DataConstrainedCoefficients(ChinchillaCoefficients, kw_only=True):
    """The Chinchilla form on effective data and parameters (Muennighoff et al. 2023)."""

    R_D_star: Annotated[float, Meta(gt=0.0, le=1e6, description="decay constant of repeated data")]
    R_N_star: Annotated[float, Meta(gt=0.0, le=1e6, description="decay constant of excess parameters")]


class KaplanCoefficients(_Table, kw_only=True):
    """Eq. 1.5 surface, Eq. 1.3 frontier and Table 6 allocation (Kaplan et al. 2020); without
    the six allocation coefficients, a loss-only law allocating at the surface's minimum."""

    alpha_N: Exp
    alpha_D: Exp
    N_c: Pos
    D_c: Pos
    alpha_C: Exp | None = None
    C_c: Pos | None = None
    n_coef: Pos | None = None
    n_exp: Exp | None = None
    d_coef: Pos | None = None
    d_exp: Exp | None = None


class PowerLawCoefficients(_Table, kw_only=True):
    """Allocation only: N* = n_coef·C^n_exp, D* = d_coef·C^d_exp."""

    d_coef: Pos
    d_exp: Exp
    n_coef: Pos | None = None
    n_exp: Exp | None = None
    aspect_ratio: Annotated[float, Meta(ge=1.0, le=1e4, description="d_model/n_layer (deepseek_m)")] | None = None
    seq_len: Annotated[float, Meta(ge=1.0, le=1e8, description="l_seq of M (deepseek_m)")] | None = None


class _Law(_Table, tag_field="form", kw_only=True):
    """The law: its form, what N means, units, citation and coefficients."""

    citation: Citation
    n_params: Annotated[Literal["total", "non_embedding", "flops_per_token"],
                        Meta(description="what the law's N counts")] = "total"  # fmt: skip
    loss_unit: Annotated[str, Meta(max_length=300, description="the unit of the law's loss")] = "nats/token"
    compute: Annotated[str, Meta(max_length=300, description="the FLOP convention")] = "C = 6ND"
    uncertainty: Annotated[dict[str, NonNeg], Meta(description="one standard error per coefficient")] = {}
    intervals: Annotated[dict[str, tuple[float, float]], Meta(description="coefficient = [lo, hi]")] = {}
    fitted_range: FittedRange | None = None
    bootstrap: Bootstrap | None = None


class ChinchillaLaw(_Law, tag="chinchilla", kw_only=True):
    coefficients: ChinchillaCoefficients


class DataConstrainedLaw(_Law, tag="data_constrained", kw_only=True):
    coefficients: DataConstrainedCoefficients


class KaplanLaw(_Law, tag="kaplan", kw_only=True):
    coefficients: KaplanCoefficients


class PowerLaw(_Law, tag="power_law", kw_only=True):
    coefficients: PowerLawCoefficients
    rule: Annotated[Literal["power_law", "tokens_only", "deepseek_m"],
                    Meta(description="how N* is obtained")] = "power_law"  # fmt: skip


LawDoc = Union[ChinchillaLaw, DataConstrainedLaw, KaplanLaw, PowerLaw]  # noqa: UP007
FORMS: dict[str, tuple[str, ...]] = {
    "chinchilla": tuple(f.name for f in msgspec.structs.fields(ChinchillaCoefficients)),
    "data_constrained": tuple(f.name for f in msgspec.structs.fields(DataConstrainedCoefficients)),
    "kaplan": tuple(f.name for f in msgspec.structs.fields(KaplanCoefficients)),
    "power_law": tuple(f.name for f in msgspec.structs.fields(PowerLawCoefficients)),
}
"""Coefficient names of every law form."""


class Fit(_Table, kw_only=True):
    """Provenance of a fitted preset, written by ``planner fit``."""

    objective: NonNeg | None = None
    n_points: Annotated[int, Meta(ge=1, le=10**12)] | None = None
    n_dropped: Count | None = None
    n_bootstrap: Count | None = None
    n_starts: Count | None = None
    n_refined: Count | None = None
    n_at_best: Count | None = None
    seed: Annotated[int, Meta(ge=0, le=2**63 - 1)] | None = None
    level: Annotated[float, Meta(gt=0.0, lt=1.0)] | None = None
    delta: Annotated[float, Meta(gt=0.0, le=1e6)] | None = None
    grad_norm: NonNeg | None = None
    seconds: NonNeg | None = None
    converged: bool | None = None
    form: Literal[tuple(FORMS)] | None = None  # type: ignore[valid-type]
    loss_fn: Literal["huber", "ls"] | None = None
    data_sha256: Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{64}$", description="hash of the runs file")] | None = None
    data_file: Short | None = None
    date: Any = None
    message: Short | None = None
    tool: Short | None = None
    planner_version: Short | None = None
    pinned: dict[Name, float] | None = None
    se: dict[Name, float] | None = None
    n_bootstrap_ok: Count | None = None
    n_skipped: Count | None = None
    holdout_n: Count | None = None
    holdout_mean_abs_rel_error: NonNeg | None = None
    holdout_max_abs_rel_error: NonNeg | None = None
    holdout_train_max_flops: NonNeg | None = None


class MetaTable(_Table, kw_only=True):
    """Who and what the preset is."""

    id: Annotated[str, Meta(pattern=ID_PATTERN, description="the preset's identity (--preset ID)")]
    name: Annotated[str, Meta(min_length=1, max_length=300, description="human-readable title")]
    notes: Annotated[str, Meta(max_length=20000, description="shown on the law card")] = ""
    warnings: Annotated[list[Short], Meta(max_length=50, description="shown on every plan")] = []
    default: Annotated[bool, Meta(description="the built-in default preset")] = False
    author: Annotated[str, Meta(max_length=300)] = ""
    date: Annotated[Any, Meta(description="a TOML date or an ISO 8601 string")] = None
    fit: Fit | None = None


def _input_type(name: str) -> Any:
    """A question input's type in the file: its range from LIMITS or its choices from CHOICES."""
    lim = LIMITS.get(name)
    if lim is not None:
        lo = {"gt": lim.lo} if lim.lo_open else {"ge": int(lim.lo) if lim.integer else lim.lo}
        base = int if lim.integer else float
        return Annotated[base, Meta(**lo, le=int(lim.hi) if lim.integer else lim.hi, description=lim.unit)] | None
    if name in CHOICES:
        return Literal[CHOICES[name]] | None  # type: ignore[valid-type]
    if isinstance(default(name), bool):
        return bool | None
    return Annotated[str, Meta(max_length=200)] | None


_FILE_INPUTS = tuple(n for n in INPUT_NAMES if n not in ("arch", "method"))
Hardware = msgspec.defstruct(
    "Hardware", [(n, _input_type(n), None) for n in HARDWARE_INPUTS], bases=(_Table,),
    module=__name__,
)  # fmt: skip
Hardware.__doc__ = "Hardware defaults applied when the preset is chosen (the question's inputs)."
Budget = msgspec.defstruct(
    "Budget", [(n, _input_type(n), None) for n in sorted(_FILE_INPUTS) if n not in HARDWARE_INPUTS],
    bases=(_Table,), module=__name__,
)  # fmt: skip
Budget.__doc__ = "Budget and question defaults: any other input of a plan (at most one budget form)."


class PresetDoc(_Table, kw_only=True):
    """One preset file: one law, where its numbers come from, and optional defaults."""

    schema_version: Annotated[int, Meta(ge=0, le=SCHEMA_VERSION, description="the file format's version")]
    meta: MetaTable
    law: LawDoc
    hardware: Hardware | None = None  # type: ignore[valid-type]
    budget: Budget | None = None  # type: ignore[valid-type]


# ---------------------------------------------------------------------------------------------
# generated artefacts: the JSON Schema and the field reference


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a preset document (what ``preset.schema.json`` holds)."""
    schema = msgspec.json.schema(PresetDoc)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Compute Budget Planner preset"
    return schema


def _describe(t: Any) -> str:
    ti = msgspec.inspect
    if isinstance(t, ti.Metadata):
        return _describe(t.type)
    if isinstance(t, ti.UnionType):
        parts = [p for p in t.types if not isinstance(p, ti.NoneType)]
        return " or ".join(_describe(p) for p in parts)
    if isinstance(t, ti.LiteralType):
        return ", ".join(f"`{v}`" for v in t.values)
    bounds = []
    for key, sym in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
        v = getattr(t, key, None)
        if v is not None:
            bounds.append(f"{sym} {v:g}")
    if isinstance(t, ti.FloatType):
        return "number" + (f" ({', '.join(bounds)})" if bounds else "")
    if isinstance(t, ti.IntType):
        return "whole number" + (f" ({', '.join(bounds)})" if bounds else "")
    if isinstance(t, ti.BoolType):
        return "boolean"
    if isinstance(t, ti.StrType):
        extra = f", ≤ {t.max_length:,} chars" if t.max_length else ""
        return f"string{' `' + t.pattern + '`' if t.pattern else ''}{extra}"
    if isinstance(t, ti.StructType):
        return f"table `{t.cls.__name__}`"
    if isinstance(t, ti.DictType):
        return f"table name = {_describe(t.value_type)}"
    if isinstance(t, ti.ListType):
        return f"list of {_describe(t.item_type)}" + (f" (≤ {t.max_length:,})" if t.max_length else "")
    if isinstance(t, ti.TupleType):
        return "[" + ", ".join(_describe(x) for x in t.item_types) + "]"
    return "any"


def _description(t: Any) -> str:
    ti = msgspec.inspect
    if isinstance(t, ti.Metadata):
        return (t.extra_json_schema or {}).get("description", "") or _description(t.type)
    for part in getattr(t, "types", ()) or ():
        d = _description(part)
        if d:
            return d
    return ""


def _rows(cls: Any) -> list[str]:
    info = msgspec.inspect.type_info(cls)
    out = []
    for f in info.fields:
        t = f.type
        desc = _description(t)
        dflt = "required" if f.required else "—" if f.default in (None, msgspec.NODEFAULT, "") else f"`{f.default}`"
        dflt = "—" if dflt in ("`[]`", "`{}`") else dflt.replace("`False`", "`false`").replace("`True`", "`true`")
        if cls in (Hardware, Budget):
            d = default(f.name)
            dflt = "—" if d is None else f"`{d}`"
        out.append(f"| `{f.encode_name}` | {_describe(t)} | {dflt} | {desc} |")
    return out


TABLES: tuple[tuple[str, str, Any], ...] = (
    ("[meta]", "", MetaTable), ("[meta.fit]", "", Fit), ("[law]", "(every form; `power_law` adds `rule`)", PowerLaw),
    ("[law.citation]", "", Citation), ("[law.fitted_range]", "", FittedRange), ("[law.bootstrap]", "", Bootstrap),
    ("[law.bootstrap.extrapolation]", "", Extrapolation),
    ("[law.coefficients]", 'for `form = "chinchilla"`', ChinchillaCoefficients),
    ("[law.coefficients]", 'for `form = "data_constrained"`', DataConstrainedCoefficients),
    ("[law.coefficients]", 'for `form = "kaplan"`', KaplanCoefficients),
    ("[law.coefficients]", 'for `form = "power_law"`', PowerLawCoefficients),
    ("[hardware]", "", Hardware), ("[budget]", "", Budget),
)  # fmt: skip


def markdown() -> str:
    """The field reference of ``docs/presets.md``, generated from the classes above."""
    lines = ["<!-- generated by `python -m planner.presets --write`; do not edit by hand -->", ""]
    for table, note, cls in TABLES:
        doc = " ".join((cls.__doc__ or "").split())
        lines += [f"#### `{table}`{' ' + note if note else ''}", "", doc, "",
                  "| key | type | default | meaning |", "| --- | --- | --- | --- |", *_rows(cls), ""]  # fmt: skip
    return "\n".join(lines).rstrip() + "\n"


SCHEMA_FILE = Path(__file__).with_name("preset.schema.json")
DOC_FILE = Path(__file__).resolve().parents[2] / "docs" / "presets.md"
BEGIN, END = "<!-- schema:begin -->", "<!-- schema:end -->"


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def doc_with_reference(doc: str) -> str:
    """``doc`` (docs/presets.md) with its generated reference section replaced."""
    head, _, rest = doc.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{markdown()}{END}{tail}"


def main() -> None:  # pragma: no cover - a maintainer's command (python -m planner.presets --write)
    if "--write" in sys.argv:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
        DOC_FILE.write_text(doc_with_reference(DOC_FILE.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"wrote {SCHEMA_FILE} and the reference in {DOC_FILE}")
    else:
        print(markdown())
