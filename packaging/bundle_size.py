"""Where a one-folder bundle's bytes go: size by component, largest first.

    python packaging/bundle_size.py [dist/planner] [--max-mib 250]

Components (first match wins, paths relative to the bundle; Linux, Windows and macOS layouts):
ICU (Qt's Unicode data and libraries), OpenBLAS (numpy's and scipy's, with the Fortran runtime
scipy's copy needs), Qt (PySide6, shiboken6, the Qt libraries and plug-ins), scipy, numpy,
libpython, stdlib extensions (CPython's compiled standard-library modules), executables (the
files at the top: each embeds the compressed Python modules), other. Sizes are file bytes in
MiB (symbolic links not followed); ``du -sh`` adds disk blocks. With ``--max-mib`` the exit
status is 1 when the total is larger.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from pathlib import Path

COMPONENTS = (
    "Qt", "ICU", "scipy", "numpy", "OpenBLAS", "libpython", "stdlib extensions", "executables",
    "other",
)  # fmt: skip

_RULES = (
    ("ICU", re.compile(r"(^|/)(lib)?icu[a-z0-9_.-]*\.(so|dll|dylib)|(^|/)icudt")),
    ("OpenBLAS", re.compile(
        r"(^|/)(numpy|scipy)\.libs/|(^|/)(numpy|scipy)/\.dylibs/|openblas|(^|/)lib(gfortran|quadmath)"
    )),
    ("Qt", re.compile(r"(^|/)(PySide6|shiboken6)/|(^|/)(lib)?Qt6|(^|/)Qt[A-Za-z0-9]*\.framework/")),
    ("scipy", re.compile(r"(^|/)scipy/")),
    ("numpy", re.compile(r"(^|/)numpy/")),
    ("libpython", re.compile(
        r"(^|/)libpython3[0-9.]*\.(so|dylib)|(^|/)python3[0-9]*\.dll$|(^|/)Python(\.framework/|$)"
    )),
    ("stdlib extensions", re.compile(r"(^|/)python3\.[0-9]+/lib-dynload/|^_internal/[^/]+\.pyd$")),
)  # fmt: skip


def component(rel: str, top_level: bool) -> str:
    """The component of the file at bundle-relative path ``rel`` ('/' separated)."""
    if top_level:
        return "executables"
    for name, rule in _RULES:
        if rule.search(rel):
            return name
    return "other"


def sizes(bundle: Path) -> dict[str, int]:
    out = dict.fromkeys(COMPONENTS, 0)
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        rel = path.relative_to(bundle).as_posix()
        out[component(rel, "/" not in rel)] += path.stat().st_size
    return out


def table(by_component: dict[str, int], title: str) -> Iterable[str]:
    total = sum(by_component.values())
    yield f"{title}: {total / 2**20:.1f} MiB ({total / 1e6:.1f} MB) by component"
    for name, size in sorted(by_component.items(), key=lambda kv: -kv[1]):
        if size:
            yield f"  {name:<18} {size / 2**20:7.1f} MiB  {100 * size / max(total, 1):5.1f} %"


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundle", nargs="?", type=Path, default=here.parent / "dist" / "planner")
    ap.add_argument("--max-mib", type=float, help="fail when the total is larger")
    args = ap.parse_args(argv)
    if not args.bundle.is_dir():
        print(f"bundle_size: {args.bundle} is not a folder")
        return 1
    by_component = sizes(args.bundle)
    for line in table(by_component, str(args.bundle)):
        print(line)
    total = sum(by_component.values()) / 2**20
    if args.max_mib is not None and total > args.max_mib:
        print(f"bundle_size: {total:.1f} MiB is over the {args.max_mib:g} MiB limit")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
