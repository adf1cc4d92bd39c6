"""Preset discovery across folders: Built-in, Team, Mine (and Recent files).

Where presets come from (``docs/presets.md`` has the user-facing version):

* **Built-in**: the ``presets/`` folder shipped with the planner
  (:func:`planner.files.resources.resource_dir`).
* **Team**: folders passed in by the caller (the window's "team folders" setting, in the
  order given), then the folders in the ``PLANNER_PRESET_PATH`` environment variable
  (``os.pathsep``-separated, like ``PATH``).
* **Mine**: :func:`user_preset_dir`, ``platformdirs.user_data_dir("compute-budget-planner")
  / "presets"``; the ``PLANNER_USER_DIR`` environment variable replaces the
  ``user_data_dir`` part (tests, portable installs).
* **Recent**: individual files the user opened from elsewhere (passed in by the caller).

Every ``*.toml`` and ``*.json`` file directly inside a folder is read (not sub-folders;
hidden files such as the ``.name.*.tmp`` of an interrupted atomic save are skipped). An entry
with a preset suffix that is not a regular file (a FIFO, device or socket, a folder named
``x.toml``, a dangling symbolic link or a link loop) is never opened: it is listed in
:attr:`Library.errors` with what it is.

**Precedence when two presets share an id: Mine > Team (first folder first) > Built-in.**
The most deliberate choice wins: a file the user saved themselves, then the team's shared
override (so a team can pin, say, its own price on ``epoch-2024`` for everyone), then the
published default. Within one folder the first file by name wins. The losers are not
dropped silently: they are in :attr:`Library.shadowed`, so the UI and ``planner presets``
can show "team/epoch-2024.toml shadows the built-in epoch-2024". Recent files are opened by
path, so they neither shadow nor are shadowed.

A broken file never stops the scan: it is listed in :attr:`Library.errors` with the
:class:`planner.presets.load.PresetError` message (file, key path, reason), and so is a team
folder that does not exist (a network share not mounted).

Scanning is cheap to repeat (the window re-scans when a folder changes): parsed files are
cached by path, size and modification time.
"""

from __future__ import annotations

import os
import re
import sys
from _thread import allocate_lock  # threading's lock, without importing threading (~1 ms)
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from planner.files.resources import resource_dir
from planner.files.special import describe_special
from planner.presets.load import (
    Preset,
    PresetError,
    indexed_builtin,
    load_builtin,
    load_preset_file,
)

APP_NAME = "compute-budget-planner"
BUILTIN, TEAM, MINE, RECENT = "Built-in", "Team", "Mine", "Recent"
GROUPS: tuple[str, ...] = (BUILTIN, TEAM, MINE, RECENT)
"""Display order of the groups (the combo and ``planner presets`` list them in this order)."""
PRECEDENCE: tuple[str, ...] = (MINE, TEAM, BUILTIN)
"""Which group wins an id clash, strongest first."""
PRESET_SUFFIXES = (".toml", ".json")
MAX_FILES_PER_FOLDER = 1000
ENV_USER_DIR = "PLANNER_USER_DIR"
ENV_PRESET_PATH = "PLANNER_PRESET_PATH"

__all__ = [
    "BUILTIN", "GROUPS", "MINE", "PRECEDENCE", "RECENT", "TEAM", "BrokenFile", "Entry", "Library",
    "Shadowed", "find_preset", "scan", "team_folders", "user_data_dir", "user_preset_dir",
]  # fmt: skip


def user_data_dir() -> Path:
    """The user's data folder (``PLANNER_USER_DIR`` if set, else platformdirs')."""
    env = os.environ.get(ENV_USER_DIR)
    if env:
        return Path(env).expanduser()
    xdg = _plain_linux_data_home()
    if xdg is not None:
        return Path(xdg) / APP_NAME
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _plain_linux_data_home() -> str | None:
    """platformdirs' XDG data home on a plain Linux desktop (not Android, an absolute HOME):
    ``$XDG_DATA_HOME`` if absolute, else ``~/.local/share``; ``None`` anywhere else (ask
    platformdirs). Importing platformdirs costs every 'planner' command ~5 ms; a test checks
    this answer against it."""
    if sys.platform != "linux" or hasattr(sys, "getandroidapilevel"):
        return None
    if os.environ.get("ANDROID_DATA") == "/data" and os.environ.get("ANDROID_ROOT") == "/system":
        return None
    if not os.path.isabs(os.environ.get("HOME", "")):
        return None
    xdg = os.environ.get("XDG_DATA_HOME", "")
    return xdg if os.path.isabs(xdg) else os.path.expanduser("~/.local/share")


def user_preset_dir() -> Path:
    """Where "Mine" presets live (may not exist yet; :func:`ensure_user_preset_dir` makes it)."""
    return user_data_dir() / "presets"


def ensure_user_preset_dir() -> Path:
    folder = user_preset_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def team_folders(extra: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """Team folders in precedence order: ``extra`` first, then ``PLANNER_PRESET_PATH``; no duplicates."""
    out: list[Path] = []
    seen: set[str] = set()
    env = [p for p in os.environ.get(ENV_PRESET_PATH, "").split(os.pathsep) if p.strip()]
    for raw in [*extra, *env]:
        path = Path(raw).expanduser()
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out


class Entry(NamedTuple):
    """One usable preset and where it came from.

    ``key`` is what a combo box stores as userData: the id for built-ins, the file path
    (as a string) for everything else; :meth:`Library.resolve` accepts either.
    """

    preset: Preset
    group: str
    folder: Path | None

    @property
    def id(self) -> str:
        return self.preset.id

    @property
    def title(self) -> str:
        return self.preset.law.info.title

    @property
    def path(self) -> Path | None:
        return self.preset.path

    @property
    def key(self) -> str:
        if self.group == BUILTIN or self.preset.path is None:
            return self.preset.id
        return str(self.preset.path)


class Shadowed(NamedTuple):
    """``loser`` has the same id as ``winner`` and is hidden by the precedence rule."""

    winner: Entry
    loser: Entry

    @property
    def id(self) -> str:
        return self.winner.id

    def describe(self) -> str:
        where = self.loser.path or self.loser.id
        by = self.winner.path or f"the built-in {self.winner.id}"
        return f"{where} ({self.loser.group}) is shadowed by {by} ({self.winner.group}) for id {self.id!r}"


class BrokenFile(NamedTuple):
    """A file (or team folder) that could not be used, and the one-line reason."""

    path: Path
    group: str
    message: str


class Library(NamedTuple):
    """The result of :func:`scan`: winning entries grouped, plus shadowed entries and errors."""

    entries: tuple[Entry, ...]
    shadowed: tuple[Shadowed, ...] = ()
    errors: tuple[BrokenFile, ...] = ()
    folders: Mapping[str, tuple[Path, ...]] = MappingProxyType({})

    def groups(self) -> dict[str, list[Entry]]:
        """Entries by group, in :data:`GROUPS` order; empty groups omitted."""
        out: dict[str, list[Entry]] = {}
        for group in GROUPS:
            items = [e for e in self.entries if e.group == group]
            if items:
                out[group] = items
        return out

    def ids(self) -> list[str]:
        return [e.id for e in self.entries if e.group != RECENT]

    def get(self, preset_id: str) -> Entry | None:
        """The winning entry with ``preset_id`` (Recent files are looked up by path only)."""
        for e in self.entries:
            if e.id == preset_id and e.group != RECENT:
                return e
        return None

    def resolve(self, key: str | os.PathLike[str]) -> Preset:
        """A preset by id (winning entry) or by file path (any listed file, or a file on disk).

        Raises ``KeyError`` naming the known ids, or :class:`PresetError` for a bad file.
        """
        text = os.fspath(key)
        entry = self.get(text)
        if entry is not None:
            return entry.preset
        for e in self.entries:
            if e.path is not None and str(e.path) == text:
                return e.preset
        if text.lower().endswith(PRESET_SUFFIXES) or os.sep in text or "/" in text:
            return _load_cached(Path(text))
        raise KeyError(f"unknown preset {text!r}; known: {', '.join(self.ids())}")

    def shadowed_ids(self) -> set[str]:
        return {s.id for s in self.shadowed}


# ---------------------------------------------------------------------------------------------
# scanning

_CACHE: dict[str, tuple[int, int, Preset | PresetError]] = {}
_CACHE_LOCK = allocate_lock()


def _load_cached(path: Path, *, shipped: bool = False) -> Preset:
    """The preset in ``path``, read again only when its time stamp or size changed; a ``shipped``
    built-in comes from the index of validated built-ins while its file is unchanged (the
    window's start-up neither parses them nor loads the schema)."""
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = (-1, -1)
    key = str(path)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[:2] == stamp and stamp != (-1, -1):
        result = hit[2]
    else:
        try:
            result = (indexed_builtin(path) if shipped else None) or load_preset_file(path)
        except PresetError as exc:
            result = exc
        with _CACHE_LOCK:
            if len(_CACHE) > 5000:
                _CACHE.clear()
            _CACHE[key] = (*stamp, result)
    if isinstance(result, PresetError):
        raise result
    return result


def _folder_files(folder: Path, group: str, errors: list[BrokenFile]) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        if group == TEAM:
            errors.append(BrokenFile(folder, group, f"{folder}: team folder not found"))
        return []
    except OSError as exc:
        errors.append(BrokenFile(folder, group, f"{folder}: cannot list folder: {exc.strerror or exc}"))
        return []
    names = [n for n in names if not n.startswith(".") and n.lower().endswith(PRESET_SUFFIXES)]
    if len(names) > MAX_FILES_PER_FOLDER:
        errors.append(BrokenFile(folder, group, f"{folder}: {len(names)} preset files; only the first "
                                 f"{MAX_FILES_PER_FOLDER} by name are read"))  # fmt: skip
        names = names[:MAX_FILES_PER_FOLDER]
    files: list[Path] = []
    for name in names:
        path = folder / name
        try:  # a FIFO, device, folder, dangling link or link loop is listed as not loaded, never read
            problem = describe_special(path)
        except OSError as exc:
            problem = f"cannot read file: {exc.strerror or exc}"
        if problem is None:
            files.append(path)
        else:
            errors.append(BrokenFile(path, group, str(PresetError(str(path), "", problem, "a .toml or .json file"))))
    return files


def scan(
    extra_folders: Sequence[str | os.PathLike[str]] = (),
    recent: Sequence[str | os.PathLike[str]] = (),
    *,
    builtin_folder: Path | None = None,
    user_folder: Path | None = None,
) -> Library:
    """Read every preset folder; never raises for a bad file or folder (see :class:`Library`).

    ``extra_folders`` are team folders from the window's setting (before
    ``PLANNER_PRESET_PATH``); ``recent`` are files opened from elsewhere. ``builtin_folder``
    and ``user_folder`` override the defaults (tests).
    """
    errors: list[BrokenFile] = []
    builtin_dir = builtin_folder or resource_dir("presets")
    mine_dir = user_folder or user_preset_dir()
    teams = team_folders(extra_folders)
    candidates: list[Entry] = []  # in precedence order: Mine, Team folders in order, Built-in
    seen_files: set[str] = set()
    for group, folders in ((MINE, [mine_dir]), (TEAM, teams), (BUILTIN, [builtin_dir])):
        for folder in folders:
            for path in _folder_files(folder, group, errors):
                real = os.path.normcase(os.path.realpath(path))
                if real in seen_files:  # the same folder listed twice (e.g. a team path = user dir)
                    continue
                seen_files.add(real)
                try:
                    shipped = group == BUILTIN and builtin_folder is None
                    candidates.append(Entry(_load_cached(path, shipped=shipped), group, folder))
                except PresetError as exc:
                    errors.append(BrokenFile(path, group, str(exc)))
    winners: dict[str, Entry] = {}
    shadowed: list[Shadowed] = []
    for entry in candidates:
        if entry.id in winners:
            shadowed.append(Shadowed(winners[entry.id], entry))
        else:
            winners[entry.id] = entry
    for raw in recent:
        path = Path(raw)
        real = os.path.normcase(os.path.realpath(path))
        if real in seen_files:
            continue
        seen_files.add(real)
        try:
            candidates.append(Entry(_load_cached(path), RECENT, path.parent))
        except PresetError as exc:
            errors.append(BrokenFile(path, RECENT, str(exc)))
    recent_entries = [e for e in candidates if e.group == RECENT]
    ordered: list[Entry] = []
    for group in GROUPS:
        items = [e for e in winners.values() if e.group == group] if group != RECENT else recent_entries
        if group == BUILTIN:
            items.sort(key=lambda e: (not e.preset.default, e.path.name if e.path else e.id))
        ordered.extend(items)
    return Library(
        entries=tuple(ordered),
        shadowed=tuple(shadowed),
        errors=tuple(errors),
        folders={BUILTIN: (builtin_dir,), TEAM: tuple(teams), MINE: (mine_dir,)},
    )


def find_preset(key: str | os.PathLike[str], extra_folders: Sequence[str | os.PathLike[str]] = ()) -> Preset:
    """Resolve a preset id (through every folder and the precedence rule) or a file path: the
    same preset as ``scan(extra_folders).resolve(key)``.

    An id no Mine or Team file claims is a built-in, which lives in ``<id>.toml`` (a test keeps
    every built-in's file named after its id): that one file is read instead of all of them
    (and taken from the index of validated built-ins while it is unchanged,
    :func:`~planner.presets.load.load_builtin`), so ``planner plan --preset ID`` neither parses
    every shipped preset nor loads the schema. Anything else (a path,
    an unknown id, a built-in that will not load) takes the full scan and its messages.
    Raises ``KeyError`` (unknown id, listing the known ones) or :class:`PresetError`.
    """
    text = os.fspath(key)
    if not _ID.match(text) or text.lower().endswith(PRESET_SUFFIXES):
        return scan(extra_folders).resolve(text)
    errors: list[BrokenFile] = []
    seen: set[str] = set()
    for group, folders in ((MINE, [user_preset_dir()]), (TEAM, team_folders(extra_folders))):
        for folder in folders:
            for path in _folder_files(folder, group, errors):
                real = os.path.normcase(os.path.realpath(path))
                if real in seen:
                    continue
                seen.add(real)
                try:
                    preset = _load_cached(path)
                except PresetError:
                    continue
                if preset.id == text:
                    return preset
    path = resource_dir("presets") / f"{text}.toml"
    try:  # the index of validated built-ins while the file is unchanged, else the file itself
        preset = load_builtin(text) or (_load_cached(path) if describe_special(path) is None else None)
    except (OSError, PresetError):
        preset = None
    if preset is not None and preset.id == text:
        return preset
    return scan(extra_folders).resolve(text)


_ID = re.compile(r"^[A-Za-z0-9._-]{1,80}$")  # a preset id (planner.presets.schema.ID_PATTERN)
