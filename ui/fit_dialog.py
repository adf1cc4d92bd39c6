""" "Fit from runs...": fit a scaling law to a team's training runs, with bootstrap intervals.

Public API::

    open_fit_dialog(window, path=None, *, synchronous=False) -> FitDialog
        # non-modal dialog parented to the main window; "Use this law" calls
        # window.set_law(law, group="Fitted"); a second call raises the open dialog
    FitDialog(parent=None, *, path=None, synchronous=False)
        .lawAccepted(law)                 # emitted by "Use this law"
        .fitFinished(outcome)             # a fit (and bootstrap) result was applied
        .load_file(path, columns=None) -> bool   # read + preview; a bad file shows its message
        .set_column(role, header) -> bool # choose a column (None automatic, "" not used), re-read
        .chosen_columns() -> dict         # what the column drop-downs say
        .ask() -> bool                    # "What would this run give?": loss [lo – hi] at N, D or C
        .options() -> FitOptions          # what the option widgets say
        .start_fit() -> bool              # run in the worker (or at once when synchronous)
        .cancel()                         # stop the worker; no result is applied
        .outcome -> FitOutcome | None     # the applied result
        .save_preset(path) -> bool        # atomic, via planner.fitting.fitter.write_fitted_preset
        .use_law() -> bool                # emit lawAccepted(outcome.law)
    run_fit(runs, options, report=None, is_cancelled=None) -> FitOutcome   # Qt-free pipeline

The pipeline (:func:`run_fit`) is: the outlier filters (Epoch's highest-loss filter, the
residual filter; optional), the full-data fit (:func:`planner.fitting.fitter`), the
leave-largest-out extrapolation check, the bootstrap in chunks of :data:`BOOT_CHUNK` resamples
(each chunk reports progress and checks the cancel flag), the rolling folds that measure the
extrapolation error (:func:`planner.fitting.calibration.calibrate`), then the in-memory law with
its bootstrap samples and calibration. It runs in a
:class:`ui.workers.JobRunner` worker thread; a generation counter drops stale results.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from planner.fitting import (
    CHINCHILLA_PARAMS,
    KAPLAN_PARAMS,
    BootstrapResult,
    ComputeResiduals,
    FitResult,
    HoldoutResult,
    leave_largest_out,
    residuals_by_compute,
)
from planner.fitting import fitter as fitting
from planner.fitting.calibration import Calibration, calibrate
from planner.fitting.predict import predict
from planner.fitting.preset import fitted_law, write_fitted_preset
from planner.fitting.runs import (
    Runs,
    RunsError,
    data_range,
    drop_highest_loss,
    load_runs,
    read_headers,
)
from planner.laws import Law
from planner.units import fmt_sci, parse_number
from ui import screen, settings
from ui.job_dialog import JobDialog, ResultsTable, log_x_plot, show_once
from ui.plots import _Axis, _pen, _Plot, frontier_bands, with_alpha
from ui.workers import Cancelled, IsCancelled, Report, error_text

RUNS_FILTER = "Runs files (*.csv *.tsv *.tab *.txt *.parquet *.pq);;All files (*)"
BOOT_CHUNK = 100  # resamples per progress step / cancel check (~20 ms each on Epoch's data)
PREVIEW_ROWS = 50
EPOCH_DROP = 5
HOLDOUT_FRAC = 0.2
MAX_GROUP_CURVES = 16
SYMBOLS = {"alpha": "α", "beta": "β", "alpha_N": "α_N", "alpha_D": "α_D"}
ROLE_LABELS = {"n_params": "N (parameters)", "n_tokens": "D (tokens)", "flops": "C (FLOPs)", "loss": "loss"}
AUTO, NOT_USED = "(automatic)", "(not used)"
FORM_PARAMS = {"chinchilla": CHINCHILLA_PARAMS, "kaplan": KAPLAN_PARAMS}


# ============================================================================================
# Qt-free pipeline
# ============================================================================================
@dataclass(frozen=True)
class FitOptions:
    """What to fit: form, filter, pins, bootstrap size, objective."""

    form: str = "chinchilla"
    drop_highest: int = 0  # Epoch's filter uses 5
    pin: Mapping[str, float] = field(default_factory=dict)
    n_bootstrap: int = 1000
    loss_fn: str = "huber"
    delta: float = 1e-3
    seed: int = 0
    level: float = 0.95
    holdout_frac: float = HOLDOUT_FRAC
    drop_residual: float = 0.0  # > 0: drop runs beyond this many robust residual scales, refit
    folds: int = 6  # rolling folds of the extrapolation-error calibration (0: none)
    n_meaning: str = "total"  # what the runs' N counts (written into the law)
    loss_unit: str = "nats"  # unit of the file's loss column (the runs are read in nats)

    def fit_kwargs(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "loss_fn": self.loss_fn,
            "delta": self.delta,
            "pin": dict(self.pin),
            "drop_residual": self.drop_residual,
        }


@dataclass(frozen=True, eq=False)
class FitOutcome:
    """Everything one fit produced (the dialog shows it; the window receives ``law``)."""

    runs: Runs  # as read (rows skipped by the reader are in runs.skipped)
    used: Runs  # after the outlier filter (removed rows in used.dropped)
    options: FitOptions
    fit: FitResult  # with ci/se when bootstrapped
    boot: BootstrapResult | None
    holdout: HoldoutResult | None
    holdout_error: str
    residuals: ComputeResiduals  # of the fit on the used runs
    dropped_residuals: ComputeResiduals | None  # of the fit on the filtered-out runs
    law: Law | None
    law_error: str
    preset_id: str
    name: str
    timings: Mapping[str, float]
    calibration: Calibration | None = None


def preset_identity(runs: Runs, options: FitOptions) -> tuple[str, str]:
    """A preset id (``fit-<file stem>``) and a display name for a fit of ``runs``."""
    stem = runs.source.stem if runs.source is not None else "runs"
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "runs"
    preset_id = f"fit-{slug}"[:80]
    fname = runs.source.name if runs.source is not None else "runs"
    form = "Chinchilla" if options.form == "chinchilla" else "Kaplan"
    return preset_id, f"{form} law fitted to {fname}"


def chunked_bootstrap(
    used: Runs,
    base: FitResult,
    options: FitOptions,
    report: Report | None = None,
    is_cancelled: IsCancelled | None = None,
    step0: int = 0,
    total: int | None = None,
) -> BootstrapResult:
    """:func:`planner.fitting.fitter.bootstrap` in chunks of :data:`BOOT_CHUNK` resamples.

    Each chunk draws its resamples from its own seed (spawned from ``options.seed`` by
    ``numpy.random.SeedSequence``), so the result depends on the seed only, not on timing.
    Between chunks it reports progress and raises :class:`ui.workers.Cancelled` on request.
    """
    t0 = time.perf_counter()
    n = int(options.n_bootstrap)
    n_chunks = max(1, math.ceil(n / BOOT_CHUNK))
    seeds = np.random.SeedSequence(options.seed).generate_state(n_chunks)
    total = step0 + n_chunks if total is None else total
    parts: list[np.ndarray] = []
    names: tuple[str, ...] = FORM_PARAMS[options.form]
    for i in range(n_chunks):
        if is_cancelled is not None and is_cancelled():
            raise Cancelled
        b = min(BOOT_CHUNK, n - i * BOOT_CHUNK)
        part = fitting.bootstrap(
            used,
            n=b,
            seed=int(seeds[i]),
            level=options.level,
            base=base,
            chunk=b,
            **options.fit_kwargs(),
        )
        parts.append(part.samples)
        names = part.names
        if report is not None:
            report(step0 + i + 1, total, f"Bootstrap {min(n, (i + 1) * BOOT_CHUNK):,} of {n:,}")
    samples = np.concatenate(parts) if parts else np.empty((0, len(names)))
    ci, se = fitting.summarise_bootstrap(samples, names, options.level)
    issues = fitting.identification_issues(base, ci, min_loss=float(np.min(used.loss)), level=options.level)
    return BootstrapResult(
        fit=replace(base, ci=ci, se=se, identification=tuple(issues)),
        samples=samples,
        names=names,
        level=options.level,
        ci=ci,
        se=se,
        n_requested=n,
        n_ok=len(samples),
        seed=options.seed,
        seconds=time.perf_counter() - t0 + base.seconds,
    )


def _loss_unit_label(options: FitOptions) -> str:
    return "nats/token" + {"bits": " (converted from bits per token)",
                           "perplexity": " (converted from perplexity)"}.get(options.loss_unit, "")


def make_law(
    boot: BootstrapResult | None,
    fit: FitResult,
    runs: Runs,
    *,
    preset_id: str,
    name: str,
    holdout: HoldoutResult | None = None,
    calibration: Calibration | None = None,
    options: FitOptions | None = None,
) -> Law:
    """The in-memory law: :func:`planner.fitting.fitter.fitted_law` (bootstrap samples and the
    extrapolation calibration attached).

    ``runs`` are the runs as read, before the fit's outlier filters (``fit.dropped``).
    """
    law_of = boot if boot is not None else fit
    options = options or FitOptions()
    return fitted_law(law_of, runs, preset_id=preset_id, name=name, holdout=holdout, calibration=calibration,
                      n_meaning=options.n_meaning, loss_unit=_loss_unit_label(options))


def run_fit(
    runs: Runs,
    options: FitOptions,
    report: Report | None = None,
    is_cancelled: IsCancelled | None = None,
) -> FitOutcome:
    """Filter, fit, hold-out check, chunked bootstrap and law, reporting ``(done, total)``."""
    report = report or (lambda *_: None)
    stop = is_cancelled or (lambda: False)

    def check() -> None:
        if stop():
            raise Cancelled

    n_chunks = max(1, math.ceil(options.n_bootstrap / BOOT_CHUNK)) if options.n_bootstrap else 0
    n_folds = options.folds if n_chunks else 0
    total = 2 + n_chunks + n_folds
    timings: dict[str, float] = {}
    report(0, total, f"Fitting {len(runs):,} runs…")
    t = time.perf_counter()
    # fit the runs as read with the filters, so the result records what they dropped (provenance)
    base = fitting.fit(runs, drop_highest=options.drop_highest, **options.fit_kwargs())
    used = fitting.used_runs(runs, base)
    timings["fit"] = time.perf_counter() - t
    check()
    report(1, total, "Leave-largest-out check…")
    holdout, holdout_error = None, ""
    t = time.perf_counter()
    try:
        holdout = leave_largest_out(used, frac=options.holdout_frac, **options.fit_kwargs())
    except ValueError as exc:
        holdout_error = error_text(exc)
    timings["holdout"] = time.perf_counter() - t
    check()
    report(2, total, "Bootstrap…" if n_chunks else "Done")
    boot = None
    if n_chunks:
        t = time.perf_counter()
        boot = chunked_bootstrap(used, base, options, report, stop, step0=2, total=total)
        timings["bootstrap"] = time.perf_counter() - t
        result = boot.fit
    else:
        result = base
    check()
    calibration = None
    if n_folds:
        t = time.perf_counter()
        done = [2 + n_chunks]

        def fold_done(_k: int) -> None:
            check()
            done[0] += 1
            report(done[0], total, "Rolling folds (extrapolation error)…")

        calibration = calibrate(used, options.fit_kwargs(), max_folds=n_folds, progress=fold_done)
        timings["calibration"] = time.perf_counter() - t
        report(total, total, "Done")  # fewer folds than at most n_folds may exist
    check()
    preset_id, name = preset_identity(runs, options)
    law, law_error = None, ""
    try:
        law = make_law(boot, result, runs, preset_id=preset_id, name=name, holdout=holdout,
                       calibration=calibration, options=options)
    except (ValueError, TypeError, KeyError) as exc:
        law_error = error_text(exc)
    resid = residuals_by_compute(result, used)
    dropped_resid = None
    if len(used) < len(runs):
        keep = np.isin(runs.rows, used.rows, invert=True)
        dropped_resid = residuals_by_compute(result, runs.subset(keep))
    return FitOutcome(
        runs=runs,
        used=used,
        options=options,
        fit=result,
        boot=boot,
        holdout=holdout,
        holdout_error=holdout_error,
        residuals=resid,
        dropped_residuals=dropped_resid,
        law=law,
        law_error=law_error,
        preset_id=preset_id,
        name=name,
        timings=timings,
        calibration=calibration,
    )


def isoflop_groups(flops: np.ndarray, width: float = 0.25) -> list[np.ndarray]:
    """Indices of runs grouped by compute: log10(C) rounded to bins ``width`` decades wide.

    IsoFLOP grids usually sit at 1, 3 and 6 x 10^k FLOP (log10 = k, k + 0.48, k + 0.78), which
    land in separate quarter-decade bins even with a few per cent of scatter.
    """
    if len(flops) == 0:
        return []
    key = np.round(np.log10(np.asarray(flops, dtype=float)) / width).astype(np.int64)
    return [np.flatnonzero(key == k) for k in np.unique(key)]


def frontier_from_fit(fit: FitResult, flops: np.ndarray) -> np.ndarray:
    """Minimum predicted loss over N at each budget (C = 6ND), by a vectorised log-N grid."""
    c = np.asarray(flops, dtype=float)[:, None]
    n = np.logspace(5, 14, 1200)[None, :]
    with np.errstate(all="ignore"):
        loss = np.asarray(fit.predict(n, c / (6.0 * n)))
    loss = np.where(np.isfinite(loss), loss, np.inf)
    return loss.min(axis=1)


# ============================================================================================
# The dialog
# ============================================================================================
class _DecadeAxis(_Axis):
    """Log axis that labels decades only (the minor 2·10⁸, 3·10⁸... labels overlap)."""

    def logTickStrings(self, values, scale, spacing):
        strings = super().logTickStrings(values, scale, spacing)
        decade = [abs(v - round(v)) < 1e-6 for v in values]
        if sum(decade) >= 2:
            return [s if d else "" for s, d in zip(strings, decade, strict=True)]
        return strings


def _fmt(x: float | None, sig: int = 5) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return fmt_sci(x, sig)


class FitDialog(JobDialog):
    """Pick a runs file, preview it, fit, bootstrap, look at the fit, save or use the law."""

    FAILED = "Fit failed: {message}"
    CANCELLED = "Fit cancelled; nothing was changed."

    lawAccepted = Signal(object)  # Law
    fitFinished = Signal(object)  # FitOutcome

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        path: str | Path | None = None,
        synchronous: bool = False,
    ) -> None:
        super().__init__(parent, name="fitDialog", title="Fit a scaling law from runs", synchronous=synchronous)
        self.runs: Runs | None = None
        self.outcome: FitOutcome | None = None
        self._job_started = 0.0
        self._build()
        self._sync_buttons()
        self._show_empty(True)
        screen.fit_to_screen(self, QSize(1320, 860))
        if path is not None:
            self.load_file(path)

    # ---------------------------------------------------------------- construction
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Runs file:"))
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("runsPath")
        self.path_edit.setPlaceholderText("CSV, TSV or Parquet: one row per run (N, D or C, loss)")
        self.path_edit.returnPressed.connect(lambda: self.load_file(self.path_edit.text()))
        top.addWidget(self.path_edit, 1)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setObjectName("browseButton")
        self.browse_button.clicked.connect(self.browse)
        top.addWidget(self.browse_button)
        outer.addLayout(top)
        outer.addWidget(self._message_label("fitMessage", "Choose a file of training runs to fit."))

        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self._build_left())
        split.addWidget(self._build_right())
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 800])
        body = QScrollArea()  # on a small screen the body scrolls; the buttons stay in view
        body.setObjectName("fitBody")
        body.setWidgetResizable(True)
        body.setFrameShape(QFrame.Shape.NoFrame)
        body.setWidget(split)
        outer.addWidget(body, 1)

        bottom = QHBoxLayout()
        bottom.addWidget(self._progress_bar("fitProgress"), 1)
        self.fit_button = QPushButton("Fit")
        self.fit_button.setObjectName("fitButton")
        self.fit_button.setDefault(True)
        self.fit_button.clicked.connect(self.start_fit)
        self.cancel_button = QPushButton("Cancel fit")
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button = QPushButton("Save preset as…")
        self.save_button.setObjectName("savePresetButton")
        self.save_button.clicked.connect(self.save_preset_dialog)
        self.use_button = QPushButton("Use this law")
        self.use_button.setObjectName("useLawButton")
        self.use_button.clicked.connect(self.use_law)
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("closeButton")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        for b in (
            self.fit_button,
            self.cancel_button,
            self.save_button,
            self.use_button,
            self.close_button,
        ):
            bottom.addWidget(b)
        outer.addLayout(bottom)

    def _build_left(self) -> QWidget:
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 4, 0)
        data = QGroupBox("Data")
        dl = QVBoxLayout(data)
        self.mapping_label = QLabel("—")
        self.mapping_label.setObjectName("mappingLabel")
        self.mapping_label.setWordWrap(True)
        dl.addWidget(self.mapping_label)
        cols = QHBoxLayout()
        self.column_combos: dict[str, QComboBox] = {}
        for role, label in ROLE_LABELS.items():
            combo = QComboBox()
            combo.setObjectName(f"column_{role}")
            combo.setToolTip(f"Column holding {label}; '(automatic)' finds it by name, '(not used)' leaves it out")
            combo.setEnabled(False)
            combo.activated.connect(lambda _i: self._reload_with_columns())
            self.column_combos[role] = combo
            cols.addWidget(QLabel(label.split()[0]))
            cols.addWidget(combo, 1)
        dl.addLayout(cols)
        self.preview = ResultsTable(["row", "N", "D", "C", "loss", "note"], "previewTable")
        dl.addWidget(self.preview, 3)
        self.skipped_title = QLabel("Rows not used")
        dl.addWidget(self.skipped_title)
        self.skipped = QPlainTextEdit()
        self.skipped.setObjectName("skippedList")
        self.skipped.setReadOnly(True)
        self.skipped.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.skipped.setMaximumHeight(110)
        dl.addWidget(self.skipped, 1)
        lay.addWidget(data, 1)

        opts = QGroupBox("Options")
        form = QFormLayout(opts)
        self.form_combo = QComboBox()
        self.form_combo.setObjectName("formCombo")
        self.form_combo.addItem("Chinchilla: L = E + A/N^α + B/D^β", "chinchilla")
        self.form_combo.addItem("Kaplan: L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D", "kaplan")
        self.form_combo.currentIndexChanged.connect(self._on_form_changed)
        form.addRow("Form", self.form_combo)
        self.drop_check = QCheckBox(f"Drop the {EPOCH_DROP} highest-loss runs (Epoch's filter)")
        self.drop_check.setObjectName("dropCheck")
        self.drop_check.toggled.connect(lambda _on: self._show_unused())
        form.addRow("Outliers", self.drop_check)
        self.residual_check = QCheckBox("Drop runs beyond 3 robust residual scales, refit")
        self.residual_check.setObjectName("residualCheck")
        self.residual_check.setToolTip("Fit, drop the runs whose ln residual exceeds 3 x 1.4826 x median |residual|, "
                                       "refit; the dropped runs are listed with their residuals")
        form.addRow("", self.residual_check)
        units = QHBoxLayout()
        self.loss_unit_combo = QComboBox()
        self.loss_unit_combo.setObjectName("lossUnitCombo")
        for text, unit in (("nats per token", "nats"), ("bits per token (× ln 2)", "bits"),
                           ("perplexity (ln)", "perplexity")):
            self.loss_unit_combo.addItem(text, unit)
        self.loss_unit_combo.activated.connect(lambda _i: self._reload_with_columns())
        self.n_meaning_combo = QComboBox()
        self.n_meaning_combo.setObjectName("nMeaningCombo")
        self.n_meaning_combo.addItem("N = total parameters", "total")
        self.n_meaning_combo.addItem("N = non-embedding parameters", "non_embedding")
        units.addWidget(self.loss_unit_combo, 1)
        units.addWidget(self.n_meaning_combo, 1)
        form.addRow("Loss unit, N", units)
        pin_row = QHBoxLayout()
        self.pin_combo = QComboBox()
        self.pin_combo.setObjectName("pinCombo")
        self.pin_value = QLineEdit()
        self.pin_value.setObjectName("pinValue")
        self.pin_value.setPlaceholderText("value, e.g. 1.69")
        self.pin_combo.currentIndexChanged.connect(
            lambda _i: self.pin_value.setEnabled(self.pin_combo.currentData() is not None)
        )
        pin_row.addWidget(self.pin_combo)
        pin_row.addWidget(self.pin_value, 1)
        form.addRow("Pin", pin_row)
        self.boot_spin = QSpinBox()
        self.boot_spin.setObjectName("bootSpin")
        self.boot_spin.setRange(0, 1_000_000)
        self.boot_spin.setSingleStep(100)
        self.boot_spin.setGroupSeparatorShown(True)
        self.boot_spin.setValue(1000)
        self.boot_spin.setToolTip("Resamples of the runs (0: no intervals)")
        form.addRow("Bootstrap resamples", self.boot_spin)
        loss_row = QHBoxLayout()
        self.loss_combo = QComboBox()
        self.loss_combo.setObjectName("lossCombo")
        self.loss_combo.addItem("Huber on ln loss", "huber")
        self.loss_combo.addItem("Least squares on ln loss", "ls")
        self.delta_edit = QLineEdit("1e-3")
        self.delta_edit.setObjectName("deltaEdit")
        self.delta_edit.setToolTip(
            "Huber threshold δ in ln-loss units (Hoffmann et al., Epoch: 1e-3)"
        )
        self.loss_combo.currentIndexChanged.connect(
            lambda _i: self.delta_edit.setEnabled(self.loss_combo.currentData() == "huber")
        )
        loss_row.addWidget(self.loss_combo, 1)
        loss_row.addWidget(QLabel("δ"))
        loss_row.addWidget(self.delta_edit)
        form.addRow("Objective", loss_row)
        lay.addWidget(opts)
        self._on_form_changed()
        return left

    def _build_right(self) -> QWidget:
        right = QWidget()
        lay = QVBoxLayout(right)
        lay.setContentsMargins(4, 0, 0, 0)
        res = QGroupBox("Fit")
        rl = QVBoxLayout(res)
        self.coef_table = ResultsTable(
            ["parameter", "value", "bootstrap SE", "95% interval"], "coefTable"
        )
        self.coef_table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        rl.addWidget(self.coef_table)
        self.summary = QLabel("No fit yet.")
        self.summary.setObjectName("fitSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea()  # the summary grows with identification notes and hold-out rows
        scroll.setObjectName("summaryScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.summary)
        scroll.setMinimumHeight(120)
        rl.addWidget(scroll, 1)
        lay.addWidget(res, 2)

        ask = QGroupBox("What would this run give?")
        al = QHBoxLayout(ask)
        al.addWidget(QLabel("N"))
        self.ask_n = QLineEdit()
        self.ask_n.setObjectName("askN")
        self.ask_n.setPlaceholderText("parameters, e.g. 7e9")
        al.addWidget(self.ask_n, 1)
        self.ask_kind = QComboBox()
        self.ask_kind.setObjectName("askKind")
        self.ask_kind.addItem("D (tokens)", "tokens")
        self.ask_kind.addItem("C (FLOPs)", "flops")
        al.addWidget(self.ask_kind)
        self.ask_value = QLineEdit()
        self.ask_value.setObjectName("askValue")
        self.ask_value.setPlaceholderText("e.g. 1.4e11")
        al.addWidget(self.ask_value, 1)
        self.ask_button = QPushButton("Predict")
        self.ask_button.setObjectName("askButton")
        self.ask_button.clicked.connect(self.ask)
        self.ask_n.returnPressed.connect(self.ask)
        self.ask_value.returnPressed.connect(self.ask)
        al.addWidget(self.ask_button)
        self.ask_result = QLabel("Fit first, then type a run's size and tokens (or FLOPs).")
        self.ask_result.setObjectName("askResult")
        self.ask_result.setWordWrap(True)
        self.ask_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(ask)
        lay.addWidget(self.ask_result)

        view_row = QHBoxLayout()
        view_row.addWidget(QLabel("Plot"))
        self.view_combo = QComboBox()
        self.view_combo.setObjectName("viewCombo")
        self.view_combo.addItem("Loss vs parameters N, fitted curve per isoFLOP group", "n")
        self.view_combo.addItem("Loss vs compute C, fitted frontier", "c")
        self.view_combo.currentIndexChanged.connect(lambda _i: self._draw_fit_plot())
        view_row.addWidget(self.view_combo, 1)
        lay.addLayout(view_row)
        plots = QSplitter(Qt.Orientation.Vertical)
        self.fit_plot = log_x_plot("Runs and fitted law (colour: log10 compute)", "Parameters N", "Loss",
                                   self._colors, _DecadeAxis)  # fmt: skip
        self.resid_plot = log_x_plot("Residuals by compute: ln(predicted / actual)", "Training compute C (FLOPs)",
                                     "ln residual", self._colors, _DecadeAxis)  # fmt: skip
        legend = self.fit_plot.addLegend(offset=(8, -8), labelTextSize="8pt")
        legend.setBrush(pg.mkBrush(QColor(self._colors["bg"])))
        legend.setPen(_pen(self._colors["grid"]))
        legend.setLabelTextColor(self._colors["fg"])
        plots.addWidget(self.fit_plot)
        plots.addWidget(self.resid_plot)
        plots.setSizes([460, 260])
        lay.addWidget(plots, 3)
        self._fit_items: list[pg.GraphicsObject] = []
        self._resid_items: list[pg.GraphicsObject] = []
        return right

    def _on_form_changed(self, _index: int = 0) -> None:
        form = self.form_combo.currentData()
        current = self.pin_combo.currentData()
        self.pin_combo.blockSignals(True)
        self.pin_combo.clear()
        self.pin_combo.addItem("nothing", None)
        for name in FORM_PARAMS[form]:
            self.pin_combo.addItem(SYMBOLS.get(name, name), name)
        idx = self.pin_combo.findData(current)
        self.pin_combo.setCurrentIndex(max(idx, 0))
        self.pin_combo.blockSignals(False)
        self.pin_value.setEnabled(self.pin_combo.currentData() is not None)

    # ---------------------------------------------------------------- file
    def browse(self) -> None:
        start = settings.load_json("last_runs_dir")
        start = start if isinstance(start, str) and Path(start).is_dir() else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open runs file", start, RUNS_FILTER)
        if path:
            settings.save_json("last_runs_dir", str(Path(path).parent))
            self.load_file(path)

    def load_file(self, path: str | Path, columns: Mapping[str, str | None] | None = None) -> bool:
        """Read ``path`` (with ``columns`` chosen for some roles: header, ``""`` not used) and
        show its preview and column mapping; on error show the message and keep going."""
        path = Path(str(path).strip())
        self.runner.cancel()
        self.path_edit.setText(str(path))
        try:
            runs = load_runs(path, columns=columns, loss_unit=self.loss_unit_combo.currentData())
        except RunsError as exc:
            self._fill_column_combos(path, None, columns)
            hint = " (here: choose 'perplexity (ln)' under Loss unit)" if "looks like perplexity" in str(exc) else ""
            return self._load_failed(str(exc) + hint)
        except Exception as exc:  # a bad file must never crash the dialog
            return self._load_failed(f"{path}: {error_text(exc)}")
        self.runs = runs
        self._fill_column_combos(path, runs, columns)
        self._clear_results()
        skipped = len(runs.skipped)
        self._say(
            f"Read {len(runs):,} runs from {path.name}"
            + (f"; {skipped:,} rows skipped (listed below)" if skipped else "")
            + "."
        )
        self._show_preview()
        self._sync_buttons()
        return True

    def _fill_column_combos(self, path: Path, runs: Runs | None,
                            chosen: Mapping[str, str | None] | None) -> None:
        """One drop-down per role listing the file's columns, showing the one in use."""
        headers: list[str] = list(runs.headers) if runs is not None else []
        numeric: list[bool] = [True] * len(headers)
        if runs is None:
            try:
                headers, numeric = read_headers(path)
            except (RunsError, OSError):
                headers, numeric = [], []
        elif headers:
            try:
                numeric = read_headers(path)[1]
            except (RunsError, OSError):
                pass
        for role, combo in self.column_combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(AUTO, None)
            combo.addItem(NOT_USED, "")
            for h, num in zip(headers, numeric, strict=False):
                combo.addItem(h if num else f"{h} (text)", h)
            used = (runs.columns.get(role) if runs is not None else None)
            want = (chosen or {}).get(role)
            target = used if used is not None else want
            idx = combo.findData(target) if target is not None else (1 if runs is not None else 0)
            combo.setCurrentIndex(max(idx, 0))
            combo.setEnabled(bool(headers))
            combo.blockSignals(False)

    def chosen_columns(self) -> dict[str, str | None]:
        """Role -> header the drop-downs name (None: automatic, "": not used)."""
        return {role: combo.currentData() for role, combo in self.column_combos.items()}

    def set_column(self, role: str, header: str | None) -> bool:
        """Choose the column for ``role`` (None: automatic, "": not used) and re-read the file."""
        combo = self.column_combos[role]
        idx = combo.findData(header)
        if idx < 0:
            return False
        combo.setCurrentIndex(idx)
        return self._reload_with_columns()

    def _reload_with_columns(self) -> bool:
        text = self.path_edit.text().strip()
        if not text:
            return False
        return self.load_file(text, self.chosen_columns())

    def _load_failed(self, text: str) -> bool:
        self.runs = None
        self._clear_results()
        self.preview.setRowCount(0)
        self.mapping_label.setText("—")
        self.skipped.setPlainText("")
        self._say(f"Cannot read runs: {' '.join(text.split())}", error=True)  # one line
        self._sync_buttons()
        return False

    def _show_preview(self) -> None:
        runs = self.runs
        assert runs is not None
        cols = runs.columns
        n_h = f"N ← {cols.get('n_params', '?')}"
        d_h = "D = C/(6N)" if runs.tokens_from_flops else f"D ← {cols.get('n_tokens', '?')}"
        c_h = f"C ← {cols['flops']}" if "flops" in cols else "C = 6ND"
        l_h = f"loss ← {cols.get('loss', '?')}"
        self.preview.setHorizontalHeaderLabels(["row", n_h, d_h, c_h, l_h, "note"])
        parts = [f"N (parameters) ← column '{cols.get('n_params')}'"]
        if runs.tokens_from_flops:
            parts.append(f"C (FLOP) ← column '{cols.get('flops')}', D derived as C/(6N)")
        else:
            parts.append(f"D (tokens) ← column '{cols.get('n_tokens')}'")
            parts.append(f"C ← column '{cols['flops']}'" if "flops" in cols else "C = 6ND")
        parts.append(f"loss ← column '{cols.get('loss')}'")
        rng = data_range(runs)
        self.mapping_label.setText(
            "Columns: " + "; ".join(parts) + f".\n{len(runs):,} runs: C {_fmt(rng.flops[0], 3)} – "
            f"{_fmt(rng.flops[1], 3)} FLOP, N {_fmt(rng.n_params[0], 3)} – "
            f"{_fmt(rng.n_params[1], 3)}, loss {_fmt(rng.loss[0], 4)} – {_fmt(rng.loss[1], 4)}."
        )
        self._show_unused()

    def _dropped_rows(self) -> tuple:
        if self.runs is None or not self.drop_check.isChecked():
            return ()
        try:
            return drop_highest_loss(self.runs, EPOCH_DROP).dropped
        except ValueError:
            return ()

    def _show_unused(self) -> None:
        """Preview rows (dropped ones greyed) and the list of every row not used, with reasons."""
        runs = self.runs
        if runs is None:
            return
        dropped = self._dropped_rows()
        dropped_rows = {d.row for d in dropped}
        rows, muted = [], set()
        for i in range(min(PREVIEW_ROWS, len(runs))):
            r = int(runs.rows[i])
            note = "dropped (filter)" if r in dropped_rows else ""
            if note:
                muted.add(i)
            rows.append(
                [
                    str(r),
                    _fmt(runs.n_params[i]),
                    _fmt(runs.n_tokens[i]),
                    _fmt(runs.flops[i]),
                    _fmt(runs.loss[i]),
                    note,
                ]
            )
        self.preview.fill(rows, muted)
        lines = [f"skipped {s}" for s in runs.skipped]
        lines += [f"dropped {d}" for d in dropped]
        shown = f"first {PREVIEW_ROWS} of " if len(runs) > PREVIEW_ROWS else ""
        self.preview.setToolTip(f"Showing {shown}{len(runs):,} usable runs")
        self.skipped_title.setText(
            f"Rows not used: {len(runs.skipped)} skipped by the reader, {len(dropped)} dropped "
            f"by the filter — {len(runs) - len(dropped):,} runs will be fitted"
        )
        self.skipped.setPlainText("\n".join(lines) if lines else "Every row of the file is used.")

    # ---------------------------------------------------------------- options
    def options(self) -> FitOptions:
        """The options the widgets show; ValueError with a readable reason for a bad entry."""
        form = self.form_combo.currentData()
        pin: dict[str, float] = {}
        name = self.pin_combo.currentData()
        if name is not None:
            text = self.pin_value.text().strip()
            if not text:
                raise ValueError(f"type a value to pin {SYMBOLS.get(name, name)} to")
            try:
                pin[name] = parse_number(text)
            except ValueError as exc:
                raise ValueError(f"pinned {SYMBOLS.get(name, name)}: {exc}") from None
        loss_fn = self.loss_combo.currentData()
        delta = 1e-3
        if loss_fn == "huber":
            try:
                delta = parse_number(self.delta_edit.text().strip())
            except ValueError as exc:
                raise ValueError(f"Huber δ: {exc}") from None
            if not (math.isfinite(delta) and delta > 0):
                raise ValueError(
                    f"Huber δ must be a positive number, got {self.delta_edit.text()!r}"
                )
        return FitOptions(
            form=form,
            drop_highest=EPOCH_DROP if self.drop_check.isChecked() else 0,
            pin=pin,
            n_bootstrap=self.boot_spin.value(),
            loss_fn=loss_fn,
            delta=delta,
            drop_residual=3.0 if self.residual_check.isChecked() else 0.0,
            n_meaning=self.n_meaning_combo.currentData(),
            loss_unit=self.loss_unit_combo.currentData(),
        )

    def set_options(self, options: FitOptions) -> None:
        """Show ``options`` in the widgets (tests, scripts)."""
        self.form_combo.setCurrentIndex(self.form_combo.findData(options.form))
        self.drop_check.setChecked(bool(options.drop_highest))
        name, value = next(iter(options.pin.items()), (None, None))
        self.pin_combo.setCurrentIndex(max(self.pin_combo.findData(name), 0))
        self.pin_value.setText("" if value is None else repr(float(value)))
        self.boot_spin.setValue(int(options.n_bootstrap))
        self.loss_combo.setCurrentIndex(self.loss_combo.findData(options.loss_fn))
        self.delta_edit.setText(repr(float(options.delta)))
        self.residual_check.setChecked(options.drop_residual > 0)
        self.n_meaning_combo.setCurrentIndex(max(self.n_meaning_combo.findData(options.n_meaning), 0))
        if self.loss_unit_combo.currentData() != options.loss_unit:
            self.loss_unit_combo.setCurrentIndex(max(self.loss_unit_combo.findData(options.loss_unit), 0))
            self._reload_with_columns()

    # ---------------------------------------------------------------- running
    def start_fit(self) -> bool:
        """Start the fit with the current options (in the worker unless synchronous)."""
        if self.runs is None:
            self._say("Choose a runs file first.", error=True)
            return False
        try:
            options = self.options()
        except ValueError as exc:
            self._say(f"Cannot fit: {exc}", error=True)
            return False
        runs = self.runs
        self._job_started = time.perf_counter()
        self._begin_progress()
        self._say(f"Fitting {runs.source.name if runs.source else 'runs'}…")
        self.runner.start(lambda report, cancelled: run_fit(runs, options, report, cancelled))
        return True

    def _on_finished(self, outcome: FitOutcome) -> None:
        elapsed = time.perf_counter() - self._job_started
        self.outcome = outcome
        self._end_progress(f"Done in {elapsed:.2f} s", done=True)
        self._show_outcome(outcome, elapsed)
        self._sync_buttons()
        self.fitFinished.emit(outcome)

    def _sync_buttons(self, *_args: object) -> None:
        running = self.runner.is_running()
        self.fit_button.setEnabled(self.runs is not None and not running)
        self.cancel_button.setEnabled(running)
        has = self.outcome is not None and not running
        self.save_button.setEnabled(has)
        self.use_button.setEnabled(
            has and self.outcome is not None and self.outcome.law is not None
        )
        if self.outcome is not None and self.outcome.law is None:
            self.use_button.setToolTip(self.outcome.law_error)
        else:
            self.use_button.setToolTip("Make the fitted law the window's active preset")

    # ---------------------------------------------------------------- results
    def _clear_results(self) -> None:
        self.outcome = None
        self.coef_table.setRowCount(0)
        self.summary.setText("No fit yet.")
        for plot, items in ((self.fit_plot, self._fit_items), (self.resid_plot, self._resid_items)):
            for it in items:
                plot.getPlotItem().removeItem(it)
            items.clear()
        legend = self.fit_plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        self._show_empty(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")

    def _show_empty(self, empty: bool) -> None:
        """Before a fit the plots say so: no axes, no legend, one line of text."""
        for plot, text in ((self.fit_plot, "Runs and the fitted law appear here after a fit"),
                           (self.resid_plot, "Residuals appear here after a fit")):  # fmt: skip
            pi = plot.getPlotItem()
            for side in ("left", "bottom"):
                pi.showAxis(side, not empty)
            pi.showGrid(x=not empty, y=not empty, alpha=1.0)
            if pi.legend is not None:
                pi.legend.setVisible(not empty)
            note = getattr(plot, "_empty_note", None)
            if note is None:
                note = pg.TextItem(text, color=self._colors["fg"], anchor=(0.5, 0.5))
                plot._empty_note = note  # type: ignore[attr-defined]
                pi.addItem(note, ignoreBounds=True)
            note.setVisible(empty)
            if empty:
                pi.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
                note.setPos(0.5, 0.5)

    def _show_outcome(self, out: FitOutcome, elapsed: float) -> None:
        fit = out.fit
        self._show_empty(False)
        rows = []
        for name in FORM_PARAMS[fit.form]:
            value = fit.params[name]
            if name in fit.pinned:
                rows.append([SYMBOLS.get(name, name), _fmt(value), "pinned", "—"])
                continue
            se = (fit.se or {}).get(name)
            ci = (fit.ci or {}).get(name)
            rows.append(
                [
                    SYMBOLS.get(name, name),
                    _fmt(value),
                    _fmt(se, 4) if se is not None else "—",
                    f"{_fmt(ci[0], 4)} – {_fmt(ci[1], 4)}" if ci else "—",
                ]
            )
        self.coef_table.fill(rows)
        h = self.coef_table.horizontalHeader().height() + 4
        h += sum(self.coef_table.rowHeight(r) for r in range(self.coef_table.rowCount()))
        self.coef_table.setFixedHeight(h)
        self.summary.setText(self._summary_text(out, elapsed))
        self._say(
            f"Done: {out.name} ({out.preset_id})."
            + (f" Note: {out.law_error}" if out.law_error else "")
        )
        self._draw_fit_plot()
        self._draw_residuals()

    @staticmethod
    def _summary_text(out: FitOutcome, elapsed: float) -> str:
        fit = out.fit
        objective = (
            "sum of Huber δ=" + f"{fit.delta:g}" if fit.loss_fn == "huber" else "sum of r²/2"
        ) + " of ln-loss residuals"
        lines = [
            f"Objective {fit.objective:.6g} ({objective}).",
            ("✓ " if fit.converged else "⚠ ") + fit.message[:1].upper() + fit.message[1:] + ".",
        ]
        n_skip, n_drop = len(out.runs.skipped), len(out.used.dropped)
        lines.append(
            f"Runs: {len(out.runs) + n_skip:,} rows read, {n_skip:,} skipped, "
            f"{n_drop:,} dropped by the outlier filter, {fit.n_points:,} used."
        )
        for issue in fit.identification:
            lines.append(f"⚠ Not identified: {issue}.")
        if out.runs.loss_note:
            lines.append(f"Loss: {out.runs.loss_note}.")
        if out.boot is not None:
            b = out.boot
            lines.append(
                f"Bootstrap: {b.n_ok:,} of {b.n_requested:,} resamples converged; "
                f"coefficient intervals are {b.level:.0%} percentile intervals."
            )
            if out.calibration is not None:
                lines.append(
                    f"Loss intervals: {b.level:.0%} prediction intervals, bootstrap + extrapolation error: "
                    f"{out.calibration.describe()}."
                )
            else:
                lines.append("Loss intervals: bootstrap only (parameter noise; too few compute levels "
                             "for rolling folds).")
        else:
            lines.append("Bootstrap: off (no intervals).")
        if out.holdout is not None:
            from planner.cli.fit import holdout_text

            lines.append(f"Leave-largest-out: {holdout_text(out.holdout, out.used)}.")
        else:
            lines.append(f"Leave-largest-out check not available: {out.holdout_error}")
        t = out.timings
        lines.append(
            f"Time: fit {t.get('fit', 0):.2f} s, hold-out {t.get('holdout', 0):.2f} s, "
            f"bootstrap {t.get('bootstrap', 0):.2f} s, folds {t.get('calibration', 0):.2f} s; "
            f"{elapsed:.2f} s in all."
        )
        return "\n".join(lines)

    # ---------------------------------------------------------------- plots
    def _cmap_brushes(self, flops: np.ndarray, lo: float, hi: float) -> list:
        cmap = pg.colormap.get("viridis")
        t = (np.log10(flops) - lo) / max(hi - lo, 1e-12)
        colors = cmap.map(np.clip(0.9 * t, 0, 1), mode="qcolor")
        return [pg.mkBrush(c) for c in colors]

    def _add(self, plot: _Plot, items: list, item: pg.GraphicsObject) -> pg.GraphicsObject:
        plot.getPlotItem().addItem(item)
        items.append(item)
        return item

    def _draw_fit_plot(self) -> None:
        plot, items = self.fit_plot, self._fit_items
        pi = plot.getPlotItem()
        for it in items:
            pi.removeItem(it)
        items.clear()
        if pi.legend is not None:
            pi.legend.clear()
        out = self.outcome
        if out is None:
            return
        c = self._colors
        used, fit = out.used, out.fit
        lc_all = np.log10(out.runs.flops)
        lo, hi = float(lc_all.min()), float(lc_all.max())
        by_n = self.view_combo.currentData() == "n"
        if pi.legend is not None:  # the empty corner: high loss at small N, low loss at large C
            pi.legend.setOffset((8, 8) if by_n else (-8, 8))
        pi.setLabel("bottom", "Parameters N" if by_n else "Training compute C (FLOPs)")
        xs = used.n_params if by_n else used.flops
        pts = pg.PlotDataItem(
            xs,
            used.loss,
            pen=None,
            symbol="o",
            symbolSize=6,
            symbolPen=pg.mkPen(c["bg"], width=0.5),
            symbolBrush=self._cmap_brushes(used.flops, lo, hi),
            name="runs used",
        )
        self._add(plot, items, pts)
        dr = out.dropped_residuals
        if dr is not None and len(dr.flops):
            keep = np.isin(out.runs.rows, used.rows, invert=True)
            dn = out.runs.n_params[keep] if by_n else out.runs.flops[keep]
            self._add(
                plot,
                items,
                pg.PlotDataItem(
                    dn,
                    out.runs.loss[keep],
                    pen=None,
                    symbol="x",
                    symbolSize=8,
                    symbolPen=pg.mkPen(c["muted"], width=1.5),
                    symbolBrush=None,
                    name="dropped by filter",
                ),
            )
        ys = [used.loss]
        if by_n:
            groups = [g for g in isoflop_groups(used.flops) if len(g) >= 3]
            groups = sorted(groups, key=len, reverse=True)[:MAX_GROUP_CURVES]
            cmap = pg.colormap.get("viridis")
            first = True
            for g in sorted(groups, key=lambda g: float(np.median(used.flops[g]))):
                cg = float(np.median(used.flops[g]))
                n_lo, n_hi = float(used.n_params[g].min()), float(used.n_params[g].max())
                if n_hi / n_lo < 1.5:
                    continue
                n = np.logspace(math.log10(n_lo / 1.2), math.log10(n_hi * 1.2), 80)
                with np.errstate(all="ignore"):
                    loss = np.asarray(fit.predict(n, cg / (6.0 * n)))
                col = cmap.map(
                    float(np.clip(0.9 * (math.log10(cg) - lo) / max(hi - lo, 1e-12), 0, 1)),
                    mode="qcolor",
                )
                self._add(
                    plot,
                    items,
                    pg.PlotDataItem(
                        n,
                        loss,
                        pen=_pen(col.name(), 1.5),
                        name="fit per isoFLOP group" if first else None,
                    ),
                )
                first = False
            n_all = np.concatenate([used.n_params])
            x_lo, x_hi = float(n_all.min()) / 1.5, float(n_all.max()) * 1.5
        else:
            cgrid = np.logspace(lo - 0.3, hi + 1.0, 160)
            front = frontier_from_fit(fit, cgrid)
            bands = frontier_bands(out.law, cgrid) if out.law is not None else None
            band = bands.get("loss") if bands else None
            if band is not None:
                # edges need a pen: a PlotDataItem without one keeps no path to fill between
                edge = _pen(with_alpha(c["main"], 110))
                blo = self._add(plot, items, pg.PlotDataItem(cgrid, band[0], pen=edge))
                bhi = self._add(plot, items, pg.PlotDataItem(cgrid, band[1], pen=edge))
                fill = pg.FillBetweenItem(blo, bhi, brush=pg.mkBrush(with_alpha(c["main"], 60)))
                self._add(plot, items, fill)
                fill.setZValue(-0.5)
            self._add(
                plot,
                items,
                pg.PlotDataItem(cgrid, front, pen=_pen(c["main"], 2), name="fitted frontier L*(C)"),
            )
            x_lo, x_hi = 10 ** (lo - 0.3), 10 ** (hi + 1.0)
            ys.append(front)
        y = np.concatenate([np.asarray(v)[np.isfinite(v)] for v in ys])
        y_lo, y_hi = float(np.min(used.loss)), float(np.percentile(y, 99.5))
        if out.dropped_residuals is not None:
            y_hi = max(y_hi, float(np.max(out.runs.loss)))
        pad = 0.05 * (y_hi - y_lo or 1.0)
        ymin = min(y_lo, float(np.min(y))) - pad
        plot.setRange(
            xRange=(math.log10(x_lo), math.log10(x_hi)), yRange=(ymin, y_hi + pad), padding=0
        )

    def _draw_residuals(self) -> None:
        plot, items = self.resid_plot, self._resid_items
        pi = plot.getPlotItem()
        for it in items:
            pi.removeItem(it)
        items.clear()
        out = self.outcome
        if out is None:
            return
        c = self._colors
        r = out.residuals
        lc_all = np.log10(out.runs.flops)
        lo, hi = float(lc_all.min()), float(lc_all.max())
        zero = pg.InfiniteLine(
            pos=0.0, angle=0, movable=False, pen=_pen(c["muted"], 1, dashed=True)
        )
        pi.addItem(zero, ignoreBounds=True)
        items.append(zero)
        self._add(
            plot,
            items,
            pg.PlotDataItem(
                r.flops,
                r.log_residual,
                pen=None,
                symbol="o",
                symbolSize=6,
                symbolPen=pg.mkPen(c["bg"], width=0.5),
                symbolBrush=self._cmap_brushes(r.flops, lo, hi),
            ),
        )
        vals = [r.log_residual]
        dr = out.dropped_residuals
        if dr is not None and len(dr.flops):
            self._add(
                plot,
                items,
                pg.PlotDataItem(
                    dr.flops,
                    dr.log_residual,
                    pen=None,
                    symbol="x",
                    symbolSize=8,
                    symbolPen=pg.mkPen(c["muted"], width=1.5),
                    symbolBrush=None,
                ),
            )
        if out.holdout is not None:
            ho = out.holdout
            hold = np.log(ho.predicted) - np.log(ho.actual)
            self._add(
                plot,
                items,
                pg.PlotDataItem(
                    ho.flops,
                    hold,
                    pen=None,
                    symbol="t",
                    symbolSize=8,
                    symbolPen=pg.mkPen(c["second"], width=1.5),
                    symbolBrush=None,
                ),
            )
            vals.append(hold)
        v = np.concatenate(vals)
        v = v[np.isfinite(v)]
        span = float(np.percentile(np.abs(v), 99)) if v.size else 0.01
        span = max(span * 1.15, 1e-3)
        plot.setRange(xRange=(lo - 0.1, hi + 0.1), yRange=(-span, span), padding=0)
        plot.getPlotItem().setTitle(
            "Residuals by compute: ln(predicted / actual)"
            + ("  ·  ▽ leave-largest-out predictions" if out.holdout is not None else "")
            + ("  ·  × dropped" if dr is not None else ""),
            size="10pt",
            color=c["fg"],
        )

    # ---------------------------------------------------------------- save / use
    def save_preset_dialog(self) -> None:
        if self.outcome is None:
            return
        start = settings.load_json("last_dir")
        start = start if isinstance(start, str) and Path(start).is_dir() else str(Path.home())
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save fitted preset as",
            str(Path(start) / f"{self.outcome.preset_id}.toml"),
            "TOML preset (*.toml);;JSON preset (*.json)",
        )
        if path:
            if Path(path).suffix.lower() not in (".toml", ".json"):
                path += ".toml"
            self.save_preset(path)

    def save_preset(self, path: str | Path) -> bool:
        """Write the fitted preset atomically; errors go to the dialog's message line."""
        out = self.outcome
        if out is None:
            self._say("Nothing to save: run a fit first.", error=True)
            return False
        try:
            write_fitted_preset(
                path,
                out.boot if out.boot is not None else out.fit,
                out.runs,
                preset_id=out.preset_id,
                name=out.name,
                holdout=out.holdout,
                calibration=out.calibration,
                n_meaning=out.options.n_meaning,
                loss_unit=_loss_unit_label(out.options),
            )
        except Exception as exc:  # PresetError, OSError, ...: a message, not a crash
            self._say(f"Cannot save preset: {error_text(exc)}", error=True)
            return False
        self._say(f"Saved {path}.")
        return True

    def ask(self) -> bool:
        """"What would this run give?": the fitted law's loss at the typed N and D (or C), with
        its interval and what kind of interval it is."""
        out = self.outcome
        if out is None or out.law is None:
            self.ask_result.setText("Fit first: the prediction uses the fitted law.")
            return False
        try:
            n = parse_number(self.ask_n.text().strip())
            v = parse_number(self.ask_value.text().strip())
            by_tokens = self.ask_kind.currentData() == "tokens"
            pred = predict(out.law, n, n_tokens=v if by_tokens else None, flops=None if by_tokens else v)
        except ValueError as exc:
            self.ask_result.setText(f"Cannot predict: {exc}")
            return False
        p = pred.point(0)
        lo, hi = p["loss_interval"]
        interval = f" [{lo:.4f} – {hi:.4f}]" if lo is not None else ""
        text = (f"N {_fmt(n, 4)}, D {_fmt(p['n_tokens'], 4)} tokens, C {_fmt(p['flops'], 4)} FLOPs → loss "
                f"{p['loss']:.4f}{interval} {pred.loss_unit}. {pred.interval_kind[:1].upper()}{pred.interval_kind[1:]}.")
        if p["warnings"]:
            text += " " + " ".join(p["warnings"])
        self.ask_result.setText(text)
        return True

    def use_law(self) -> bool:
        """Emit :attr:`lawAccepted` with the fitted law (the window makes it active)."""
        out = self.outcome
        if out is None or out.law is None:
            self._say(
                out.law_error if out is not None and out.law_error else "Run a fit first.",
                error=True,
            )
            return False
        self.lawAccepted.emit(out.law)
        self._say(f"{out.law.id} is now the window's active preset (group “Fitted”).")
        return True

def open_fit_dialog(
    window: Any, path: str | Path | None = None, *, synchronous: bool = False
) -> FitDialog:
    """Show the (non-modal) fit dialog over ``window``; "Use this law" calls ``set_law``."""
    def make() -> FitDialog:
        dialog = FitDialog(window, path=path, synchronous=synchronous)
        if window is not None and hasattr(window, "set_law"):
            dialog.lawAccepted.connect(lambda law: window.set_law(law, group="Fitted"))
        return dialog

    reuse = (lambda existing: existing.load_file(path)) if path is not None else None
    return show_once(window, FitDialog, "fitDialog", make, reuse)

__all__ = [
    "FitDialog",
    "FitOptions",
    "FitOutcome",
    "chunked_bootstrap",
    "frontier_from_fit",
    "isoflop_groups",
    "make_law",
    "open_fit_dialog",
    "run_fit",
]
