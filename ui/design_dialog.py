""" "Design experiment...": which small runs to train before the big one, what they cost and the
precision they buy at the target (:mod:`planner.fitting.design`), in a window.

Public API::

    open_design_dialog(window, *, synchronous=False) -> DesignDialog
        # non-modal, parented to the main window; its target starts as the window's question
    DesignDialog(parent=None, *, question=None, laws=None, synchronous=False)
        .designFinished(outcome)          # a simulation finished and was applied
        .set_target(flops=None, law_key=None, fraction_percent=None, kind=None, reps=None, noise=None)
        .designs -> list[Design]          # the proposed run lists (instant, no simulation)
        .start() -> bool                  # simulate in the worker (at once when synchronous)
        .cancel()                         # stop the worker; no result is applied
        .outcome -> DesignOutcome | None  # the applied simulation
        .selected() -> (Design, Precision | None)
        .export(path) -> bool             # CSV, or JSON for a .json path (the selected design)
    run_designs(question, kinds, fraction, reps, noise, seed, report, is_cancelled) -> DesignOutcome

The run list is proposed as the inputs change (milliseconds); the simulation, hundreds of fits,
runs in a :class:`ui.workers.JobRunner` worker with progress and cancel, as the fit dialog does.
The left plot shows the selected design's runs on the prior's IsoFLOP curves and the target with
its simulated N* range and loss prediction interval; the right one the prior's compute frontier,
the runs, and the predicted loss band from the runs to the target.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from planner import Question, get_law
from planner.fitting import design as dz
from planner.fitting import design_files as df
from planner.laws import ChinchillaLaw, Law
from planner.units import fmt_sci, fmt_usd, parse_number
from ui.job_dialog import JobDialog, ResultsTable, log_x_plot, show_once
from ui.plots import _pen, _Plot, with_alpha
from ui.workers import IsCancelled, Report

KIND_LABELS = {"all": "Compare all three", "isoflop": "IsoFLOP grid", "ladder": "Ladder (fixed tokens per parameter)",
               "overtrained": "Over-trained small models"}  # fmt: skip
EXPORT_FILTER = "CSV run list (*.csv);;JSON (*.json)"
MAX_CURVES = 12


# ============================================================================================
# Qt-free pipeline
# ============================================================================================
@dataclass(frozen=True)
class DesignOutcome:
    designs: tuple[dz.Design, ...]
    precisions: tuple[dz.Precision, ...]
    comparison: dz.Comparison | None
    seconds: float


def run_designs(question: Question, kinds: tuple[str, ...], fraction: float, reps: int, noise: float, seed: int = 0,
                report: Report | None = None, is_cancelled: IsCancelled | None = None) -> DesignOutcome:
    """Propose and simulate ``kinds``; ``report(done, total, text)`` after every chunk of fits."""
    t0 = time.perf_counter()
    designs = [dz.propose(question, k, fraction=fraction) for k in kinds]
    total = reps * len(designs)
    precisions = []
    for i, d in enumerate(designs):

        def step(done: int, n: int, i: int = i, d: dz.Design = d) -> None:
            if report is not None:
                report(i * reps + done, total, f"{_title(d.kind)}: {done} of {n} simulated fits")

        precisions.append(dz.simulate(d, reps=reps, noise=noise, seed=seed, progress=step, is_cancelled=is_cancelled))
    comparison = dz.compare(precisions) if len(precisions) > 1 else None
    return DesignOutcome(tuple(designs), tuple(precisions), comparison, time.perf_counter() - t0)


def design_laws(window: Any = None) -> dict[str, Law]:
    """Chinchilla-form laws to design from: the window's (current first), else the built-in ones."""
    out: dict[str, Law] = {}
    if window is not None:
        current = window.current_law()
        if isinstance(current, ChinchillaLaw) and current.form == "chinchilla":
            out[f"current: {current.id}"] = current
        for key, law in window.registry.laws.items():
            if isinstance(law, ChinchillaLaw) and law.form == "chinchilla" and law not in out.values():
                out[key] = law
    if not out:
        from planner import builtin_presets

        for p in builtin_presets():
            if isinstance(p.law, ChinchillaLaw) and p.law.form == "chinchilla":
                out[p.id] = p.law
    return out


# ============================================================================================
# The dialog
# ============================================================================================
def _title(kind: str) -> str:
    t = dz.DESIGN_TITLES[kind]
    return t[:1].upper() + t[1:]


class DesignDialog(JobDialog):
    """Propose runs for a target, simulate the designs, compare, plot and export."""

    CANCELLED = "Simulation cancelled; the run lists are unchanged, no precision is shown."

    designFinished = Signal(object)  # DesignOutcome

    def __init__(self, parent: QWidget | None = None, *, question: Question | None = None,
                 laws: Mapping[str, Law] | None = None, synchronous: bool = False) -> None:
        super().__init__(parent, name="designDialog", title="Design the scaling experiment", synchronous=synchronous)
        self.laws: dict[str, Law] = dict(laws or design_laws(None))
        self.base_question = question if question is not None else Question(law=get_law("epoch-2024"), flops=1e24)
        if not (isinstance(self.base_question.law, ChinchillaLaw) and self.base_question.law.form == "chinchilla"):
            self.base_question = dataclasses.replace(self.base_question, law=next(iter(self.laws.values())))
        self.designs: list[dz.Design] = []
        self.outcome: DesignOutcome | None = None
        self._items: dict[str, list] = {"iso": [], "loss": []}
        self._build()
        self._fit_screen()
        self._repropose()
        self._sync_buttons()

    # ---------------------------------------------------------------- construction
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self._build_left())
        split.addWidget(self._build_right())
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([340, 960])
        outer.addWidget(split, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self._progress_bar("designProgress"), 1)
        self.simulate_button = QPushButton("Simulate")
        self.simulate_button.setObjectName("simulateButton")
        self.simulate_button.setDefault(True)
        self.simulate_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button = QPushButton("Export run list…")
        self.export_button.setObjectName("exportButton")
        self.export_button.clicked.connect(self.export_dialog)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeButton")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        for b in (self.simulate_button, self.cancel_button, self.export_button, self.close_button):
            bottom.addWidget(b)
        outer.addLayout(bottom)

    def _build_left(self) -> QWidget:
        inner = QWidget()
        lay = QVBoxLayout(inner)
        lay.setContentsMargins(0, 0, 4, 0)
        tgt = QGroupBox("Target")
        form = QFormLayout(tgt)
        self.law_combo = QComboBox()
        self.law_combo.setObjectName("lawCombo")
        for key in self.laws:
            self.law_combo.addItem(key, key)
        start_key = next((k for k, v in self.laws.items() if v is self.base_question.law), None)
        if start_key is None:
            self.laws = {self.base_question.law.id: self.base_question.law, **self.laws}
            self.law_combo.insertItem(0, self.base_question.law.id, self.base_question.law.id)
            start_key = self.base_question.law.id
        self.law_combo.setCurrentIndex(self.law_combo.findData(start_key))
        self.law_combo.setToolTip("The prior: the law the runs' losses are simulated from (Chinchilla form)")
        form.addRow("Prior law", self.law_combo)
        self.flops_edit = QLineEdit(fmt_sci(self._base_flops(), 4))
        self.flops_edit.setObjectName("targetFlops")
        self.flops_edit.setToolTip("The target run's training budget, FLOPs (e.g. 1e24, 3.8e25)")
        form.addRow("Budget (FLOPs)", self.flops_edit)
        self.target_label = QLabel("—")
        self.target_label.setObjectName("targetLabel")
        self.target_label.setWordWrap(True)
        self.target_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow(self.target_label)
        lay.addWidget(tgt)

        exp = QGroupBox("Experiment")
        ef = QFormLayout(exp)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("kindCombo")
        for k, label in KIND_LABELS.items():
            self.kind_combo.addItem(label, k)
        ef.addRow("Design", self.kind_combo)
        self.fraction_spin = QDoubleSpinBox()
        self.fraction_spin.setObjectName("fractionSpin")
        self.fraction_spin.setRange(0.01, 100.0)
        self.fraction_spin.setDecimals(2)
        self.fraction_spin.setSingleStep(0.5)
        self.fraction_spin.setSuffix(" %")
        self.fraction_spin.setValue(dz.DEFAULT_FRACTION * 100)
        self.fraction_spin.setToolTip("Experiment budget as a share of the target's compute (default 1%: OLMo's "
                                      "ladder models cost 1% of their targets, Bhagia et al. 2024, arXiv 2412.04403)")
        ef.addRow("Budget (of target)", self.fraction_spin)
        self.reps_spin = QSpinBox()
        self.reps_spin.setObjectName("repsSpin")
        self.reps_spin.setRange(20, 5000)
        self.reps_spin.setSingleStep(50)
        self.reps_spin.setValue(200)
        ef.addRow("Simulated fits", self.reps_spin)
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setObjectName("noiseSpin")
        self.noise_spin.setRange(0.0, 0.2)
        self.noise_spin.setDecimals(4)
        self.noise_spin.setSingleStep(0.001)
        self.noise_spin.setValue(dz.NOISE_SD)
        self.noise_spin.setToolTip(f"SD of ln(loss) around the law. Default {dz.NOISE_SD:g}: {dz.NOISE_SOURCE}")
        ef.addRow("Noise (SD ln loss)", self.noise_spin)
        self.seed_spin = QSpinBox()
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setRange(0, 2**31 - 1)
        ef.addRow("Seed", self.seed_spin)
        lay.addWidget(exp)
        self.rule_label = QLabel("")
        self.rule_label.setObjectName("ruleLabel")
        self.rule_label.setWordWrap(True)
        self.rule_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.rule_label)
        lay.addWidget(self._message_label("designMessage"))
        lay.addStretch(1)
        for w in (self.law_combo, self.kind_combo):
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(12)
            w.currentIndexChanged.connect(self._repropose)
        for f in (form, ef):
            f.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.flops_edit.editingFinished.connect(self._repropose)
        self.fraction_spin.valueChanged.connect(self._repropose)
        scroll = QScrollArea()
        scroll.setWidget(inner)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        return scroll

    def _build_right(self) -> QWidget:
        c = self._colors
        self.compare_table = ResultsTable(["design", "runs", "cost", "N* (95% of fits)", "N* ×/÷", "loss spread",
                                           "loss 95% PI", "precision per $"], "compareTable")  # fmt: skip
        self.compare_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.compare_table.setToolTip("Precision per dollar = 1 / (dollars × sd(ln N*) × sd(ln L*)), relative to the "
                                      "best; select a row to plot and export that design")
        self.compare_table.itemSelectionChanged.connect(self._redraw)
        self.iso_plot = log_x_plot("Runs on the prior's IsoFLOP curves", "Parameters N", "Loss", c)
        self.iso_plot.setObjectName("isoPlot")
        self.loss_plot = log_x_plot("Predicted loss, runs to target", "Training compute C (FLOPs)", "Loss", c)
        self.loss_plot.setObjectName("lossPlot")
        for plot in (self.iso_plot, self.loss_plot):
            plot.setMinimumSize(200, 150)
        # legends in the empty corners: large N and high loss; small C and low loss
        for p, offset in ((self.iso_plot, (-8, 8)), (self.loss_plot, (8, -8))):
            legend = p.getPlotItem().addLegend(offset=offset, labelTextColor=c["fg"],
                                               brush=pg.mkBrush(with_alpha(c["bg"], 210)), verSpacing=-6)  # fmt: skip
            legend.setLabelTextSize("8pt")
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.iso_plot)
        plots.addWidget(self.loss_plot)
        self.runs_table = ResultsTable(["run", "C = 6ND (FLOPs)", "N (params)", "D (tokens)", "D/N", "shape (L × d)",
                                        "GPU-hours", "USD"], "runsTable")  # fmt: skip
        self.runs_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        right.addWidget(self.compare_table)
        right.addWidget(plots)
        right.addWidget(self.runs_table)
        right.setStretchFactor(1, 1)
        right.setSizes([110, 360, 150])
        return right

    def _fit_screen(self) -> None:
        """A size that fits the available screen (1366 x 768 laptops included)."""
        from ui.screen import fit_to_screen

        fit_to_screen(self, QSize(1300, 800))

    # ---------------------------------------------------------------- inputs
    def _base_flops(self) -> float:
        from planner.solve.plan import plan

        try:
            p = plan(self.base_question)
        except ValueError:
            return 1e24
        return p.flops if p.success and math.isfinite(p.flops) else 1e24

    def kinds(self) -> tuple[str, ...]:
        k = self.kind_combo.currentData()
        return tuple(dz.DESIGNS) if k == "all" else (k,)

    def question(self) -> Question:
        """The target question: the window's, with the chosen law and FLOPs budget (raises ValueError)."""
        try:
            flops = parse_number(self.flops_edit.text())
        except ValueError as exc:
            raise ValueError(f"budget: {exc}") from None
        law = self.laws[self.law_combo.currentData()]
        return dataclasses.replace(self.base_question, law=law).with_(flops=flops)

    def set_target(self, *, flops: float | None = None, law_key: str | None = None,
                   fraction_percent: float | None = None, kind: str | None = None, reps: int | None = None,
                   noise: float | None = None) -> None:
        """Set inputs as a user would (tests, scripts)."""
        blockers = [w.blockSignals(True) for w in (self.law_combo, self.kind_combo, self.fraction_spin)]
        try:
            if flops is not None:
                self.flops_edit.setText(fmt_sci(flops, 6))
            if law_key is not None:
                self.law_combo.setCurrentIndex(self.law_combo.findData(law_key))
            if kind is not None:
                self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))
            if fraction_percent is not None:
                self.fraction_spin.setValue(fraction_percent)
        finally:
            for w, b in zip((self.law_combo, self.kind_combo, self.fraction_spin), blockers, strict=True):
                w.blockSignals(b)
        if reps is not None:
            self.reps_spin.setValue(reps)
        if noise is not None:
            self.noise_spin.setValue(noise)
        self._repropose()

    def _repropose(self, *_args: object) -> None:
        """Propose the run lists for the current inputs (instant); any simulation result is dropped."""
        if self.runner.is_running():
            self.runner.cancel()
        self.outcome = None
        try:
            q = self.question()
            fraction = self.fraction_spin.value() / 100.0
            self.designs = [dz.propose(q, k, fraction=fraction) for k in self.kinds()]
        except (ValueError, KeyError) as exc:
            self.designs = []
            self._say(str(exc.args[0] if isinstance(exc, KeyError) else exc), error=True)
            self._show()
            return
        t = self.designs[0].target
        self.target_label.setText(
            f"N* {fmt_sci(t.n_params, 4)} parameters, D* {fmt_sci(t.n_tokens, 4)} tokens, loss {fmt_sci(t.loss, 4)} "
            f"{t.loss_unit}; {fmt_sci(t.gpu_hours, 3)} GPU-hours, {fmt_usd(t.cost_usd)} on {t.gpu} at MFU {t.mfu:g}")
        d0 = self.designs[0]
        self._say(f"Experiment budget {fmt_sci(d0.budget_flops, 4)} FLOPs = {fmt_usd(d0.budget_usd)} "
                  f"({d0.fraction:.2%} of the target's compute), runs priced by their shapes' FLOPs with attention. "
                  "Simulate to see the precision each design buys.")  # fmt: skip
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self._show()

    # ---------------------------------------------------------------- the worker
    def start(self) -> bool:
        """Simulate the proposed designs (in the worker; at once when synchronous)."""
        if not self.designs:
            self._say("Nothing to simulate: fix the inputs first.", error=True)
            return False
        try:
            q = self.question()
        except ValueError as exc:
            self._say(str(exc), error=True)
            return False
        kinds, fraction = self.kinds(), self.fraction_spin.value() / 100.0
        reps, noise, seed = self.reps_spin.value(), self.noise_spin.value(), self.seed_spin.value()
        self.outcome = None
        self._begin_progress()
        self.runner.start(lambda report, cancelled: run_designs(q, kinds, fraction, reps, noise, seed, report,
                                                                 cancelled))  # fmt: skip
        return True

    def _on_finished(self, outcome: DesignOutcome) -> None:
        self.outcome = outcome
        self.designs = list(outcome.designs)
        self._end_progress(f"Done: {len(outcome.designs) * outcome.precisions[0].reps} simulated fits in "
                           f"{outcome.seconds:.1f} s", done=True)  # fmt: skip
        self._show()
        self._summarise()
        self.designFinished.emit(outcome)

    def _sync_buttons(self, *_args: object) -> None:
        running = self.runner.is_running()
        self.simulate_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.export_button.setEnabled(not running and bool(self.designs))

    # ---------------------------------------------------------------- results
    def selected(self) -> tuple[dz.Design | None, dz.Precision | None]:
        if not self.designs:
            return None, None
        rows = self.compare_table.selectionModel().selectedRows() if self.compare_table.selectionModel() else []
        i = rows[0].row() if rows else 0
        i = min(i, len(self.designs) - 1)
        p = self.outcome.precisions[i] if self.outcome is not None and i < len(self.outcome.precisions) else None
        return self.designs[i], p

    def _show(self) -> None:
        rows = []
        precisions = self.outcome.precisions if self.outcome is not None else [None] * len(self.designs)
        rel = self.outcome.comparison.relative if self.outcome is not None and self.outcome.comparison else {}
        for d, p in zip(self.designs, precisions, strict=True):
            row = [_title(d.kind), str(len(d.runs)), fmt_usd(d.total_usd)]
            if p is None:
                row += ["—"] * 5
            else:
                lo, hi = p.intervals["n_params"]
                f = p.spread_factor("n_params")
                llo, lhi = p.intervals["loss"]
                row += [f"{fmt_sci(lo, 3)} – {fmt_sci(hi, 3)}", f"{f:.3g}" if f < 1e4 else "undetermined",
                        f"±{(lhi - llo) / 2 / d.target.loss:.1%}", f"±{p.loss_half_width:.1%}",
                        f"{rel[d.kind]:.2g}" if d.kind in rel else "—"]  # fmt: skip
            rows.append(row)
        keep = self.compare_table.currentRow()
        blocker = self.compare_table.blockSignals(True)
        self.compare_table.fill(rows)
        if rows:
            self.compare_table.selectRow(min(max(keep, 0), len(rows) - 1))
        self.compare_table.blockSignals(blocker)
        self._redraw()

    def _summarise(self) -> None:
        out = self.outcome
        if out is None:
            return
        d, p = self.selected()
        if p is None or d is None:
            return
        plo, phi = p.loss_interval
        n_lo, n_hi = p.intervals["n_params"]
        text = (f"{_title(d.kind)}: N* {fmt_sci(n_lo, 3)} – {fmt_sci(n_hi, 3)} "
                f"(95% of {p.reps} fits); loss {fmt_sci(plo, 4)} – {fmt_sci(phi, 4)}: {p.interval_kind}. "
                f"Noise SD {p.noise_sd:g} of ln loss.")  # fmt: skip
        if out.comparison is not None:
            best = out.comparison.pick
            text = f"Most precision per dollar: {_title(best)}. " + text
        warnings = p.warnings()
        if warnings:
            text += " " + " ".join(warnings)
        self._say(text)

    def _redraw(self) -> None:
        d, p = self.selected()
        if d is not None:
            self.rule_label.setText(f"{_title(d.kind)}: {d.rule}.")
            self.runs_table.fill([[str(r.index), fmt_sci(r.flops, 4), fmt_sci(r.n_params, 4), fmt_sci(r.n_tokens, 4),
                                     f"{r.tokens_per_param:.3g}", f"{r.arch.n_layers} × {r.arch.d_model}",
                                     fmt_sci(r.gpu_hours, 4), fmt_usd(r.usd)] for r in d.runs])  # fmt: skip
        else:
            self.rule_label.setText("")
            self.runs_table.fill([])
        self._draw_iso(d, p)
        self._draw_loss(d, p)
        if self.outcome is not None:
            self._summarise()

    def _clear(self, key: str, plot: _Plot) -> None:
        pi = plot.getPlotItem()
        for it in self._items[key]:
            pi.removeItem(it)
        self._items[key].clear()
        if pi.legend is not None:
            pi.legend.clear()

    def _add(self, key: str, plot: _Plot, item: pg.GraphicsObject) -> pg.GraphicsObject:
        plot.getPlotItem().addItem(item)
        self._items[key].append(item)
        return item

    def _draw_iso(self, d: dz.Design | None, p: dz.Precision | None) -> None:
        plot, c = self.iso_plot, self._colors
        self._clear("iso", plot)
        if d is None:
            return
        law = d.question.law
        budgets = sorted({r.isoflop_budget or r.flops for r in d.runs})
        if len(budgets) > MAX_CURVES:
            budgets = [budgets[i] for i in np.unique(np.linspace(0, len(budgets) - 1, MAX_CURVES).round().astype(int))]
        cmap = pg.colormap.get("viridis")
        lc = np.log10(budgets)
        span = max(float(lc.max() - lc.min()), 1e-9)
        ys = []
        for i, (cb, n, loss) in enumerate(dz.isoflop_curves(law, budgets, width_decades=1.0)):
            col = cmap.map(float(0.85 * (math.log10(cb) - lc.min()) / span), mode="qcolor")
            self._add("iso", plot, pg.PlotDataItem(n, loss, pen=_pen(col.name(), 1.2),
                                                   name="prior's IsoFLOP curves" if i == 0 else None))  # fmt: skip
            ys.append(loss)
        run_loss = np.asarray(law.loss(d.n_params, d.n_tokens), dtype=float)
        self._add("iso", plot, pg.PlotDataItem(d.n_params, run_loss, pen=None, symbol="o", symbolSize=7,
                                               symbolBrush=pg.mkBrush(c["main"]), symbolPen=pg.mkPen(c["bg"], width=0.8),
                                               name=f"{len(d.runs)} proposed runs"))  # fmt: skip
        t = d.target
        _cb, tn, tl = dz.isoflop_curves(law, [t.flops], width_decades=1.0)[0]
        self._add("iso", plot, pg.PlotDataItem(tn, tl, pen=_pen(c["second"], 1.6, dashed=True),
                                               name="target's IsoFLOP curve"))  # fmt: skip
        self._add("iso", plot, pg.PlotDataItem([t.n_params], [t.loss], pen=None, symbol="star", symbolSize=14,
                                               symbolBrush=pg.mkBrush(c["second"]), symbolPen=pg.mkPen(c["bg"]),
                                               name="target N*, L*"))  # fmt: skip
        x = [float(d.n_params.min()), float(tn.min()), float(tn.max())]
        ys += [run_loss, tl]
        if p is not None:
            lo, hi = p.intervals["n_params"]
            plo, phi = p.loss_interval
            pen = _pen(c["second"], 2.2)
            self._add("iso", plot, pg.PlotDataItem([t.n_params, t.n_params], [plo, phi], pen=pen,
                                                   name=f"loss {p.level:.0%} prediction interval"))  # fmt: skip
            self._add("iso", plot, pg.PlotDataItem([max(lo, 1.0), hi], [t.loss, t.loss], pen=_pen(c["third"], 2.2),
                                                   name="N*: 95% of simulated fits"))  # fmt: skip
            x += [max(lo, 1.0), hi]
            ys.append(np.array([plo, phi]))
        x_lo, x_hi = max(min(x) / 1.5, 1.0), max(x) * 1.5
        x_lo = max(x_lo, x_hi / 1e8)  # an undetermined N* range would flatten everything else
        y = np.concatenate([np.ravel(v)[np.isfinite(np.ravel(v))] for v in ys])
        y_lo, y_hi = float(np.min(y)), float(np.percentile(np.concatenate([run_loss, tl]), 100))
        pad = 0.05 * (y_hi - y_lo or 1.0)
        plot.setRange(xRange=(math.log10(x_lo), math.log10(x_hi)), yRange=(y_lo - pad, y_hi + pad), padding=0)

    def _draw_loss(self, d: dz.Design | None, p: dz.Precision | None) -> None:
        plot, c = self.loss_plot, self._colors
        self._clear("loss", plot)
        if d is None:
            return
        law = d.question.law
        t = d.target
        c_lo, c_hi = float(d.flops.min()) / 3.0, t.flops * 3.0
        grid = np.logspace(math.log10(c_lo), math.log10(c_hi), 120)
        front = np.asarray(law.frontier_loss(grid), dtype=float)
        ys = [front]
        if p is not None:
            band_c = np.logspace(math.log10(float(d.flops.min())), math.log10(t.flops * 1.5), 80)
            _centre, lo, hi = p.loss_interval_at(band_c)
            edge = _pen(with_alpha(c["second"], 110))
            blo = self._add("loss", plot, pg.PlotDataItem(band_c, lo, pen=edge))
            bhi = self._add("loss", plot, pg.PlotDataItem(band_c, hi, pen=edge,
                                                          name=f"{p.level:.0%} prediction interval"))  # fmt: skip
            fill = self._add("loss", plot, pg.FillBetweenItem(blo, bhi, brush=pg.mkBrush(with_alpha(c["second"], 50))))
            fill.setZValue(-0.5)
            slo, shi = p.intervals["loss"]
            self._add("loss", plot, pg.PlotDataItem([t.flops, t.flops], [slo, shi], pen=_pen(c["third"], 3),
                                                    name="fits' spread at the target"))  # fmt: skip
            ys += [lo[band_c <= t.flops * 1.2], hi[band_c <= t.flops * 1.2]]
        self._add("loss", plot, pg.PlotDataItem(grid, front, pen=_pen(c["main"], 2), name="prior's frontier L*(C)"))
        run_loss = np.asarray(law.loss(d.n_params, d.n_tokens), dtype=float)
        self._add("loss", plot, pg.PlotDataItem(d.flops, run_loss, pen=None, symbol="o", symbolSize=6,
                                                symbolBrush=pg.mkBrush(c["main"]),
                                                symbolPen=pg.mkPen(c["bg"], width=0.8),
                                                name="proposed runs"))  # fmt: skip
        self._add("loss", plot, pg.PlotDataItem([t.flops], [t.loss], pen=None, symbol="star", symbolSize=14,
                                                symbolBrush=pg.mkBrush(c["second"]), symbolPen=pg.mkPen(c["bg"]),
                                                name="target"))  # fmt: skip
        ys.append(run_loss)
        y = np.concatenate([np.ravel(v)[np.isfinite(np.ravel(v))] for v in ys])
        y_lo, y_hi = float(np.min(y)), float(np.max(run_loss))
        pad = 0.05 * (y_hi - y_lo or 1.0)
        plot.setRange(xRange=(math.log10(c_lo), math.log10(c_hi)), yRange=(y_lo - pad, y_hi + pad), padding=0)

    # ---------------------------------------------------------------- export
    def export_dialog(self) -> None:
        d, _p = self.selected()
        if d is None:
            return
        start = str(Path.home() / f"{d.kind}-runs.csv")
        path, chosen = QFileDialog.getSaveFileName(self, "Export run list", start, EXPORT_FILTER)
        if path:
            if Path(path).suffix.lower() not in (".csv", ".json"):
                path += ".json" if "json" in chosen.lower() else ".csv"
            self.export(path)

    def export(self, path: str | Path) -> bool:
        """Write the selected design (with its simulation in JSON) to ``path``: CSV, or JSON for .json."""
        d, p = self.selected()
        if d is None:
            self._say("Nothing to export: fix the inputs first.", error=True)
            return False
        try:
            written = df.write(d, p, path)
        except OSError as exc:
            self._say(f"Cannot export: {exc}", error=True)
            return False
        is_json = str(written).lower().endswith(".json")
        hint = "" if is_json else f"; fill in the loss column, then: planner fit {written}"
        self._say(f"Wrote {written} ({len(d.runs)} runs){hint}")
        return True


def open_design_dialog(window: Any, *, synchronous: bool = False) -> DesignDialog:
    """Show the (non-modal) design dialog over ``window``, starting from its current question."""
    question = None
    if window is not None:
        try:
            question = window.current_plan().question
        except (AssertionError, AttributeError):
            question = None
    return show_once(window, DesignDialog, "designDialog", lambda: DesignDialog(
        window, question=question, laws=design_laws(window), synchronous=synchronous))

__all__ = ["DesignDialog", "DesignOutcome", "design_laws", "open_design_dialog", "run_designs"]
