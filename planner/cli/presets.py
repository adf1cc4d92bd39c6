"""``planner presets``: list the scaling-law presets (built-in, team, mine)."""

from __future__ import annotations

import argparse
import json
import sys

from planner.cli.common import Command
from planner.text import printable


def _run_presets(args: argparse.Namespace) -> int:
    from planner.presets.library import BUILTIN, GROUPS, MINE, TEAM, scan

    lib = scan(extra_folders=args.folder)
    shadows = {}
    for s in lib.shadowed:
        shadows.setdefault(id(s.winner), []).append(str(s.loser.path or s.loser.id))
    if args.json:
        out = [
            {
                "id": e.id, "title": e.title, "form": e.preset.law.form, "default": e.preset.default,
                "citation": e.preset.law.info.citation.short(), "arxiv": e.preset.law.info.citation.arxiv,
                "n_params": e.preset.law.info.n_meaning, "has_loss": e.preset.law.has_loss,
                "coefficients": e.preset.law.coefficients(), "group": e.group,
                "path": str(e.path) if e.path else None, "shadows": shadows.get(id(e), []),
            }
            for e in lib.entries
        ]  # fmt: skip
        print(json.dumps(out, indent=2))  # ensure_ascii: control characters arrive as \u escapes
        for err in lib.errors:
            print(f"planner: warning: {printable(err.message)}", file=sys.stderr)
        return 0
    # every string below may come from a file or a file name: printable() escapes terminal control
    groups = lib.groups()
    width = max(len(e.id) for e in lib.entries)
    for group in GROUPS:
        folders = lib.folders.get(group, ())
        where = printable(", ".join(map(str, folders))) if folders else ""
        if group == TEAM and not folders:
            where = "none; set PLANNER_PRESET_PATH or pass --folder"
        if group not in groups and group not in (TEAM, MINE):
            continue
        print(f"{group}" + (f"  ({where})" if where else ""))
        for e in groups.get(group, []):
            star = "*" if e.preset.default and group == BUILTIN else " "
            print(f"{star} {printable(e.id):<{width}}  {printable(e.title)}")
            detail = e.preset.law.info.citation.short() if group == BUILTIN else str(e.path)
            print(f"  {'':<{width}}  {printable(detail)}")
        if group not in groups:
            print("  (no presets)")
        print()
    if lib.shadowed:
        print("Shadowed (precedence Mine > Team, first folder first > Built-in):")
        for s in lib.shadowed:
            print(f"  {printable(s.describe())}")
        print()
    if lib.errors:
        print("Not loaded:")
        for err in lib.errors:
            print(f"  {printable(err.message)}")
        print()
    print("* default")
    return 0


def _add_presets_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument("--folder", action="append", default=[], metavar="DIR",
                   help="also read team presets from DIR (repeatable; before PLANNER_PRESET_PATH)")  # fmt: skip



COMMAND = Command("presets", "list the scaling-law presets (built-in, team, mine)", _add_presets_args, _run_presets)
