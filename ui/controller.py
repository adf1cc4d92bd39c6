"""The only glue: views -> state -> planner -> views.

Views emit user edits; the controller writes :class:`ui.state.InputsState`; the state
emits ``changed`` only on a real change; the controller then calls
:func:`planner.solve.plan.plan` (closed forms, microseconds) for the main and compare presets
and pushes the frozen :class:`~planner.solve.plan.Plan` to the law card, budget panel, result
cards, plots and the Details tab. Views write their widgets under signal blockers, so nothing echoes back.

Presets live in a :class:`PresetRegistry` (key -> law, grouped Built-in / Team / Loaded /
Fitted) so that loaded files and fitted laws can be selected like built-ins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from planner import Plan, plan
from planner.costs.hardware import CATALOGUE
from planner.laws import Law
from planner.presets.load import Preset, builtin_presets
from ui.plots import PlotPanel
from ui.state import InputsState, PlanInputs
from ui.widgets.budget_panel import BudgetPanel
from ui.widgets.details import DetailsView
from ui.widgets.law_card import Groups, LawPanel
from ui.widgets.result_cards import ResultCards

GROUPS = ("Built-in", "Team", "Mine", "Recent", "Loaded files", "Fitted")


@dataclass
class PresetRegistry:
    """Laws by key, in display groups. Keys: built-in id, ``file:<path>``, ``fitted:<id>``."""

    laws: dict[str, Law] = field(default_factory=dict)
    presets: dict[str, Preset] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=lambda: {g: [] for g in GROUPS})

    @classmethod
    def with_builtins(cls) -> PresetRegistry:
        reg = cls()
        for p in builtin_presets():
            reg.add("Built-in", p.id, p.law, p)
        return reg

    def add(self, group: str, key: str, law: Law, preset: Preset | None = None) -> str:
        self.laws[key] = law
        if preset is not None:
            self.presets[key] = preset
        for keys in self.groups.values():
            if key in keys:
                keys.remove(key)
        self.groups.setdefault(group, []).append(key)
        return key

    def add_file(self, preset: Preset, group: str = "Loaded files") -> str:
        path = preset.path.resolve() if preset.path is not None else Path(preset.id)
        return self.add(group, str(path), preset.law, preset)

    def set_group(self, group: str, entries: list[tuple[str, Law, Preset | None]]) -> None:
        """Replace a group's members (laws of removed keys stay resolvable for the current plan)."""
        keys = []
        for key, law, preset in entries:
            self.laws[key] = law
            if preset is not None:
                self.presets[key] = preset
            keys.append(key)
        for other, members in self.groups.items():
            if other != group:
                members[:] = [k for k in members if k not in keys]
        self.groups[group] = keys

    def key_for_path(self, path: str | Path) -> str | None:
        target = Path(path).resolve()
        for key, preset in self.presets.items():
            if preset.path is not None and Path(preset.path).resolve() == target:
                return key
        return None

    def label(self, key: str) -> str:
        """The chooser's text: the law's title (and the file's name when a file holds another id)."""
        law = self.laws[key]
        preset = self.presets.get(key)
        title = law.info.title or law.id
        if preset is not None and preset.path is not None and Path(preset.path).stem != law.id and key != law.id:
            return f"{title} ({Path(preset.path).name})"
        return title

    def as_groups(self) -> Groups:
        out: Groups = []
        for title, keys in self.groups.items():
            keys = [k for k in keys if k in self.laws]
            entries = [
                (
                    k,
                    self.label(k),
                    f"{self.laws[k].info.title}\n{self.laws[k].id}: {self.laws[k].info.citation.short()}",
                )
                for k in keys
            ]
            out.append((title, entries))
        return out


class Controller(QObject):
    """Connects the views to the state and the planner."""

    planUpdated = Signal(object)  # Plan
    message = Signal(str)  # transient status text (rejected edits, fall-backs)

    def __init__(
        self,
        state: InputsState,
        registry: PresetRegistry,
        law_panel: LawPanel,
        budget: BudgetPanel,
        cards: ResultCards,
        plots: PlotPanel,
        details: DetailsView,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state, self.registry = state, registry
        self.law_panel, self.budget, self.cards, self.plots = law_panel, budget, cards, plots
        self.details = details
        self.plan: Plan | None = None
        self.compare_plan: Plan | None = None
        self.notes: tuple[str, ...] = ()
        self._shown_law: Law | None = None
        self._changed: frozenset[str] = frozenset()

        budget.inputEdited.connect(self._on_budget_input_edited)
        budget.budgetEdited.connect(self._on_budget_edited)
        budget.rejected.connect(self.message.emit)
        budget.sliderDragging.connect(plots.set_dragging)
        law_panel.presetSelected.connect(lambda key: self.set_inputs(preset=key))
        law_panel.compareToggled.connect(lambda on: self.set_inputs(compare=on))
        law_panel.compareSelected.connect(lambda key: self.set_inputs(compare_preset=key))
        state.changed.connect(self._on_state_changed)

    # ---------------------------------------------------------------- edits -> state
    def set_inputs(self, **changes: object) -> bool:
        """Apply changes to the state; a refused change is reported, the state kept."""
        for key in ("preset", "compare_preset"):
            if key in changes and changes[key] not in self.registry.laws:
                self.message.emit(f"Unknown preset {changes[key]!r}")
                self.refresh()
                return False
        try:
            self._changed = self.state.update(**changes)
        except (ValueError, KeyError) as exc:
            self.message.emit(exc.args[0] if isinstance(exc, KeyError) else str(exc))
            self.refresh()
            return False
        return True

    def _on_budget_input_edited(self, name: str, value: object) -> None:
        if name == "gpu":
            acc = CATALOGUE.get(str(value))
            if acc is not None:  # a new GPU comes with its catalogue price (usd_per_gpu_hour unset)
                self.set_inputs(gpu=acc.name, usd_per_gpu_hour=None)
            return
        self.set_inputs(**{name: value})

    def _on_budget_edited(self, kind: str, value: float) -> None:
        """A budget typed or dragged in one of its four forms; the others follow from the hardware."""
        changes = {"flops": value} if kind == "flops" else {"budget_kind": kind, "budget_value": value}
        if not self.set_inputs(**changes) or not self._changed:
            # the slider may have moved to a value that rounds to the same budget: re-show
            self.budget.show_inputs(self.state.inputs, self.plan.optimal_vocab_size if self.plan else None)

    # ---------------------------------------------------------------- state -> planner -> views
    def _on_state_changed(self, changed: frozenset[str]) -> None:
        self.refresh(changed)

    def compute(self, law: Law, inputs: PlanInputs) -> Plan:
        """The plan for ``law`` (the same question ``planner plan`` asks for these inputs)."""
        return plan(inputs.question(law))

    def refresh(self, changed: frozenset[str] | None = None) -> None:
        """Recompute and push everything (cheap: closed forms and setData).

        ``changed`` names the inputs changed since the last refresh, when known (the budget
        panel then re-shows only what they touch).

        A plan that fails (contradictory inputs) is reported in the status bar with its reason
        and the last good plan stays on screen.
        """
        inp = self.state.inputs
        law = self.registry.laws[inp.preset]
        try:
            main = self.compute(law, inp)
        except ValueError as exc:  # pragma: no cover - inputs are validated; kept for safety
            self.message.emit(str(exc))
            return
        if not main.success:
            self.message.emit(f"No plan: {main.message}")
            self.budget.show_inputs(inp, self.plan.optimal_vocab_size if self.plan else None)
            return
        compare_law = cplan = None
        notes: tuple[str, ...] = ()
        if inp.compare and inp.compare_preset in self.registry.laws:
            compare_law = self.registry.laws[inp.compare_preset]
            try:
                cplan = self.compute(compare_law, inp)
            except ValueError as exc:  # pragma: no cover
                notes = (f"{compare_law.id}: {exc}",)
            if cplan is not None and not cplan.success:
                notes, cplan = (f"{compare_law.id}: no plan: {cplan.message}",), None
        self.plan, self.compare_plan, self.notes = main, cplan, notes

        if law is not self._shown_law:
            self._shown_law = law
            self.law_panel.card.show_law(law)
        self.law_panel.show_selection(inp.preset, inp.compare, inp.compare_preset)
        self.budget.show_inputs(inp, main.optimal_vocab_size, changed)
        self.cards.show_plan(main, cplan, compare_law.id if compare_law else "", notes)
        self.plots.update_plan(law, main, compare_law, cplan)
        self.details.show_plan(law, main, cplan, compare_law.id if compare_law else "")
        self.planUpdated.emit(main)

    def current_law(self) -> Law:
        return self.registry.laws[self.state.inputs.preset]

    def rebuild_groups(self) -> None:
        inp = self.state.inputs
        self.law_panel.set_groups(self.registry.as_groups(), inp.preset, inp.compare_preset)


def apply_preset_defaults(inputs: PlanInputs, preset: Preset) -> dict[str, object]:
    """State changes for a preset's ``[hardware]`` and ``[budget]`` tables (already validated):
    the question's inputs, mapped onto the window's controls (a value switches its box on)."""
    changes: dict[str, object] = {}
    hw = dict(preset.hardware)
    if "gpu" in hw:
        changes.update(gpu=hw["gpu"], usd_per_gpu_hour=None)  # the catalogue price, unless the table sets one
    changes.update({k: hw[k] for k in ("n_gpus", "mfu", "usd_per_gpu_hour", "precision") if k in hw})
    b = dict(preset.budget)
    for kind in ("flops", "gpu_hours", "usd", "days"):
        if kind in b:
            changes.update({"flops": float(b[kind])} if kind == "flops" else
                           {"budget_kind": kind, "budget_value": float(b[kind])})  # fmt: skip
    switched = {"vocab_size": ("vocab_enabled", "vocab_size"), "inference_tokens": ("inference_enabled", None),
                "unique_tokens": ("unique_enabled", None), "n_params": ("fixed_n_enabled", "fixed_n"),
                "n_tokens": ("fixed_d_enabled", "fixed_d"), "serve_on": ("serve_enabled", None)}  # fmt: skip
    for key, value in b.items():
        if key in ("flops", "gpu_hours", "usd", "days"):
            continue
        if key in switched:
            box, field = switched[key]
            changes[box] = bool(value)
            changes[field or key] = value
            if key == "vocab_size":
                changes["optimal_vocab"] = False
        elif key == "optimal_vocab":
            changes.update(vocab_enabled=bool(value), optimal_vocab=bool(value))
        elif key in PlanInputs.__dataclass_fields__:
            changes[key] = value
    return changes
