"""Budget, hardware and design inputs. Knows no planner state: it shows values and emits edits.

Every user edit comes out as ``inputEdited(field, value)`` where ``field`` is a
:class:`ui.state.PlanInputs` field name, except the GPU-hours slider, which emits
``gpuHoursEdited(float)`` (the controller converts it to FLOPs through the hardware).
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
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from planner.costs.hardware import CATALOGUE
from planner.effects.moe import DEFAULT_GRANULARITY
from planner.units import fmt_sci
from ui.state import (
    FLOPS_LIMITS,
    GPU_HOURS_LIMITS,
    INFERENCE_LIMITS,
    MOE_LIMITS,
    UNIQUE_LIMITS,
    VOCAB_LIMITS,
    PlanInputs,
)
from ui.widgets.log_slider import LogSlider


def _fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def _fmt_ratio(x: float) -> str:
    inv = 1.0 / x
    return "1" if x >= 1.0 else (f"1/{inv:.0f}" if abs(inv - round(inv)) < 0.05 else fmt_sci(x, 3))


def _set_spin(spin: QSpinBox | QDoubleSpinBox, value: float) -> None:
    """setValue only on a real change (a same-value setValue still repaints the spin box)."""
    if abs(spin.value() - value) > 1e-9 * max(abs(value), 1.0):
        spin.setValue(value)


def _set_checked(box: QCheckBox, on: bool) -> None:
    if box.isChecked() != on:
        box.setChecked(on)


class BudgetPanel(QWidget):
    """Sliders and fields for budget, hardware, vocabulary, MoE, inference demand and data."""

    inputEdited = Signal(str, object)
    gpuHoursEdited = Signal(float)
    rejected = Signal(str)  # a typed value that was refused (shown in the status bar)
    sliderDragging = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)

        # ---------------------------------------------------------------- budget + hardware
        budget = QGroupBox("Training budget")
        form = QFormLayout(budget)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.flops = LogSlider(*FLOPS_LIMITS, steps=900, unit="FLOPs")
        self.flops.slider.setObjectName("flopsSlider")
        self.flops.field.setObjectName("flopsField")
        self.gpu_hours = LogSlider(*GPU_HOURS_LIMITS, steps=1300, unit="GPU-hours")
        self.gpu_hours.slider.setObjectName("gpuHoursSlider")
        self.gpu_hours.field.setObjectName("gpuHoursField")
        form.addRow("Compute", self.flops)
        form.addRow("GPU time", self.gpu_hours)

        self.gpu = QComboBox()
        self.gpu.setObjectName("gpuCombo")
        for name, acc in CATALOGUE.items():
            self.gpu.addItem(name)
            self.gpu.setItemData(self.gpu.count() - 1, f"{acc.bf16_flops / 1e12:,.0f} TFLOP/s BF16 dense; status {acc.status}",
                                 Qt.ItemDataRole.ToolTipRole)  # fmt: skip
        self.n_gpus = QSpinBox()
        self.n_gpus.setObjectName("nGpusSpin")
        self.n_gpus.setRange(1, 10_000_000)
        self.n_gpus.setGroupSeparatorShown(True)
        self.n_gpus.setAccelerated(True)
        self.mfu = QDoubleSpinBox()
        self.mfu.setObjectName("mfuSpin")
        self.mfu.setRange(1.0, 100.0)
        self.mfu.setDecimals(1)
        self.mfu.setSuffix(" %")
        self.mfu.setToolTip(
            "Model FLOPs utilisation: achieved / dense peak FLOP/s (published 38-55%)"
        )
        self.price = QDoubleSpinBox()
        self.price.setObjectName("priceSpin")
        self.price.setRange(0.0, 1000.0)
        self.price.setDecimals(2)
        self.price.setPrefix("$ ")
        self.price.setSuffix(" /GPU-h")
        self.price.setToolTip("Illustrative default price; replace it with your contract price")
        hw_row = QHBoxLayout()
        hw_row.addWidget(self.n_gpus, 1)
        hw_row.addWidget(QLabel("MFU"))
        hw_row.addWidget(self.mfu, 1)
        form.addRow("GPU", self.gpu)
        form.addRow("GPUs", hw_row)
        price_row = QHBoxLayout()
        price_row.addWidget(self.price, 1)
        illus = QLabel("illustrative")
        illus.setObjectName("priceNote")
        illus.setEnabled(False)
        price_row.addWidget(illus)
        form.addRow("Price", price_row)
        lay.addWidget(budget)

        # ---------------------------------------------------------------- design
        design = QGroupBox("Model and data")
        dform = QFormLayout(design)
        dform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.vocab_check = QCheckBox("Set vocabulary")
        self.vocab_check.setObjectName("vocabCheck")
        self.vocab_optimal = QCheckBox("use optimal")
        self.vocab_optimal.setObjectName("vocabOptimalCheck")
        self.vocab = LogSlider(*VOCAB_LIMITS, steps=400, unit="tokens", fmt=_fmt_int)
        self.vocab.slider.setObjectName("vocabSlider")
        self.vocab.field.setObjectName("vocabField")
        vrow = QHBoxLayout()
        vrow.addWidget(self.vocab_check)
        vrow.addWidget(self.vocab_optimal)
        vrow.addStretch(1)
        dform.addRow("Vocabulary", vrow)
        dform.addRow("", self.vocab)

        self.moe = LogSlider(*MOE_LIMITS, steps=360, unit="active", fmt=_fmt_ratio)
        self.moe.slider.setObjectName("moeSlider")
        self.moe.field.setObjectName("moeField")
        self.moe.setToolTip("MoE activation ratio A = active / total parameters (1 = dense)")
        self.moe_granularity = QDoubleSpinBox()
        self.moe_granularity.setObjectName("moeGranularitySpin")
        self.moe_granularity.setRange(1.0, 64.0)
        self.moe_granularity.setDecimals(1)
        self.moe_granularity.setToolTip(
            "Expert granularity G (expert width relative to a dense FFN); used when A < 1"
        )
        grow = QHBoxLayout()
        grow.addWidget(QLabel("granularity"))
        grow.addWidget(self.moe_granularity)
        grow.addStretch(1)
        dform.addRow("MoE ratio", self.moe)
        dform.addRow("", grow)

        self.inference_check = QCheckBox("Plan for inference demand")
        self.inference_check.setObjectName("inferenceCheck")
        self.inference = LogSlider(*INFERENCE_LIMITS, steps=700, unit="tokens")
        self.inference.slider.setObjectName("inferenceTokensSlider")
        self.inference.field.setObjectName("inferenceTokensField")
        self.inference.setToolTip("Lifetime inference tokens the model will serve")
        dform.addRow("Inference", self.inference_check)
        dform.addRow("", self.inference)

        self.unique_check = QCheckBox("Limit unique data")
        self.unique_check.setObjectName("uniqueCheck")
        self.unique = LogSlider(*UNIQUE_LIMITS, steps=600, unit="tokens")
        self.unique.slider.setObjectName("uniqueDataSlider")
        self.unique.field.setObjectName("uniqueDataField")
        self.unique.setToolTip("Unique training tokens available (repeated epochs beyond this)")
        dform.addRow("Unique data", self.unique_check)
        dform.addRow("", self.unique)
        lay.addWidget(design)
        lay.addStretch(1)

        self._sliders = (
            self.flops,
            self.gpu_hours,
            self.vocab,
            self.moe,
            self.inference,
            self.unique,
        )
        self._wire()

    # ---------------------------------------------------------------- wiring
    def _wire(self) -> None:
        emit = self.inputEdited.emit
        self.flops.valueChanged.connect(lambda v: emit("flops", v))
        self.gpu_hours.valueChanged.connect(self.gpuHoursEdited.emit)
        self.gpu.currentTextChanged.connect(self._on_gpu_changed)
        self.n_gpus.valueChanged.connect(lambda v: emit("n_gpus", int(v)))
        self.mfu.valueChanged.connect(lambda v: emit("mfu", round(v, 6) / 100.0))
        self.price.valueChanged.connect(lambda v: emit("usd_per_gpu_hour", float(v)))
        self.vocab_check.toggled.connect(lambda on: emit("vocab_enabled", on))
        self.vocab_optimal.toggled.connect(lambda on: emit("optimal_vocab", on))
        self.vocab.valueChanged.connect(lambda v: emit("vocab_size", float(round(v))))
        self.moe.valueChanged.connect(lambda v: emit("moe_activation", v))
        self.moe_granularity.valueChanged.connect(lambda v: emit("moe_granularity", float(v)))
        self.inference_check.toggled.connect(lambda on: emit("inference_enabled", on))
        self.inference.valueChanged.connect(lambda v: emit("inference_tokens", v))
        self.unique_check.toggled.connect(lambda on: emit("unique_enabled", on))
        self.unique.valueChanged.connect(lambda v: emit("unique_tokens", v))
        for s in self._sliders:
            s.editRejected.connect(self.rejected.emit)
            s.slider.sliderPressed.connect(lambda: self.sliderDragging.emit(True))
            s.slider.sliderReleased.connect(lambda: self.sliderDragging.emit(False))

    def _on_gpu_changed(self, name: str) -> None:
        # a new GPU brings its illustrative price; both are one edit each, in this order
        self.inputEdited.emit("gpu", name)

    def sliders(self) -> dict[str, LogSlider]:
        return {"flops": self.flops, "gpu_hours": self.gpu_hours, "vocab_size": self.vocab,
                "moe_activation": self.moe, "inference_tokens": self.inference, "unique_tokens": self.unique}  # fmt: skip

    # ---------------------------------------------------------------- state -> widgets
    def show_inputs(self, inputs: PlanInputs, optimal_vocab_size: float | None = None) -> None:
        """Show ``inputs`` in every widget without emitting edits."""
        self.flops.setValue(inputs.flops)
        self.gpu_hours.setValue(inputs.gpu_hours())
        self.gpu_hours.setUnit(f"{inputs.gpu}-hours" if len(inputs.gpu) <= 9 else "GPU-hours")
        blockers = [QSignalBlocker(w) for w in (self.gpu, self.n_gpus, self.mfu, self.price, self.vocab_check,
                                                 self.vocab_optimal, self.moe_granularity, self.inference_check,
                                                 self.unique_check)]  # fmt: skip
        if self.gpu.currentText() != inputs.gpu:
            self.gpu.setCurrentText(inputs.gpu)
        _set_spin(self.n_gpus, inputs.n_gpus)
        _set_spin(self.mfu, inputs.mfu * 100.0)
        _set_spin(self.price, inputs.hardware().price)
        _set_checked(self.vocab_check, inputs.vocab_enabled)
        _set_checked(self.vocab_optimal, inputs.optimal_vocab)
        self.vocab_optimal.setEnabled(inputs.vocab_enabled)
        shown_vocab = (
            optimal_vocab_size
            if (inputs.optimal_vocab and optimal_vocab_size)
            else inputs.vocab_size
        )
        self.vocab.setValue(shown_vocab)
        self.vocab.setFieldEnabled(inputs.vocab_enabled and not inputs.optimal_vocab)
        self.moe.setValue(inputs.moe_activation)
        _set_spin(self.moe_granularity, granularity_shown(inputs))
        self.moe_granularity.setEnabled(inputs.moe_activation < 1.0)
        _set_checked(self.inference_check, inputs.inference_enabled)
        self.inference.setValue(inputs.inference_tokens)
        self.inference.setFieldEnabled(inputs.inference_enabled)
        _set_checked(self.unique_check, inputs.unique_enabled)
        self.unique.setValue(inputs.unique_tokens)
        self.unique.setFieldEnabled(inputs.unique_enabled)
        del blockers


def granularity_shown(inputs: PlanInputs) -> float:
    """The MoE granularity the plan uses: the user's, else the MoE law's default (Ling's G = 2)."""
    return DEFAULT_GRANULARITY["ling"] if inputs.moe_granularity is None else inputs.moe_granularity
