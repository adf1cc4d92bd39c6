"""The question's inputs: budget and hardware, constraints, model and data, architecture.

Knows no planner state: it shows values and emits edits. Every user edit comes out as
``inputEdited(field, value)`` where ``field`` is a :class:`ui.state.PlanInputs` field name, except
a budget, which comes out as ``budgetEdited(kind, value)`` with ``kind`` one of ``flops``,
``gpu_hours``, ``usd``, ``days`` (the four linked budget fields show the same budget). Sections
fold away; "Budget and hardware" is open, the others open when one of their boxes is ticked.
:meth:`BudgetPanel.show_inputs` writes every widget under signal blockers, so a state-driven
update never comes back as an edit.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.costs.hardware import CATALOGUE
from planner.effects.moe import DEFAULT_GRANULARITY
from planner.question import CHOICES, LIMITS
from ui.state import (
    BUDGET_INPUTS,
    FLOPS_LIMITS,
    GPU_HOURS_LIMITS,
    INFERENCE_LIMITS,
    MOE_LIMITS,
    UNIQUE_LIMITS,
    VOCAB_LIMITS,
    PlanInputs,
)
from ui.widgets.fields import QuantityField, Section, fraction_text, one_over_n
from ui.widgets.log_slider import LogSlider


def _lim(name: str) -> tuple[float, float]:
    lim = LIMITS[name]
    return (lim.lo if lim.lo > 0 else 1e-12, lim.hi)


def _set_spin(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
    """setValue only on a real change (a same-value setValue still repaints the spin box)."""
    if abs(spin.value() - value) > 1e-9 * max(abs(value), 1.0):
        spin.setValue(value)


def _set_checked(box: QCheckBox, on: bool) -> None:
    if box.isChecked() != on:
        box.setChecked(on)


def _set_combo(combo: QComboBox, text: str) -> None:
    if combo.currentText() != text:
        combo.setCurrentText(text)


def _form(parent: QWidget) -> QFormLayout:
    form = QFormLayout(parent)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setContentsMargins(6, 0, 2, 4)
    form.setVerticalSpacing(4)
    return form


def _row(*widgets: QWidget, stretch_last: bool = False) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setSpacing(6)
    for w in widgets:
        row.addWidget(w)
    if not stretch_last:
        row.addStretch(1)
    return row


def _combo(name: str, items: tuple, tip: str = "") -> QComboBox:
    box = QComboBox()
    box.setObjectName(name)
    for item in items:
        box.addItem(str(item))
    if tip:
        box.setToolTip(tip)
    return box


class BudgetPanel(QWidget):
    """The sidebar's inputs: budget, hardware, constraints, model and data, architecture."""

    inputEdited = Signal(str, object)
    budgetEdited = Signal(str, float)
    gpuHoursEdited = Signal(float)  # kept for scripts: the GPU-hours slider (also budgetEdited)
    rejected = Signal(str)  # a typed value that was refused (shown in the status bar)
    sliderDragging = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.sections = {
            "budget": Section("Budget and hardware", self._budget_box(), name="budgetSection"),
            "constraints": Section("Constraints: fixed size, serving", self._constraints_box(), expanded=False,
                                   name="constraintsSection"),
            "science": Section("Model and data", self._science_box(), name="scienceSection"),
            "architecture": Section("Architecture and training memory", self._architecture_box(), expanded=False,
                                    name="architectureSection"),
        }  # fmt: skip
        for section in self.sections.values():
            lay.addWidget(section)
        lay.addStretch(1)
        self._wire()

    # ---------------------------------------------------------------- sections
    def _budget_box(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        self.flops = LogSlider(*FLOPS_LIMITS, steps=900, unit="FLOPs", kind="flops", field_range=_lim("flops"))
        self.flops.slider.setObjectName("flopsSlider")
        self.flops.field.setObjectName("flopsField")
        self.gpu_hours = LogSlider(*GPU_HOURS_LIMITS, steps=1300, unit="GPU-hours", kind="count",
                                   field_range=_lim("gpu_hours"))  # fmt: skip
        self.gpu_hours.slider.setObjectName("gpuHoursSlider")
        self.gpu_hours.field.setObjectName("gpuHoursField")
        self.usd = QuantityField("usd", *_lim("usd"), what="budget in dollars")
        self.usd.setObjectName("usdField")
        self.days = QuantityField("days", *_lim("days"), what="wall-clock deadline on the GPUs below")
        self.days.setObjectName("daysField")
        self.budget_note = QLabel("")
        self.budget_note.setObjectName("budgetKindNote")
        self.budget_note.setWordWrap(True)
        form.addRow("Compute", self.flops)
        form.addRow("GPU time", self.gpu_hours)
        form.addRow("Dollars", _row(self.usd, QLabel("Deadline"), self.days, stretch_last=True))
        form.addRow("", self.budget_note)

        self.gpu = QComboBox()
        self.gpu.setObjectName("gpuCombo")
        for name, acc in CATALOGUE.items():
            self.gpu.addItem(name)
            self.gpu.setItemData(self.gpu.count() - 1, f"{acc.bf16_flops / 1e12:,.0f} TFLOP/s BF16 dense, "
                                 f"{acc.memory_bytes / 1e9:,.0f} GB; status {acc.status}",
                                 Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.n_gpus = QSpinBox()
        self.n_gpus.setObjectName("nGpusSpin")
        self.n_gpus.setRange(int(LIMITS["n_gpus"].lo), int(LIMITS["n_gpus"].hi))
        self.n_gpus.setGroupSeparatorShown(True)
        self.n_gpus.setAccelerated(True)
        self.mfu = QDoubleSpinBox()
        self.mfu.setObjectName("mfuSpin")
        self.mfu.setRange(LIMITS["mfu"].lo * 100, 100.0)
        self.mfu.setDecimals(1)
        self.mfu.setSuffix(" %")
        self.mfu.setToolTip("Model FLOPs utilisation: achieved / dense peak FLOP/s (published 38-55%)")
        self.price = QDoubleSpinBox()
        self.price.setObjectName("priceSpin")
        self.price.setRange(LIMITS["usd_per_gpu_hour"].lo, LIMITS["usd_per_gpu_hour"].hi)
        self.price.setDecimals(2)
        self.price.setPrefix("$")
        self.price.setSuffix(" /GPU-hour")
        self.price.setToolTip("The catalogue's illustrative price until you set yours: replace it with "
                              "your contract price")  # fmt: skip
        self.precision = _combo("precisionCombo", CHOICES["precision"], "training precision (the peak FLOP/s used)")
        form.addRow("GPU", _row(self.gpu, self.precision, stretch_last=True))
        form.addRow("GPUs", _row(self.n_gpus, QLabel("MFU"), self.mfu, stretch_last=True))
        self.price_note = QLabel("illustrative")
        self.price_note.setObjectName("priceNote")
        form.addRow("Price", _row(self.price, self.price_note))
        return box

    def _constraints_box(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        self.fixed_n_check = QCheckBox("Fixed model size")
        self.fixed_n_check.setObjectName("fixedNCheck")
        self.fixed_n = QuantityField("count", *_lim("n_params"), what="parameters, in the law's meaning of N")
        self.fixed_n.setObjectName("fixedNField")
        self.fixed_d_check = QCheckBox("Fixed tokens")
        self.fixed_d_check.setObjectName("fixedDCheck")
        self.fixed_d = QuantityField("count", *_lim("n_tokens"), what="training tokens")
        self.fixed_d.setObjectName("fixedDField")
        form.addRow(_row(self.fixed_n_check, self.fixed_n, QLabel("params"), stretch_last=True))
        form.addRow(_row(self.fixed_d_check, self.fixed_d, QLabel("tokens"), stretch_last=True))
        self.serve_check = QCheckBox("Must serve on")
        self.serve_check.setObjectName("serveCheck")
        self.serve_on = QLineEdit()
        self.serve_on.setObjectName("serveOnField")
        self.serve_on.setToolTip("'N x GPU' (e.g. 8xH100 SXM) or a memory size (640 GB): weights and KV cache "
                                 "at the serving context and decode batch must fit")  # fmt: skip
        form.addRow(_row(self.serve_check, self.serve_on, stretch_last=True))
        self.serve_precision = _combo("servePrecisionCombo", CHOICES["serve_precision"], "serving weight format")
        self.context = QSpinBox()
        self.context.setObjectName("contextSpin")
        self.context.setRange(int(LIMITS["context"].lo), int(LIMITS["context"].hi))
        self.context.setGroupSeparatorShown(True)
        self.context.setToolTip("serving context (tokens)")
        self.decode_batch = QSpinBox()
        self.decode_batch.setObjectName("decodeBatchSpin")
        self.decode_batch.setRange(int(LIMITS["decode_batch"].lo), int(LIMITS["decode_batch"].hi))
        self.decode_batch.setToolTip("sequences decoded together (serving cost and KV memory)")
        form.addRow("Weights", _row(self.serve_precision, QLabel("context"), self.context, stretch_last=True))
        form.addRow("Decode batch", _row(self.decode_batch))
        return box

    def _science_box(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        self.vocab_check = QCheckBox("Set vocabulary")
        self.vocab_check.setObjectName("vocabCheck")
        self.vocab_optimal = QCheckBox("use optimal")
        self.vocab_optimal.setObjectName("vocabOptimalCheck")
        self.vocab = LogSlider(*VOCAB_LIMITS, steps=400, unit="tokens", kind="int", field_range=_lim("vocab_size"))
        self.vocab.slider.setObjectName("vocabSlider")
        self.vocab.field.setObjectName("vocabField")
        form.addRow("Vocabulary", _row(self.vocab_check, self.vocab_optimal))
        form.addRow("", self.vocab)

        self.moe = LogSlider(*MOE_LIMITS, steps=360, unit="active", kind="fraction", field_range=(1e-6, 1.0),
                             snap=one_over_n)  # fmt: skip
        self.moe.slider.setObjectName("moeSlider")
        self.moe.field.setObjectName("moeField")
        self.moe.setToolTip("MoE activation ratio A = active / total parameters (1 = dense); type 1/4 or 0.25")
        self.moe_granularity = QDoubleSpinBox()
        self.moe_granularity.setObjectName("moeGranularitySpin")
        self.moe_granularity.setRange(LIMITS["moe_granularity"].lo, LIMITS["moe_granularity"].hi)
        self.moe_granularity.setDecimals(1)
        self.moe_law = _combo("moeLawCombo", CHOICES["moe_law"], "Ling: efficiency leverage (arXiv 2507.17702); "
                              "Krajewski: fine-grained MoE law, E = 64 (arXiv 2402.07871)")  # fmt: skip
        form.addRow("MoE ratio", self.moe)
        form.addRow("", _row(QLabel("granularity"), self.moe_granularity, self.moe_law, stretch_last=True))

        self.inference_check = QCheckBox("Plan for inference demand")
        self.inference_check.setObjectName("inferenceCheck")
        self.inference = LogSlider(*INFERENCE_LIMITS, steps=700, unit="tokens", field_range=_lim("inference_tokens"))
        self.inference.slider.setObjectName("inferenceTokensSlider")
        self.inference.field.setObjectName("inferenceTokensField")
        self.inference.setToolTip("Lifetime inference tokens the model will serve")
        form.addRow("Inference", self.inference_check)
        form.addRow("", self.inference)

        self.unique_check = QCheckBox("Limit unique data")
        self.unique_check.setObjectName("uniqueCheck")
        self.unique = LogSlider(*UNIQUE_LIMITS, steps=600, unit="tokens", field_range=_lim("unique_tokens"))
        self.unique.slider.setObjectName("uniqueDataSlider")
        self.unique.field.setObjectName("uniqueDataField")
        self.unique.setToolTip("Unique training tokens available (repeated epochs beyond this)")
        form.addRow("Unique data", self.unique_check)
        form.addRow("", self.unique)
        return box

    def _architecture_box(self) -> QWidget:
        box = QWidget()
        form = _form(box)
        self.shape_fields: dict[str, QLineEdit] = {}
        for name, label, tip in (("n_layers", "Layers", "fix the proposed depth"),
                                 ("d_model", "Width", "fix the proposed width (d_model)"),
                                 ("head_dim", "Head size", "fix the proposed head dimension")):  # fmt: skip
            field = QLineEdit()
            field.setObjectName(f"{name}Field")
            field.setPlaceholderText("auto")
            field.setToolTip(f"{tip}; leave empty for the shape rule")
            field.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.shape_fields[name] = field
        form.addRow("Layers", _row(self.shape_fields["n_layers"], QLabel("width"), self.shape_fields["d_model"],
                                   stretch_last=True))  # fmt: skip
        form.addRow("Head size", _row(self.shape_fields["head_dim"], QLabel("sequence"),
                                      self._seq_len_spin(), stretch_last=True))  # fmt: skip
        self.optimizer = _combo("optimizerCombo", CHOICES["optimizer"], "AdamW mixed precision 16 B/param; "
                                "8-bit optimizer states 10 B/param")  # fmt: skip
        self.zero_stage = _combo("zeroStageCombo", CHOICES["zero_stage"], "ZeRO stage (3 = FSDP full sharding)")
        self.recompute = _combo("recomputeCombo", CHOICES["recompute"], "activation recomputation "
                                "(Korthikanti et al. 2022)")  # fmt: skip
        form.addRow("Optimizer", _row(self.optimizer, QLabel("ZeRO"), self.zero_stage, stretch_last=True))
        form.addRow("Recompute", _row(self.recompute))
        return box

    def _seq_len_spin(self) -> QSpinBox:
        self.seq_len = QSpinBox()
        self.seq_len.setObjectName("seqLenSpin")
        self.seq_len.setRange(int(LIMITS["seq_len"].lo), int(LIMITS["seq_len"].hi))
        self.seq_len.setGroupSeparatorShown(True)
        self.seq_len.setToolTip("training sequence length (tokens): the attention term of FLOPs and memory")
        return self.seq_len

    # ---------------------------------------------------------------- wiring
    def _wire(self) -> None:
        emit = self.inputEdited.emit
        self.flops.valueChanged.connect(lambda v: self.budgetEdited.emit("flops", v))
        self.gpu_hours.valueChanged.connect(lambda v: self.budgetEdited.emit("gpu_hours", v))
        self.gpu_hours.valueChanged.connect(self.gpuHoursEdited.emit)
        self.usd.valueEdited.connect(lambda v: self.budgetEdited.emit("usd", v))
        self.days.valueEdited.connect(lambda v: self.budgetEdited.emit("days", v))
        self.gpu.currentTextChanged.connect(lambda name: emit("gpu", name))
        self.precision.currentTextChanged.connect(lambda v: emit("precision", v))
        self.n_gpus.valueChanged.connect(lambda v: emit("n_gpus", int(v)))
        self.mfu.valueChanged.connect(lambda v: emit("mfu", round(v, 6) / 100.0))
        self.price.valueChanged.connect(lambda v: emit("usd_per_gpu_hour", float(v)))
        self.fixed_n_check.toggled.connect(lambda on: emit("fixed_n_enabled", on))
        self.fixed_n.valueEdited.connect(lambda v: emit("fixed_n", v))
        self.fixed_d_check.toggled.connect(lambda on: emit("fixed_d_enabled", on))
        self.fixed_d.valueEdited.connect(lambda v: emit("fixed_d", v))
        self.serve_check.toggled.connect(lambda on: emit("serve_enabled", on))
        self.serve_on.editingFinished.connect(lambda: emit("serve_on", self.serve_on.text().strip()))
        self.serve_precision.currentTextChanged.connect(lambda v: emit("serve_precision", v))
        self.context.valueChanged.connect(lambda v: emit("context", int(v)))
        self.decode_batch.valueChanged.connect(lambda v: emit("decode_batch", int(v)))
        self.vocab_check.toggled.connect(lambda on: emit("vocab_enabled", on))
        self.vocab_optimal.toggled.connect(lambda on: emit("optimal_vocab", on))
        self.vocab.valueChanged.connect(lambda v: emit("vocab_size", float(round(v))))
        self.moe.valueChanged.connect(lambda v: emit("moe_activation", v))
        self.moe_granularity.valueChanged.connect(lambda v: emit("moe_granularity", float(v)))
        self.moe_law.currentTextChanged.connect(lambda v: emit("moe_law", v))
        self.inference_check.toggled.connect(lambda on: emit("inference_enabled", on))
        self.inference.valueChanged.connect(lambda v: emit("inference_tokens", v))
        self.unique_check.toggled.connect(lambda on: emit("unique_enabled", on))
        self.unique.valueChanged.connect(lambda v: emit("unique_tokens", v))
        for name, field in self.shape_fields.items():
            field.editingFinished.connect(lambda n=name, f=field: self._on_shape_edited(n, f))
        self.seq_len.valueChanged.connect(lambda v: emit("seq_len", int(v)))
        self.optimizer.currentTextChanged.connect(lambda v: emit("optimizer", v))
        self.zero_stage.currentTextChanged.connect(lambda v: emit("zero_stage", int(v)))
        self.recompute.currentTextChanged.connect(lambda v: emit("recompute", v))
        for field in (self.usd, self.days, self.fixed_n, self.fixed_d):
            field.rejected.connect(self.rejected.emit)
        for s in self.sliders().values():
            s.editRejected.connect(self.rejected.emit)
            s.slider.sliderPressed.connect(lambda: self.sliderDragging.emit(True))
            s.slider.sliderReleased.connect(lambda: self.sliderDragging.emit(False))

    def _on_shape_edited(self, name: str, field: QLineEdit) -> None:
        text = field.text().strip().replace(",", "")
        if not text:
            self.inputEdited.emit(name, None)
            return
        if not text.isdigit():
            self.rejected.emit(f"{field.toolTip().split(';')[0]}: {text!r} is not a whole number")
            field.setText("")
            return
        self.inputEdited.emit(name, int(text))

    def sliders(self) -> dict[str, LogSlider]:
        return {"flops": self.flops, "gpu_hours": self.gpu_hours, "vocab_size": self.vocab,
                "moe_activation": self.moe, "inference_tokens": self.inference, "unique_tokens": self.unique}  # fmt: skip

    # ---------------------------------------------------------------- state -> widgets
    def show_inputs(self, inputs: PlanInputs, optimal_vocab_size: float | None = None,
                    changed: frozenset[str] | None = None) -> None:  # fmt: skip
        """Show ``inputs`` in every widget without emitting edits.

        ``changed``: the inputs changed since the last call, when known. A budget step then
        re-shows only the budget's four forms and an optimal vocabulary (it follows the budget),
        not the thirty other widgets (a quarter of a millisecond per slider step).
        """
        self._show_budgets(inputs)
        if changed is not None and changed <= BUDGET_INPUTS:
            if inputs.optimal_vocab and optimal_vocab_size:
                self.vocab.setValue(optimal_vocab_size)
            return
        self._show_rest(inputs, optimal_vocab_size)

    def _show_budgets(self, inputs: PlanInputs) -> None:
        budgets = inputs.budgets()
        self.flops.setValue(budgets["flops"])
        self.gpu_hours.setValue(budgets["gpu_hours"])
        self.gpu_hours.setUnit(f"{inputs.gpu}-hours" if len(inputs.gpu) <= 9 else "GPU-hours")
        self.usd.setValue(budgets["usd"])
        self.days.setValue(budgets["days"])
        kind = {"flops": "FLOPs", "gpu_hours": "GPU-hours", "usd": "dollars", "days": "days"}[inputs.budget_kind]
        note = f"Budget set in {kind}; the other three follow from the hardware"
        if self.budget_note.text() != note:
            self.budget_note.setText(note)

    def _show_rest(self, inputs: PlanInputs, optimal_vocab_size: float | None) -> None:
        widgets = (self.gpu, self.precision, self.n_gpus, self.mfu, self.price, self.vocab_check, self.vocab_optimal,
                   self.moe_granularity, self.moe_law, self.inference_check, self.unique_check, self.fixed_n_check,
                   self.fixed_d_check, self.serve_check, self.serve_on, self.serve_precision, self.context,
                   self.decode_batch, self.seq_len, self.optimizer, self.zero_stage, self.recompute,
                   *self.shape_fields.values())  # fmt: skip
        blockers = [QSignalBlocker(w) for w in widgets]
        _set_combo(self.gpu, inputs.gpu)
        _set_combo(self.precision, inputs.precision)
        _set_spin(self.n_gpus, inputs.n_gpus)
        _set_spin(self.mfu, inputs.mfu * 100.0)
        _set_spin(self.price, inputs.hardware().price)
        self.price_note.setVisible(inputs.usd_per_gpu_hour is None)
        self._show_constraints(inputs)
        _set_checked(self.vocab_check, inputs.vocab_enabled)
        _set_checked(self.vocab_optimal, inputs.optimal_vocab)
        self.vocab_optimal.setEnabled(inputs.vocab_enabled)
        self.vocab.setValue(optimal_vocab_size if (inputs.optimal_vocab and optimal_vocab_size) else inputs.vocab_size)
        self.vocab.setFieldEnabled(inputs.vocab_enabled and not inputs.optimal_vocab)
        self.moe.setValue(inputs.moe_activation)
        _set_spin(self.moe_granularity, granularity_shown(inputs))
        _set_combo(self.moe_law, inputs.moe_law)
        for w in (self.moe_granularity, self.moe_law):
            w.setEnabled(inputs.moe_activation < 1.0)
        _set_checked(self.inference_check, inputs.inference_enabled)
        self.inference.setValue(inputs.inference_tokens)
        self.inference.setFieldEnabled(inputs.inference_enabled)
        _set_checked(self.unique_check, inputs.unique_enabled)
        self.unique.setValue(inputs.unique_tokens)
        self.unique.setFieldEnabled(inputs.unique_enabled)
        for name, field in self.shape_fields.items():
            value = getattr(inputs, name)
            text = "" if value is None else f"{value:,}"
            if field.text() != text and not field.hasFocus():
                field.setText(text)
        _set_spin(self.seq_len, inputs.seq_len)
        _set_combo(self.optimizer, inputs.optimizer)
        _set_combo(self.zero_stage, str(inputs.zero_stage))
        _set_combo(self.recompute, inputs.recompute)
        del blockers

    def _show_constraints(self, inputs: PlanInputs) -> None:
        _set_checked(self.fixed_n_check, inputs.fixed_n_enabled)
        self.fixed_n.setValue(inputs.fixed_n)
        self.fixed_n.setEnabled(inputs.fixed_n_enabled)
        _set_checked(self.fixed_d_check, inputs.fixed_d_enabled)
        self.fixed_d.setValue(inputs.fixed_d)
        self.fixed_d.setEnabled(inputs.fixed_d_enabled)
        _set_checked(self.serve_check, inputs.serve_enabled)
        if self.serve_on.text() != inputs.serve_on and not self.serve_on.hasFocus():
            self.serve_on.setText(inputs.serve_on)
        for w in (self.serve_on, self.serve_precision):
            w.setEnabled(inputs.serve_enabled)
        _set_combo(self.serve_precision, inputs.serve_precision)
        _set_spin(self.context, inputs.context)
        _set_spin(self.decode_batch, inputs.decode_batch)
        if (inputs.fixed_n_enabled or inputs.fixed_d_enabled or inputs.serve_enabled) and not (
                self.sections["constraints"].isExpanded()):  # fmt: skip
            self.sections["constraints"].setExpanded(True)


def granularity_shown(inputs: PlanInputs) -> float:
    """The MoE granularity the plan uses: the user's, else the MoE law's default."""
    return DEFAULT_GRANULARITY[inputs.moe_law] if inputs.moe_granularity is None else inputs.moe_granularity


__all__ = ["BudgetPanel", "fraction_text", "granularity_shown"]
