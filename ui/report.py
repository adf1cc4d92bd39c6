"""The PDF planning report: one plan (or two laws side by side) as a document for a budget owner.

Qt only: :class:`QPdfWriter` + :class:`QPainter`, text blocks laid out by :class:`QTextDocument`
(real, selectable text; Qt embeds font subsets) and the window's four plots rendered from
their pyqtgraph scenes straight into the PDF painter, so they stay vector graphics.

Layout is done here, not by QTextDocument's own pagination, so that no table row and no plot
is split across pages: the report is a list of blocks (text, table, plot); a block that does
not fit on the rest of a page starts a new one, and a table taller than what is left is split
between rows with its header repeated. Every figure in the results table comes from
:func:`planner.summary.result_rows`, the same strings as the window and ``planner plan --json``.

Public API
----------
:func:`write_report`
    Write a report to a path (atomically, through :class:`QSaveFile`).
:func:`export_report_dialog`
    The window's *File > Export report...* action: ask for a path, write, optionally open.
:func:`open_after_export_action`
    A checkable QAction bound to the "open after export" setting, for the window's menu.
:class:`ReportError`
    A one-line, user-facing failure (unwritable folder, bad page size).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QIODevice, QMarginsF, QPointF, QRectF, QSaveFile, QSettings, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QFont,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextDocument,
)

import planner
from planner.costs.hardware import CATALOGUE
from planner.costs.serving import (
    DEFAULT_BANDWIDTH_UTIL,
    DEFAULT_DECODE_BATCH,
    SHAPE_RULE_TEXT,
)
from planner.laws import ChinchillaLaw, Law
from planner.solve.warnings import merge_warnings, warning_line
from planner.summary import Row, headline, result_rows
from planner.units import fmt_count, fmt_sci, fmt_usd

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from planner import Plan

APP_NAME = "Compute Budget Planner"
PAGE_SIZES: dict[str, QPageSize.PageSizeId] = {
    "A4": QPageSize.PageSizeId.A4,
    "Letter": QPageSize.PageSizeId.Letter,
}
DPI = 96  # Qt's vector path (cosmetic pens, pyqtgraph scenes) expects the screen's resolution
MM = DPI / 25.4
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 18 * MM, 16 * MM, 20 * MM
GAP = 10.0  # px between blocks
PLOT_HEIGHT = 272.0
SETTINGS_OPEN_AFTER = "report/open_after_export"
SETTINGS_LAST_DIR = "report/last_dir"

ACCENT = "#0b4f8a"
MUTED = "#5f6368"
RULE = "#d0d4d9"
SHADE = "#f3f5f7"

PLOT_CAPTIONS = {
    "isoflop": "Loss along lines of equal compute: the thick curve at this plan's budget, thin ones at "
    "round budgets every half decade around it (1e23, 3.16e23, ...); a compared law shows its curve at "
    "this budget in its own colour. Small dots mark each curve's minimum; the star is this plan. A flat valley means model size can move without much loss.",
    "frontier": "Compute-optimal model size N* and training tokens D* against the budget; the vertical "
    "line and dots mark this plan.",
    "loss": "Predicted loss of the compute-optimal model against the budget; the star is this plan.",
    "serving": "Cumulative dollars over the model's life: training (flat), serving (grows with tokens "
    "served) and their total.",
}
PLOT_KEYS = ("isoflop", "frontier", "loss", "serving")

COEF_SYMBOLS = {
    "alpha": "α",
    "beta": "β",
    "R_D_star": "R*_D",
    "R_N_star": "R*_N",
    "alpha_N": "α_N",
    "alpha_D": "α_D",
    "alpha_C": "α_C",
    "n_coef": "k_N",
    "n_exp": "a_N",
    "d_coef": "k_D",
    "d_exp": "a_D",
    "aspect_ratio": "d_model / n_layer",
    "seq_len": "l_seq",
}


class ReportError(Exception):
    """A report could not be written; ``str()`` is one line naming the file and the reason."""


@dataclass(frozen=True)
class ReportResult:
    path: Path
    pages: int
    page_size: str


# ---------------------------------------------------------------------------------------------
# content: HTML fragments for each block


def _e(text: object) -> str:
    return html.escape(str(text), quote=False)


def _css() -> str:
    return f"""
    body {{ color: #202124; }}
    h1 {{ font-size: 19pt; font-weight: 600; color: {ACCENT}; margin: 0; }}
    h2 {{ font-size: 12.5pt; font-weight: 600; color: {ACCENT}; margin-top: 4px; margin-bottom: 4px; }}
    p {{ margin-top: 0; margin-bottom: 4px; }}
    .muted {{ color: {MUTED}; }}
    .small {{ font-size: 8pt; }}
    .num {{ font-weight: 600; }}
    .mono {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }}
    th {{ background-color: {SHADE}; color: #3c4043; font-weight: 600; text-align: left; }}
    td.lab {{ color: #3c4043; }}
    td.unit {{ color: {MUTED}; }}
    td.big {{ font-size: 13pt; font-weight: 600; color: #202124; }}
    """


def _table(
    header: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    widths: Sequence[int],
    *,
    aligns: Sequence[str] | None = None,
    shaded: bool = True,
) -> str:
    """An HTML table; cells are already-escaped HTML. ``widths`` in percent."""
    aligns = aligns or ["left"] * len(widths)
    out = [
        f'<table width="100%" cellspacing="0" cellpadding="4" style="border-collapse: collapse; '
        f'border-top: 1px solid {RULE}; border-bottom: 1px solid {RULE};">'
    ]
    if header:
        out.append(
            "<tr>"
            + "".join(
                f'<th width="{w}%" align="{a}" style="border-bottom: 1px solid {RULE};">{h}</th>'
                for h, w, a in zip(header, widths, aligns, strict=True)
            )
            + "</tr>"
        )
    for i, row in enumerate(rows):
        bg = f' bgcolor="{SHADE}"' if shaded and i % 2 == 1 else ""
        out.append(
            f"<tr{bg}>"
            + "".join(
                f'<td width="{w}%" align="{a}">{c}</td>'
                for c, w, a in zip(row, widths, aligns, strict=True)
            )
            + "</tr>"
        )
    out.append("</table>")
    return "".join(out)


def _fmt_coef(v: float) -> str:
    if not math.isfinite(v):
        return "—"
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
        mant, exp = f"{v:.5e}".split("e")
        return f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"  # as published: 6.4e13, 3.1e8
    return format(v, ".6g")


def _range_text(rng: tuple[float, float] | None, unit: str) -> str:
    return (
        "not stated by the source"
        if rng is None
        else f"{fmt_sci(rng[0], 3)} – {fmt_sci(rng[1], 3)} {unit}"
    )


def _law_label(law: Law) -> str:
    return f"{law.info.title} [{law.id}]"


def _peak_flops(plan: Plan) -> float:
    """Per-GPU peak the plan used, recovered from C = GPU-h × 3600 × peak × MFU."""
    return plan.flops / (plan.gpu_hours * 3600.0 * plan.mfu)


def _price_is_catalogue(plan: Plan) -> bool:
    acc = CATALOGUE.get(plan.gpu)
    return acc is not None and math.isclose(acc.usd_per_hour, plan.usd_per_gpu_hour)


def question_rows(plan: Plan) -> list[tuple[str, str]]:
    """The inputs of the plan, as (label, value); rows whose value is None are left out."""
    price_note = "catalogue default, illustrative" if _price_is_catalogue(plan) else "user-supplied"
    rows: list[tuple[str, str | None]] = [
        (
            "Training budget",
            f"{fmt_sci(plan.flops)} FLOPs = {fmt_sci(plan.gpu_hours, 4)} GPU-hours",
        ),
        (
            "Hardware",
            f"{plan.n_gpus:,} × {plan.gpu} (peak {fmt_sci(_peak_flops(plan) / 1e12, 4)} TFLOP/s dense)",
        ),
        ("Model FLOPs utilisation (MFU)", f"{plan.mfu:.0%}"),
        ("Price", f"${plan.usd_per_gpu_hour:.2f} per GPU-hour ({price_note})"),
        ("Context length (serving)", f"{plan.context:,} tokens"),
        ("Allocation method", plan.method),
        ("Vocabulary size", None if plan.vocab_size is None else f"{plan.vocab_size:,.0f} tokens"),
        (
            "MoE activation ratio",
            None if plan.moe_activation is None else f"{plan.moe_activation:.2%}",
        ),
        (
            "MoE granularity",
            None if plan.moe_granularity is None else fmt_sci(plan.moe_granularity, 3),
        ),
        ("MoE law", plan.moe_law),
        (
            "Inference demand",
            f"{fmt_sci(plan.inference_tokens, 4)} tokens served over the model's life"
            if plan.inference_tokens
            else None,
        ),
        (
            "Unique training data",
            None if plan.unique_tokens is None else f"{fmt_sci(plan.unique_tokens)} tokens",
        ),
    ]
    return [(k, v) for k, v in rows if v is not None]


def law_assumptions(law: Law) -> list[str]:
    """What a reader should know about the law itself."""
    out = []
    if not law.has_loss:
        out.append(
            f"{law.id} publishes an allocation only: it predicts no loss, so the report shows none."
        )
    fr = law.info.fitted_range
    if fr.flops is None and fr.n_params is None and fr.n_tokens is None:
        out.append(f"{law.id} states no fitted range, so extrapolation cannot be checked.")
    return out


def assumptions(law: Law, plan: Plan) -> list[str]:
    """Assumptions the numbers rest on, stated for the reader (beyond the plan's warnings)."""
    out = law_assumptions(law)
    if _price_is_catalogue(plan):
        note = CATALOGUE[plan.gpu].price_note
        out.append(
            f"The price ${plan.usd_per_gpu_hour:.2f}/GPU-hour is the catalogue's {note} figure, "
            "not a quote: replace it with your contract price."
        )
    out.append(
        f"Wall-clock assumes perfect scaling over {plan.n_gpus:,} GPUs at a sustained MFU of "
        f"{plan.mfu:.0%}; restarts, evaluation and idle time are not included."
    )
    out.append(
        "Serving cost assumes an architecture derived from N (a scaling law has none): "
        f"{SHAPE_RULE_TEXT}; BF16 weights, decode batch {DEFAULT_DECODE_BATCH}, "
        f"{DEFAULT_BANDWIDTH_UTIL:.0%} of memory bandwidth and compute at the training MFU."
    )
    if plan.moe_activation is not None:
        try:
            from planner.effects.moe import EL_LOG_BASE_LABEL
        except ImportError:  # pragma: no cover - the MoE module ships with the core
            EL_LOG_BASE_LABEL = "the MoE efficiency-leverage log bases are a reconstruction"
        out.append(EL_LOG_BASE_LABEL + ".")
    if plan.intervals:
        out.append(
            "Bracketed ranges in the results are the plan's intervals from the law's fitted uncertainty."
        )
    return out


def _warning_items(plan: Plan, compare: tuple[Law, Plan] | None) -> list[str]:
    """The plans' warnings as the window's strip lists them: each once, most serious first."""
    named = [(plan.preset, plan.warnings)] + ([(compare[1].preset, compare[1].warnings)] if compare else [])
    items = [_e(warning_line(w, len(named))) for w in merge_warnings(named)]
    for p in (plan, compare[1] if compare else None):
        if p is not None and not p.success and p.message:
            items.insert(0, (f"<b>{_e(p.preset)}:</b> " if compare else "") + "<b>Plan not feasible:</b> "
                         + _e(p.message))  # fmt: skip
    return items


def _coef_table(law: Law, plan: Plan) -> str:
    unc = law.info.uncertainty
    rows = []
    for name, value in law.coefficients().items():
        se = unc.get(name) if unc else None
        sym = COEF_SYMBOLS.get(name, name)
        rows.append(
            [
                _e(sym),
                _e(_fmt_coef(value)),
                _e("± " + _fmt_coef(se))
                if se is not None
                else f'<span style="color:{MUTED}">not published</span>',
            ]
        )
    return _table(
        ["Coefficient", "Value", "Standard error"],
        rows,
        [30, 35, 35],
        aligns=["left", "right", "right"],
    )


def _law_html(law: Law, plan: Plan, heading: str) -> str:
    info = law.info
    fr = info.fitted_range
    facts = [
        (
            "Citation",
            _e(info.citation.short())
            + f' <span style="color:{MUTED}">({_e(info.citation.status)})</span>',
        ),
        ("What N counts", _e(info.n_meaning_text)),
        ("Loss unit", _e(info.loss_unit)),
        ("Compute convention", _e(info.compute)),
        ("Formula", f'<span class="mono">{_e(law.formula())}</span>'),
        ("Fitted range, N", _e(_range_text(fr.n_params, "parameters"))),
        ("Fitted range, D", _e(_range_text(fr.n_tokens, "tokens"))),
        ("Fitted range, C", _e(_range_text(fr.flops, "FLOPs"))),
    ]
    if info.notes:
        facts.append(("Notes", _e(info.notes)))
    parts = [
        f"<h2>{_e(heading)}</h2>",
        f'<p><b>{_e(info.title)}</b> <span style="color:{MUTED}">[{_e(law.id)}]</span></p>',
    ]
    parts.append(
        _table(
            None,
            [[f'<span style="color:#3c4043">{k}</span>', v] for k, v in facts],
            [24, 76],
            shaded=False,
        )
    )
    return "".join(parts)


def _formulas_html(law: Law, plan: Plan, compare: tuple[Law, Plan] | None) -> str:
    peak = _peak_flops(plan)
    items = [
        ("Scaling law" + (f" ({law.id})" if compare else ""), law.formula()),
    ]
    if compare:
        items.append((f"Scaling law ({compare[0].id})", compare[0].formula()))
    if isinstance(law, ChinchillaLaw):
        items.append(
            (
                "Closed-form optimum",
                "N* = G·(C/6)^a,  D* = (C/6)^b / G;  G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β)",
            )
        )
    items += [
        ("Training compute" + (f" ({law.id})" if compare else ""), law.info.compute),
        *([(f"Training compute ({compare[0].id})", compare[0].info.compute)] if compare else []),
        (
            "Budget ↔ GPU-hours",
            f"C = GPU-hours × 3600 × peak × MFU = {fmt_sci(plan.gpu_hours, 4)} × 3600 × "
            f"{fmt_sci(peak, 4)} × {plan.mfu:g} = {fmt_sci(plan.flops)} FLOPs",
        ),
        ("Wall-clock", f"days = GPU-hours / n_GPUs / 24 (n_GPUs = {plan.n_gpus:,})"),
        (
            "Training cost",
            f"USD = GPU-hours × price = {fmt_sci(plan.gpu_hours, 4)} × ${plan.usd_per_gpu_hour:.2f} "
            f"= {fmt_usd(plan.cost_usd)}",
        ),
        (
            "Inference FLOPs per token",
            "2·N_active + 4·n_layer·L_ctx·d_model  (L_ctx = context length; "
            "n_layer and d_model from the architecture rule)",
        ),
        (
            "Serving time per token (roofline)",
            "max( FLOPs / (peak·MFU),  (W/b + KV·L_ctx) / (BW·u_mem) );  "
            "W = weight bytes, b = decode batch, KV = KV-cache bytes per token, BW = memory bandwidth",
        ),
        ("Serving cost", "USD per million tokens = time per token × price / 3600 × 10^6"),
        ("Serving memory", "N_total × bytes per parameter + KV × L_ctx × b"),
        ("Tokens per parameter", "D / N"),
    ]
    rows = [
        [f'<span style="color:#3c4043">{_e(k)}</span>', f'<span class="mono">{_e(v)}</span>']
        for k, v in items
    ]
    return "<h2>Appendix: formulas used</h2>" + _table(None, rows, [26, 74], shaded=True)


# ---------------------------------------------------------------------------------------------
# blocks and layout


class _Block:
    height: float = 0.0

    def prepare(self, ctx: _Ctx) -> None:
        raise NotImplementedError

    def draw(self, p: QPainter, x: float, y: float) -> None:
        raise NotImplementedError


@dataclass
class _Ctx:
    writer: QPdfWriter
    width: float
    font: QFont
    css: str


def _doc(ctx: _Ctx, body: str) -> QTextDocument:
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(ctx.writer)
    doc.setDefaultFont(ctx.font)
    doc.setDefaultStyleSheet(ctx.css)
    doc.setDocumentMargin(0)
    doc.setHtml(f"<html><body>{body}</body></html>")
    doc.setTextWidth(ctx.width)
    return doc


class _Text(_Block):
    def __init__(self, body: str) -> None:
        self.body = body
        self.doc: QTextDocument | None = None

    def prepare(self, ctx: _Ctx) -> None:
        self.doc = _doc(ctx, self.body)
        self.height = self.doc.size().height()

    def draw(self, p: QPainter, x: float, y: float) -> None:
        assert self.doc is not None
        p.save()
        p.translate(x, y)
        self.doc.drawContents(p)
        p.restore()


class _Table(_Text):
    """A heading, an optional intro and a table that may be split between rows across pages."""

    def __init__(
        self,
        heading: str,
        header: Sequence[str] | None,
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
        *,
        aligns: Sequence[str] | None = None,
        intro: str = "",
    ) -> None:
        self.heading, self.header, self.rows, self.widths = heading, header, list(rows), widths
        self.aligns, self.intro = aligns, intro
        self.first = True  # False for the continuation of a split table
        self.ctx: _Ctx | None = None
        self.doc: QTextDocument | None = None

    def _body(self, rows: Sequence[Sequence[str]], first: bool) -> str:
        head = f"<h2>{self.heading}</h2>" if first else f"<h2>{self.heading} (continued)</h2>"
        intro = self.intro if first else ""
        return head + intro + _table(self.header, rows, self.widths, aligns=self.aligns)

    def prepare(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.doc = _doc(ctx, self._body(self.rows, self.first))
        self.height = self.doc.size().height()

    def _part(self, rows: Sequence[Sequence[str]], first: bool) -> _Table:
        assert self.ctx is not None
        t = _Table(
            self.heading, self.header, rows, self.widths, aligns=self.aligns, intro=self.intro
        )
        t.first = first
        t.prepare(self.ctx)
        return t

    def split(self, avail: float, min_rows: int = 3) -> tuple[_Table, _Table] | None:
        """Split between rows so the first part fits in ``avail`` px; None unless both parts
        keep at least ``min_rows`` rows (no lone rows at a page's foot or head)."""
        for k in range(len(self.rows) - min_rows, min_rows - 1, -1):
            head = self._part(self.rows[:k], self.first)
            if head.height <= avail:
                return head, self._part(self.rows[k:], False)
        return None


class _Plot(_Block):
    """One pyqtgraph plot rendered from its scene (vector), with a caption below."""

    def __init__(self, widget: Any, caption: str, heading: str = "") -> None:
        self.widget = widget
        self.heading_body = heading
        self.heading: QTextDocument | None = None
        self.top = 0.0
        self.caption_body = caption
        self.caption: QTextDocument | None = None
        self.plot_h = PLOT_HEIGHT

    def prepare(self, ctx: _Ctx) -> None:
        self.width = ctx.width
        self.caption = _doc(ctx, f'<p class="small" style="color:{MUTED}">{self.caption_body}</p>')
        if self.heading_body:  # a section heading travels with its first plot
            self.heading = _doc(ctx, self.heading_body)
            self.top = self.heading.size().height() + 4
        self.height = self.top + self.plot_h + 4 + self.caption.size().height()
        item = self.widget.getPlotItem()
        item.setGeometry(QRectF(0, 0, self.width, self.plot_h))
        item.layout.activate()

    def draw(self, p: QPainter, x: float, y: float) -> None:
        if self.heading is not None:
            p.save()
            p.translate(x, y)
            self.heading.drawContents(p)
            p.restore()
            y += self.top
        item = self.widget.getPlotItem()
        scene = self.widget.scene()
        target = QRectF(x, y, self.width, self.plot_h)
        from ui.plots import begin_export  # (pyqtgraph is loaded: this block draws a plot)

        p.save()
        done = begin_export(scene, {"antialias": True, "background": QColor("white"), "painter": p,
                                    "resolutionScale": 1.0})  # fmt: skip
        try:
            p.fillRect(target, QColor("white"))
            scene.render(p, target, item.sceneBoundingRect(), Qt.AspectRatioMode.IgnoreAspectRatio)
        finally:
            done()
            p.restore()
        p.save()
        p.setPen(QPen(QColor(RULE), 0))
        p.drawRect(target)
        p.restore()
        assert self.caption is not None
        p.save()
        p.translate(x, y + self.plot_h + 4)
        self.caption.drawContents(p)
        p.restore()


@dataclass
class _Page:
    items: list[tuple[_Block, float]] = field(default_factory=list)


def _paginate(blocks: list[_Block], top: float, bottom: float) -> list[_Page]:
    pages = [_Page()]
    y = top
    queue = list(blocks)
    while queue:
        b = queue.pop(0)
        avail = bottom - y
        if b.height > avail:
            if isinstance(b, _Table) and (parts := b.split(avail)) is not None:
                pages[-1].items.append((parts[0], y))
                pages.append(_Page())
                y = top
                queue.insert(0, parts[1])
                continue
            if pages[
                -1
            ].items:  # start a new page (an oversized block on an empty page is drawn clipped)
                pages.append(_Page())
                y = top
                if (
                    b.height > bottom - top
                    and isinstance(b, _Table)
                    and (parts := b.split(bottom - top))
                ):
                    pages[-1].items.append((parts[0], y))
                    pages.append(_Page())
                    queue.insert(0, parts[1])
                    continue
        pages[-1].items.append((b, y))
        y += b.height + GAP
    return pages


# ---------------------------------------------------------------------------------------------
# the document


LAUNCH_KEYS = ("architecture.", "training_memory.", "serving.")
"""Rows of the shape, training memory and serving section (not repeated in the results table)."""


def _rows(plan: Plan) -> list[Row]:
    return [r for r in result_rows(plan) if not r.key.startswith(LAUNCH_KEYS)]


def _launch_table(plan: Plan) -> _Table | None:
    """The model to launch: its shape beside the law's N, training memory and layout, serving."""
    rows = [r for r in result_rows(plan) if r.key.startswith(LAUNCH_KEYS)]
    if not rows:
        return None
    cells = [[_e(r.label), f'{_e(r.value)}<br><span class="small" style="color:{MUTED}">{_e(r.unit)}</span>']
             for r in rows]  # fmt: skip
    intro = ("<p>The shape the plan proposes (or the given architecture) with its exact parameter count beside "
             "the law's N, the memory training needs per GPU and a parallel layout on the plan's GPUs, and "
             "serving one replica of that shape.</p>")  # fmt: skip
    return _Table("The model to launch", None, cells, [27, 73], intro=intro)


def _result_table(plan: Plan, compare: tuple[Law, Plan] | None, law: Law) -> _Table:
    rows_a = _rows(plan)
    if compare is None:
        rows = [
            [
                _e(r.label),
                f'<span class="num" style="white-space:nowrap">{_e(r.value)}</span>',
                f'<span style="color:{MUTED}">{_e(r.unit)}</span>',
            ]
            for r in rows_a
        ]
        return _Table(
            "Results",
            ["Quantity", "Value", "Unit"],
            rows,
            [25, 44, 31] if plan.intervals else [30, 30, 40],  # room for "[lo – hi]" on one line
            aligns=["left", "right", "left"],
        )
    rows_b = {r.key: r for r in _rows(compare[1])}
    keys = [r.key for r in rows_a] + [k for k in rows_b if k not in {r.key for r in rows_a}]
    by_a = {r.key: r for r in rows_a}

    def cell(r: Row | None) -> str:
        if r is None:
            return f'<span style="color:{MUTED}">—</span>'
        return f'<span class="num">{_e(r.value)}</span><br><span class="small" style="color:{MUTED}">{_e(r.unit)}</span>'

    rows = [
        [_e((by_a.get(k) or rows_b[k]).label), cell(by_a.get(k)), cell(rows_b.get(k))] for k in keys
    ]
    head = ["Quantity", _e(_law_label(law)), _e(_law_label(compare[0]))]
    return _Table(
        "Results: the two laws side by side",
        head,
        rows,
        [26, 37, 37],
        aligns=["left", "right", "right"],
    )


def _at_a_glance(plan: Plan) -> str:
    by = {r.key: r for r in result_rows(plan)}
    keys = ["n_params", "n_tokens", "loss", "cost_usd", "wall_clock_days"]
    labels = {
        "n_params": "Model size",
        "n_tokens": "Training tokens",
        "loss": "Predicted loss",
        "cost_usd": "Training cost",
        "wall_clock_days": "Wall-clock",
    }
    cells = []
    for k in keys:
        r = by.get(k)
        if r is None or (k == "loss" and plan.loss is None):
            continue
        value = r.value.split(" [")[0]  # intervals are in the results table
        cells.append(
            f'<td bgcolor="{SHADE}"><span class="small" style="color:{MUTED}">{_e(labels[k])}'
            f'</span><br><span style="font-size:13pt; font-weight:600; white-space:nowrap">{_e(value)}</span></td>'
        )
    return (
        '<table width="100%" cellspacing="4" cellpadding="6"><tr>'
        + "".join(cells)
        + "</tr></table>"
    )


def _break_even(plan: Plan) -> str:
    rate = plan.inference_usd_per_million_tokens / 1e6
    if not rate > 0 or not plan.cost_usd > 0:
        return ""
    tokens = plan.cost_usd / rate
    return f" Serving costs as much as training after {_e(fmt_count(tokens))} tokens served."


def _headline(plan: Plan) -> str:
    """The window's headline (:func:`planner.summary.headline`), then the budget in its four forms."""
    by = {r.key: r for r in result_rows(plan)}
    budget = (f"Budget: {_e(by['flops'].value)} FLOPs = {_e(by['gpu_hours'].value)} {_e(plan.gpu)}-hours = "
              f"{_e(by['cost_usd'].value)} = {_e(by['wall_clock_days'].value)} on {plan.n_gpus:,} GPUs.")  # fmt: skip
    return f"<p><b>{_e(headline(plan))}</b></p><p>{budget}</p>"


def build_blocks(
    law: Law,
    plan: Plan,
    compare: tuple[Law, Plan] | None,
    plots: dict[str, Any] | None,
    created: datetime,
) -> list[_Block]:
    """The report as a list of blocks in reading order."""
    title = "Training compute plan"
    sub = (
        f'<p class="muted">{_e(created.strftime("%d %B %Y, %H:%M"))} · {APP_NAME} {_e(planner.__version__)}'
        f" · law: {_e(_law_label(law))}"
        + (f" vs {_e(_law_label(compare[0]))}" if compare else "")
        + "</p>"
    )
    if compare:
        sub += "<p>Two laws answer the same question; their results are side by side below.</p>"
        first = f"<h2>{_e(law.info.title)}</h2>"
    else:
        first = ""
    blocks: list[_Block] = [
        _Text(f"<h1>{_e(title)}</h1>{sub}{first}" + _headline(plan) + _at_a_glance(plan))
    ]
    if compare:
        blocks.append(
            _Text(
                f"<h2>{_e(compare[0].info.title)}</h2>"
                + _headline(compare[1])
                + _at_a_glance(compare[1])
            )
        )
    q = [[f'<span style="color:#3c4043">{_e(k)}</span>', _e(v)] for k, v in question_rows(plan)]
    blocks.append(_Table("The question", None, q, [32, 68]))
    blocks.append(_result_table(plan, compare, law))
    launch = _launch_table(plan)
    if launch is not None:
        blocks.append(launch)

    warn = _warning_items(plan, compare)
    assume = [_e(a) for a in assumptions(law, plan)]
    if compare:
        assume += [_e(a) for a in law_assumptions(compare[0])]
    rows = [['<span style="color:#b3261e">⚠</span>', w] for w in warn] + [["•", a] for a in assume]
    blocks.append(
        _Table("Warnings and assumptions", None, rows, [4, 96], aligns=["center", "left"])
    )

    blocks.append(_Text(_law_html(law, plan, "The law" if not compare else f"Law 1: {law.id}")))
    blocks.append(_Text("<h3>Coefficients</h3>" + _coef_table(law, plan)))
    if compare:
        blocks.append(_Text(_law_html(compare[0], compare[1], f"Law 2: {compare[0].id}")))
        blocks.append(_Text("<h3>Coefficients</h3>" + _coef_table(*compare)))

    if plots:
        legend = " Dashed curves: " + _e(compare[0].id) + "." if compare else ""
        iso_legend = " Pink curve and star: " + _e(compare[0].id) + "." if compare else ""
        heading = "<h2>Plots</h2>"
        keys = list(PLOT_KEYS)
        if not law.has_loss and not (compare and compare[0].has_loss):
            keys = [k for k in keys if k not in ("isoflop", "loss")]
            heading += "<p>This law predicts no loss, so the isoFLOP and loss plots are left out.</p>"
        for key in keys:
            if key in plots:
                caption = (_e(PLOT_CAPTIONS[key]) + (_break_even(plan) if key == "serving" else "")
                           + (iso_legend if key == "isoflop" else legend))
                blocks.append(_Plot(plots[key], caption, heading))
                heading = ""
    blocks.append(_Text(_formulas_html(law, plan, compare)))
    return blocks


def make_plot_widgets(
    law: Law, plan: Plan, compare: tuple[Law, Plan] | None
) -> tuple[Any, dict[str, Any]]:
    """A standalone PlotPanel showing the plan; returns (panel, its plot widgets by key).

    The only place the report depends on the window's plots: swap here if they change.
    """
    from ui.plots import PlotPanel

    panel = PlotPanel()
    if compare:
        panel.update_plan(law, plan, compare[0], compare[1])
    else:
        panel.update_plan(law, plan)
    widgets = panel.plot_widgets()
    for w in widgets.values():
        # the grid is drawn by the axes: keep it under the curves on paper
        for axis in w.getPlotItem().axes.values():
            axis["item"].setZValue(-1)
    if law.has_loss or (compare and compare[0].has_loss):
        # on paper, fit the isoFLOP valleys tightly (the window's ranges follow the plan with
        # hysteresis, wider than the curves, so that a drag does not make them jitter)
        widgets["isoflop"].getPlotItem().getViewBox().autoRange(padding=0.04)
    return panel, widgets


def _draw_footer(
    p: QPainter, page_w: float, page_h: float, index: int, total: int, law: Law, font: QFont
) -> None:
    p.save()
    f = QFont(font)
    f.setPointSizeF(7.5)
    p.setFont(f)
    y = page_h - MARGIN_BOTTOM + 14
    p.setPen(QPen(QColor(RULE), 0))
    p.drawLine(QPointF(MARGIN_X, y), QPointF(page_w - MARGIN_X, y))
    p.setPen(QColor(MUTED))
    rect = QRectF(MARGIN_X, y + 4, page_w - 2 * MARGIN_X, 16)
    p.drawText(
        rect,
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        f"{APP_NAME} {planner.__version__} · {law.info.title}",
    )
    p.drawText(
        rect,
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        f"Page {index} of {total}",
    )
    p.restore()


def _render(
    device: Any,
    law: Law,
    plan: Plan,
    compare: tuple[Law, Plan] | None,
    page_size: str,
    created: datetime,
    with_plots: bool,
) -> int:
    writer = QPdfWriter(device)
    writer.setResolution(DPI)
    writer.setCreator(f"{APP_NAME} {planner.__version__}")
    writer.setTitle(f"Training compute plan: {law.info.title}")
    writer.setPdfVersion(QPdfWriter.PdfVersion.PdfVersion_1_6)
    layout = QPageLayout(
        QPageSize(PAGE_SIZES[page_size]),
        QPageLayout.Orientation.Portrait,
        QMarginsF(0, 0, 0, 0),
        QPageLayout.Unit.Point,
    )
    writer.setPageLayout(layout)
    page_w, page_h = float(writer.width()), float(writer.height())
    font = QFont()
    font.setPointSizeF(9.5)
    for tag in ("liga", "clig"):  # "fi" stays two letters, so copied or searched text matches
        font.setFeature(QFont.Tag(tag), 0)
    ctx = _Ctx(writer, page_w - 2 * MARGIN_X, font, _css())

    panel, plots = make_plot_widgets(law, plan, compare) if with_plots else (None, None)
    blocks = build_blocks(law, plan, compare, plots, created)
    for b in blocks:
        b.prepare(ctx)
    pages = _paginate(blocks, MARGIN_TOP, page_h - MARGIN_BOTTOM)

    painter = QPainter()
    if not painter.begin(writer):
        raise ReportError("cannot start the PDF painter")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        for i, page in enumerate(pages, 1):
            if i > 1:
                writer.newPage()
            for block, y in page.items:
                block.draw(painter, MARGIN_X, y)
            _draw_footer(painter, page_w, page_h, i, len(pages), law, font)
    finally:
        painter.end()
        if panel is not None:
            panel.deleteLater()
    return len(pages)


def write_report(
    path: str | os.PathLike[str],
    law: Law,
    plan: Plan,
    compare_law: Law | None = None,
    compare_plan: Plan | None = None,
    *,
    page_size: str = "A4",
    created: datetime | None = None,
    with_plots: bool = True,
) -> ReportResult:
    """Write the planning report for ``plan`` (and ``compare_plan`` side by side) to ``path``.

    Needs a ``QApplication`` (the plots are pyqtgraph widgets). The file is written through
    :class:`QSaveFile`: a reader never sees a half-written PDF, and a failure leaves any
    previous file in place. Raises :class:`ReportError` (one line) on failure.
    """
    if page_size not in PAGE_SIZES:
        raise ReportError(
            f"page size {page_size!r} is not supported (expected {' or '.join(PAGE_SIZES)})"
        )
    target = Path(path)
    if target.is_dir():
        raise ReportError(f"{target}: is a folder (expected a .pdf file name)")
    if not target.parent.is_dir():
        raise ReportError(f"{target}: folder {target.parent} does not exist")
    compare = (
        (compare_law, compare_plan)
        if compare_law is not None and compare_plan is not None
        else None
    )
    out = QSaveFile(str(target))
    if not out.open(QIODevice.OpenModeFlag.WriteOnly):
        raise ReportError(f"{target}: cannot write ({out.errorString()})")
    try:
        pages = _render(out, law, plan, compare, page_size, created or datetime.now(), with_plots)
    except BaseException:
        out.cancelWriting()
        out.commit()  # discards the temporary file
        raise
    if not out.commit():
        raise ReportError(f"{target}: cannot write ({out.errorString()})")
    return ReportResult(target, pages, page_size)


# ---------------------------------------------------------------------------------------------
# the window's action


def _plans_from_window(window: Any) -> tuple[Law, Plan, Law | None, Plan | None]:
    """The one place that knows how the window hands over its plan.

    ``MainWindow`` offers ``current_law()``, ``current_plan()`` and ``current_compare_plan()``;
    the compare law is ``current_compare_law()`` if the window has it, else the registry's law
    whose id the compare plan names.
    """
    law, plan = window.current_law(), window.current_plan()
    cmp_plan = window.current_compare_plan() if hasattr(window, "current_compare_plan") else None
    cmp_law = None
    if cmp_plan is not None:
        if hasattr(window, "current_compare_law"):
            cmp_law = window.current_compare_law()
        else:
            laws = getattr(getattr(window, "registry", None), "laws", {})
            cmp_law = next((lw for lw in laws.values() if lw.id == cmp_plan.preset), None)
    return law, plan, cmp_law, cmp_plan


def open_after_export_action(parent: Any) -> QAction:
    """A checkable "Open report after export" action bound to QSettings, for the File menu."""
    action = QAction("Open report after export", parent)
    action.setCheckable(True)
    action.setChecked(QSettings().value(SETTINGS_OPEN_AFTER, False, type=bool))
    action.toggled.connect(lambda on: QSettings().setValue(SETTINGS_OPEN_AFTER, bool(on)))
    return action


def export_report_dialog(window: QWidget) -> Path | None:
    """Ask for a path, write the window's current plan as a PDF, optionally open it.

    Returns the written path, or None if the user cancelled or writing failed (the user
    is told why in a message box).
    """
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    law, plan, cmp_law, cmp_plan = _plans_from_window(window)
    settings = QSettings()
    folder = settings.value(SETTINGS_LAST_DIR, str(Path.home()), type=str)
    suggested = str(Path(folder) / f"plan-{plan.preset}-{fmt_sci(plan.flops, 2)}.pdf")
    path, _ = QFileDialog.getSaveFileName(
        window, "Export report", suggested, "PDF documents (*.pdf)"
    )
    if not path:
        return None
    if not path.lower().endswith(".pdf"):
        path += ".pdf"
    page_size = "Letter" if _prefers_letter() else "A4"
    try:
        result = write_report(path, law, plan, cmp_law, cmp_plan, page_size=page_size)
    except ReportError as exc:
        QMessageBox.warning(window, "Export report", f"The report was not written.\n\n{exc}")
        return None
    settings.setValue(SETTINGS_LAST_DIR, str(Path(path).parent))
    status = getattr(window, "statusBar", None)
    if callable(status):
        status().showMessage(f"Report written to {path} ({result.pages} pages)", 8000)
    if settings.value(SETTINGS_OPEN_AFTER, False, type=bool):
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(result.path)))
    return result.path


def _prefers_letter() -> bool:
    """Locales measuring in US units print on Letter paper; everyone else on A4."""
    from PySide6.QtCore import QLocale

    return QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem


__all__ = [
    "PAGE_SIZES",
    "ReportError",
    "ReportResult",
    "export_report_dialog",
    "open_after_export_action",
    "write_report",
]
