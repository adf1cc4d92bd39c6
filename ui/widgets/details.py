"""The Details tab: every result row of the plan by section, and "What would this run give?".

The table lists :func:`planner.summary.result_rows` under section rows from
:data:`planner.summary.GROUPS` (the CLI table and the PDF list the same rows), with the compared
law's value in a fourth column in compare mode and the exact value in each value's tooltip. It is
refreshed only while visible (a hidden tab costs a slider step nothing).

The "What would this run give?" box asks the law for the loss of a run the user describes (N
parameters, D tokens) through :func:`planner.fitting.predict.predict`, the engine behind
``planner predict``, with its interval (or why there is none) and extrapolation warnings.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner import Plan
from planner.laws import Law
from planner.question import LIMITS
from planner.summary import GROUPS, fmt_loss, result_rows
from planner.units import fmt_flops
from ui.widgets.fields import QuantityField


class DetailsView(QWidget):
    """All result rows, grouped under section rows; and the prediction box beside them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setObjectName("detailsTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.table.setWordWrap(True)  # long values (the shape) and bases wrap in their cells
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.verticalHeader().setVisible(False)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())
        self.predict_box = PredictBox()
        self.predict_box.setMaximumWidth(380)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(self.predict_box)
        split.setStretchFactor(0, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(split, 1)
        self._pending: tuple[Law, Plan, Plan | None, str] | None = None
        self._shown_keys: tuple[tuple[str, ...], bool] | None = None
        self._rows: dict[str, int] = {}  # row key -> table row

    # ---------------------------------------------------------------- data
    def show_plan(self, law: Law, plan: Plan, compare: Plan | None = None, compare_name: str = "") -> None:
        """Remember the plan; draw it now if visible, else when the tab is shown."""
        self._pending = (law, plan, compare, compare_name)
        if self.isVisible():
            self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._pending is not None:
            self._draw()

    def _draw(self) -> None:
        assert self._pending is not None
        law, plan, compare, compare_name = self._pending
        rows = result_rows(plan)
        other = {r.key: r for r in result_rows(compare)} if compare is not None else {}
        layout_key = (tuple(r.key for r in rows), compare is not None)
        if layout_key != self._shown_keys:
            self._rebuild(rows, plan.preset, compare_name or (compare.preset if compare else ""), compare is not None)
            self._shown_keys = layout_key
        changed = False
        for row in rows:
            texts = [row.label, row.value, row.unit]
            if compare is not None:
                texts.insert(2, other[row.key].value if row.key in other else "—")
            r = self._rows[row.key]
            for col, text in enumerate(texts):
                item = self.table.item(r, col)
                if item.text() != text:
                    item.setText(text)
                    changed = True
            self.table.item(r, 1).setToolTip(f"exact: {row.exact}" if row.exact else row.value)
        if changed:
            self.table.resizeRowsToContents()
        self.predict_box.set_law(law, plan)

    def _rebuild(self, rows, preset: str, compare_name: str, compare: bool) -> None:
        labels = ["Result", f"Value ({preset})" if compare else "Value", "Basis"]
        if compare:
            labels.insert(2, compare_name)
        groups = list(dict.fromkeys(r.group for r in rows))
        self.table.clearSpans()
        self.table.setColumnCount(len(labels))
        self.table.setRowCount(len(rows) + len(groups))
        self.table.setHorizontalHeaderLabels(labels)
        self._rows.clear()
        i, seen = 0, set()
        for row in rows:
            if row.group not in seen:
                seen.add(row.group)
                self._section(i, GROUPS.get(row.group, row.group), len(labels))
                i += 1
            for col in range(len(labels)):
                self.table.setItem(i, col, QTableWidgetItem(""))
            self._rows[row.key] = i
            i += 1
        self._size_columns(rows, compare)

    def _section(self, i: int, title: str, columns: int) -> None:
        item = QTableWidgetItem(title)
        f = item.font()
        f.setBold(True)
        item.setFont(f)
        self.table.setItem(i, 0, item)
        self.table.setSpan(i, 0, 1, columns)

    def _size_columns(self, rows, compare: bool) -> None:
        """The label column fits its labels; value columns their usual values (the shape wraps)."""
        fm = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        self.table.setColumnWidth(0, max(fm.horizontalAdvance(r.label) for r in rows) + 20)
        short = [r.value for r in rows if len(r.value) <= 28] or ["—"]
        width = min(max(fm.horizontalAdvance(v) for v in short) + 20, 260)
        for col in (1, 2) if compare else (1,):
            title = self.table.horizontalHeaderItem(col).text()
            self.table.setColumnWidth(col, max(width, min(fm.horizontalAdvance(title) + 20, 200)))
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)

    def row_texts(self) -> dict[str, tuple[str, ...]]:
        """{row key: the texts shown, label first} (for tests and copies)."""
        return {key: tuple(self.table.item(r, c).text() for c in range(self.table.columnCount()))
                for key, r in self._rows.items()}  # fmt: skip

    def column_title(self, col: int) -> str:
        return self.table.horizontalHeaderItem(col).text()


class PredictBox(QGroupBox):
    """Loss of a run the user describes (N, D), from the active law, with its interval."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What would this run give?", parent)
        self.setObjectName("predictBox")
        n_lim, d_lim = LIMITS["n_params"], LIMITS["n_tokens"]
        self.n_field = QuantityField("count", n_lim.lo, n_lim.hi, what="parameters N")
        self.n_field.setObjectName("predictNField")
        self.d_field = QuantityField("count", d_lim.lo, d_lim.hi, what="tokens D")
        self.d_field.setObjectName("predictDField")
        for f in (self.n_field, self.d_field):
            f.setMinimumWidth(80)
            f.setToolTip("type e.g. 7B, 70B, 1.5T, 2e12")
        self.use_plan = QPushButton("Use the plan's N and D")
        self.use_plan.setObjectName("predictUsePlan")
        self.result = QLabel("")
        self.result.setObjectName("predictLossValue")
        self.result.setTextFormat(Qt.TextFormat.PlainText)
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Parameters N", self.n_field)
        form.addRow("Tokens D", self.d_field)
        form.addRow("", self.use_plan)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.result)
        lay.addStretch(1)
        self._law: Law | None = None
        self._plan: Plan | None = None
        self._touched = False
        self.n_field.valueEdited.connect(self._edited)
        self.d_field.valueEdited.connect(self._edited)
        self.n_field.rejected.connect(self._rejected)
        self.d_field.rejected.connect(self._rejected)
        self.use_plan.clicked.connect(self._use_plan)

    def set_law(self, law: Law, plan: Plan) -> None:
        """The active law and plan; until the user types a run, the box follows the plan's N and D."""
        self._law, self._plan = law, plan
        if not self._touched and math.isfinite(plan.n_params) and math.isfinite(plan.n_tokens):
            self.n_field.setValue(plan.n_params)
            self.d_field.setValue(plan.n_tokens)
        self._update()

    def _edited(self, _value: float) -> None:
        self._touched = True
        self._update()

    def _rejected(self, reason: str) -> None:
        self.result.setText(f"Not changed: {reason}")

    def _use_plan(self) -> None:
        self._touched = False
        if self._law is not None and self._plan is not None:
            self.set_law(self._law, self._plan)

    def _update(self) -> None:
        law = self._law
        if law is None:
            return
        if not law.has_loss:
            self.result.setText(f"{law.id} predicts allocation only (no loss): choose a law with a loss.")
            return
        from planner.fitting.predict import predict  # the fitting package loads on first use

        p = predict(law, self.n_field.value(), self.d_field.value())
        lo, hi = (float(v[0]) for v in p.loss_interval)
        text = f"Loss {fmt_loss(float(p.loss[0]))} {p.loss_unit} at C = {fmt_flops(float(p.flops[0]))} FLOPs"
        text += (f"; {fmt_loss(lo)} – {fmt_loss(hi)} ({p.interval_kind})" if math.isfinite(lo)
                 else f"; {p.interval_kind}")  # fmt: skip
        if p.warnings:
            text += "\n⚠ " + "\n⚠ ".join(p.warnings)
        if self.result.text() != text:
            self.result.setText(text)

    def text(self) -> str:
        return self.result.text()
