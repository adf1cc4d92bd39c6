"""The preset library for the window: :mod:`planner.presets.library` plus live folder watching.

API (for the main window)::

    lib = PresetLibrary(team_folders=settings_folders, recent=recent_files, parent=window)
    lib.changed.connect(refill_combo)      # emitted after a re-read that changed something
    lib.library                            # planner.presets.library.Library: entries, shadowed, errors
    lib.as_groups()                        # [(group, [(key, label, tooltip)])] for GroupedCombo
    lib.resolve(key)                       # key = preset id (built-in) or file path -> Preset
    lib.errors / lib.shadowed              # broken files (one-line messages) / hidden duplicates
    lib.set_team_folders([...]); lib.set_recent([...]); lib.add_recent(path); lib.rescan()
    fill_combo(combo, lib.library, current=key)   # any QComboBox: disabled group headers,
                                                  # entries with userData = key (Qt.UserRole)

Groups are Built-in, Team, Mine, Recent (``planner.presets.library.GROUPS``); an id clash is resolved
Mine > Team (first folder first) > Built-in and the hidden entries are listed in
``shadowed`` (the winner's tooltip says what it shadows). Broken files never raise: they are
in ``errors`` with their :class:`planner.presets.load.PresetError` message.

Watching: a ``QFileSystemWatcher`` watches every existing preset folder (Mine is created if
missing) and every preset file in them, so adding, deleting, renaming, atomically replacing
(``QSaveFile``/``os.replace``) or editing a file in place triggers a re-read, debounced by
``delay_ms`` (default 200 ms; a burst of events gives one re-read). ``changed`` is emitted
only when the entries, shadowed list or errors really differ.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QComboBox

from planner.presets import library as core
from planner.presets.library import BrokenFile, Entry, Library, Shadowed
from planner.presets.load import Preset
from ui.dialogs import plain_tooltip

Groups = list[tuple[str, list[tuple[str, str, str]]]]

__all__ = ["PresetLibrary", "entry_label", "entry_tooltip", "fill_combo"]


def entry_label(entry: Entry) -> str:
    """Combo text: the id, plus the file name for files whose name differs from the id."""
    if entry.group == core.BUILTIN or entry.path is None or entry.path.stem == entry.id:
        return entry.id
    return f"{entry.id} ({entry.path.name})"


def entry_tooltip(entry: Entry, shadowed: Sequence[Shadowed] = ()) -> str:
    info = entry.preset.law.info
    lines = [info.title, info.citation.short()]
    if entry.path is not None and entry.group != core.BUILTIN:
        lines.append(str(entry.path))
    for s in shadowed:
        if s.winner is entry:
            lines.append(f"Shadows {s.loser.path or s.loser.id} ({s.loser.group})")
    return "\n".join(lines)


def _signature(lib: Library) -> tuple:
    return (
        tuple((e.group, e.key, e.id, id(e.preset)) for e in lib.entries),
        tuple((s.winner.key, s.loser.key) for s in lib.shadowed),
        tuple((str(b.path), b.message) for b in lib.errors),
        tuple((g, tuple(map(str, f))) for g, f in lib.folders.items()),
    )


class PresetLibrary(QObject):
    """Watches the preset folders and keeps a current :class:`planner.presets.library.Library`."""

    changed = Signal()

    def __init__(
        self,
        team_folders: Sequence[str | os.PathLike[str]] = (),
        recent: Sequence[str | os.PathLike[str]] = (),
        parent: QObject | None = None,
        *,
        delay_ms: int = 200,
        builtin_folder: Path | None = None,
        user_folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self._team = [Path(f) for f in team_folders]
        self._recent = [Path(f) for f in recent]
        self._builtin_folder = builtin_folder
        self._user_folder = user_folder
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._schedule)
        self._watcher.fileChanged.connect(self._schedule)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(0, int(delay_ms)))
        self._timer.timeout.connect(self.rescan)
        try:  # so a preset saved into "Mine" later is seen without a restart
            (user_folder or core.user_preset_dir()).mkdir(parents=True, exist_ok=True)
        except OSError:
            pass
        self._library = self._scan()
        self._signature = _signature(self._library)
        self._rewatch()

    # -- reading -----------------------------------------------------------------------------
    @property
    def library(self) -> Library:
        return self._library

    @property
    def errors(self) -> tuple[BrokenFile, ...]:
        return self._library.errors

    @property
    def shadowed(self) -> tuple[Shadowed, ...]:
        return self._library.shadowed

    def groups(self) -> dict[str, list[Entry]]:
        return self._library.groups()

    def as_groups(self) -> Groups:
        """``[(group, [(key, label, tooltip)])]`` in display order (the window's GroupedCombo format)."""
        return [
            (group, [(e.key, entry_label(e), entry_tooltip(e, self._library.shadowed)) for e in entries])
            for group, entries in self._library.groups().items()
        ]

    def resolve(self, key: str) -> Preset:
        """Preset by id or file path (``KeyError`` / ``PresetError`` as :meth:`Library.resolve`)."""
        return self._library.resolve(key)

    def watched_paths(self) -> list[str]:
        return sorted(self._watcher.directories() + self._watcher.files())

    # -- changing ----------------------------------------------------------------------------
    def set_team_folders(self, folders: Sequence[str | os.PathLike[str]]) -> None:
        self._team = [Path(f) for f in folders]
        self.rescan()

    def set_recent(self, paths: Sequence[str | os.PathLike[str]]) -> None:
        self._recent = [Path(p) for p in paths]
        self.rescan()

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        p = Path(path)
        self._recent = [p, *[r for r in self._recent if r != p]][:10]
        self.rescan()

    @Slot()
    def rescan(self) -> bool:
        """Re-read every folder now; emits ``changed`` and returns True if anything differs."""
        self._timer.stop()
        lib = self._scan()
        self._library = lib
        self._rewatch()
        sig = _signature(lib)
        if sig == self._signature:
            return False
        self._signature = sig
        self.changed.emit()
        return True

    # -- internals ---------------------------------------------------------------------------
    def _scan(self) -> Library:
        return core.scan(self._team, self._recent, builtin_folder=self._builtin_folder,
                         user_folder=self._user_folder)  # fmt: skip

    @Slot(str)
    def _schedule(self, _path: str = "") -> None:
        self._timer.start()

    def _rewatch(self) -> None:
        lib = self._library
        dirs = {str(f) for folders in lib.folders.values() for f in folders if f.is_dir()}
        files = {str(e.path) for e in lib.entries if e.path is not None and e.path.is_file()}
        files |= {str(b.path) for b in lib.errors if b.path.is_file()}
        files |= {str(s.loser.path) for s in lib.shadowed if s.loser.path is not None and s.loser.path.is_file()}
        old_dirs, old_files = set(self._watcher.directories()), set(self._watcher.files())
        if old_dirs - dirs:
            self._watcher.removePaths(sorted(old_dirs - dirs))
        if old_files - files:
            self._watcher.removePaths(sorted(old_files - files))
        if dirs - old_dirs:
            self._watcher.addPaths(sorted(dirs - old_dirs))
        if files - old_files:
            self._watcher.addPaths(sorted(files - old_files))


def fill_combo(combo: QComboBox, lib: Library, current: str | None = None,
               role: int = Qt.ItemDataRole.UserRole) -> None:  # fmt: skip
    """Fill ``combo`` with group headers (bold, disabled) and entries (userData = key).

    Signals are blocked while filling; ``current`` (a key) is selected if listed, else the
    first entry. Works with any ``QComboBox`` (its model is replaced by a
    ``QStandardItemModel``).
    """
    model = QStandardItemModel(combo)
    bold = QFont(combo.font())
    bold.setBold(True)
    first_entry = -1
    select = -1
    for group, entries in lib.groups().items():
        header = QStandardItem(group)
        header.setFlags(Qt.ItemFlag.NoItemFlags)  # disabled, not selectable
        header.setFont(bold)
        model.appendRow(header)
        for e in entries:
            item = QStandardItem("   " + entry_label(e))
            item.setData(e.key, role)
            item.setToolTip(plain_tooltip(entry_tooltip(e, lib.shadowed)))  # file content: never markup
            model.appendRow(item)
            row = model.rowCount() - 1
            if first_entry < 0:
                first_entry = row
            if current is not None and e.key == current:
                select = row
    blocked = combo.blockSignals(True)
    try:
        combo.setModel(model)
        combo.setCurrentIndex(select if select >= 0 else first_entry)
    finally:
        combo.blockSignals(blocked)
