"""Preset chooser and law card.

:class:`LawPanel` holds the grouped preset combo (``presetCombo``), "Open preset file...",
the compare check box and second combo (``compareCombo``), and a :class:`LawCard` showing the
active law: title, citation, what N means, fitted range, coefficients (± published standard
errors) and notes, with ``law.formula()`` as the card's tooltip.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from planner.laws import Law
from planner.units import fmt_sci
from ui import theme
from ui.dialogs import plain_tooltip
from ui.widgets.fields import Section

KEY_ROLE = Qt.ItemDataRole.UserRole + 1

Groups = list[tuple[str, list[tuple[str, str, str]]]]  # (group title, [(key, label, tooltip)])


def _coef_label(name: str) -> str:
    return {"alpha": "α", "beta": "β", "alpha_N": "α_N", "alpha_D": "α_D", "alpha_C": "α_C",
            "R_D_star": "R*_D", "R_N_star": "R*_N", "n_coef": "k_N", "n_exp": "a_N", "d_coef": "k_D",
            "d_exp": "a_D"}.get(name, name)  # fmt: skip


def _range(pair: tuple[float, float] | None) -> str:
    return "—" if pair is None else f"{fmt_sci(pair[0], 3)} – {fmt_sci(pair[1], 3)}"


class GroupedCombo(QComboBox):
    """A combo box whose model has bold, unselectable group headers."""

    def set_groups(self, groups: Groups, current: str | None = None) -> None:
        model = QStandardItemModel(self)
        bold = QFont(self.font())
        bold.setBold(True)
        for title, entries in groups:
            if not entries:
                continue
            header = QStandardItem(title)
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            header.setFont(bold)
            model.appendRow(header)
            for key, label, tip in entries:
                item = QStandardItem("   " + label)
                item.setData(key, KEY_ROLE)
                item.setToolTip(plain_tooltip(tip))  # preset titles come from files: never markup
                model.appendRow(item)
        blocker = self.blockSignals(True)
        self.setModel(model)
        self.blockSignals(blocker)
        fm = self.view().fontMetrics()  # the list shows whole titles, however narrow the combo
        widest = max((fm.horizontalAdvance(model.item(i).text()) for i in range(model.rowCount())), default=0)
        self.view().setMinimumWidth(widest + 48)
        if current is not None:
            self.set_current_key(current)

    def current_key(self) -> str | None:
        return self.currentData(KEY_ROLE)

    def set_current_key(self, key: str) -> bool:
        """Select ``key`` silently; False when it is not listed."""
        if self.currentData(KEY_ROLE) == key:  # (every plan refresh asks; most change nothing)
            return True
        idx = self.findData(key, KEY_ROLE)
        if idx < 0:
            return False
        blocker = self.blockSignals(True)
        self.setCurrentIndex(idx)
        self.blockSignals(blocker)
        return True

    def keys(self) -> list[str]:
        return [k for i in range(self.count()) if (k := self.itemData(i, KEY_ROLE)) is not None]


class LawCard(QFrame):
    """What the active law says and where it comes from: title, source and what N, C and the loss
    mean at a glance; fitted range, coefficients and notes fold away under "Law details"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lawCard")
        self.setContentsMargins(1, 1, 1, 1)  # inside the 1-px border paintEvent draws
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(3)
        self.title = self._label("lawTitle", rich=False)
        f = self.title.font()
        f.setBold(True)
        f.setPointSizeF(f.pointSizeF() * 1.05)
        self.title.setFont(f)
        self.summary = self._label("lawSummary", rich=False)
        self.body = self._label("lawBody", rich=True)
        self.details = Section("Law details", self.body, expanded=False, name="lawDetails")
        lay.addWidget(self.title)
        lay.addWidget(self.summary)
        lay.addWidget(self.details)

    def paintEvent(self, event) -> None:
        colors = theme.card_colors(self.palette())  # the result cards' frame
        painter = QPainter(self)
        theme.draw_frame(painter, self.rect(), colors["background"], colors["border"], 6)

    @staticmethod
    def _label(name: str, *, rich: bool) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        # titles and notes come from files: plain text, or escaped into our own rich text
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        return label

    def show_law(self, law: Law) -> None:
        info = law.info
        self.title.setText(info.title)
        loss = info.loss_unit if law.has_loss else "none (allocation-only law)"
        self.summary.setText(f"{info.citation.short()} ({info.citation.status.lower()})\n"
                             f"N: {info.n_meaning_text}; {info.compute}; loss: {loss}")  # fmt: skip
        unc = info.uncertainty
        coefs = []
        for name, value in law.coefficients().items():
            se = f" ± {fmt_sci(unc[name], 3)}" if name in unc else ""
            coefs.append(f"{html.escape(_coef_label(name))} = {fmt_sci(value, 5)}{se}")
        fr = info.fitted_range
        e = html.escape
        rows = [
            ("Id", e(info.id)),
            ("Fitted on", f"N {e(_range(fr.n_params))}<br>D {e(_range(fr.n_tokens))}<br>C {e(_range(fr.flops))}"),
            ("Coefficients", "<br>".join(coefs) + (f"<br><i>({e(info.uncertainty_text)})</i>" if unc else "")),
        ]
        text = "<table cellspacing='0' cellpadding='1'>" + "".join(
            f"<tr><td style='padding-right:8px; color:palette(mid)'>{k}</td><td>{v}</td></tr>" for k, v in rows
        ) + "</table>"  # fmt: skip
        if info.notes:
            text += f"<p style='margin-top:4px'>{e(info.notes)}</p>"
        self.body.setText(text)
        self.setToolTip(f"<p style='white-space:pre'>{e(law.formula())}</p>")


class LawPanel(QWidget):
    """Preset chooser, compare chooser and the law card."""

    presetSelected = Signal(str)
    compareToggled = Signal(bool)
    compareSelected = Signal(str)
    openRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        row = QHBoxLayout()
        self.combo = GroupedCombo()
        self.combo.setObjectName("presetCombo")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(18)
        self.combo.setToolTip("Scaling law (built-in, team or loaded from a file)")
        self.open_button = QPushButton("Open…")
        self.open_button.setObjectName("openPresetButton")
        self.open_button.setToolTip(
            "Open a preset file (TOML or JSON); you can also drop one on the window"
        )
        row.addWidget(self.combo, 1)
        row.addWidget(self.open_button)
        lay.addLayout(row)

        crow = QHBoxLayout()
        self.compare_check = QCheckBox("Compare with")
        self.compare_check.setObjectName("compareCheck")
        self.compare_combo = GroupedCombo()
        self.compare_combo.setObjectName("compareCombo")
        self.compare_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.compare_combo.setMinimumContentsLength(14)
        crow.addWidget(self.compare_check)
        crow.addWidget(self.compare_combo, 1)
        lay.addLayout(crow)

        self.card = LawCard()
        lay.addWidget(self.card)

        self.combo.currentIndexChanged.connect(self._emit_preset)
        self.compare_combo.currentIndexChanged.connect(self._emit_compare)
        self.compare_check.toggled.connect(self.compareToggled.emit)
        self.open_button.clicked.connect(self.openRequested.emit)

    def _emit_preset(self) -> None:
        key = self.combo.current_key()
        if key is not None:
            self.presetSelected.emit(key)

    def _emit_compare(self) -> None:
        key = self.compare_combo.current_key()
        if key is not None:
            self.compareSelected.emit(key)

    def set_groups(self, groups: Groups, current: str, compare: str) -> None:
        self.combo.set_groups(groups, current)
        self.compare_combo.set_groups(groups, compare)

    def show_selection(self, current: str, compare_on: bool, compare: str) -> None:
        """Show the selection silently."""
        self.combo.set_current_key(current)
        self.compare_combo.set_current_key(compare)
        blocker = self.compare_check.blockSignals(True)
        self.compare_check.setChecked(compare_on)
        self.compare_check.blockSignals(blocker)
        self.compare_combo.setEnabled(compare_on)
