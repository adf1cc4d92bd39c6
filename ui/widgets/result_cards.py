"""The answer at a glance: the headline, the key cards, context cards, the inference-aware plan
and a one-line warnings strip.

Every string comes from :mod:`planner.summary` (``headline``, ``result_rows``), so the window
shows what ``planner plan`` prints and the PDF reports. Reading order:

1. the headline: the recommendation in one sentence (and the compared law's, in compare mode);
2. six key cards: model size, tokens, loss, training cost, wall-clock, serving cost;
3. a row of smaller context cards, the ones this plan has, most specific first (MoE totals,
   vocabulary, epochs, then tokens per parameter, GPU-hours, memory, ...); every row is also in
   the Details tab;
4. while inference demand is on, the inference-aware plan (N, D, training + serving, saving in
   percent and dollars, crossover demand) takes the context row's place (same height);
5. the warnings strip: one line, most serious first, with a count; "Show all" opens the list.

Heights are fixed per mode (compare on/off, demand on/off), so warnings that come and go and
labels that change never move the plots; a label is written only when its text changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from planner import Plan
from planner.solve.warnings import (
    SERIOUS,
    SEVERITY_NAMES,
    PlanWarning,
    merge_warnings,
    warning_line,
)
from planner.summary import Row, headline, result_rows
from planner.units import fmt_count
from ui import theme

# key cards: (row key, card title, object name of the value label)
CARDS: tuple[tuple[str, str, str], ...] = (
    ("n_params", "Model size N*", "nParamsValue"),
    ("n_tokens", "Training tokens D*", "nTokensValue"),
    ("loss", "Predicted loss", "lossValue"),
    ("cost_usd", "Training cost", "costValue"),
    ("wall_clock_days", "Training time", "wallClockValue"),
    ("inference_usd_per_million_tokens", "Serving cost", "inferenceCostValue"),
)
# context cards, in priority order: the first CONTEXT_SLOTS this plan has are shown
CONTEXT: tuple[tuple[str, str, str], ...] = (
    ("binding", "Bound by", "bindingValue"),
    ("n_params_total", "Total parameters", "nTotalActiveValue"),
    ("efficiency_leverage", "MoE leverage", "leverageValue"),
    ("vocab_size", "Vocabulary", "vocabValue"),
    ("epochs", "Epochs of unique data", "epochsValue"),
    ("serve_memory_limit_bytes", "Serving limit", "serveLimitValue"),
    ("tokens_per_param", "Tokens per parameter", "tokensPerParamValue"),
    ("gpu_hours", "GPU-hours", "gpuHoursValue"),
    ("training_memory.min_gpus", "Fewest GPUs to train", "minGpusValue"),
    ("serving_memory_bytes", "Serving memory", "servingMemoryValue"),
    ("learning_rate", "Learning rate", "learningRateValue"),
    ("batch_size_tokens", "Batch size", "batchSizeValue"),
    ("inference_flops_per_token", "Inference FLOPs / token", "inferenceFlopsValue"),
)
CONTEXT_SLOTS = 6
# the inference-aware plan (shown while inference demand is on)
DEMAND: tuple[tuple[str, str, str], ...] = (
    ("inference_aware.n_params", "Inference-aware N", "iaNParamsValue"),
    ("inference_aware.n_tokens", "Inference-aware D", "iaNTokensValue"),
    ("inference_aware.total_flops", "Training + serving", "iaTotalValue"),
    ("inference_aware.total_flops_saving", "Saving vs compute-optimal", "iaSavingValue"),
    ("inference_aware.crossover_inference_tokens", "Smaller model pays from", "iaCrossoverValue"),
)
INTERVAL_FORMAT = {"n_params": fmt_count, "n_tokens": fmt_count, "tokens_per_param": fmt_count,
                   "loss": lambda x: f"{x:.4g}"}  # fmt: skip


def _set(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def hover_selectable(label: QLabel, hovered: bool) -> None:
    """Make ``label`` selectable by mouse while the pointer is over it or it has the focus (a
    selection), plain otherwise; it looks the same either way.

    A selectable QLabel keeps its text in a text document: every new text then costs several
    times more to lay out and paint, and a slider step writes a dozen values and the headline.
    """
    flags = (Qt.TextInteractionFlag.TextSelectableByMouse if hovered or label.hasFocus()
             else Qt.TextInteractionFlag.NoTextInteraction)  # fmt: skip
    if label.textInteractionFlags() != flags:
        label.setTextInteractionFlags(flags)


class CardText:
    """A text a card paints itself (title, unit line), read like a QLabel's:
    ``text()`` and ``fontMetrics()``."""

    def __init__(self, font: QFont, text: str = "") -> None:
        self.font = font
        self._text = text

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name)
        self._text = text

    def fontMetrics(self) -> QFontMetrics:  # noqa: N802 (QLabel's name)
        return QFontMetrics(self.font)


class ResultCard(QWidget):
    """Title, big value, a wrapped unit line (two lines) and wrapped extra lines (interval, compare).

    One paintEvent draws the frame and the title and unit texts (QLabels with a style-sheet
    frame cost a slider step a paint event each); the value is a QLabel (selectable, found by
    its object name) and so are the extra lines (interval, compare value), which change at
    every slider step: a plain label repaints in C++, where the card's own paint would run
    Python. Everything sits at fixed places and the card's
    height is fixed for its number of lines, so a changing text never lays out the window
    again and repaints only its own rectangle. Texts are never elided: the unit and extra lines
    wrap, and the card is tall enough for them (the window tests this with font metrics, the
    same flags the paint uses, at 1366 and 1920 wide).
    """

    PAD_X, PAD_Y = 8, 5
    RADIUS = 6
    SMALL = 0.88  # title, unit and extra font size, relative to the window's
    WRAP = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
    ONE_LINE = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter  # (made once: a PySide
    # enum operation costs about a microsecond, and the cards repaint at every slider step)

    def __init__(self, title: str, value_name: str, *, value_scale: float = 1.35, unit_lines: int = 2,
                 extra_lines: int = 1, parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName("resultCard")
        small = QFont(self.font())
        small.setPointSizeF(small.pointSizeF() * self.SMALL)
        self.title = CardText(small, title)
        self.unit = CardText(small)
        self.value = QLabel("—", self)
        self.value.setObjectName(value_name)
        self.value.setTextFormat(Qt.TextFormat.PlainText)  # preset names come from files: never markup
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * value_scale)
        f.setBold(True)
        self.value.setFont(f)
        # opaque (it fills the card's background): a new value repaints the label alone, not the
        # card, the rows and the window behind it
        self.value.setAutoFillBackground(True)
        self.extra = QLabel(self)  # (wrapped as the card's own paint wraps the unit)
        self.extra.setTextFormat(Qt.TextFormat.PlainText)
        self.extra.setFont(small)
        self.extra.setWordWrap(True)
        self.extra.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.extra.setAutoFillBackground(True)
        self._sync_palette()
        self._texts = ("—", "", "")
        self._rects: tuple[QRect, QRect, QRect, QRect] = (QRect(), QRect(), QRect(), QRect())
        self.set_lines(unit_lines, extra_lines)
        self.setMinimumWidth(100)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def set_lines(self, unit_lines: int, extra_lines: int) -> None:
        """Lines reserved for the unit and the extra text (the card's height follows)."""
        self._lines = (1, 1, unit_lines, extra_lines)
        self._heights = [fm.lineSpacing() * n + (2 if n else 0)
                         for fm, n in zip(self._metrics(), self._lines, strict=True)]  # fmt: skip
        height = sum(self._heights) + 2 * self.PAD_Y + 2
        if self.height() != height or self.minimumHeight() != height:
            self.setFixedHeight(height)
        self._place()

    def _metrics(self) -> tuple[QFontMetrics, ...]:
        return tuple(t.fontMetrics() for t in (self.title, self.value, self.unit, self.extra))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place()

    def enterEvent(self, event) -> None:
        super().enterEvent(event)
        hover_selectable(self.value, True)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        hover_selectable(self.value, False)

    def _place(self) -> None:
        """Rectangles of the title, value, unit and extra lines, stacked; the value label is put
        in its own at a fixed size (a new text never posts a layout request)."""
        y, w = self.PAD_Y, max(self.width() - 2 * self.PAD_X, 1)
        rects = []
        for h in self._heights:
            rects.append(QRect(self.PAD_X, y, w, h))
            y += h
        self._rects = tuple(rects)
        self.value.setGeometry(self._rects[1])
        self.value.setFixedSize(self._rects[1].size())
        self.extra.setGeometry(self._rects[3])
        self.extra.setFixedSize(self._rects[3].size())
        self.extra.setVisible(self._rects[3].height() > 0)  # (no extra lines: none shown)
        self.update()

    def _sync_palette(self) -> None:
        """The value and extra labels fill with the card's background; the extra's text has
        the card's extra colour."""
        colors = theme.card_colors(self.palette())
        if self.value.palette().color(QPalette.ColorRole.Window) != colors["background"]:
            palette = QPalette(self.palette())
            palette.setColor(QPalette.ColorRole.Window, colors["background"])
            self.value.setPalette(palette)
            palette = QPalette(palette)
            palette.setColor(QPalette.ColorRole.WindowText, colors["extra"])
            self.extra.setPalette(palette)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark
            self._sync_palette()

    def paintEvent(self, event) -> None:
        colors = theme.card_colors(self.palette())
        p = QPainter(self)
        area = event.rect()  # a new unit or extra line repaints only its rectangle
        inside = self.rect().adjusted(self.RADIUS, self.RADIUS, -self.RADIUS, -self.RADIUS)
        if inside.contains(area):  # clear of the rounded border: a plain fill is all it needs
            p.fillRect(area, colors["background"])
        else:
            theme.draw_frame(p, self.rect(), colors["background"], colors["border"], self.RADIUS)
        for text, rect, flags, color in (
            (self.title, self._rects[0], self.ONE_LINE, "muted"),
            (self.unit, self._rects[2], self.WRAP, "muted"),
        ):  # fmt: skip
            if text.text() and rect.height() and rect.intersects(area):
                p.setFont(text.font)
                p.setPen(colors[color])
                p.drawText(rect, flags, text.text())

    def show_values(self, value: str, unit: str, extra: str, tip_extra: str = "") -> None:
        if (value, unit, extra) != self._texts:
            if self.value.textInteractionFlags() != Qt.TextInteractionFlag.NoTextInteraction:
                hover_selectable(self.value, self.underMouse())  # (it may have lost the focus)
            _set(self.value, value)
            if self.unit.text() != unit:
                self.unit.setText(unit)
                self.update(self._rects[2])
            if self.extra.text() != extra:
                self.extra.setText(extra)
            self._texts = (value, unit, extra)
        tip = f"{self.title.text()}: {value} {unit}".rstrip() + (f"\n{tip_extra}" if tip_extra else "")
        if self.toolTip() != tip:
            self.setToolTip(tip)

    def fits(self) -> bool:
        """Whether every text is drawn in full at the current width (title and value on one line,
        the unit and extra lines within their reserved lines, wrapped as paintEvent wraps them)."""
        w = self.width() - 2 * self.PAD_X
        for fm, text, lines in zip(self._metrics(), (self.title.text(), *self._texts), self._lines, strict=True):
            if not text:
                continue
            if lines == 1 and fm.horizontalAdvance(text) > w:
                return False
            if lines > 1:
                rect = fm.boundingRect(0, 0, w, 10_000, int(self.WRAP), text)
                if rect.width() > w or rect.height() > fm.lineSpacing() * lines + 2:
                    return False
        return True


def _card_text(key: str, rows: dict[str, Row]) -> tuple[str, str]:
    """(value, unit) of card ``key`` from the plan's rows; "—" and why when the plan has none."""
    if key == "n_params_total" and key in rows:
        return rows[key].value, f"total; {rows['n_params_active'].value} active"
    row = rows.get(key)
    if row is None:
        return "—", "not estimated for this plan"
    if key == "loss" and not row.unit:  # an allocation-only law: say so in full
        return "—", "none: this law predicts allocation only"
    return row.value.partition(" [")[0], row.unit


def _interval(key: str, plan: Plan) -> str:
    pair = (plan.intervals or {}).get(key)
    fmt = INTERVAL_FORMAT.get(key)
    return "" if pair is None or fmt is None else f"CI {fmt(pair[0])} – {fmt(pair[1])}"


class Pinned(QWidget):
    """Holds one widget at the holder's size, outside any layout: the child's new text or size
    hint never lays out the window again (the holder's height is fixed, its width follows).
    A label child is selectable while hovered (:func:`hover_selectable`)."""

    def __init__(self, child: QWidget) -> None:
        super().__init__()
        self.child = child
        child.setParent(self)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.child.move(0, 0)
        self.child.setFixedSize(self.size())

    def enterEvent(self, event) -> None:
        super().enterEvent(event)
        if isinstance(self.child, QLabel):
            hover_selectable(self.child, True)

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        if isinstance(self.child, QLabel):
            hover_selectable(self.child, False)


class CardRow(QWidget):
    """A row of cards that share the width equally; hidden cards give their room to the others."""

    def __init__(self, specs: tuple[tuple[str, str, str], ...], **card_kw) -> None:
        super().__init__()
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.cards: dict[str, ResultCard] = {}
        for key, title, name in specs:
            self.cards[key] = ResultCard(title, name, parent=self, **card_kw)
            self.cards[key].setVisible(False)
        self._shown: tuple[str, ...] = ()

    def show_keys(self, keys: tuple[str, ...]) -> None:
        """Show exactly the cards ``keys``, in this order (re-laid out only when the set changes)."""
        if keys == self._shown:
            return
        for card in self.cards.values():
            self.grid.removeWidget(card)
            card.setVisible(False)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for i, key in enumerate(keys):
            self.grid.addWidget(self.cards[key], 0, i)
            self.grid.setColumnStretch(i, 1)
            self.cards[key].setVisible(True)
        self._shown = keys

    def shown(self) -> tuple[str, ...]:
        return self._shown


class WarningsList(QFrame):
    """Every warning in full, most serious first: floats over the plots (no layout changes)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("warningsList")
        self.setContentsMargins(1, 1, 1, 1)  # inside the 1-px border paintEvent draws
        self.label = QLabel()
        self.label.setObjectName("warningsListLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.label)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.addWidget(scroll)
        self.hide()

    def paintEvent(self, event) -> None:
        fill, _text, border = theme.warning_colors(self.palette(), "list")
        painter = QPainter(self)
        theme.draw_frame(painter, self.rect(), fill, border, 4)


class WarningsStrip(QFrame):
    """One line, always there: a count and the most serious warning; "Show all" lists them all.

    Warnings of compared laws are merged (:func:`planner.solve.warnings.merge_warnings`): one
    that reads the same for both laws is said once, as "both laws: ...".
    """

    expandedChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warningsStrip")
        self.label = QLabel("", self)
        self.label.setObjectName("warningsLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        # inside the frame paintEvent draws behind it: 1-px border, 2-px and 8-px padding and a
        # framed label's indent (half an "x")
        self.label.setContentsMargins(9, 3, 9, 3)
        self.label.setIndent(self.label.fontMetrics().horizontalAdvance("x") // 2)
        self._severity = "none"
        self._color_label()
        # opaque: a new warning repaints the strip alone, not the window behind it
        self.setAutoFillBackground(True)
        self.button = QToolButton(self)
        self.button.setObjectName("warningsButton")
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.toggled.connect(self.set_expanded)
        # placed by hand at fixed sizes (resizeEvent): a new text never lays out the window again
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.label.fontMetrics().height() + 12)
        self._lines: tuple[str, ...] = ()
        self._merged: list[PlanWarning] = []
        self._list: WarningsList | None = None
        self._summary = ""
        self.show_warnings([], 1)

    # ------------------------------------------------------------- content
    def lines(self) -> tuple[str, ...]:
        return self._lines

    def text(self) -> str:
        return "\n".join(self._lines)

    def show_warnings(self, merged: list[PlanWarning], n_laws: int) -> None:
        lines = tuple(warning_line(w, n_laws) for w in merged)
        if lines == self._lines and self._summary:
            return
        self._lines, self._merged = lines, merged
        top = merged[0].severity if merged else 0
        severity = SEVERITY_NAMES.get(top, "none")
        if severity != self._severity:
            self._severity = severity
            self._color_label()
            self.update()
        n = len(lines)
        if n == 0:
            self._summary = "✓ No warnings: the plan is within what its laws were fitted on"
        else:
            mark = "⚠" if top == SERIOUS else "ⓘ" if top < 2 else "⚠"
            self._summary = f"{mark} {n} warning{'s' if n > 1 else ''}: {lines[0]}"
        self.button.setText(f"Show all ({n})" if n else "")
        if self.button.isVisibleTo(self) != (n > 0):
            self.button.setVisible(n > 0)
            self._place()
        if n == 0 and self.button.isChecked():
            self.button.setChecked(False)
        self.setToolTip("\n".join(lines))
        self._elide()
        if self._list is not None and self._list.isVisible():
            self._fill_list()

    def severity(self) -> str:
        """The most serious warning's severity name ("none" without warnings)."""
        return self._severity

    def _color_label(self) -> None:
        _fill, text, _border = theme.warning_colors(self.palette(), self._severity)
        palette = QPalette(self.label.palette())
        palette.setColor(QPalette.ColorRole.WindowText, text)
        self.label.setPalette(palette)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # light <-> dark
            self._color_label()

    def paintEvent(self, event) -> None:
        """The window's background (autoFillBackground), then the label's frame by severity."""
        fill, _text, border = theme.warning_colors(self.palette(), self._severity)
        painter = QPainter(self)
        theme.draw_frame(painter, self.label.geometry(), fill, border, 4)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place()
        if self._list is not None and self._list.isVisible():
            self._place_list()

    def _place(self) -> None:
        bw = self.button.sizeHint().width() if self.button.isVisibleTo(self) else 0
        self.button.setGeometry(self.width() - bw, 0, bw, self.height())
        self.label.move(0, 0)
        self.label.setFixedSize(max(self.width() - bw - 4, 1), self.height())
        self._elide()

    def _elide(self) -> None:
        width = max(self.label.width() - 16, 50)
        _set(self.label, self.label.fontMetrics().elidedText(self._summary, Qt.TextElideMode.ElideRight, width))

    # ------------------------------------------------------------- the full list
    def is_expanded(self) -> bool:
        return self._list is not None and self._list.isVisible()

    def set_expanded(self, on: bool) -> None:
        if self.button.isChecked() != on:
            self.button.setChecked(on)
            return
        if on:
            if self._list is None:
                self._list = WarningsList(self.window())
            self._fill_list()
            self._place_list()
            self._list.show()
            self._list.raise_()
        elif self._list is not None:
            self._list.hide()
        self.button.setText(f"Hide ({len(self._lines)})" if on else f"Show all ({len(self._lines)})")
        self.expandedChanged.emit(on)

    def _fill_list(self) -> None:
        assert self._list is not None
        text = "\n\n".join(f"{SEVERITY_NAMES[w.severity]}: {line}" for w, line in zip(self._merged, self._lines,
                                                                                      strict=True))  # fmt: skip
        _set(self._list.label, text)

    def _place_list(self) -> None:
        assert self._list is not None
        top = self.mapTo(self.window(), QPoint(0, self.height()))
        room = self.window().height() - top.y() - 40
        self._list.setGeometry(top.x(), top.y() + 2, self.width(), max(80, min(room, 320)))


class ResultCards(QWidget):
    """Headline, key cards, context cards, the inference-aware row and the warnings strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.headline = QLabel("")
        self.headline.setObjectName("headlineLabel")
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.headline.setWordWrap(True)
        self.headline.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.headline.setAutoFillBackground(True)  # opaque: a new headline repaints itself alone
        f = self.headline.font()
        f.setPointSizeF(f.pointSizeF() * 1.12)
        f.setBold(True)
        self.headline.setFont(f)
        self._headline_box = Pinned(self.headline)
        outer.addWidget(self._headline_box)
        self.key_row = CardRow(CARDS)
        self.key_row.show_keys(tuple(k for k, _, _ in CARDS))
        outer.addWidget(self.key_row)
        self.context_row = CardRow(CONTEXT, value_scale=1.1, unit_lines=2, extra_lines=0)
        outer.addWidget(self.context_row)
        self.demand_row = CardRow(DEMAND, value_scale=1.1, unit_lines=2, extra_lines=0)
        self.demand_row.setObjectName("demandRow")
        self.demand_row.setVisible(False)
        outer.addWidget(self.demand_row)
        self.warnings = WarningsStrip()
        outer.addWidget(self.warnings)
        self.cards: dict[str, ResultCard] = {**self.key_row.cards, **self.context_row.cards, **self.demand_row.cards}
        self._mode: tuple[bool, bool] | None = None
        self._headline_lines = 0
        self._set_mode(False, False)

    def value_text(self, key: str) -> str:
        """The value shown on card ``key``."""
        return self.cards[key]._texts[0]

    def shown_cards(self) -> list[ResultCard]:
        return [self.cards[k] for row in (self.key_row, self.context_row, self.demand_row) if row.isVisibleTo(self)
                for k in row.shown()]  # fmt: skip

    def _set_mode(self, compare: bool, demand: bool) -> None:
        """Fixed heights for the mode: compare adds a line to each key card and to the headline."""
        if self._mode == (compare, demand):
            return
        self._mode = (compare, demand)
        for card in self.key_row.cards.values():
            card.set_lines(3, 2 if compare else 1)
        lines = 4 if compare else 2
        self._headline_box.setFixedHeight(self.headline.fontMetrics().lineSpacing() * lines + 4)
        self.context_row.setVisible(not demand)  # the same height: the plots do not move
        self.demand_row.setVisible(demand)

    def show_plan(self, plan: Plan, compare: Plan | None = None, compare_name: str = "",
                  notes: tuple[str, ...] = ()) -> None:  # fmt: skip
        rows = {r.key: r for r in result_rows(plan)}
        crow = {r.key: r for r in result_rows(compare)} if compare is not None else {}
        demand = bool(plan.inference_tokens)
        self._set_mode(compare is not None, demand)
        text = headline(plan)
        if compare is not None:
            text = f"{plan.preset}: {text}\n{compare_name or compare.preset}: {headline(compare)}"
        if self.headline.text() != text and self.headline.textInteractionFlags():
            hover_selectable(self.headline, self._headline_box.underMouse())
        _set(self.headline, text)
        self.headline.setToolTip(text)

        for key, card in self.key_row.cards.items():
            self._show_card(card, key, rows, plan, crow, compare, compare_name)
        keys = tuple(k for k, _, _ in CONTEXT if k in rows or k in crow)[:CONTEXT_SLOTS]
        self.context_row.show_keys(keys)
        for key in keys:
            self._show_card(self.context_row.cards[key], key, rows, plan, crow, compare, compare_name)
        if demand:
            self._show_demand(plan, rows)
        named = [(plan.preset, tuple(plan.warnings) + tuple(notes))]
        if compare is not None:
            named.append((compare_name or compare.preset, tuple(compare.warnings)))
        self.warnings.show_warnings(merge_warnings(named), len(named))

    def _show_card(self, card: ResultCard, key: str, rows: dict[str, Row], plan: Plan, crow: dict[str, Row],
                   compare: Plan | None, compare_name: str) -> None:  # fmt: skip
        value, unit = _card_text(key, rows)
        extra = _interval(key, plan)
        row = rows.get(key)
        tips = [f"exact: {row.exact}"] if row is not None and row.exact else []
        if row is not None and " [" in row.value:
            tips.append(f"bootstrap interval {row.value.partition(' ')[2]}")
        if compare is not None:
            cval, cunit = _card_text(key, crow)
            if cval != "—":
                extra = (extra + "\n" if extra else "") + f"vs {cval}"
                tips.append(f"{compare_name or compare.preset}: {cval} {cunit}".rstrip())
        card.show_values(value, unit, extra, "\n".join(tips))

    def _show_demand(self, plan: Plan, rows: dict[str, Row]) -> None:
        """The inference-aware plan (Sardana et al. 2024) in the context row's place; a law without
        a Chinchilla-form loss has none, and its card says why."""
        keys = tuple(k for k, _, _ in DEMAND if k in rows)
        self.demand_row.show_keys(keys or (DEMAND[0][0],))
        if not keys:
            self.demand_row.cards[DEMAND[0][0]].show_values(
                "—", f"{plan.preset} has no Chinchilla-form loss (L = E + A/N^α + B/D^β) to trade serving "
                "against training", "")  # fmt: skip
            return
        for key in keys:
            value, unit = _card_text(key, rows)
            card = self.demand_row.cards[key]
            card.show_values(value, unit, "", f"exact: {rows[key].exact}" if rows[key].exact else "")
