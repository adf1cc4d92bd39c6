"""The Details tab: every result row of the plan by section, and "What would this run give?".

The table lists :func:`planner.summary.result_rows` under the sections of
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
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from planner import Plan
from planner.fitting.predict import predict
from planner.laws import Law
from planner.question import LIMITS
from planner.summary import GROUPS, fmt_loss, result_rows
from planner.units import fmt_flops
from ui.widgets.fields import QuantityField


class DetailsView(QWidget):
    """All result rows, grouped; and the prediction box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("detailsTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Result", "Value", "Basis"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.predict_box = PredictBox()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.predict_box)
        self._pending: tuple[Law, Plan, Plan | None, str] | None = None
        self._shown_keys: tuple[tuple[str, ...], bool] | None = None

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
            self._rebuild(rows, compare is not None, compare_name or (compare.preset if compare else ""))
            self._shown_keys = layout_key
        for item, row in zip(self._items, rows, strict=True):
            texts = [row.label, row.value, row.unit]
            if compare is not None:
                texts.insert(2, other[row.key].value if row.key in other else "—")
            for col, text in enumerate(texts):
                if item.text(col) != text:
                    item.setText(col, text)
            tip = f"exact: {row.exact}" if row.exact else row.value
            if item.toolTip(1) != tip:
                item.setToolTip(1, tip)
                item.setToolTip(len(texts) - 1, row.unit)
        self.predict_box.set_law(law, plan)

    def _rebuild(self, rows, compare: bool, compare_name: str) -> None:
        self.tree.clear()
        labels = ["Result", f"Value ({self._pending[1].preset})" if compare else "Value", "Basis"]
        if compare:
            labels.insert(2, compare_name)
        self.tree.setColumnCount(len(labels))
        self.tree.setHeaderLabels(labels)
        self._items: list[QTreeWidgetItem] = []
        parents: dict[str, QTreeWidgetItem] = {}
        for row in rows:
            parent = parents.get(row.group)
            if parent is None:
                parent = QTreeWidgetItem(self.tree, [GROUPS.get(row.group, row.group)])
                f = parent.font(0)
                f.setBold(True)
                parent.setFont(0, f)
                parent.setFirstColumnSpanned(True)
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                parents[row.group] = parent
            item = QTreeWidgetItem(parent)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self._items.append(item)
        self.tree.expandAll()

    def row_texts(self) -> dict[str, tuple[str, ...]]:
        """{row label: the texts shown} (for tests and copies)."""
        return {item.text(0): tuple(item.text(c) for c in range(self.tree.columnCount())) for item in self._items}


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
        row = QHBoxLayout()
        form = QFormLayout()
        form.addRow("Parameters N", self.n_field)
        form2 = QFormLayout()
        form2.addRow("Tokens D", self.d_field)
        row.addLayout(form)
        row.addLayout(form2)
        row.addWidget(self.use_plan)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(row)
        lay.addWidget(self.result)
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
