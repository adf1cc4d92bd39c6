"""Does packaging/requirements.lock satisfy pyproject.toml? ./dev asks before it installs.

    python packaging/lockcheck.py             this interpreter and system: exit 1 with ONE line
                                              naming every requirement the lock does not meet
    python packaging/lockcheck.py --all       the same for every system and Python we ship
    python packaging/lockcheck.py --unlisted  installed distributions the lock does not pin here
                                              (./dev removes them, so .venv is the lock exactly)

Every requirement of pyproject.toml (dependencies, each extra, the build backend) whose marker
applies must have exactly one applicable ``==`` pin with hashes in the lock, inside its range.
The fix is always the same: ``packaging/lock.sh``, then commit the lock with pyproject.toml.
Standard library plus ``packaging`` (pip's vendored copy when the venv is still empty).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

try:
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh venv: pip always carries a copy
    from pip._vendor.packaging.markers import default_environment
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "packaging" / "requirements.lock"
PYPROJECT = ROOT / "pyproject.toml"
FIX = "run packaging/lock.sh and commit the lock"

# (label, marker environment) of every bundle we build and every Python we support
_SYSTEMS = {
    "Linux x86_64": {"sys_platform": "linux", "platform_system": "Linux",
                     "platform_machine": "x86_64", "os_name": "posix"},
    "Linux aarch64": {"sys_platform": "linux", "platform_system": "Linux",
                      "platform_machine": "aarch64", "os_name": "posix"},
    "Windows x86_64": {"sys_platform": "win32", "platform_system": "Windows",
                       "platform_machine": "AMD64", "os_name": "nt"},
    "macOS arm64": {"sys_platform": "darwin", "platform_system": "Darwin",
                    "platform_machine": "arm64", "os_name": "posix"},
}  # fmt: skip
PYTHONS = ("3.12", "3.13")


def target_environments() -> dict[str, dict[str, str]]:
    base = {**default_environment(), "implementation_name": "cpython",
            "platform_python_implementation": "CPython"}  # fmt: skip
    return {
        f"{system}, Python {py}": {
            **base,
            **env,
            "python_version": py,
            "python_full_version": f"{py}.0",
        }
        for system, env in _SYSTEMS.items()
        for py in PYTHONS
    }


@dataclass(frozen=True)
class Pin:
    req: Requirement
    hashes: int

    @property
    def version(self) -> str | None:
        specs = list(self.req.specifier)
        if len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version:
            return specs[0].version
        return None


def read_lock(text: str) -> list[Pin]:
    """The pins of a pip requirements file as uv writes it (one pin, then its --hash lines)."""
    pins: list[Pin] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            if pins:
                pins[-1] = Pin(pins[-1].req, pins[-1].hashes + 1)
            continue
        if line.startswith("-"):  # an option line (--index-url, ...)
            continue
        pins.append(Pin(Requirement(line.rstrip("\\").strip()), 0))
    return pins


def pyproject_requirements(data: dict) -> list[tuple[Requirement, str]]:
    """(requirement, extra or '') for dependencies, every extra and the build backend."""
    project = data.get("project", {})
    reqs = [(Requirement(r), "") for r in project.get("dependencies", [])]
    for extra, group in project.get("optional-dependencies", {}).items():
        reqs += [(Requirement(r), extra) for r in group]
    reqs += [(Requirement(r), "") for r in data.get("build-system", {}).get("requires", [])]
    return reqs


def _applies(req: Requirement, env: dict[str, str], extra: str = "") -> bool:
    return req.marker is None or req.marker.evaluate({**env, "extra": extra})


def problems(pyproject: dict, pins: list[Pin], env: dict[str, str]) -> list[str]:
    """Why the lock does not satisfy pyproject in ``env`` (empty list: it does)."""
    out = []
    own = canonicalize_name(pyproject.get("project", {}).get("name", ""))
    for req, extra in pyproject_requirements(pyproject):
        if canonicalize_name(req.name) == own or not _applies(req, env, extra):
            continue
        found = [
            p for p in pins
            if canonicalize_name(p.req.name) == canonicalize_name(req.name) and _applies(p.req, env)
        ]  # fmt: skip
        if not found:
            out.append(f"{req} has no pin")
        elif len(found) > 1:
            out.append(f"{req} has {len(found)} pins")
        elif found[0].version is None:
            out.append(f"{req} is locked as {found[0].req}, not an exact == pin")
        elif not req.specifier.contains(found[0].version, prereleases=True):
            out.append(f"{req} but the lock pins {found[0].version}")
        elif found[0].hashes == 0:
            out.append(f"{req} is pinned without a hash")
    return out


def unlisted(pins: list[Pin], env: dict[str, str], own: str) -> list[str]:
    """Installed distributions (in this interpreter) that the lock does not pin for ``env``."""
    from importlib.metadata import distributions

    wanted = {canonicalize_name(p.req.name) for p in pins if _applies(p.req, env)}
    keep = wanted | {"pip", canonicalize_name(own)}
    names = {canonicalize_name(d.metadata["Name"] or "") for d in distributions()}
    return sorted(n for n in names if n and n not in keep)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lock", type=Path, default=LOCK)
    ap.add_argument("--pyproject", type=Path, default=PYPROJECT)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--all", action="store_true", help="every shipped system and Python")
    mode.add_argument("--unlisted", action="store_true", help="installed but not locked")
    args = ap.parse_args(argv)

    try:
        rel = args.lock.resolve().relative_to(ROOT)
    except ValueError:
        rel = args.lock
    if not args.lock.is_file():
        print(f"{rel} is missing: {FIX}")
        return 1
    pyproject = tomllib.loads(args.pyproject.read_text(encoding="utf-8"))
    pins = read_lock(args.lock.read_text(encoding="utf-8"))

    if args.unlisted:
        own = pyproject.get("project", {}).get("name", "")
        print("\n".join(unlisted(pins, default_environment(), own)))
        return 0

    envs = target_environments() if args.all else {"here": dict(default_environment())}
    found = []
    for label, env in envs.items():
        for p in problems(pyproject, pins, env):
            item = p if label == "here" else f"{p} ({label})"
            if item not in found:
                found.append(item)
    if found:
        print(f"{rel} does not satisfy pyproject.toml: {'; '.join(found)}; {FIX}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
