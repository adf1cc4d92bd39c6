"""Result cards and the warnings strip.

Values and units come from :func:`planner.summary.result_rows`, so the window shows the same
strings as ``planner plan`` and the PDF report. Intervals (fitted presets) go on a smaller
line as "CI lo – hi" with 3 significant digits so they fit the card; the tooltip has
result_rows' full-precision interval. In compare mode every card gets a second line with the other
preset's value. Labels are only written when their text changes (cheap repaints).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from planner import Plan
from planner.summary import Row, result_rows
from planner.units import fmt_sci

# (row key, card title, object name of the value label)
CARDS: tuple[tuple[str, str, str], ...] = (
    ("n_params", "Model size N*", "nParamsValue"),
    ("n_params_total", "Total (active) params", "nTotalActiveValue"),
    ("n_tokens", "Training tokens D*", "nTokensValue"),
    ("tokens_per_param", "Tokens per parameter", "tokensPerParamValue"),
    ("loss", "Predicted loss", "lossValue"),
    ("wall_clock_days", "Training wall-clock", "wallClockValue"),
    ("cost_usd", "Training cost", "costValue"),
    ("inference_flops_per_token", "Inference FLOPs / token", "inferenceFlopsValue"),
    ("inference_usd_per_million_tokens", "Serving cost", "inferenceCostValue"),
    ("serving_memory_bytes", "Serving memory", "servingMemoryValue"),
    ("learning_rate", "Learning rate", "learningRateValue"),
    ("batch_size_tokens", "Batch size", "batchSizeValue"),
)
EXTRA_CARDS: tuple[tuple[str, str, str], ...] = (
    ("vocab_size", "Vocabulary", "vocabValue"),
    ("efficiency_leverage", "MoE efficiency leverage", "leverageValue"),
    ("epochs", "Epochs over unique data", "epochsValue"),
)
EXTRA_KEYS = frozenset(k for k, _, _ in EXTRA_CARDS)
COLUMNS = 6


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


class ResultCard(QFrame):
    """Title, big value, unit, optional interval and compare lines.

    The labels are placed by hand (no layout inside the card) and the card has a fixed
    height: a label whose text changes then never invalidates the window's layouts, so a
    slider step repaints the changed labels only.
    """

    PAD_X, PAD_Y = 8, 5

    def __init__(self, title: str, value_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title, self)
        self.title.setObjectName("cardTitle")
        self.value = QLabel("—", self)
        self.value.setObjectName(value_name)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * 1.35)
        f.setBold(True)
        self.value.setFont(f)
        self.unit = QLabel("", self)
        self.unit.setObjectName("cardUnit")
        self.extra = QLabel("", self)
        self.extra.setObjectName("cardExtra")
        for lab in (self.title, self.unit, self.extra):
            sf = lab.font()
            sf.setPointSizeF(sf.pointSizeF() * 0.85)
            lab.setFont(sf)
        self._labels = (self.title, self.value, self.unit, self.extra)
        self._texts = ("—", "", "")
        self._heights = [lab.fontMetrics().height() + 1 for lab in self._labels]
        self.setFixedHeight(sum(self._heights) + 2 * self.PAD_Y + 2)
        self.setMinimumWidth(96)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        y = self.PAD_Y
        w = self.width() - 2 * self.PAD_X
        for lab, h in zip(self._labels, self._heights, strict=True):
            lab.setGeometry(self.PAD_X, y, w, h)
            y += h
        self._show_elided()

    def _show_elided(self) -> None:
        w = max(self.width() - 2 * self.PAD_X, 20)
        for lab, text in zip((self.value, self.unit, self.extra), self._texts, strict=True):
            _set(lab, lab.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, w))

    def show_values(self, value: str, unit: str, extra: str, tip_extra: str = "") -> None:
        self._texts = (value, unit, extra)
        self._show_elided()
        tip = f"{self.title.text()}: {value} {unit}" + (f"\n{tip_extra}" if tip_extra else "")
        if self.toolTip() != tip:
            self.setToolTip(tip)


class WarningsStrip(QFrame):
    """One elided line per warning (full text in the tooltip); height changes only with the count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("", self)
        self.label.setObjectName("warningsLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._lines: tuple[str, ...] = ()
        self._count = -1
        self.show_lines(())

    def text(self) -> str:
        return "\n".join(self._lines)

    def show_lines(self, lines: tuple[str, ...]) -> None:
        if lines == self._lines and self._count >= 0:
            return
        self._lines = lines
        if len(lines) != self._count:
            self._count = len(lines)
            line_h = self.label.fontMetrics().height()
            self.setFixedHeight(len(lines) * line_h + 12 if lines else 0)
            self.setVisible(bool(lines))
        self.setToolTip("\n".join(lines))
        self._layout_label()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._layout_label()

    def _layout_label(self) -> None:
        self.label.setGeometry(0, 0, self.width(), self.height())
        fm = self.label.fontMetrics()
        width = max(self.width() - 20, 50)
        _set(
            self.label,
            "\n".join(
                fm.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in self._lines
            ),
        )


class ResultCards(QWidget):
    """A grid of result cards plus the warnings strip below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.cards: dict[str, ResultCard] = {}
        for i, (key, title, name) in enumerate(CARDS + EXTRA_CARDS):
            card = ResultCard(title, name)
            self.cards[key] = card
            grid.addWidget(card, i // COLUMNS, i % COLUMNS)
        for c in range(COLUMNS):
            grid.setColumnStretch(c, 1)
        outer.addLayout(grid)
        self.warnings = WarningsStrip()
        outer.addWidget(self.warnings)
        self._extra_visible: dict[str, bool] = {}

    def value_text(self, key: str) -> str:
        """The full (not elided) value shown on card ``key``."""
        return self.cards[key]._texts[0]

    def show_plan(
        self,
        plan: Plan,
        compare: Plan | None = None,
        compare_name: str = "",
        notes: tuple[str, ...] = (),
    ) -> None:
        rows = {r.key: r for r in result_rows(plan)}
        crow = {r.key: r for r in result_rows(compare)} if compare is not None else {}
        for key, card in self.cards.items():
            value, unit, interval = self._card_text(key, rows, plan)
            # the card shows a compact interval (3 significant digits, fits the card);
            # the tooltip keeps the full-precision one of result_rows
            short = self._short_interval(key, plan)
            extra = f"CI {short}" if short else ""
            tips = [f"bootstrap interval {interval}"] if interval else []
            if compare is not None:
                cval, cunit, _ = self._card_text(key, crow, compare)
                if cval != "—":
                    extra = (extra + "  ·  " if extra else "") + f"vs {cval}"
                    tips.append(f"{compare_name or 'compare preset'}: {cval} {cunit}".rstrip())
            card.show_values(value, unit, extra, "\n".join(tips))
            if key in EXTRA_KEYS:
                visible = key in rows or key in crow
                if self._extra_visible.get(key) != visible:
                    self._extra_visible[key] = visible
                    card.setVisible(visible)
        self._show_warnings(tuple(plan.warnings) + tuple(notes), compare, compare_name)

    @staticmethod
    def _short_interval(key: str, plan: Plan) -> str:
        pair = (plan.intervals or {}).get(key)
        if key == "n_params_total" or pair is None:
            return ""
        return f"{fmt_sci(pair[0], 3)} – {fmt_sci(pair[1], 3)}"

    @staticmethod
    def _card_text(key: str, rows: dict[str, Row], plan: Plan) -> tuple[str, str, str]:
        if key == "n_params_total":
            if "n_params_total" in rows:
                return (
                    rows["n_params_total"].value,
                    f"total; active {rows['n_params_active'].value}",
                    "",
                )
            n = rows["n_params"].value.split(" [")[0]
            return n, "dense: active = total", ""
        row = rows.get(key)
        if row is None:
            return "—", "not estimated for this plan", ""
        value, _, interval = row.value.partition(" [")
        return value, row.unit, ("[" + interval) if interval else ""

    def _show_warnings(
        self, warnings: tuple[str, ...], compare: Plan | None, compare_name: str
    ) -> None:
        items = list(warnings)
        if compare is not None:
            items += [f"{compare_name}: {w}" for w in compare.warnings]
        self.warnings.show_lines(tuple(f"⚠ {w}" for w in items))
